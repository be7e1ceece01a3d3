"""The audit log is a keyed hash chain: any edit, deletion or re-link is found, at its
seq, even by a forger who recomputes hashes; on PostgreSQL the table refuses edits.

The tampering tests play someone with database access who also switched the append-only
triggers off (as only the table's owner can, `forged()`): what they change must still be
found by `verify_audit`.
"""

from __future__ import annotations

import hashlib
import importlib
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from django.core.management import CommandError, call_command
from django.db import connection, transaction
from django.db.utils import DatabaseError

from cases.audit import GENESIS, audit_record, audit_verify, entry_digest
from cases.lifecycle import appeal_claim, note_add
from cases.models import AuditEntry, AuditHead
from tests.factories import TraderFactory, appeal_in, open_appeal

pytestmark = pytest.mark.django_db
RESEAL = importlib.import_module("cases.migrations.0013_audit_keyed_append_only")


@contextmanager
def forged() -> Iterator[None]:
    """Tamper as the table owner: the append-only triggers off (PostgreSQL), then on."""
    postgres = connection.vendor == "postgresql"
    if postgres:
        with connection.cursor() as cursor:
            # ALTER TABLE waits for no deferred foreign-key check of this transaction.
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute("ALTER TABLE cases_auditentry DISABLE TRIGGER USER")
    try:
        yield
    finally:
        if postgres:
            with connection.cursor() as cursor:
                cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
                cursor.execute("ALTER TABLE cases_auditentry ENABLE TRIGGER USER")
                cursor.execute("SET CONSTRAINTS ALL DEFERRED")


@pytest.fixture
def chain(arbitrator, senior) -> list[AuditEntry]:
    """Seven entries: an appeal opened, claimed, noted twice, and resolved."""
    appeal = open_appeal()
    appeal_claim(appeal_id=appeal.pk, actor=arbitrator)
    note_add(appeal_id=appeal.pk, actor=arbitrator, text="Voucher checked.")
    note_add(appeal_id=appeal.pk, actor=senior, text="Agreed.")
    appeal_in("resolved", worker=arbitrator)  # opened, claimed, proposed, resolved
    entries = list(AuditEntry.objects.order_by("seq"))
    assert len(entries) >= 7
    return entries


def test_entries_chain_from_the_genesis_hash(chain):
    assert [e.seq for e in chain] == list(range(1, len(chain) + 1))
    assert chain[0].prev_hash == GENESIS
    for previous, entry in zip(chain, chain[1:], strict=False):
        assert entry.prev_hash == previous.hash
    assert all(entry_digest(e) == e.hash for e in chain)
    head = AuditHead.objects.get()
    assert (head.seq, head.hash) == (chain[-1].seq, chain[-1].hash)


def test_an_entry_names_its_actor_and_object(chain, arbitrator):
    claimed = next(e for e in chain if e.action == "appeal.claimed")
    assert (claimed.actor, claimed.actor_label) == (arbitrator, "arbitrator")
    assert claimed.object_type == "cases.appeal"
    assert claimed.object_id == str(claimed.appeal_id)
    assert claimed.before["status"] == "open"
    assert claimed.after["status"] == "in_review"


def test_a_system_entry_is_labelled_system():
    with transaction.atomic():
        entry = audit_record(actor=None, action="test.ping", obj=TraderFactory())
    assert (entry.actor, entry.actor_label) == (None, "system")


def test_an_intact_chain_verifies(chain):
    assert audit_verify() == (len(chain), None)


def test_an_empty_chain_verifies():
    assert audit_verify() == (0, None)


def test_a_small_chunk_size_gives_the_same_answer(chain):
    assert audit_verify(chunk_size=2) == (len(chain), None)


def middle(chain: list[AuditEntry]) -> int:
    return chain[len(chain) // 2].seq


def test_an_edited_after_is_found(chain):
    seq = middle(chain)
    with forged():
        AuditEntry.objects.filter(seq=seq).update(after={"status": "resolved"})

    checked, broken = audit_verify()

    assert broken.seq == seq
    assert checked == seq - 1
    assert "hash" in broken.reason


def test_an_edited_action_is_found(chain):
    seq = middle(chain)
    with forged():
        AuditEntry.objects.filter(seq=seq).update(action="note.added")
    assert audit_verify()[1].seq == seq


def test_an_edited_actor_is_found(chain, senior):
    seq = middle(chain)
    with forged():
        AuditEntry.objects.filter(seq=seq).update(actor=senior, actor_label=senior.username)
    assert audit_verify()[1].seq == seq


def test_an_edit_in_the_first_entry_is_found(chain):
    with forged():
        AuditEntry.objects.filter(seq=1).update(before={"status": "resolved"})
    assert audit_verify()[1].seq == 1


def test_a_deleted_middle_entry_is_found(chain):
    seq = middle(chain)
    with forged():
        AuditEntry.objects.filter(seq=seq).delete()

    checked, broken = audit_verify()

    assert broken.seq == seq
    assert checked == seq - 1
    assert "missing" in broken.reason


def test_a_deleted_first_entry_is_found(chain):
    with forged():
        AuditEntry.objects.filter(seq=1).delete()
    assert audit_verify()[1].seq == 1


def test_a_deleted_last_entry_is_found(chain):
    last = chain[-1].seq
    with forged():
        AuditEntry.objects.filter(seq=last).delete()

    checked, broken = audit_verify()

    assert broken.seq == last
    assert checked == last - 1


def test_a_changed_prev_hash_is_found(chain):
    seq = middle(chain)
    with forged():
        AuditEntry.objects.filter(seq=seq).update(prev_hash="f" * 64)
    checked, broken = audit_verify()
    assert broken.seq == seq
    assert "previous" in broken.reason


def test_a_forged_entry_with_a_recomputed_hash_breaks_the_next_link(chain):
    """Re-hashing an edited row does not help: the next entry still points at the old hash."""
    seq = middle(chain)
    entry = AuditEntry.objects.get(seq=seq)
    entry.after = {**entry.after, "forged": True}
    entry.hash = entry_digest(entry)
    with forged():
        entry.save()

    assert audit_verify()[1].seq == seq + 1


def test_new_entries_after_a_verified_chain_still_verify(chain, arbitrator):
    appeal = open_appeal()
    appeal_claim(appeal_id=appeal.pk, actor=arbitrator)
    assert audit_verify() == (len(chain) + 2, None)


# --- manage.py verify_audit ---------------------------------------------------------------


def test_verify_audit_passes_an_intact_chain(chain, capsys):
    call_command("verify_audit")
    out = capsys.readouterr()
    assert out.err == ""
    assert str(len(chain)) in out.out


@pytest.mark.parametrize(
    "tamper",
    [
        lambda seq: AuditEntry.objects.filter(seq=seq).update(after={}),
        lambda seq: AuditEntry.objects.filter(seq=seq).delete(),
        lambda seq: AuditEntry.objects.filter(seq=seq).update(prev_hash=GENESIS),
    ],
    ids=["edited", "deleted", "relinked"],
)
def test_verify_audit_names_the_first_broken_entry(tamper, chain):
    seq = middle(chain)
    with forged():
        tamper(seq)
    with pytest.raises(CommandError, match=rf"#{seq}\b"):
        call_command("verify_audit")


def test_verify_audit_exits_non_zero_from_the_shell(chain):
    """Run as `manage.py verify_audit`, a broken chain is a failing exit status."""
    with forged():
        AuditEntry.objects.filter(seq=chain[-1].seq).delete()
    with pytest.raises(SystemExit) as exit_info:
        from django.core.management import ManagementUtility

        ManagementUtility(["manage.py", "verify_audit"]).execute()
    assert exit_info.value.code not in (0, None)


# --- a forger with database access ---------------------------------------------------------


def plain_sha256_link(entry: AuditEntry) -> str:
    """The old, unkeyed link (as migration 0013 reads it): what anyone who can read the
    code can recompute."""
    return hashlib.sha256((entry.prev_hash + RESEAL._canonical(entry)).encode()).hexdigest()


def test_a_forger_who_rewrites_a_row_and_recomputes_the_whole_chain_is_found(chain):
    """As reported: rewriting a row and recomputing the plain SHA-256 chain from there to
    the head passed verify_audit. Without the key (it is not in the database) no
    recomputed chain verifies."""
    seq = middle(chain)
    with forged():
        prev = AuditEntry.objects.get(seq=seq - 1).hash
        for entry in AuditEntry.objects.filter(seq__gte=seq).order_by("seq"):
            if entry.seq == seq:
                entry.after = {**entry.after, "status": "resolved", "forged": True}
            entry.prev_hash = prev
            entry.hash = plain_sha256_link(entry)
            entry.save()
            prev = entry.hash
        AuditHead.objects.filter(pk=1).update(hash=prev)

    checked, broken = audit_verify()

    assert broken is not None and broken.seq == seq
    with pytest.raises(CommandError, match=rf"#{seq}\b"):
        call_command("verify_audit")


def test_a_chain_verifies_only_under_its_own_key(chain):
    assert audit_verify() == (len(chain), None)
    checked, broken = audit_verify(key=b"x" * 64)
    assert (checked, broken.seq) == (0, 1)


@pytest.mark.postgres
@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE cases_auditentry SET action = 'note.added' WHERE seq = 1",
        "UPDATE cases_auditentry SET hash = hash",
        "DELETE FROM cases_auditentry WHERE seq = 1",
        "TRUNCATE cases_auditentry",
    ],
    ids=["edit", "no-op-update", "delete", "truncate"],
)
def test_postgresql_refuses_to_edit_the_audit_log(chain, statement):
    if connection.vendor != "postgresql":
        pytest.skip("the append-only triggers are PostgreSQL's")
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        with connection.cursor() as cursor:
            # So TRUNCATE reaches the trigger rather than waiting on deferred FK checks.
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute(statement)
    assert audit_verify() == (len(chain), None)


@pytest.mark.postgres
def test_the_orm_cannot_edit_or_delete_an_entry_either(chain):
    if connection.vendor != "postgresql":
        pytest.skip("the append-only triggers are PostgreSQL's")
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditEntry.objects.filter(seq=1).update(action="x")
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditEntry.objects.filter(seq=1).delete()


# --- the upgrade from the unkeyed chain ------------------------------------------------------


def make_legacy(chain: list[AuditEntry]) -> None:
    """Re-link the chain as the previous release did: plain SHA-256."""
    from cases.audit import GENESIS as START

    prev = START
    with forged():
        for entry in AuditEntry.objects.order_by("seq"):
            entry.prev_hash = prev
            entry.hash = plain_sha256_link(entry)
            entry.save()
            prev = entry.hash
        AuditHead.objects.filter(pk=1).update(hash=prev)


def test_the_migration_reseals_an_intact_legacy_chain(chain):
    from django.apps import apps

    make_legacy(chain)
    assert audit_verify()[1] is not None  # the old links do not verify under the key

    with forged():
        RESEAL.reseal(apps, None)

    assert audit_verify() == (len(chain), None)


def test_the_migration_refuses_to_bless_a_tampered_legacy_chain(chain):
    from django.apps import apps

    make_legacy(chain)
    seq = middle(chain)
    with forged():
        AuditEntry.objects.filter(seq=seq).update(action="note.added")
        with pytest.raises(RuntimeError, match=rf"#{seq}\b"):
            RESEAL.reseal(apps, None)


# --- a tail cut off, and the rest of history -------------------------------------------------


def test_a_tail_cut_off_with_the_head_wound_back_is_found_by_a_checkpoint(chain):
    """No key is needed to delete the newest entries and wind the head back to an older
    one: the chain that is left verifies. A checkpoint kept outside the database does not."""
    from cases.audit import audit_head

    checkpoint = audit_head()
    keep = chain[len(chain) // 2]
    with forged():
        AuditEntry.objects.filter(seq__gt=keep.seq).delete()
        AuditHead.objects.filter(pk=1).update(seq=keep.seq, hash=keep.hash)

    assert audit_verify() == (keep.seq, None)  # the shorter chain alone looks fine
    checked, broken = audit_verify(checkpoint=checkpoint)
    assert broken is not None and broken.seq == checkpoint[0]
    with pytest.raises(CommandError, match="checkpoint does not match"):
        call_command("verify_audit", "--checkpoint", f"{checkpoint[0]}:{checkpoint[1]}")


def test_verify_audit_prints_the_checkpoint_to_keep(chain, capsys):
    from cases.audit import audit_head

    call_command("verify_audit")
    seq, digest = audit_head()
    assert f"{seq}:{digest}" in capsys.readouterr().out
    call_command("verify_audit", "--checkpoint", f"{seq}:{digest}")


def test_the_hourly_task_logs_the_checkpoint(chain, caplog):
    from cases.audit import audit_head
    from cases.tasks import audit_checkpoint

    with caplog.at_level("INFO", logger="cases.tasks"):
        value = audit_checkpoint()
    assert value == "{}:{}".format(*audit_head())
    assert value in caplog.text


def on_postgres() -> None:
    if connection.vendor != "postgresql":
        pytest.skip("the append-only triggers are PostgreSQL's")


@pytest.mark.postgres
def test_replication_mode_does_not_switch_the_triggers_off(chain):
    """`SET session_replication_role = replica` skips ordinary triggers; these fire ALWAYS."""
    on_postgres()
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL session_replication_role = replica")
            cursor.execute("UPDATE cases_auditentry SET action = 'x' WHERE seq = 1")


@pytest.mark.postgres
@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE cases_note SET text = 'rewritten'",
        "DELETE FROM cases_note",
        "UPDATE cases_appealstatuschange SET to_status = 'resolved'",
        "UPDATE cases_verdict SET outcome = 'return_to_seller'",
        "UPDATE cases_verdict SET rationale = 'rewritten'",
        "UPDATE cases_verdict SET rule_text = 'rewritten'",
        "DELETE FROM cases_verdict",
    ],
)
def test_notes_status_changes_and_decisions_do_not_move(chain, statement):
    on_postgres()
    with pytest.raises(DatabaseError, match="history does not move"), transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute(statement)


@pytest.mark.postgres
def test_a_pending_verdicts_state_still_moves(chain):
    """What the lifecycle changes on a verdict waiting for approval is not frozen."""
    on_postgres()
    from tests.factories import appeal_in

    appeal_in("pending_approval")
    with connection.cursor() as cursor:
        cursor.execute("UPDATE cases_verdict SET reviewed_at = now() WHERE state = 'pending'")
        assert cursor.rowcount == 1


@pytest.mark.postgres
@pytest.mark.parametrize(
    "statement",
    [
        # As reported: flipping an effective verdict to withdrawn made a second verdict on
        # the order skip four-eyes; rewriting the approver rewrote who moved the money.
        "UPDATE cases_verdict SET state = 'withdrawn' WHERE state = 'effective'",
        "UPDATE cases_verdict SET approved_by_id = decided_by_id WHERE state = 'effective'",
        "UPDATE cases_outboxevent SET data = '{}'",
        "DELETE FROM cases_outboxevent",
        "TRUNCATE cases_note CASCADE",
        "TRUNCATE cases_verdict CASCADE",
        "TRUNCATE cases_outboxevent CASCADE",
    ],
)
def test_settled_verdicts_events_and_tables_do_not_move(chain, statement):
    on_postgres()
    with pytest.raises(DatabaseError, match="history does not move"), transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute(statement)


def test_a_note_inserted_behind_the_desks_back_is_found_with_records(chain, senior):
    """As reported: a backdated note in another user's name, inserted with database
    access, went unnoticed. Every note must match the entry that recorded it."""
    from cases.models import Note

    call_command("verify_audit", "--records")  # the honest desk verifies
    appeal = chain[0].appeal
    Note.objects.create(appeal=appeal, author=senior, text="Checked: the buyer never paid.")

    with pytest.raises(CommandError, match=r"cases\.note #\d+ does not match"):
        call_command("verify_audit", "--records")


def test_an_edited_verdict_is_found_with_records(chain):
    from cases.models import Verdict

    with forged():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("ALTER TABLE cases_verdict DISABLE TRIGGER USER")
        Verdict.objects.update(rationale="Rewritten after the fact.")
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("ALTER TABLE cases_verdict ENABLE TRIGGER USER")

    with pytest.raises(CommandError, match=r"cases\.verdict #\d+ does not match"):
        call_command("verify_audit", "--records")
