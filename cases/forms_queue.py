"""Forms of the queue side of the browser layer: the queue's sort and the profile."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from .floor.schedule import OnShift
from .models import StaffProfile
from .selectors.queue import DEFAULT_SORT, SORT_CHOICES

# Offered first in the time zone field; any other IANA name may be typed.
COMMON_TIME_ZONES = (
    "Asia/Shanghai",
    "Asia/Hong_Kong",
    "Asia/Taipei",
    "Asia/Singapore",
    "Asia/Kuala_Lumpur",
    "Asia/Manila",
    "Asia/Tokyo",
    "Asia/Dubai",
    "Asia/Kolkata",
    "Europe/Moscow",
    "Europe/Istanbul",
    "Europe/Berlin",
    "Europe/London",
    "UTC",
    "America/Sao_Paulo",
    "America/New_York",
)


class QueueFilterForm(forms.Form):
    """The base form of cases.filters.QueueFilter: the sort is not a filter, but it travels
    in the same GET form, so it is validated here with the filters."""

    sort = forms.ChoiceField(
        label=_("Sort"), choices=SORT_CHOICES, required=False, initial=DEFAULT_SORT
    )

    def clean_sort(self) -> str:
        return self.cleaned_data.get("sort") or DEFAULT_SORT


class ProfileForm(forms.ModelForm):
    time_zone = forms.CharField(
        label=_("Time zone"),
        max_length=64,
        help_text=_("An IANA name such as Asia/Shanghai or Europe/Moscow."),
        widget=forms.TextInput(attrs={"list": "time-zones", "autocomplete": "off"}),
    )
    language = forms.ChoiceField(label=_("Language"), choices=settings.LANGUAGES)

    class Meta:
        model = StaffProfile
        fields = ["time_zone", "language"]

    def clean_time_zone(self) -> str:
        name = self.cleaned_data["time_zone"].strip()
        # Case-insensitive match against the tz database, so "asia/shanghai" is accepted
        # and stored as "Asia/Shanghai".
        canonical = _zones_by_folded_name().get(name.casefold())
        if canonical is None:
            raise forms.ValidationError(
                _("%(name)s is not a time zone name."), params={"name": name}, code="unknown"
            )
        try:
            ZoneInfo(canonical)
        except (ZoneInfoNotFoundError, ValueError):
            raise forms.ValidationError(
                _("%(name)s is not a time zone name."), params={"name": name}, code="unknown"
            ) from None
        return canonical


_ZONES: dict[str, str] | None = None


def _zones_by_folded_name() -> dict[str, str]:
    global _ZONES
    if _ZONES is None:
        _ZONES = {name.casefold(): name for name in available_timezones()}
        _ZONES.setdefault("utc", "UTC")
    return _ZONES


def time_zone_suggestions() -> list[str]:
    return list(COMMON_TIME_ZONES)


# --- bulk reassignment from the queue --------------------------------------------------------

POOL = "__pool__"
# At most this many appeals per submit: one queue page is 50.
BULK_MAX = 100


class SelectedAppeals(forms.Field):
    """The ticked rows: each "<id>|<updated_at as the page drew it>", so a case that
    changed since the page was drawn is refused instead of being taken from under
    whoever changed it."""

    widget = forms.MultipleHiddenInput

    def to_python(self, value: Any) -> list[tuple[int, datetime | None]]:
        picked: dict[int, datetime | None] = {}
        for raw in value or []:
            pk, _sep, seen = str(raw).partition("|")
            try:
                appeal_id = int(pk)
            except ValueError:
                raise forms.ValidationError(
                    _("The page is damaged; reload it and try again."), code="damaged"
                ) from None
            expected = None
            if seen:
                try:
                    expected = datetime.fromisoformat(seen)
                except ValueError:
                    expected = None
                if expected is None or expected.tzinfo is None:
                    raise forms.ValidationError(
                        _("The page is damaged; reload it and try again."), code="damaged"
                    )
            picked[appeal_id] = expected
        return list(picked.items())

    def validate(self, value: list) -> None:
        if not value:
            raise forms.ValidationError(_("Tick at least one appeal."), code="required")
        if len(value) > BULK_MAX:
            raise forms.ValidationError(
                _("At most %(n)d appeals at once."), params={"n": BULK_MAX}, code="too_many"
            )


def person_label(person: OnShift) -> str:
    """ "ann · 3/10 open · on shift · EN ZH" for the assign select."""
    parts = [
        person.user.get_username(),
        _("%(open)d/%(max)d open") % {"open": person.open_cases, "max": person.max_open},
        _("on shift") if person.on_shift else _("off shift"),
    ]
    if person.languages:
        parts.append(" ".join(code.upper() for code in person.languages))
    return " · ".join(str(p) for p in parts)


class BulkAssignForm(forms.Form):
    """For seniors and leads: the ticked appeals to one person who takes cases, or back
    to the pool. The lifecycle judges each appeal on its own."""

    appeal = SelectedAppeals(label=_("Appeals"))
    assignee = forms.ChoiceField(label=_("Assign to"))

    def __init__(self, *args: Any, people: list[OnShift], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.people = {p.user.get_username(): p for p in people}
        ordered = sorted(people, key=lambda p: (not p.on_shift, p.user.get_username()))
        self.fields["assignee"].choices = [
            ("", _("Assign to…")),
            (POOL, _("Back to the pool (unassigned)")),
            (
                _("People who take cases"),
                [(p.user.get_username(), person_label(p)) for p in ordered],
            ),
        ]

    def clean_assignee(self) -> Any:
        value = self.cleaned_data["assignee"]
        if value == POOL:
            return None
        return self.people[value].user
