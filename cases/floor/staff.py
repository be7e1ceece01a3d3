"""Staff management, the team lead's job: people, their role, languages, case limit,
time zone, weekly shifts and one-off absences. The staff page and the staff API both
call these; every change is audited, and a deactivated person's live cases go back to the
pool.
"""

from __future__ import annotations

import re
from datetime import datetime, time
from typing import Any
from zoneinfo import available_timezones

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser, Group
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from arbitration.db import storable_moment
from arbitration.exceptions import Conflict, InvalidInput, NotAllowed
from cases import lifecycle, roles
from cases.audit import audit_record
from cases.models import Absence, Shift, StaffProfile

from . import assignment
from .schedule import OnShift, member, open_case_counts, role_of

LANGUAGE = re.compile(r"^[a-z]{2,3}(-[a-z0-9]{2,8})?$")
MAX_SHIFTS = 21


def _require_lead(actor: AbstractBaseUser | None) -> AbstractBaseUser:
    return lifecycle.require(actor, roles.MANAGE_FLOOR, _("manage staff"))


def clean_languages(raw: Any) -> list[str]:
    if isinstance(raw, str):
        raw = [x for x in re.split(r"[\s,]+", raw) if x]
    if not isinstance(raw, list) or any(not isinstance(x, str) for x in raw):
        raise InvalidInput(
            _("Languages are a list of codes such as en, zh, ru."), field="languages"
        )
    codes = []
    for code in raw:
        code = code.strip().lower().replace("_", "-")
        if not LANGUAGE.match(code):
            raise InvalidInput(
                _("%(code)s is not a language code (such as en, zh, ru).") % {"code": repr(code)},
                field="languages",
            )
        if code not in codes:
            codes.append(code)
    if len(codes) > 12:
        raise InvalidInput(_("At most 12 languages."), field="languages")
    return codes


def clean_time_zone(raw: Any) -> str:
    # IANA's own aliases without a place ("localtime", "Factory") are no one's zone.
    if (
        not isinstance(raw, str)
        or raw not in available_timezones()
        or ("/" not in raw and raw != "UTC")
    ):
        raise InvalidInput(
            _("%(tz)s is not an IANA time zone (such as Asia/Shanghai).") % {"tz": repr(raw)},
            field="time_zone",
        )
    return raw


def clean_max_open(raw: Any) -> int:
    if isinstance(raw, bool) or not isinstance(raw, int) or not 0 <= raw <= 500:
        raise InvalidInput(
            _("The case limit is a whole number from 0 to 500."), field="max_open_cases"
        )
    return raw


def _hhmm(raw: Any, field: str) -> time:
    if isinstance(raw, time):
        return raw.replace(second=0, microsecond=0)
    if not isinstance(raw, str) or not re.match(r"^[0-9]{2}:[0-9]{2}$", raw):
        raise InvalidInput(_("A time is HH:MM, such as 22:00."), field=field)
    hours, minutes = int(raw[:2]), int(raw[3:])
    if hours > 23 or minutes > 59:
        raise InvalidInput(_("A time is HH:MM, such as 22:00."), field=field)
    return time(hours, minutes)


def clean_shifts(raw: Any) -> list[tuple[int, time, time]]:
    """[{weekday, start, end}] -> [(weekday, start, end)], or InvalidInput naming the bad
    item (`shifts.2.end`)."""
    if not isinstance(raw, list):
        raise InvalidInput(_("Shifts are a list of {weekday, start, end}."), field="shifts")
    if len(raw) > MAX_SHIFTS:
        raise InvalidInput(_("At most %(n)d shifts a week.") % {"n": MAX_SHIFTS}, field="shifts")
    clean = []
    for i, item in enumerate(raw):
        if not isinstance(item, dict):
            raise InvalidInput(_("A shift is {weekday, start, end}."), field=f"shifts.{i}")
        weekday = item.get("weekday")
        if isinstance(weekday, bool) or not isinstance(weekday, int) or not 0 <= weekday <= 6:
            raise InvalidInput(
                _("The weekday is 0 (Monday) to 6 (Sunday)."), field=f"shifts.{i}.weekday"
            )
        start = _hhmm(item.get("start"), f"shifts.{i}.start")
        end = _hhmm(item.get("end"), f"shifts.{i}.end")
        if any(w == weekday and s == start for w, s, _e in clean):
            raise InvalidInput(
                _("Two shifts start at the same time on the same day."), field=f"shifts.{i}.start"
            )
        clean.append((weekday, start, end))
    return sorted(clean)


def shifts_json(shifts: list[Shift]) -> list[dict[str, Any]]:
    return [
        {"weekday": s.weekday, "start": s.start.strftime("%H:%M"), "end": s.end.strftime("%H:%M")}
        for s in shifts
    ]


def _snapshot(user: AbstractBaseUser) -> dict[str, Any]:
    profile = StaffProfile.objects.filter(user=user).first()
    return {
        "role": role_of(user),
        "active": user.is_active,
        "languages": list(profile.languages) if profile else [],
        "max_open_cases": profile.max_open_cases if profile else StaffProfile.DEFAULT_MAX_OPEN,
        "time_zone": profile.time_zone if profile else "",
        "shifts": shifts_json(list(Shift.objects.filter(user=user).order_by("weekday", "start"))),
    }


def staff_update(
    *,
    actor: AbstractBaseUser | None,
    user: AbstractBaseUser,
    role: str | None = None,
    active: bool | None = None,
    languages: Any = None,
    max_open_cases: Any = None,
    time_zone: Any = None,
    shifts: Any = None,
) -> AbstractBaseUser:
    """Change what is given (None: leave as is), audited as one entry with before and
    after. Deactivating returns the person's live cases to the pool."""
    actor = _require_lead(actor)
    if not user.groups.filter(name__in=roles.Role.ALL).exists():
        raise InvalidInput(_("%(user)s is not staff.") % {"user": user.get_username()})
    if role is not None and role not in roles.Role.ALL:
        raise InvalidInput(
            _("The role is one of %(roles)s.") % {"roles": ", ".join(roles.Role.ALL)}, field="role"
        )
    if active is not None and not isinstance(active, bool):
        raise InvalidInput(_("Say true or false."), field="active")
    if user.pk == actor.pk and (active is False or (role is not None and role != role_of(user))):
        raise NotAllowed(_("You cannot deactivate yourself or change your own role."))
    clean: dict[str, Any] = {}
    if languages is not None:
        clean["languages"] = clean_languages(languages)
    if max_open_cases is not None:
        clean["max_open_cases"] = clean_max_open(max_open_cases)
    if time_zone is not None:
        clean["time_zone"] = clean_time_zone(time_zone)
    new_shifts = clean_shifts(shifts) if shifts is not None else None
    with transaction.atomic():
        user = get_user_model().objects.select_for_update().get(pk=user.pk)
        before = _snapshot(user)
        profile, _created = StaffProfile.objects.select_for_update().get_or_create(user=user)
        for name, value in clean.items():
            setattr(profile, name, value)
        if clean:
            profile.save(update_fields=list(clean))
        if role is not None and role != before["role"]:
            user.groups.remove(*Group.objects.filter(name__in=roles.Role.ALL))
            user.groups.add(Group.objects.get(name=role))
        if new_shifts is not None:
            Shift.objects.filter(user=user).delete()
            Shift.objects.bulk_create(
                [Shift(user=user, weekday=w, start=s, end=e) for w, s, e in new_shifts]
            )
        if active is not None and active != user.is_active:
            user.is_active = active
            user.save(update_fields=["is_active"])
        after = _snapshot(user)
        changed = {k: v for k, v in after.items() if before.get(k) != v}
        if changed:
            action = "staff.updated"
            if "active" in changed:
                action = "staff.activated" if user.is_active else "staff.deactivated"
            elif "role" in changed:
                action = "staff.role_changed"
            audit_record(
                actor=actor,
                action=action,
                obj=user,
                before={k: before[k] for k in changed},
                after=changed,
            )
        if active is False:
            assignment.return_to_pool(user, why="deactivated")
        elif "role" in changed and after["role"] not in roles.Role.WORKING:
            # Someone who no longer takes cases hands them back too.
            assignment.return_to_pool(user, why="role_changed")
    return user


def staff_create(
    *,
    actor: AbstractBaseUser | None,
    username: str,
    password: str,
    role: str,
    email: str = "",
    languages: Any = None,
    max_open_cases: Any = None,
    time_zone: Any = None,
    shifts: Any = None,
) -> AbstractBaseUser:
    """A team lead adds a person (the command does the same with actor=None)."""
    if actor is not None:
        _require_lead(actor)
    User = get_user_model()
    # The name as it will be stored (NFKC: a full-width "ｌead" is "lead").
    username = User.normalize_username((username or "").strip())
    if username.lower().startswith("svc-"):
        raise InvalidInput(
            _("Names starting with svc- belong to the exchange's service accounts."),
            field="username",
        )
    if not username or len(username) > 150 or not re.match(r"^[\w.@+-]+$", username):
        raise InvalidInput(
            _("A user name is letters, digits and @ . + - _ (at most 150)."), field="username"
        )
    if role not in roles.Role.ALL:
        raise InvalidInput(
            _("The role is one of %(roles)s.") % {"roles": ", ".join(roles.Role.ALL)}, field="role"
        )
    candidate = User(username=username, email=email)
    try:
        validate_password(password, candidate)
    except ValidationError as exc:
        raise InvalidInput(" ".join(exc.messages), field="password") from None
    clean = {
        "languages": clean_languages(languages) if languages is not None else [],
        "max_open_cases": clean_max_open(max_open_cases)
        if max_open_cases is not None
        else StaffProfile.DEFAULT_MAX_OPEN,
        "time_zone": clean_time_zone(time_zone) if time_zone else "",
    }
    new_shifts = clean_shifts(shifts) if shifts is not None else []
    with transaction.atomic():
        if User.objects.filter(username__iexact=username).exists():
            raise Conflict(_("%(user)s already exists.") % {"user": username}, field="username")
        user = User.objects.create_user(
            username=username, email=email, password=password, is_staff=True
        )
        user.groups.add(Group.objects.get(name=role))
        StaffProfile.objects.create(user=user, **clean)
        Shift.objects.bulk_create(
            [Shift(user=user, weekday=w, start=s, end=e) for w, s, e in new_shifts]
        )
        audit_record(
            actor=actor,
            action="staff.created",
            obj=user,
            after={"username": username, **_snapshot(user)},
        )
    return user


def absence_add(
    *,
    actor: AbstractBaseUser | None,
    user: AbstractBaseUser,
    starts_at: datetime,
    ends_at: datetime,
    reason: str = "",
) -> Absence:
    actor = _require_lead(actor)
    storable_moment(starts_at, field="starts_at")
    storable_moment(ends_at, field="ends_at")
    if ends_at <= starts_at:
        raise InvalidInput(_("The absence must end after it starts."), field="ends_at")
    with transaction.atomic():
        absence = Absence.objects.create(
            user=user, starts_at=starts_at, ends_at=ends_at, reason=(reason or "")[:200]
        )
        audit_record(
            actor=actor,
            action="staff.absence_added",
            obj=user,
            after={
                "absence": absence.pk,
                "starts_at": starts_at.isoformat(),
                "ends_at": ends_at.isoformat(),
                "reason": absence.reason,
            },
        )
    return absence


def absence_remove(*, actor: AbstractBaseUser | None, absence: Absence) -> None:
    actor = _require_lead(actor)
    with transaction.atomic():
        audit_record(
            actor=actor,
            action="staff.absence_removed",
            obj=absence.user,
            before={
                "absence": absence.pk,
                "starts_at": absence.starts_at.isoformat(),
                "ends_at": absence.ends_at.isoformat(),
            },
        )
        absence.delete()


def staff_row(person: OnShift) -> dict[str, Any]:
    """One person as the staff API shows them."""
    user = person.user
    profile = getattr(user, "desk_profile", None)
    return {
        "username": user.get_username(),
        "role": person.role,
        "active": user.is_active,
        "languages": person.languages,
        "max_open_cases": person.max_open,
        "time_zone": (profile.time_zone if profile else "") or str(person.zone),
        "shifts": shifts_json(person.shifts),
        "on_shift": person.on_shift,
        "open_cases": person.open_cases,
    }


def staff_members(at: datetime | None = None, *, include_inactive: bool = True):
    """Every staff member (any desk role), placed on the floor at `at`: the staff page and
    API list. A fixed number of queries."""
    at = at or timezone.now()
    User = get_user_model()
    users = (
        User.objects.filter(groups__name__in=roles.Role.ALL)
        .distinct()
        .select_related("desk_profile")
        .prefetch_related("groups", "shifts", "absences")
        .order_by("username")
    )
    if not include_inactive:
        users = users.filter(is_active=True)
    users = list(users)
    counts = open_case_counts([u.pk for u in users])
    return [member(u, at, counts.get(u.pk, 0)) for u in users]
