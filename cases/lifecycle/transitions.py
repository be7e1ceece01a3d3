"""The transition table, and the one function that moves an appeal along it."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.utils import timezone
from django.utils.translation import gettext as _

from arbitration.exceptions import InvalidTransition
from cases import roles, sla
from cases.audit import audit_record
from cases.models import Appeal, AppealStatusChange, EvidenceRequest
from cases.outbox import event_emit

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
    refusal = transition_refusal(appeal, to)
    if refusal is not None:
        raise refusal
    now = timezone.now()
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
    appeal.save(update_fields=[*changes, "updated_at"])
    _clocks_follow(appeal, before["status"], now)
    after = _snapshot(appeal)
    audit_record(
        actor=actor,
        action=action,
        obj=appeal,
        appeal=appeal,
        before=before,
        after={**after, **(audit_extra or {}), **({"comment": comment} if comment else {})},
    )
    if before["status"] != appeal.status:
        AppealStatusChange.objects.create(
            appeal=appeal,
            from_status=before["status"],
            to_status=appeal.status,
            actor=actor,
            comment=comment,
            created_at=now,
        )
        event_emit(
            type="appeal.status_changed",
            appeal=appeal,
            data={
                "appeal": appeal.pk,
                "order": appeal.order.external_id,
                "from_status": before["status"],
                "status": appeal.status,
            },
        )
