"""Who is on shift: weekly shifts in each person's own time zone, across midnight, minus
one-off absences.

`roster(at)` reads every working staff member with their shifts, absences and open cases
in a fixed number of queries (five, whatever the size of the floor or of the appeal
table): the assignment tick, the floor view and the header all ask it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from functools import cached_property
from zoneinfo import ZoneInfo

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.db.models import Count, DateTimeField, IntegerField, Prefetch, TimeField, Value
from django.utils import timezone

from cases import roles
from cases.languages import language_key
from cases.models import Absence, Appeal, Shift, StaffProfile

Window = tuple[datetime, datetime]


def shift_window(shift: Shift, day: date, zone: ZoneInfo) -> Window:
    """The shift as it runs on `day` (which must be its weekday), in absolute time. An end
    at or before the start is on the next day."""
    start = datetime.combine(day, shift.start, tzinfo=zone)
    end_day = day + timedelta(days=1) if shift.end <= shift.start else day
    end = datetime.combine(end_day, shift.end, tzinfo=zone)
    return start, end


def windows_around(
    shifts: list[Shift], zone: ZoneInfo, at: datetime, days: int = 8
) -> list[Window]:
    """Every run of these shifts from `days` days before `at` to `days` after, sorted."""
    local = at.astimezone(zone).date()
    found = []
    for offset in range(-days, days + 1):
        day = local + timedelta(days=offset)
        for shift in shifts:
            if shift.weekday == day.weekday():
                found.append(shift_window(shift, day, zone))
    return sorted(found)


def _absent(absences: list[Absence], at: datetime) -> Absence | None:
    return next((a for a in absences if a.starts_at <= at < a.ends_at), None)


@dataclass
class OnShift:
    """One working staff member as the floor sees them at a moment."""

    user: AbstractBaseUser
    role: str
    languages: list[str]
    max_open: int
    zone: ZoneInfo
    shifts: list[Shift]
    absences: list[Absence]
    open_cases: int = 0
    on_shift: bool = False
    shift_end: datetime | None = None  # the end of the current shift
    last_end: datetime | None = None  # the end of the latest shift that is over
    next_start: datetime | None = None
    absent: Absence | None = None
    windows: list[Window] = field(default_factory=list)

    @cached_property
    def primary_languages(self) -> frozenset[str]:
        """The primary subtags of the languages spoken ("zh" for "zh-hans")."""
        return frozenset(language_key(x).split("-", 1)[0] for x in self.languages)

    @property
    def scheduled(self) -> bool:
        return bool(self.shifts)

    @property
    def free(self) -> int:
        return max(0, self.max_open - self.open_cases)

    @property
    def senior(self) -> bool:
        return self.role == roles.Role.SENIOR_ARBITRATOR


def place(member: OnShift, at: datetime) -> OnShift:
    """Fill in where `member` stands at `at`: on shift or not, and the edges around it."""
    member.windows = windows_around(member.shifts, member.zone, at)
    member.absent = _absent(member.absences, at)
    current = [w for w in member.windows if w[0] <= at < w[1]]
    member.on_shift = bool(current) and member.absent is None
    member.shift_end = max(w[1] for w in current) if current else None
    past = [w[1] for w in member.windows if w[1] <= at]
    member.last_end = max(past) if past else None
    if member.absent is not None and member.absent.starts_at > (
        member.last_end or member.absent.starts_at
    ):
        # An absence that began mid-shift ends that shift for the floor.
        member.last_end = member.absent.starts_at
    future = [w[0] for w in member.windows if w[0] > at]
    member.next_start = min(future) if future else None
    return member


def zone_of(profile: StaffProfile | None) -> ZoneInfo:
    name = (profile.time_zone if profile else "") or settings.OPERATIONS_TIME_ZONE
    try:
        return ZoneInfo(name)
    except (KeyError, ValueError):
        return ZoneInfo(settings.OPERATIONS_TIME_ZONE)


# One role per person is the rule (staff management replaces the role group); should
# someone hold two, the floor reads the higher one, the same way every time.
_RANK = (
    roles.Role.TEAM_LEAD,
    roles.Role.SENIOR_ARBITRATOR,
    roles.Role.ARBITRATOR,
    roles.Role.RISK_ANALYST,
    roles.Role.AUDITOR,
)


def role_of(user: AbstractBaseUser) -> str:
    if "groups" in getattr(user, "_prefetched_objects_cache", {}):
        names = {g.name for g in user.groups.all()}
    else:  # the signed-in user: its role names are read once per request
        names = roles.user_roles(user)
    return next((r for r in _RANK if r in names), "")


def staff_queryset(active_only: bool = True):
    """Working staff with what the floor needs, prefetched (a fixed number of queries)."""
    User = get_user_model()
    qs = User.objects.filter(groups__name__in=roles.Role.WORKING).distinct()
    if active_only:
        qs = qs.filter(is_active=True)
    return qs.select_related("desk_profile").prefetch_related("groups", *_SHIFTS_AND_ABSENCES)


_SHIFTS_AND_ABSENCES = (
    Prefetch("shifts", queryset=Shift.objects.order_by("weekday", "start")),
    Prefetch("absences", queryset=Absence.objects.order_by("starts_at")),
)


def open_case_counts(user_ids: list[int] | None = None) -> dict[int, int]:
    """Open cases per assignee (every active status counts against a limit)."""
    rows = Appeal.objects.filter(assignee__isnull=False, status__in=Appeal.ACTIVE_STATUSES)
    if user_ids is not None:
        rows = rows.filter(assignee_id__in=user_ids)
    return dict(rows.values("assignee_id").annotate(n=Count("id")).values_list("assignee_id", "n"))


def member(
    user: AbstractBaseUser,
    at: datetime,
    open_cases: int = 0,
    rota: tuple[list[Shift], list[Absence]] | None = None,
) -> OnShift:
    """The user placed at `at`; their shifts and absences are the prefetched ones unless
    `rota` brings them."""
    shifts, absences = rota or (list(user.shifts.all()), list(user.absences.all()))
    profile = getattr(user, "desk_profile", None)
    return place(
        OnShift(
            user=user,
            role=role_of(user),
            languages=list(profile.languages) if profile else [],
            max_open=profile.max_open_cases if profile else StaffProfile.DEFAULT_MAX_OPEN,
            zone=zone_of(profile),
            shifts=shifts,
            absences=absences,
            open_cases=open_cases,
        ),
        at,
    )


def roster(at: datetime | None = None, users=None) -> list[OnShift]:
    """Every active working staff member, placed at `at`, with their open cases."""
    at = at or timezone.now()
    users = list(users if users is not None else staff_queryset())
    counts = open_case_counts([u.pk for u in users])
    return [member(u, at, counts.get(u.pk, 0)) for u in users]


def my_shift(user: AbstractBaseUser, at: datetime | None = None) -> OnShift | None:
    """The header's "on shift until 06:00": the user as the floor sees them (None for
    someone who does not take cases)."""
    if not roles.has(user, roles.WORK):  # an inactive user has no permission either
        return None
    at = at or timezone.now()
    # The user as the request has it (profile and roles already read), and their rota in
    # one query: a page's header, not the roster's four queries.
    return member(user, at, rota=rota_of(user.pk))


def rota_of(user_id: int) -> tuple[list[Shift], list[Absence]]:
    """One person's weekly shifts (by weekday and start) and absences (by start), read
    in one UNION ALL query."""
    nothing = {"time": Value(None, TimeField()), "moment": Value(None, DateTimeField())}
    shifts = (
        Shift.objects.filter(user_id=user_id)
        .order_by()
        .annotate(is_shift=Value(True), a_start=nothing["moment"], a_end=nothing["moment"])
        .values_list("is_shift", "id", "weekday", "start", "end", "a_start", "a_end")
    )
    absences = (
        Absence.objects.filter(user_id=user_id)
        .order_by()
        .annotate(
            is_shift=Value(False),
            no_day=Value(None, IntegerField()),
            s_start=nothing["time"],
            s_end=nothing["time"],
        )
        .values_list("is_shift", "id", "no_day", "s_start", "s_end", "starts_at", "ends_at")
    )
    rows = list(shifts.union(absences, all=True))
    found_shifts = sorted(
        (
            Shift(id=pk, user_id=user_id, weekday=day, start=start, end=end)
            for is_shift, pk, day, start, end, _s, _e in rows
            if is_shift
        ),
        key=lambda shift: (shift.weekday, shift.start),
    )
    found_absences = sorted(
        (
            Absence(id=pk, user_id=user_id, starts_at=starts, ends_at=ends)
            for is_shift, pk, _d, _s, _e, starts, ends in rows
            if not is_shift
        ),
        key=lambda absence: absence.starts_at,
    )
    return found_shifts, found_absences
