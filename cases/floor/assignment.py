"""Automatic assignment, as the contract says: an unassigned open appeal goes to an active
arbitrator or senior arbitrator who is on shift now, speaks the appellant's language
(else the other party's, else anyone on shift), and has the fewest open cases below their
limit. High value (at or above the asset's four-eyes threshold) or high risk
(`SENIOR_RISK_SCORE`) goes to a senior only. Nobody fits: the appeal stays unassigned and
its `assignment_note` says why. At shift end the owner's open and in-review cases go back
to the pool; those awaiting evidence stay.

Concurrency: a tick locks the rows of the staff it may assign to (FOR UPDATE, in id
order) before it counts their open cases, so a second tick at the same moment waits and
then counts what the first assigned: nobody goes over their limit. The appeals are taken
FOR UPDATE SKIP LOCKED, and each assignment goes through `lifecycle.appeal_assign`, which
locks the appeal again and refuses one that is no longer open: no appeal is assigned
twice. Each assignment has its audit entry and an `assigned_to_you` notification.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from arbitration.exceptions import DomainError
from cases import lifecycle, roles
from cases.languages import language_key
from cases.models import Appeal, StaffProfile

from .schedule import OnShift, roster, staff_queryset

S = Appeal.Status
# How many appeals one tick assigns at most: a tick stays well under its minute however
# deep the backlog (what is left waits for the next tick, most urgent first).
BATCH = 200
ASSIGNABLE_ROLES = (roles.Role.ARBITRATOR, roles.Role.SENIOR_ARBITRATOR)


@dataclass
class Outcome:
    assigned: int = 0
    handed_back: int = 0
    unassigned: int = 0


def needs_senior(appeal: Appeal) -> bool:
    return lifecycle.amount_needs_four_eyes(appeal.asset, appeal.crypto_amount) or (
        appeal.risk_score is not None and appeal.risk_score >= settings.SENIOR_RISK_SCORE
    )


def _primary(code: str) -> str:
    return language_key(code).split("-", 1)[0]


def _speaks(person: OnShift, language: str) -> bool:
    """Same primary language ("zh-TW" is spoken by someone who lists "zh")."""
    lang = _primary(language)
    return bool(lang) and lang in {_primary(x) for x in person.languages}


def choose(appeal: Appeal, floor: list[OnShift]) -> tuple[OnShift | None, str]:
    """Who takes this appeal among the staff on shift (with their current loads), or why
    nobody does."""
    senior = needs_senior(appeal)
    eligible = [p for p in floor if p.on_shift and p.role in ASSIGNABLE_ROLES]
    if senior:
        eligible = [p for p in eligible if p.senior]
    if not eligible:
        if senior:
            return None, _("No senior arbitrator is on shift (high value or high risk).")
        return None, _("Nobody who takes cases is on shift.")
    free = [p for p in eligible if p.free > 0]
    if not free:
        return None, _("Everyone on shift who could take it is at their case limit.")
    appellant, other = (
        (appeal.buyer_language, appeal.seller_language)
        if appeal.opened_by == "buyer"
        else (appeal.seller_language, appeal.buyer_language)
    )
    for language in (appellant, other):
        speakers = [p for p in free if _speaks(p, language)]
        if speakers:
            return min(speakers, key=lambda p: (p.open_cases, p.user.pk)), ""
    return min(free, key=lambda p: (p.open_cases, p.user.pk)), ""


def _lock_staff(at: datetime) -> list[OnShift]:
    """The assignable staff, their profile rows locked in id order (see the module doc),
    then counted."""
    users = list(staff_queryset().filter(groups__name__in=ASSIGNABLE_ROLES).order_by("pk"))
    ids = [u.pk for u in users]
    missing = [StaffProfile(user_id=u.pk) for u in users if not hasattr(u, "desk_profile")]
    if missing:
        StaffProfile.objects.bulk_create(missing, ignore_conflicts=True)
    list(StaffProfile.objects.select_for_update().filter(user_id__in=ids).order_by("user_id"))
    return roster(at, users)


def _candidates(appeal_ids: list[int] | None, limit: int) -> list[Appeal]:
    rows = Appeal.objects.filter(status=S.OPEN, assignee__isnull=True)
    if appeal_ids is not None:
        rows = rows.filter(pk__in=appeal_ids)
    rows = rows.order_by("-priority", "resolution_due_at", "id")
    if connection.features.has_select_for_update_skip_locked:
        rows = rows.select_for_update(skip_locked=True)
    return list(
        rows.only(
            "id",
            "status",
            "opened_by",
            "asset",
            "crypto_amount",
            "risk_score",
            "buyer_language",
            "seller_language",
            "assignment_note",
        )[:limit]
    )


def assign_tick(
    at: datetime | None = None, *, appeal_ids: list[int] | None = None, limit: int = BATCH
) -> Outcome:
    """One assignment round: hand back what ended shifts left behind, then assign the
    most urgent unassigned open appeals (or just `appeal_ids`)."""
    at = at or timezone.now()
    outcome = Outcome()
    with transaction.atomic():
        floor = _lock_staff(at)
        outcome.handed_back = _hand_back(floor, at)
        notes: dict[str, list[int]] = {}
        for appeal in _candidates(appeal_ids, limit):
            person, why = choose(appeal, floor)
            if person is None:
                notes.setdefault(why, []).append(appeal.pk)
                continue
            try:
                with transaction.atomic():
                    lifecycle.appeal_assign(
                        appeal_id=appeal.pk, assignee=person.user, actor=None, by_floor="auto"
                    )
            except DomainError:
                continue  # claimed by hand a moment ago
            person.open_cases += 1
            outcome.assigned += 1
        for why, ids in notes.items():
            lifecycle.appeal_note_assignment(ids, why)
            outcome.unassigned += len(ids)
    return outcome


def _hand_back(floor: list[OnShift], at: datetime) -> int:
    """Open and in-review cases of people whose shift ended since they got them go back
    to the pool (awaiting-evidence ones stay: the party answers their owner). At most
    BATCH a tick; the rest go on the next one."""
    done = 0
    for person in floor:
        if person.on_shift or not person.scheduled or person.last_end is None:
            continue
        stale = Appeal.objects.filter(
            Q(assigned_at__lt=person.last_end) | Q(assigned_at__isnull=True),
            assignee=person.user,
            status__in=(S.OPEN, S.IN_REVIEW),
        ).values_list("pk", flat=True)
        for appeal_id in list(stale[: BATCH - done]):
            try:
                with transaction.atomic():
                    lifecycle.appeal_assign(
                        appeal_id=appeal_id, assignee=None, actor=None, by_floor="shift_ended"
                    )
            except DomainError:
                continue
            person.open_cases -= 1
            done += 1
        if done >= BATCH:
            break
    return done


def return_to_pool(user, *, why: str) -> int:
    """Every live case of `user` goes back to the pool (a deactivation): open and in-review
    ones to the open queue, the others keep their status without an owner. A verdict
    waiting for approval stays with its proposer."""
    done = 0
    ids = Appeal.objects.filter(assignee=user, status__in=Appeal.ACTIVE_STATUSES).exclude(
        status=S.PENDING_APPROVAL
    )
    for appeal_id in list(ids.values_list("pk", flat=True)):
        try:
            with transaction.atomic():
                lifecycle.appeal_assign(
                    appeal_id=appeal_id, assignee=None, actor=None, by_floor=why
                )
        except DomainError:
            continue
        done += 1
    return done
