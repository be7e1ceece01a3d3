"""The audit log is a hash chain: any edit, deletion or re-link is found, at its seq."""

from __future__ import annotations

import pytest
from django.core.management import CommandError, call_command
from django.db import transaction

from cases.audit import GENESIS, audit_record, audit_verify, entry_digest
from cases.lifecycle import appeal_claim, note_add
from cases.models import AuditEntry, AuditHead
from tests.factories import TraderFactory, appeal_in, open_appeal

pytestmark = pytest.mark.django_db


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
    AuditEntry.objects.filter(seq=seq).update(after={"status": "resolved"})

    checked, broken = audit_verify()

    assert broken.seq == seq
    assert checked == seq - 1
    assert "hash" in broken.reason


def test_an_edited_action_is_found(chain):
    seq = middle(chain)
    AuditEntry.objects.filter(seq=seq).update(action="note.added")
    assert audit_verify()[1].seq == seq


def test_an_edited_actor_is_found(chain, senior):
    seq = middle(chain)
    AuditEntry.objects.filter(seq=seq).update(actor=senior, actor_label=senior.username)
    assert audit_verify()[1].seq == seq


def test_an_edit_in_the_first_entry_is_found(chain):
    AuditEntry.objects.filter(seq=1).update(before={"status": "resolved"})
    assert audit_verify()[1].seq == 1


def test_a_deleted_middle_entry_is_found(chain):
    seq = middle(chain)
    AuditEntry.objects.filter(seq=seq).delete()

    checked, broken = audit_verify()

    assert broken.seq == seq
    assert checked == seq - 1
    assert "missing" in broken.reason


def test_a_deleted_first_entry_is_found(chain):
    AuditEntry.objects.filter(seq=1).delete()
    assert audit_verify()[1].seq == 1


def test_a_deleted_last_entry_is_found(chain):
    last = chain[-1].seq
    AuditEntry.objects.filter(seq=last).delete()

    checked, broken = audit_verify()

    assert broken.seq == last
    assert checked == last - 1


def test_a_changed_prev_hash_is_found(chain):
    seq = middle(chain)
    AuditEntry.objects.filter(seq=seq).update(prev_hash="f" * 64)
    checked, broken = audit_verify()
    assert broken.seq == seq
    assert "previous" in broken.reason


def test_a_forged_entry_with_a_recomputed_hash_breaks_the_next_link(chain):
    """Re-hashing an edited row does not help: the next entry still points at the old hash."""
    seq = middle(chain)
    forged = AuditEntry.objects.get(seq=seq)
    forged.after = {**forged.after, "forged": True}
    forged.hash = entry_digest(forged)
    forged.save()

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
    tamper(seq)
    with pytest.raises(CommandError, match=rf"#{seq}\b"):
        call_command("verify_audit")


def test_verify_audit_exits_non_zero_from_the_shell(chain):
    """Run as `manage.py verify_audit`, a broken chain is a failing exit status."""
    AuditEntry.objects.filter(seq=chain[-1].seq).delete()
    with pytest.raises(SystemExit) as exit_info:
        from django.core.management import ManagementUtility

        ManagementUtility(["manage.py", "verify_audit"]).execute()
    assert exit_info.value.code not in (0, None)
