"""The floor tick: what Celery beat runs at least once a minute, and `manage.py
floor_tick` runs now. Each step is safe to run twice and at once (see each module)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime
from typing import Any, TypeVar

from django.utils import timezone

from cases.models import AppealStatusCount

from . import assignment, deadlines, escalation, incidents

logger = logging.getLogger(__name__)
T = TypeVar("T")


def floor_tick(at: datetime | None = None) -> dict[str, Any]:
    """One round: incidents pause and resume clocks, missed deadlines come back flagged,
    the escalation matrix is applied, ended shifts hand back and the pool is assigned,
    and whoever holds a case due within the hour hears of it. The matrix goes before
    assignment: a case a rule sends up goes to the senior queue directly, instead of
    being assigned to someone and taken away again in the same minute."""
    at = at or timezone.now()
    paused = _step("incidents", incidents.incident_sweep, at, 0)
    missed = _step("missed deadlines", deadlines.missed_sweep, at, 0)
    escalated = _step("escalations", escalation.escalation_sweep, at, 0)
    assigned = _step("assignment", assignment.assign_tick, at, assignment.Outcome())
    soon = _step("deadline notices", deadlines.deadline_soon_sweep, at, 0)
    # Housekeeping: the queue's status counts back to one row per status.
    _step("status counts", lambda _at: AppealStatusCount.compact(), at, None)
    return {
        "clocks_paused_or_resumed": paused,
        "deadlines_missed": missed,
        "handed_back": assigned.handed_back,
        "assigned": assigned.assigned,
        "left_unassigned": assigned.unassigned,
        "escalated": escalated,
        "deadline_soon_notices": soon,
    }


def _step(name: str, run: Callable[[datetime], T], at: datetime, failed: T) -> T:
    """One step of the tick. A step that fails (a bad row, a lost connection) is logged
    and the others still run: one broken escalation rule must not stop assignment."""
    try:
        return run(at)
    except Exception:
        logger.exception("floor tick: the %s step failed; the other steps ran", name)
        return failed


def reminders(at: datetime | None = None) -> int:
    return deadlines.send_reminders(at)
