"""Automatic assignment, as the contract says: an unassigned open appeal goes to an active
arbitrator or senior arbitrator who is on shift now, speaks the appellant's language
(else the other party's, else anyone on shift), and has the fewest open cases below their
limit. High value (at or above the asset's four-eyes threshold) or high risk
(`SENIOR_RISK_SCORE`) goes to a senior only. Nobody fits: the appeal stays unassigned and
its `assignment_note` says why. At shift end the owner's open and in-review cases go back
to the pool; those awaiting evidence stay.

Concurrency: every assignment is its own short transaction. It locks the chosen person's
profile row and counts their open cases again under that lock, in one statement (SKIP
LOCKED: someone another tick is assigning to right now is passed over for the next best,
so ticks never wait for each other's people and cannot deadlock on them): two ticks at
once never take anyone over their limit. Then `lifecycle.appeal_assign` locks the appeal
and refuses one that is no longer open and unassigned (claimed, or assigned by the other
tick a moment ago), so none is assigned twice. No lock is held across assignments, so a
tick holds the audit chain's head (which every desk action appends to) for one
assignment at a time. Each assignment has its audit entry and an `assigned_to_you`
notification.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.db import DatabaseError, connection, transaction
from django.db.models import Count, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from arbitration.exceptions import DomainError
from cases import lifecycle, roles
from cases.languages import language_key
from cases.models import Appeal, StaffProfile

from .schedule import OnShift, member, open_case_counts, staff_queryset

S = Appeal.Status
# How many appeals one tick assigns at most: a tick stays well under its minute however
# deep the backlog (what is left waits for the next tick, most urgent first). New appeals
# do not wait for it (appeal_open assigns at once); the batch drains a backlog, such as
# the pool a shift change leaves, at 6,000 an hour. Measured on 1,000,000 appeals
# (tests/benchmarks/bench_floor.py): about 14 statements an assignment.
BATCH = 100
ASSIGNABLE_ROLES = (roles.Role.ARBITRATOR, roles.Role.SENIOR_ARBITRATOR)
LIMIT_NOTE = gettext_lazy("Everyone on shift who could take it is at their case limit.")


@dataclass
class Outcome:
    assigned: int = 0
    handed_back: int = 0
    unassigned: int = 0


def needs_senior(appeal: Appeal) -> bool:
    """At or above the asset's four-eyes threshold (the contract's "at or above": a
    verdict needs four-eyes only above it, but the case goes to a senior already at it),
    or at or above SENIOR_RISK_SCORE. An asset with no threshold is always senior work."""
    threshold = lifecycle.threshold_for(appeal.asset)
    if threshold is None or appeal.crypto_amount >= threshold:
        return True
    return appeal.risk_score is not None and appeal.risk_score >= settings.SENIOR_RISK_SCORE


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
        return None, LIMIT_NOTE
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


def _floor(at: datetime) -> list[OnShift]:
    """The assignable staff on the floor at `at`, with their open cases (a fixed number of
    queries). Counts are re-read under each person's lock before anything is assigned."""
    users = list(staff_queryset().filter(groups__name__in=ASSIGNABLE_ROLES).order_by("pk"))
    missing = [StaffProfile(user_id=u.pk) for u in users if not hasattr(u, "desk_profile")]
    if missing:
        # A profile row is what a person's assignments lock.
        StaffProfile.objects.bulk_create(missing, ignore_conflicts=True)
    roles.prime(users)  # appeal_assign asks each assignee's role: one query for all
    floor = [member(u, at) for u in users]
    # Only who is on shift takes cases: only their loads are counted (one query).
    counts = open_case_counts([p.user.pk for p in floor if p.on_shift])
    for person in floor:
        person.open_cases = counts.get(person.user.pk, 0)
    return floor


def _skip_locked(rows):
    if connection.features.has_select_for_update_skip_locked:
        return rows.select_for_update(skip_locked=True)
    return rows


def _candidates(appeal_ids: list[int] | None, limit: int) -> list[Appeal]:
    """The most urgent unassigned open appeals (read without locks; each assignment
    locks and checks its appeal again)."""
    rows = Appeal.objects.filter(status=S.OPEN, assignee__isnull=True)
    if appeal_ids is not None:
        rows = rows.filter(pk__in=appeal_ids)
    rows = rows.order_by("-priority", "resolution_due_at", "id")
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


def _recount(person: OnShift) -> bool:
    """Lock the person's profile row and read their open cases again under it, in one
    statement. False if another tick holds that row right now: this appeal goes to
    someone else (a tick never waits for a person, so two ticks cannot deadlock)."""
    open_cases = (
        Appeal.objects.filter(assignee_id=OuterRef("user_id"), status__in=Appeal.ACTIVE_STATUSES)
        .order_by()
        .values("assignee_id")
        .annotate(n=Count("id"))
        .values("n")
    )
    row = (
        _skip_locked(StaffProfile.objects.filter(user_id=person.user.pk))
        .annotate(n=Coalesce(Subquery(open_cases), 0))
        .values_list("n", flat=True)
        .first()
    )
    if row is None:
        return False
    person.open_cases = row
    return True


def _assign_one(appeal: Appeal, floor: list[OnShift]) -> tuple[bool, str]:
    """Assign one appeal in its own transaction: (assigned, why not). Why not is "" when
    the appeal is gone (claimed, assigned by another tick, closed): appeal_assign, under
    the appeal's lock, refuses one that is no longer open and unassigned."""
    try:
        with transaction.atomic():
            tried: set[int] = set()
            while True:
                person, why = choose(appeal, [p for p in floor if p.user.pk not in tried])
                if person is None:
                    return False, (str(LIMIT_NOTE) if tried else why)
                if _recount(person) and person.free > 0:
                    break
                # Another tick is assigning to them, or filled them up meanwhile: the next
                # best (with this one's count now true).
                tried.add(person.user.pk)
            lifecycle.appeal_assign(
                appeal_id=appeal.pk, assignee=person.user, actor=None, by_floor="auto"
            )
    except DomainError:
        return False, ""
    person.open_cases += 1
    return True, ""


def assign_tick(
    at: datetime | None = None, *, appeal_ids: list[int] | None = None, limit: int = BATCH
) -> Outcome:
    """One assignment round: hand back what ended shifts left behind, then assign the
    most urgent unassigned open appeals. With `appeal_ids` (a new appeal), only those are
    assigned and nothing is handed back."""
    at = at or timezone.now()
    outcome = Outcome()
    floor = _floor(at)
    if appeal_ids is None:
        outcome.handed_back = _hand_back(floor, at)
    notes: dict[str, list[int]] = {}
    for appeal in _candidates(appeal_ids, limit):
        try:
            assigned, why = _assign_one(appeal, floor)
        except DatabaseError:
            # A deadlock victim or a lost connection: this appeal waits for the next tick.
            continue
        if assigned:
            outcome.assigned += 1
        elif why:
            notes.setdefault(str(why), []).append(appeal.pk)
    for why, ids in notes.items():
        with transaction.atomic():
            lifecycle.appeal_note_assignment(ids, why)
        outcome.unassigned += len(ids)
    return outcome


def _hand_back(floor: list[OnShift], at: datetime) -> int:
    """Open and in-review cases of people whose shift ended since they got them go back
    to the pool (awaiting-evidence ones stay: the party answers their owner). People
    without any shift are not on the rota and keep theirs. At most BATCH a tick; the rest
    go on the next one."""
    done = 0
    for person in floor:
        if person.on_shift or not person.scheduled or person.last_end is None:
            continue
        stale = Q(assigned_at__lt=person.last_end) | Q(assigned_at__isnull=True)
        rows = Appeal.objects.filter(
            stale, assignee=person.user, status__in=(S.OPEN, S.IN_REVIEW)
        ).order_by("id")
        for appeal_id in list(rows.values_list("pk", flat=True)[: BATCH - done]):
            try:
                with transaction.atomic():
                    # Still theirs and still stale, and nobody is working on it right now
                    # (a case being acted on waits for the next tick).
                    if (
                        not _skip_locked(rows.filter(pk=appeal_id))
                        .values_list("pk", flat=True)
                        .first()
                    ):
                        continue
                    lifecycle.appeal_assign(
                        appeal_id=appeal_id, assignee=None, actor=None, by_floor="shift_ended"
                    )
            except (DomainError, DatabaseError):
                continue
            person.open_cases = max(0, person.open_cases - 1)
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
