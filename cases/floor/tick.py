"""The floor tick: what Celery beat runs at least once a minute, and `manage.py
floor_tick` runs now. Each step is safe to run twice and at once (see each module)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.utils import timezone

from . import assignment, deadlines, escalation, incidents


def floor_tick(at: datetime | None = None) -> dict[str, Any]:
    """One round: incidents pause and resume clocks, missed deadlines come back flagged,
    the escalation matrix is applied, ended shifts hand back and the pool is assigned,
    and whoever holds a case due within the hour hears of it. The matrix goes before
    assignment: a case a rule sends up goes to the senior queue directly, instead of
    being assigned to someone and taken away again in the same minute."""
    at = at or timezone.now()
    paused = incidents.incident_sweep(at)
    missed = deadlines.missed_sweep(at)
    escalated = escalation.escalation_sweep(at)
    assigned = assignment.assign_tick(at)
    soon = deadlines.deadline_soon_sweep(at)
    return {
        "clocks_paused_or_resumed": paused,
        "deadlines_missed": missed,
        "handed_back": assigned.handed_back,
        "assigned": assigned.assigned,
        "left_unassigned": assigned.unassigned,
        "escalated": escalated,
        "deadline_soon_notices": soon,
    }


def reminders(at: datetime | None = None) -> int:
    return deadlines.send_reminders(at)
