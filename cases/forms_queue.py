"""Forms of the queue side of the browser layer: the queue's sort and the profile."""

from __future__ import annotations

from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

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
