"""The SLA clocks of an appeal: which policy sets its deadlines, pausing and resuming
them, and which deadlines it breached.

An appeal has a first-response clock, a resolution clock, and a clock per evidence request
(the party's). The resolution clock stands still while the case waits on a party, and
every clock stands still while an incident covers the case. Pauses are rows
(ClockPause); overlapping ones count once: `Appeal.clock_paused_at` is when the clock
stopped, and when the last open pause closes, the deadlines move later by the time it
stood still (`resolution_due_at` by exactly that, and `paused_seconds` records it).

Everything that writes here runs inside the caller's transaction, on a locked appeal.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db.models import Exists, F, OuterRef, Q
from django.utils import timezone

from arbitration.db import require_transaction
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
        for request in appeal.evidence_requests.filter(
            answered_at__isnull=True, missed_at__isnull=True
        ):
            since = request.requested_at
            lost = union_seconds(_clip([*others, mine], since)) - union_seconds(
                _clip(others, since)
            )
            if lost > 0:
                request.due_at += timedelta(seconds=lost)
                request.save(update_fields=["due_at"])
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
    unanswered = Q(first_response_at__isnull=True) & (
        Q(first_response_due_at__lt=at, clock_paused_at__isnull=True)
        | Q(clock_paused_at__gt=F("first_response_due_at"))
    )
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
