"""The transition table, and the one function that moves an appeal along it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.utils import timezone
from django.utils.translation import gettext as _

from arbitration.exceptions import InvalidTransition
from cases import roles, sla
from cases.audit import audit_record_many
from cases.models import Appeal, AppealStatusChange, EvidenceRequest
from cases.notifications import approvals_settled
from cases.outbox import event_emit_many

S = Appeal.Status
Actor = AbstractBaseUser | None

ALLOWED: dict[Appeal.Status, frozenset[Appeal.Status]] = {
    S.OPEN: frozenset({S.IN_REVIEW, S.ESCALATED, S.CANCELLED}),
    S.IN_REVIEW: frozenset(
        {S.OPEN, S.AWAITING_EVIDENCE, S.ESCALATED, S.PENDING_APPROVAL, S.RESOLVED, S.CANCELLED}
    ),
    # -> open: the evidence came back to a case nobody owns any more.
    S.AWAITING_EVIDENCE: frozenset(
        {S.OPEN, S.IN_REVIEW, S.ESCALATED, S.PENDING_APPROVAL, S.RESOLVED, S.CANCELLED}
    ),
    S.ESCALATED: frozenset(
        {S.IN_REVIEW, S.AWAITING_EVIDENCE, S.PENDING_APPROVAL, S.RESOLVED, S.CANCELLED}
    ),
    # Approval resolves; a send-back returns the case to its arbitrator.
    S.PENDING_APPROVAL: frozenset({S.RESOLVED, S.IN_REVIEW, S.CANCELLED}),
    S.RESOLVED: frozenset(),
    S.CANCELLED: frozenset(),
}

# Statuses in which someone is working the case and may decide it.
WORKING: frozenset[Appeal.Status] = frozenset({S.IN_REVIEW, S.AWAITING_EVIDENCE, S.ESCALATED})


def transition_refusal(appeal: Appeal, to: str) -> InvalidTransition | None:
    """Why the table refuses moving this appeal to `to` (staying put is always allowed)."""
    if to == appeal.status or to in ALLOWED[appeal.status]:
        return None
    return InvalidTransition(
        _("An appeal that is %(status)s cannot be moved to %(to)s.")
        % {"status": appeal.get_status_display().lower(), "to": S(to).label.lower()},
        field="status",
    )


# Statuses that end the wait for a party (a decision) or every clock (closed).
CLOCK_STOPPING = frozenset({S.PENDING_APPROVAL, *Appeal.CLOSED_STATUSES})


def _clocks_follow(appeal: Appeal, was: str, now) -> None:
    """Keep the clocks true to the new status: a decision ends the wait for evidence (what
    was still asked for is closed, not missed); a case nobody waits on any more runs its
    resolution clock again; a closed case has no clock left running at all."""
    if appeal.status == was:
        return
    waiting = appeal.evidence_requests.filter(answered_at__isnull=True, missed_at__isnull=True)
    if appeal.status == S.PENDING_APPROVAL or appeal.status in Appeal.CLOSED_STATUSES:
        waiting.update(answered_at=now, answered_via=EvidenceRequest.Via.CLOSED)
    if appeal.status in Appeal.CLOSED_STATUSES:
        for pause in appeal.clock_pauses.filter(ended_at__isnull=True):
            sla.pause_close(appeal, pause, at=now)
    elif appeal.paused and not waiting.exists():
        sla.evidence_pause_close(appeal, at=now)


def _snapshot(appeal: Appeal) -> dict[str, Any]:
    return {"status": appeal.status, "assignee": appeal.assignee_id}


@dataclass
class _Move:
    """One appeal's transition, worked out before it is written."""

    appeal: Appeal
    was: dict[str, Any]
    changes: dict[str, Any]
    after: dict[str, Any]
    comment: str

    @property
    def status_changed(self) -> bool:
        return self.was["status"] != self.appeal.status

    def status_row(self, actor: Actor, now) -> AppealStatusChange:
        return AppealStatusChange(
            appeal=self.appeal,
            from_status=self.was["status"],
            to_status=self.appeal.status,
            actor=actor,
            comment=self.comment,
            created_at=now,
        )

    def event_data(self) -> dict[str, Any]:
        return {
            "appeal": self.appeal.pk,
            "order": self.appeal.order.external_id,
            "from_status": self.was["status"],
            "status": self.appeal.status,
        }


def _plan(
    appeal: Appeal,
    to: str,
    *,
    actor: Actor,
    now,
    comment: str,
    fields: dict[str, Any] | None,
    audit_extra: dict[str, Any] | None,
    responds: bool,
) -> _Move:
    """Check the table and set the new values on the appeal (not yet saved)."""
    refusal = transition_refusal(appeal, to)
    if refusal is not None:
        raise refusal
    before = _snapshot(appeal)
    changes = dict(fields or {})
    if to != appeal.status:
        changes["status"] = to
    # The first time staff act on the case itself; shuffling work between people
    # (assigning, handing back) is no response to the parties.
    if (
        responds
        and actor is not None
        and roles.is_staff_member(actor)
        and appeal.first_response_at is None
    ):
        changes["first_response_at"] = now
    if "assignee" in changes:
        new = changes["assignee"]
        if (new.pk if new is not None else None) != appeal.assignee_id:
            changes["assigned_at"] = now if new is not None else None
        if new is not None:
            changes["assignment_note"] = ""
    for name, value in changes.items():
        setattr(appeal, name, value)
    after = {
        **_snapshot(appeal),
        **(audit_extra or {}),
        **({"comment": comment} if comment else {}),
    }
    return _Move(appeal, before, changes, after, comment)


def transition(
    appeal: Appeal,
    to: str,
    *,
    actor: Actor,
    action: str,
    comment: str = "",
    fields: dict[str, Any] | None = None,
    audit_extra: dict[str, Any] | None = None,
    responds: bool = True,
) -> None:
    """Move the (locked) appeal to `to`, with its status row, audit entry and event."""
    transition_many(
        [(appeal, fields or {})],
        to,
        actor=actor,
        action=action,
        comment=comment,
        audit_extra=audit_extra,
        responds=responds,
    )


def transition_many(
    moves: list[tuple[Appeal, dict[str, Any]]],
    to: str,
    *,
    actor: Actor,
    action: str,
    comment: str = "",
    audit_extra: dict[str, Any] | None = None,
    responds: bool = True,
) -> None:
    """Move each (locked) appeal to `to`, each with its status row, audit entry (chained
    in order) and event, in a fixed number of statements whatever their number: one
    appeal (`transition`) or a floor tick's batch."""
    if not moves:
        return
    now = timezone.now()
    planned = [
        _plan(
            appeal,
            to,
            actor=actor,
            now=now,
            comment=comment,
            fields=fields,
            audit_extra=audit_extra,
            responds=responds,
        )
        for appeal, fields in moves
    ]
    # What every appeal gets alike is one UPDATE; what differs (the assignee) one
    # bulk_update over just those columns.
    names = sorted({name for move in planned for name in move.changes})
    first = planned[0].changes
    same = {
        n: first[n]
        for n in names
        if all(n in m.changes and m.changes[n] == first[n] for m in planned)
    }
    differ = [n for n in names if n not in same]
    for move in planned:
        move.appeal.updated_at = now
    Appeal.objects.filter(pk__in=[m.appeal.pk for m in planned]).update(**same, updated_at=now)
    if differ:
        Appeal.objects.bulk_update([m.appeal for m in planned], differ)
    for move in planned:
        if move.appeal.paused or move.appeal.status in CLOCK_STOPPING:
            _clocks_follow(move.appeal, move.was["status"], now)
    audit_record_many(
        [
            {
                "actor": actor,
                "action": action,
                "obj": m.appeal,
                "appeal": m.appeal,
                "before": m.was,
                "after": m.after,
            }
            for m in planned
        ]
    )
    changed = [m for m in planned if m.status_changed]
    settled = [m.appeal.pk for m in changed if m.was["status"] == S.PENDING_APPROVAL]
    if settled:
        # The verdict was approved, sent back or withdrawn: nobody is waited on any more.
        approvals_settled(settled, at=now)
    AppealStatusChange.objects.bulk_create([m.status_row(actor, now) for m in changed])
    event_emit_many(
        type="appeal.status_changed", items=[(m.appeal, m.event_data()) for m in changed]
    )
