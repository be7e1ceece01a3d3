"""The SLA clocks of an appeal: which policy sets its deadlines, pausing and resuming
them, and which deadlines it breached.

An appeal has a first-response clock, a resolution clock, and a clock per evidence request
(the party's). The resolution clock stands still while the case waits on a party, and
every clock stands still while an incident covers the case. Pauses are rows
(ClockPause); overlapping ones count once: `Appeal.clock_paused_at` is when the clock
stopped, and when the last open pause closes, the deadlines move later by the time it
stood still (`resolution_due_at` by exactly that, and `paused_seconds` records it).

Everything that writes an appeal's clocks here runs inside the caller's transaction, on
a locked appeal. The policies themselves are the team leads' to edit (`sla_policy_save`,
`sla_policy_delete`, audited, for the API; the admin audits its own edits).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.db import IntegrityError, transaction
from django.db.models import Exists, F, OuterRef, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from arbitration.db import require_transaction
from arbitration.exceptions import Conflict, InvalidInput, NotAllowed
from cases import roles
from cases.audit import audit_record
from cases.models import Appeal, ClockPause, EvidenceRequest, SlaPolicy

BREACH_CODES = ("first_response", "evidence_buyer", "evidence_seller", "resolution")


@dataclass(frozen=True)
class Deadlines:
    first_response_minutes: int
    evidence_hours: int
    resolution_hours: int


def policy_for(reason: str, priority: int | None) -> Deadlines:
    """The most specific policy: reason and priority, then reason, then "*" and priority,
    then "*"; the settings when no policy matches at all."""
    rows = SlaPolicy.objects.filter(
        Q(reason=reason) | Q(reason=SlaPolicy.ANY_REASON),
        Q(priority=priority) | Q(priority__isnull=True),
    )

    def specificity(p: SlaPolicy) -> tuple[int, int]:
        return (p.reason != SlaPolicy.ANY_REASON, p.priority is not None)

    best = max(rows, key=specificity, default=None)
    if best is None:
        return Deadlines(
            settings.SLA_FIRST_RESPONSE_MINUTES,
            settings.SLA_EVIDENCE_HOURS,
            settings.SLA_RESOLUTION_HOURS,
        )
    return Deadlines(best.first_response_minutes, best.evidence_hours, best.resolution_hours)


def due_times(reason: str, priority: int, at: datetime) -> dict[str, datetime]:
    """The due times an appeal gets when it opens."""
    policy = policy_for(reason, priority)
    return {
        "first_response_due_at": at + timedelta(minutes=policy.first_response_minutes),
        "resolution_due_at": at + timedelta(hours=policy.resolution_hours),
    }


def evidence_hours(appeal: Appeal) -> int:
    return policy_for(appeal.reason, appeal.priority).evidence_hours


# --- pauses -----------------------------------------------------------------------------------


def pause_open(
    appeal: Appeal,
    *,
    cause: str,
    at: datetime,
    incident_id: int | None = None,
) -> ClockPause | None:
    """Stop the clocks of the (locked) appeal from `at` (in the past for an incident
    declared late). None if this cause already holds an open pause."""
    require_transaction("pause_open")
    existing = appeal.clock_pauses.filter(ended_at__isnull=True, cause=cause)
    if incident_id is not None:
        if appeal.clock_pauses.filter(incident_id=incident_id).exists():
            return None
    elif existing.exists():
        return None
    pause = ClockPause.objects.create(
        appeal=appeal, cause=cause, incident_id=incident_id, started_at=at
    )
    if appeal.clock_paused_at is None or at < appeal.clock_paused_at:
        appeal.clock_paused_at = at
        appeal.save(update_fields=["clock_paused_at", "updated_at"])
    return pause


def union_seconds(spans: list[tuple[datetime, datetime]]) -> int:
    """Seconds covered by these (start, end) spans, overlaps counted once."""
    total = timedelta(0)
    run_start: datetime | None = None
    run_end: datetime | None = None
    for start, end in sorted(spans):
        if end <= start:
            continue
        if run_end is None or start > run_end:
            if run_end is not None:
                total += run_end - run_start
            run_start, run_end = start, end
        elif end > run_end:
            run_end = end
    if run_end is not None:
        total += run_end - run_start
    return int(total.total_seconds())


def _clip(spans: list[tuple[datetime, datetime]], since: datetime):
    return [(max(s, since), e) for s, e in spans if e > since]


def pause_close(appeal: Appeal, pause: ClockPause, *, at: datetime) -> int:
    """End one pause of the (locked) appeal at `at`. When no other pause holds the clocks,
    they run again and the deadlines move later by the time they stood still. Returns
    the seconds the deadlines moved (0 while another pause still holds them).

    The time stood still is the union of every closed pause of the appeal: two pauses
    that overlap (waiting on a party during an incident) count once, and so does an
    incident declared late whose span covers a pause already closed. `paused_seconds` is
    that union as of the last time the clocks ran again, so each resume moves the
    deadlines by exactly what the union grew by."""
    require_transaction("pause_close")
    at = max(at, pause.started_at)
    pause.ended_at = at
    pause.save(update_fields=["ended_at"])
    closed = list(
        appeal.clock_pauses.filter(ended_at__isnull=False).values_list(
            "pk", "cause", "started_at", "ended_at"
        )
    )
    if pause.cause == ClockPause.Cause.INCIDENT:
        # The parties' clocks stop for an incident too: each waiting request gets back the
        # time this incident took out of its window that no other (closed) incident
        # already gave back.
        others = [(s, e) for pk, c, s, e in closed if c == pause.cause and pk != pause.pk]
        mine = (pause.started_at, at)

        def lost(request: EvidenceRequest) -> int:
            since = request.requested_at
            return union_seconds(_clip([*others, mine], since)) - union_seconds(
                _clip(others, since)
            )

        for request in appeal.evidence_requests.filter(
            answered_at__isnull=True, missed_at__isnull=True
        ):
            if (seconds := lost(request)) > 0:
                request.due_at += timedelta(seconds=seconds)
                request.save(update_fields=["due_at"])
        _revive_missed(appeal, pause, at, lost)
        sync_evidence_due(appeal)
    if appeal.clock_pauses.filter(ended_at__isnull=True).exists() or appeal.clock_paused_at is None:
        return 0
    total = union_seconds([(s, e) for _pk, _c, s, e in closed])
    moved = max(0, total - appeal.paused_seconds)
    fields: dict[str, Any] = {
        "clock_paused_at": None,
        "paused_seconds": appeal.paused_seconds + moved,
        "resolution_due_at": appeal.resolution_due_at + timedelta(seconds=moved),
    }
    if appeal.first_response_at is None:
        fields["first_response_due_at"] = appeal.first_response_due_at + timedelta(seconds=moved)
    for name, value in fields.items():
        setattr(appeal, name, value)
    appeal.save(update_fields=[*fields, "updated_at"])
    return moved


def _revive_missed(appeal: Appeal, pause: ClockPause, at: datetime, lost) -> None:
    """A deadline missed while the incident lasted (declared late, say) was not the
    party's fault: with the incident's time given back, a request whose new deadline is
    after the moment it was marked missed waits again, the case's flag goes if nothing
    else was missed, and the wait stops the resolution clock again. The case keeps its
    status (it is back with its arbitrator, who sees the party's clock running)."""
    revived = False
    for request in appeal.evidence_requests.filter(missed_at__gte=pause.started_at):
        seconds = lost(request)
        due = request.due_at + timedelta(seconds=seconds)
        if seconds > 0 and due > request.missed_at:
            request.due_at, request.missed_at = due, None
            request.save(update_fields=["due_at", "missed_at"])
            revived = True
    if not revived:
        return
    if not appeal.evidence_requests.filter(missed_at__isnull=False).exists():
        appeal.evidence_missed_at = None
        appeal.save(update_fields=["evidence_missed_at", "updated_at"])
    pause_open(appeal, cause=ClockPause.Cause.EVIDENCE, at=at)


def evidence_pause_close(appeal: Appeal, *, at: datetime) -> None:
    """The case no longer waits on a party: the resolution clock runs again."""
    pause = appeal.clock_pauses.filter(
        cause=ClockPause.Cause.EVIDENCE, ended_at__isnull=True
    ).first()
    if pause is not None:
        pause_close(appeal, pause, at=at)


def sync_evidence_due(appeal: Appeal) -> None:
    """Appeal.evidence_due_at (the queue's column) is the earliest waiting request's."""
    due = (
        appeal.evidence_requests.filter(answered_at__isnull=True, missed_at__isnull=True)
        .order_by("due_at")
        .values_list("due_at", flat=True)
        .first()
    )
    if due != appeal.evidence_due_at:
        appeal.evidence_due_at = due
        appeal.save(update_fields=["evidence_due_at", "updated_at"])


# --- reading the clocks ---------------------------------------------------------------------


def party_due(requests: list[EvidenceRequest]) -> dict[str, datetime | None]:
    """Each party's current deadline: its waiting request's (else its latest one's)."""
    due: dict[str, datetime | None] = {"buyer": None, "seller": None}
    for party in due:
        mine = [r for r in requests if r.party == party]
        waiting = [r for r in mine if r.waiting]
        if waiting:
            due[party] = min(r.due_at for r in waiting)
        elif mine:
            due[party] = mine[-1].due_at
    return due


def breaches(
    appeal: Appeal, requests: list[EvidenceRequest], at: datetime | None = None
) -> list[str]:
    """The deadlines this appeal missed, as the contract's codes."""
    at = at or timezone.now()
    found = []
    first = appeal.first_response_at or (None if appeal.is_closed else appeal.clock_at(at))
    if first is not None and first > appeal.first_response_due_at:
        found.append("first_response")
    for party in ("buyer", "seller"):
        if any(r.party == party and r.breached for r in requests):
            found.append(f"evidence_{party}")
    end = appeal.resolved_at if appeal.is_closed else appeal.clock_at(at)
    if end is not None and end > appeal.resolution_due_at:
        found.append("resolution")
    return found


def breached_q(at: datetime) -> Q:
    """An active appeal that breached any deadline, as a filter (the escalation matrix's
    `sla_breached`)."""
    answered_late = Q(
        first_response_at__isnull=False, first_response_at__gt=F("first_response_due_at")
    )
    # Unanswered: past due now, or (a paused clock stood still) already past due when it
    # stopped, as `breaches` reads it.
    unanswered = Appeal.first_response_missed_q(at)
    party_late = Exists(
        EvidenceRequest.objects.filter(appeal=OuterRef("pk"), answered_at__gt=F("due_at")).exclude(
            answered_via__in=(EvidenceRequest.Via.CLOSED, EvidenceRequest.Via.REPLACED)
        )
    )
    return (
        answered_late
        | unanswered
        | Appeal.overdue_q(at)
        | Q(evidence_missed_at__isnull=False)
        | Q(party_late)
    )


def summary(appeal: Appeal, requests: list[EvidenceRequest], at: datetime | None = None) -> dict:
    """The contract's `sla` object."""
    at = at or timezone.now()
    return {
        "first_response_due_at": appeal.first_response_due_at,
        "resolution_due_at": appeal.resolution_due_at,
        "evidence_due": party_due(requests),
        "paused": appeal.paused,
        "paused_seconds": appeal.paused_seconds_at(at),
        "breaches": breaches(appeal, requests, at),
    }


# --- team leads edit the policies -----------------------------------------------------------

# Upper bounds that keep every due time readable and every evidence default inside what
# an evidence request accepts (lifecycle.appeal_request_evidence refuses longer waits).
POLICY_LIMITS = {
    "first_response_minutes": 60 * 24 * 30,
    "resolution_hours": 24 * 365,
}
POLICY_FIELDS = (
    "reason",
    "priority",
    "first_response_minutes",
    "evidence_hours",
    "resolution_hours",
)


def _policy_snapshot(policy: SlaPolicy) -> dict[str, Any]:
    return {name: getattr(policy, name) for name in POLICY_FIELDS}


def policy_fields_check(fields: dict[str, Any]) -> dict[str, Any]:
    """The given fields, checked: InvalidInput names the first bad one."""
    clean: dict[str, Any] = {}
    if "reason" in fields:
        reason = fields["reason"]
        if reason != SlaPolicy.ANY_REASON and reason not in Appeal.Reason.values:
            raise InvalidInput(
                _('The reason is "*" (any) or an appeal reason code.'), field="reason"
            )
        clean["reason"] = reason
    if "priority" in fields:
        priority = fields["priority"]
        if priority is not None and (
            isinstance(priority, bool)
            or not isinstance(priority, int)
            or priority not in Appeal.Priority.values
        ):
            raise InvalidInput(_("The priority is null (any) or 0 to 3."), field="priority")
        clean["priority"] = priority
    limits = {**POLICY_LIMITS, "evidence_hours": 24 * settings.EVIDENCE_DEADLINE_MAX_DAYS}
    for name, most in limits.items():
        if name not in fields:
            continue
        value = fields[name]
        if isinstance(value, bool) or not isinstance(value, int) or not 0 < value <= most:
            raise InvalidInput(_("A whole number from 1 to %(most)d.") % {"most": most}, field=name)
        clean[name] = value
    return clean


def sla_policy_save(
    *, actor: AbstractBaseUser | None, policy: SlaPolicy | None = None, **fields: Any
) -> SlaPolicy:
    """Create (policy=None: every field but priority is needed) or change a policy; team
    leads only, audited like the admin's edits. A second policy for the same reason and
    priority is a Conflict. Appeals keep the due times they opened with."""
    if actor is None or not roles.has(actor, roles.MANAGE_FLOOR):
        raise NotAllowed(_("Only team leads may change SLA policies."))
    unknown = sorted(set(fields) - set(POLICY_FIELDS))
    if unknown:
        raise InvalidInput(_("Unknown field."), field=unknown[0])
    clean = policy_fields_check(fields)
    creating = policy is None
    if creating:
        missing = [n for n in POLICY_FIELDS if n != "priority" and n not in clean]
        if missing:
            raise InvalidInput(_("This field is required."), field=missing[0])
        policy = SlaPolicy()
    before = {} if creating else _policy_snapshot(policy)
    for name, value in clean.items():
        setattr(policy, name, value)
    clash = SlaPolicy.objects.filter(reason=policy.reason, priority=policy.priority)
    if policy.pk is not None:
        clash = clash.exclude(pk=policy.pk)
    if clash.exists():
        raise Conflict(_("A policy for this reason and priority already exists."), field="reason")
    after = _policy_snapshot(policy)
    changed = [n for n in POLICY_FIELDS if creating or before[n] != after[n]]
    try:
        with transaction.atomic():
            policy.save()
            if changed:
                audit_record(
                    actor=actor,
                    action="slapolicy.created" if creating else "slapolicy.updated",
                    obj=policy,
                    before={n: before[n] for n in changed} if before else {},
                    after={n: after[n] for n in changed},
                )
    except IntegrityError:
        # Another lead saved the same reason and priority a moment earlier.
        raise Conflict(
            _("A policy for this reason and priority already exists."), field="reason"
        ) from None
    return policy


def sla_policy_delete(*, actor: AbstractBaseUser | None, policy: SlaPolicy) -> None:
    """Remove a policy; appeals opened under it keep their due times. Without any policy
    the settings' deadlines apply (policy_for)."""
    if actor is None or not roles.has(actor, roles.MANAGE_FLOOR):
        raise NotAllowed(_("Only team leads may change SLA policies."))
    with transaction.atomic():
        audit_record(
            actor=actor, action="slapolicy.deleted", obj=policy, before=_policy_snapshot(policy)
        )
        policy.delete()
