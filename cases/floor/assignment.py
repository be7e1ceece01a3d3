"""Automatic assignment, as the contract says: an unassigned open appeal goes to an active
arbitrator or senior arbitrator who is on shift now, speaks the appellant's language
(else the other party's, else anyone on shift), and has the fewest open cases below their
limit. High value (at or above the asset's four-eyes threshold) or high risk
(`SENIOR_RISK_SCORE`) goes to a senior only. Nobody fits: the appeal stays unassigned and
its `assignment_note` says why. At shift end the owner's open and in-review cases go back
to the pool; those awaiting evidence stay.

Concurrency: a batch is chosen in Python from one read of the floor, then written in one
transaction: it locks the profile rows of the people it chose (FOR UPDATE, in id order, so
two ticks queue on the first person they share and cannot deadlock), counts their open
cases again under those locks and keeps only what still fits, so two ticks at once never
take anyone over their limit. `lifecycle.appeal_assign_many` then locks the appeals FOR
UPDATE SKIP LOCKED and takes only those still open and unassigned, so none is assigned
twice; each assignment gets its audit entry, status row, event and `assigned_to_you`
notification, in a fixed number of statements for the whole batch.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.db import DatabaseError, connection, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

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
# Why nobody takes an appeal: stored on it in English (whatever language the request or
# tick that assigned it ran in) and shown in each reader's (note_shown).
LIMIT_NOTE = gettext_noop("Everyone on shift who could take it is at their case limit.")
NO_SENIOR_NOTE = gettext_noop("No senior arbitrator is on shift (high value or high risk).")
NOBODY_NOTE = gettext_noop("Nobody who takes cases is on shift.")


def note_shown(note: str) -> str:
    """An appeal's stored `assignment_note` in the reader's language."""
    return _(note) if note else ""


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
    return bool(lang) and lang in person.primary_languages


def choose(appeal: Appeal, floor: list[OnShift]) -> tuple[OnShift | None, str]:
    """Who takes this appeal among the staff on shift (with their current loads), or why
    nobody does."""
    senior = needs_senior(appeal)
    eligible = [p for p in floor if p.on_shift and p.role in ASSIGNABLE_ROLES]
    if senior:
        eligible = [p for p in eligible if p.senior]
    if not eligible:
        return None, NO_SENIOR_NOTE if senior else NOBODY_NOTE
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


def _lock_and_recount(people: list[OnShift]) -> None:
    """Lock the profile rows of these people (in id order: two ticks queue on the first
    person they share and cannot deadlock) and read their open cases again under the
    lock. A second tick at the same moment waits here, then counts what the first one
    assigned: nobody goes over their limit."""
    ids = sorted(p.user.pk for p in people)
    list(StaffProfile.objects.select_for_update().filter(user_id__in=ids).order_by("user_id"))
    # Read again under the locks what a lead may have changed since the floor was read
    # (staff_update holds the same row): deactivated, moved out of a case-taking role, or
    # a lower limit. Whoever no longer fits takes nothing from this batch.
    limits = dict(
        StaffProfile.objects.filter(
            user_id__in=ids, user__is_active=True, user__groups__name__in=ASSIGNABLE_ROLES
        ).values_list("user_id", "max_open_cases")
    )
    counts = open_case_counts(ids)
    for person in people:
        person.open_cases = counts.get(person.user.pk, 0)
        person.max_open = limits.get(person.user.pk, 0)


def _assign_batch(
    candidates: list[Appeal], floor: list[OnShift]
) -> tuple[int, dict[str, list[int]]]:
    """Choose for every candidate, then write the whole batch in one transaction: lock
    and recount the chosen people, keep what still fits, and assign through
    lifecycle.appeal_assign_many (which takes only appeals still open and unassigned).
    Returns (assigned, {why nobody fits: [appeal ids]})."""
    notes: dict[str, list[int]] = {}
    with transaction.atomic():
        chosen: list[tuple[Appeal, OnShift]] = []
        for appeal in candidates:
            person, why = choose(appeal, floor)
            if person is None:
                notes.setdefault(why, []).append(appeal.pk)
                continue
            person.open_cases += 1  # tentatively: the next choice sees this one
            chosen.append((appeal, person))
        people = list({p.user.pk: p for _a, p in chosen}.values())
        if not people:
            return 0, notes
        _lock_and_recount(people)
        room = {p.user.pk: p.free for p in people}
        fits = []
        for appeal, person in chosen:
            if room[person.user.pk] > 0:
                room[person.user.pk] -= 1
                fits.append((appeal.pk, person.user))
            else:
                # Another tick (or a claim) filled them meanwhile; the next tick retries.
                notes.setdefault(LIMIT_NOTE, []).append(appeal.pk)
        assigned = lifecycle.appeal_assign_many(assignments=fits, by_floor="auto")
        taken = {}
        for appeal_id, user in fits:
            if appeal_id in set(assigned):
                taken[user.pk] = taken.get(user.pk, 0) + 1
        for person in people:
            person.open_cases += taken.get(person.user.pk, 0)
    return len(assigned), notes


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
    try:
        outcome.assigned, notes = _assign_batch(_candidates(appeal_ids, limit), floor)
    except DatabaseError:
        # A deadlock victim or a lost connection: the batch waits for the next tick.
        return outcome
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
