"""Reads behind the team lead's floor pages: the floor right now (who is on shift, who goes
off and comes on, the unassigned, overdue and soon-breaching appeals, live incidents), the
staff table, the incident list, and the roles' capabilities in words.

Every read is a fixed number of queries whatever the size of the floor or of the appeal
table: the roster is five (cases.floor.schedule), the appeal facts are one aggregate over
the active appeals plus two short lists and one group-by.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from cases import roles
from cases.floor.assignment import note_shown
from cases.floor.incidents import active_incidents
from cases.floor.schedule import OnShift, roster
from cases.floor.staff import staff_members
from cases.models import Appeal, Incident, Shift

S = Appeal.Status
# "Goes off shift soon", "breaches soon": the next hour.
SOON = timedelta(hours=1)
# How many appeals the floor lists under "overdue" and "breaching within the hour"
# (the counts are exact; the queue shows the rest).
LIST_SIZE = 8
# How many people the floor lists under "comes on next" when nobody starts within the hour.
NEXT_ON = 5
COMMON_NOTES = 3


def unassigned_q() -> Q:
    """What automatic assignment still has to place: open and nobody's."""
    return Q(status=S.OPEN, assignee__isnull=True)


def breaching_soon_q(at: datetime, within: timedelta = SOON) -> Q:
    """Active, its clock running, and the resolution deadline within `within` from `at`."""
    return (
        Q(status__in=Appeal.ACTIVE_STATUSES)
        & Q(clock_paused_at__isnull=True)
        & Q(resolution_due_at__gte=at, resolution_due_at__lt=at + within)
    )


@dataclass
class FloorNow:
    at: datetime
    on_shift: list[OnShift]
    going_off: list[OnShift]
    coming_on: list[OnShift]
    coming_on_soon: bool  # coming_on starts within the hour (else: the next few starts)
    off_shift: int  # working staff not on shift now
    unassigned: int
    no_fit: int  # unassigned with a note saying why nobody took it
    common_notes: list[dict[str, Any]]  # [{"note", "n"}], most frequent first
    overdue: int
    overdue_rows: list[Appeal]
    breaching: int
    breaching_rows: list[Appeal]
    incidents: list[Incident] = field(default_factory=list)

    @property
    def free_slots(self) -> int:
        return sum(p.free for p in self.on_shift)


def _appeal_rows(q: Q, order: str) -> list[Appeal]:
    return list(
        Appeal.objects.filter(q)
        .select_related("assignee")
        .only(
            "id",
            "status",
            "reason",
            "asset",
            "crypto_amount",
            "resolution_due_at",
            "clock_paused_at",
            "priority",
            "assignee__username",
        )
        .order_by(order, "id")[:LIST_SIZE]
    )


def floor_now(at: datetime | None = None) -> FloorNow:
    """The floor at `at` (default now)."""
    at = at or timezone.now()
    people = roster(at)
    on = sorted((p for p in people if p.on_shift), key=lambda p: (p.shift_end or at, p.role))
    off = [p for p in people if not p.on_shift and p.next_start is not None]
    off.sort(key=lambda p: p.next_start)
    soon = [p for p in off if p.next_start < at + SOON]

    overdue = Appeal.late_q(at)
    breaching = breaching_soon_q(at)
    unassigned = unassigned_q()
    # One pass over the active appeals (the status indexes keep closed ones out).
    counts = Appeal.objects.filter(status__in=Appeal.ACTIVE_STATUSES).aggregate(
        unassigned=Count("id", filter=unassigned),
        no_fit=Count("id", filter=unassigned & ~Q(assignment_note="")),
        overdue=Count("id", filter=overdue),
        breaching=Count("id", filter=breaching),
    )
    notes = list(
        Appeal.objects.filter(unassigned)
        .exclude(assignment_note="")
        .values("assignment_note")
        .annotate(n=Count("id"))
        .order_by("-n", "assignment_note")[:COMMON_NOTES]
    )
    return FloorNow(
        at=at,
        on_shift=on,
        going_off=[p for p in on if p.shift_end is not None and p.shift_end <= at + SOON],
        coming_on=soon or off[:NEXT_ON],
        coming_on_soon=bool(soon),
        off_shift=len(people) - len(on),
        unassigned=counts["unassigned"],
        no_fit=counts["no_fit"],
        common_notes=[{"note": note_shown(row["assignment_note"]), "n": row["n"]} for row in notes],
        overdue=counts["overdue"],
        overdue_rows=_appeal_rows(overdue, "resolution_due_at"),
        breaching=counts["breaching"],
        breaching_rows=_appeal_rows(breaching, "resolution_due_at"),
        incidents=active_incidents(at),
    )


# --- the staff table ------------------------------------------------------------------------


def week_summary(shifts: list[Shift]) -> list[dict[str, Any]]:
    """Weekly shifts grouped by their hours: [{"days": "Mon-Fri", "start": "22:00",
    "end": "06:00", "overnight": True}], days in week order and runs of days joined."""
    from django.utils.dates import WEEKDAYS_ABBR

    by_hours: dict[tuple[Any, Any], list[int]] = {}
    for shift in sorted(shifts, key=lambda s: (s.start, s.end, s.weekday)):
        by_hours.setdefault((shift.start, shift.end), []).append(shift.weekday)
    groups = []
    for (start, end), days in by_hours.items():
        days = sorted(set(days))
        runs: list[list[int]] = []
        for day in days:
            if runs and runs[-1][-1] == day - 1:
                runs[-1].append(day)
            else:
                runs.append([day])
        parts = []
        for run in runs:
            if len(run) == 7:
                parts.append(str(_("Every day")))
            elif len(run) >= 3:
                parts.append(f"{WEEKDAYS_ABBR[run[0]]}–{WEEKDAYS_ABBR[run[-1]]}")
            else:
                parts.extend(str(WEEKDAYS_ABBR[d]) for d in run)
        groups.append(
            {
                "first": days[0],
                "days": ", ".join(parts),
                "start": start.strftime("%H:%M"),
                "end": end.strftime("%H:%M"),
                "overnight": end <= start,
            }
        )
    groups.sort(key=lambda g: (g["first"], g["start"]))
    return groups


def days_off_names(shifts: list[Shift]) -> list[str]:
    """The weekdays without a shift starting on them (the person's days off)."""
    from django.utils.dates import WEEKDAYS_ABBR

    working = {s.weekday for s in shifts}
    return [str(WEEKDAYS_ABBR[d]) for d in range(7) if d not in working]


def staff_table(at: datetime | None = None) -> list[dict[str, Any]]:
    """Every staff member (inactive ones too) placed on the floor at `at`, with their
    week summarised: a fixed number of queries (cases.floor.staff.staff_members)."""
    return [
        {
            "person": person,
            "week": week_summary(person.shifts),
            "days_off": days_off_names(person.shifts),
            # Only the roles that take cases have a load against a limit.
            "works": person.role in roles.Role.WORKING,
            "time_zone": (
                getattr(person.user, "desk_profile", None) and person.user.desk_profile.time_zone
            )
            or "",
        }
        for person in staff_members(at or timezone.now())
    ]


def live_cases(user: Any) -> dict[str, int]:
    """What deactivating `user` does to their cases: the live ones go back to the pool,
    except verdicts waiting for approval, which stay with their proposer
    (cases.floor.assignment.return_to_pool)."""
    counts = Appeal.objects.filter(assignee=user, status__in=Appeal.ACTIVE_STATUSES).aggregate(
        total=Count("id"), staying=Count("id", filter=Q(status=S.PENDING_APPROVAL))
    )
    return {**counts, "back": counts["total"] - counts["staying"]}


# --- incidents ------------------------------------------------------------------------------

PAST_INCIDENTS = 50


def incident_list(at: datetime | None = None) -> tuple[list[Incident], list[Incident]]:
    """(active, past): the active ones, newest first, then the latest past ones. Each
    carries `paused` (how many appeals' clocks it stopped). Two queries."""
    at = at or timezone.now()
    rows = Incident.objects.select_related("declared_by", "ended_by").annotate(
        paused=Count("pauses")
    )
    live = Q(starts_at__lte=at) & (Q(ends_at__isnull=True) | Q(ends_at__gt=at))
    active = list(rows.filter(live).order_by("-starts_at", "-id"))
    past = list(rows.exclude(live).order_by("-starts_at", "-id")[:PAST_INCIDENTS])
    return active, past


# --- the roles in words ---------------------------------------------------------------------

_RULEBOOK = [
    f"cases.{verb}_{model}"
    for model in ("rule", "cannedreply", "penaltyrule", "watchkeyword")
    for verb in ("add", "change")
]
_FLOOR_ADMIN = [
    f"cases.{verb}_{model}"
    for model, verbs in (
        ("slapolicy", ("add", "change", "delete")),
        ("escalationrule", ("add", "change", "delete")),
        ("incident", ("add", "change")),
    )
    for verb in verbs
]
_WEBHOOKS = [
    "cases.view_webhooksubscriber",
    "cases.add_webhooksubscriber",
    "cases.change_webhooksubscriber",
    "cases.view_webhookdelivery",
]

# What each role may do, in the words of the desk; every permission of
# cases.roles.ROLE_PERMISSIONS belongs to exactly one line (tests/views/test_floor_pages.py
# checks that none is left out).
CAPABILITIES: list[tuple[Any, list[str]]] = [
    (_("Read cases, orders, chat, evidence and the rulebook"), list(roles.READ_CASES)),
    (_("Work appeals: claim, ask for evidence, notes, propose verdicts"), [roles.WORK]),
    (_("Assign and reassign appeals"), [roles.ASSIGN]),
    (_("Take escalated appeals"), [roles.HANDLE_ESCALATION]),
    (_("Approve or send back verdicts (four-eyes)"), [roles.APPROVE]),
    (_("Restrict and lift trader accounts"), [roles.RESTRICT]),
    (_("Propose account restrictions"), [roles.PROPOSE_RESTRICTION]),
    (_("Approve or reject proposed restrictions (four-eyes)"), [roles.DECIDE_RESTRICTION]),
    (_("See the KPI dashboards"), [roles.VIEW_METRICS]),
    (_("Read the audit log and the outbox"), list(roles.READ_HISTORY)),
    (_("Run the floor: staff, shifts, absences, incidents"), [roles.MANAGE_FLOOR]),
    (_("Edit SLA policies, the escalation matrix and incidents (admin)"), _FLOOR_ADMIN),
    (_("Edit the rulebook, canned replies, penalties and watch keywords"), _RULEBOOK),
    (_("Manage webhook subscribers"), _WEBHOOKS),
]

ROLE_NAMES = {
    roles.Role.ARBITRATOR: _("Arbitrator"),
    roles.Role.SENIOR_ARBITRATOR: _("Senior arbitrator"),
    roles.Role.TEAM_LEAD: _("Team lead"),
    roles.Role.RISK_ANALYST: _("Risk analyst"),
    roles.Role.AUDITOR: _("Auditor"),
}


def role_choices() -> list[tuple[str, Any]]:
    return [(role, ROLE_NAMES[role]) for role in roles.Role.ALL]


def role_capabilities() -> dict[str, Any]:
    """{"roles": [(code, name)], "rows": [{"label", "cells": ["all" | "some" | "none"]}]}"""
    granted = {role: set(perms) for role, perms in roles.ROLE_PERMISSIONS.items()}
    rows = []
    for label, perms in CAPABILITIES:
        cells = []
        for role in roles.Role.ALL:
            held = sum(1 for p in perms if p in granted[role])
            cells.append("all" if held == len(perms) else "some" if held else "none")
        rows.append({"label": label, "cells": cells})
    return {"roles": role_choices(), "rows": rows}
