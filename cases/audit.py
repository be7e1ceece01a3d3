"""The append-only, keyed hash chain of the audit log.

Every entry's hash is HMAC-SHA256(key, previous hash + canonical JSON of the entry), so an
edited, inserted or deleted row breaks the chain at that point. The key comes from the
environment (settings.AUDIT_CHAIN_KEY) and never from the database: someone who can write
the table cannot recompute a chain that verifies. On PostgreSQL the table also refuses
UPDATE, DELETE and TRUNCATE (migration 0013), so editing it at all takes the table owner's
rights, not just access. Appends lock the single AuditHead row, which orders concurrent
writers and makes the chain linear.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.core.serializers.json import DjangoJSONEncoder
from django.utils import timezone

from arbitration.db import require_transaction

from .models import Appeal, AuditEntry, AuditHead

GENESIS = "0" * 64


def _plain(value: dict[str, Any] | None) -> dict[str, Any]:
    """Decimals, datetimes and UUIDs as the strings JSON will give back, so hashes hold."""
    return json.loads(json.dumps(value or {}, cls=DjangoJSONEncoder))


def entry_digest(entry: AuditEntry, *, key: bytes | None = None) -> str:
    """The entry's link in the chain, keyed with the audit key (settings by default)."""
    payload = {
        "seq": entry.seq,
        "created_at": entry.created_at.isoformat(),
        "actor": entry.actor_id,
        "actor_label": entry.actor_label,
        "action": entry.action,
        "object_type": entry.object_type,
        "object_id": entry.object_id,
        "appeal": entry.appeal_id,
        "before": entry.before,
        "after": entry.after,
    }
    canonical = json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    key = settings.AUDIT_CHAIN_KEY if key is None else key
    return hmac.new(key, (entry.prev_hash + canonical).encode(), hashlib.sha256).hexdigest()


def actor_label(actor: AbstractBaseUser | None) -> str:
    return actor.get_username() if actor is not None else "system"


def audit_record(
    *,
    actor: AbstractBaseUser | None,
    action: str,
    obj: Any,
    appeal: Appeal | None = None,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
) -> AuditEntry:
    """Append one entry. Must run inside the transaction that makes the change."""
    require_transaction("audit_record")
    head = AuditHead.objects.select_for_update().get(pk=1)
    entry = AuditEntry(
        seq=head.seq + 1,
        # Microseconds survive every database round trip; the hash covers this exact value.
        created_at=timezone.now(),
        actor=actor,
        actor_label=actor_label(actor),
        action=action,
        object_type=obj._meta.label_lower,
        object_id=str(obj.pk),
        appeal=appeal,
        before=_plain(before),
        after=_plain(after),
        prev_hash=head.hash,
    )
    entry.hash = entry_digest(entry)
    entry.save(force_insert=True)
    head.seq, head.hash = entry.seq, entry.hash
    head.save(update_fields=["seq", "hash"])
    return entry


def audit_record_many(entries: list[dict[str, Any]]) -> list[AuditEntry]:
    """Append several entries (each the keyword arguments of audit_record) in order, with
    one lock of the head and one insert: the same chain as one call each."""
    require_transaction("audit_record_many")
    if not entries:
        return []
    head = AuditHead.objects.select_for_update().get(pk=1)
    rows = []
    seq, prev = head.seq, head.hash
    for e in entries:
        actor, obj = e.get("actor"), e["obj"]
        seq += 1
        entry = AuditEntry(
            seq=seq,
            created_at=timezone.now(),
            actor=actor,
            actor_label=actor_label(actor),
            action=e["action"],
            object_type=obj._meta.label_lower,
            object_id=str(obj.pk),
            appeal=e.get("appeal"),
            before=_plain(e.get("before")),
            after=_plain(e.get("after")),
            prev_hash=prev,
        )
        entry.hash = entry_digest(entry)
        prev = entry.hash
        rows.append(entry)
    AuditEntry.objects.bulk_create(rows)
    head.seq, head.hash = seq, prev
    head.save(update_fields=["seq", "hash"])
    return rows


@dataclass(frozen=True)
class BrokenLink:
    seq: int
    reason: str


def audit_head() -> tuple[int, str]:
    """(seq, hash) of the chain's newest entry: a checkpoint to keep outside the database.
    The chain alone cannot tell a tail cut off and the head row wound back from a shorter
    history; a checkpoint kept elsewhere can (audit_verify(checkpoint=...))."""
    head = AuditHead.objects.filter(pk=1).values_list("seq", "hash").first()
    return head or (0, GENESIS)


def audit_verify(
    *,
    chunk_size: int = 5000,
    key: bytes | None = None,
    checkpoint: tuple[int, str] | None = None,
) -> tuple[int, BrokenLink | None]:
    """Walk the chain; return (entries checked, the first broken link or None). With a
    `checkpoint` (seq, hash) recorded earlier, entry `seq` must still carry that hash."""
    expected_prev, expected_seq, checked = GENESIS, 1, 0
    if checkpoint is not None and checkpoint[0] > 0:
        kept = AuditEntry.objects.filter(seq=checkpoint[0]).values_list("hash", flat=True).first()
        if kept != checkpoint[1]:
            return 0, BrokenLink(
                checkpoint[0],
                "the checkpoint does not match: entries were removed or rewritten since it "
                "was taken",
            )
    for entry in AuditEntry.objects.order_by("seq").iterator(chunk_size=chunk_size):
        if entry.seq != expected_seq:
            return checked, BrokenLink(expected_seq, f"entry #{expected_seq} is missing")
        if entry.prev_hash != expected_prev:
            return checked, BrokenLink(entry.seq, "previous-hash does not match the entry before")
        if not hmac.compare_digest(entry_digest(entry, key=key), entry.hash):
            return checked, BrokenLink(entry.seq, "contents do not match the entry's hash")
        expected_prev, expected_seq, checked = entry.hash, expected_seq + 1, checked + 1
    head = AuditHead.objects.filter(pk=1).first()
    if head is not None and (head.seq, head.hash) != (checked, expected_prev):
        return checked, BrokenLink(checked + 1, f"entries after #{checked} were removed")
    return checked, None


# What each kind of record says in the audit entry that created it, and how to read the
# same facts off the record itself: rows inserted behind the lifecycle's back (a forged,
# backdated note) or edited after it have no entry that matches them.
RECORD_CHECKS = {
    "note.added": ("cases.note", lambda r: {"actor": r.author_id, "text": r.text}),
    "verdict.proposed": (
        "cases.verdict",
        lambda r: {
            "actor": r.decided_by_id,
            "outcome": r.outcome,
            "responsible_party": r.responsible_party,
            "rule": r.rule_code,
            "rationale": r.rationale,
        },
    ),
    "party.message_sent": (
        "cases.deskmessage",
        lambda r: {"actor": r.sent_by_id, "party": r.party, "text": r.text},
    ),
}


def _entry_facts(action: str, actor_id: int | None, after: dict[str, Any]) -> dict[str, Any]:
    facts = {"actor": actor_id}
    keys = {"note.added": ("text",), "party.message_sent": ("party", "text")}.get(
        action, ("outcome", "responsible_party", "rule", "rationale")
    )
    facts.update({key: after.get(key) for key in keys})
    return facts


def _digest(facts: dict[str, Any]) -> bytes:
    return hashlib.sha256(json.dumps(facts, sort_keys=True, default=str).encode()).digest()


def audit_verify_records(*, chunk_size: int = 5000) -> BrokenLink | None:
    """Every note, verdict and desk message matches the audit entry that recorded it
    (who, and what it said). Returns the first that does not, as a BrokenLink whose seq
    is 0 and whose reason names the record."""
    from django.apps import apps

    for action, (label, read) in RECORD_CHECKS.items():
        recorded: dict[str, bytes] = {}
        entries = AuditEntry.objects.filter(action=action).values_list(
            "object_id", "actor_id", "after"
        )
        for object_id, actor_id, after in entries.iterator(chunk_size=chunk_size):
            recorded[object_id] = _digest(_entry_facts(action, actor_id, after))
        model = apps.get_model(label)
        for record in model.objects.order_by("pk").iterator(chunk_size=chunk_size):
            if recorded.get(str(record.pk)) != _digest(read(record)):
                return BrokenLink(
                    0, f"{label} #{record.pk} does not match the audit entry that recorded it"
                )
    return None
