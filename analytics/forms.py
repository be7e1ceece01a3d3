"""The dashboards' GET forms: a date range (with presets) and a report period."""

from __future__ import annotations

from datetime import date, timedelta

from django import forms
from django.utils.translation import gettext_lazy as _

from .selectors import Period, ops_today

# A year and a day: the API's limit too (analytics.api.MAX_DAYS).
EARLIEST, LATEST = date(1970, 1, 1), date(2999, 12, 31)
MAX_DAYS = 366
DEFAULT_PRESET = "last_28"
PRESETS = [
    ("last_7", _("Last 7 days")),
    ("last_28", _("Last 28 days")),
    ("this_month", _("This month")),
    ("last_month", _("Last month")),
]
TABLES = [
    "daily",
    "reasons",
    "outcomes",
    "responsible_parties",
    "arbitrators",
    "payment_methods",
    "channels",
    "amounts",
]


def preset_period(preset: str, today: date) -> Period:
    """A preset as days of the operations time zone; the ranges end today (partial)."""
    if preset == "last_7":
        return Period(today - timedelta(days=6), today)
    if preset == "this_month":
        return Period(today.replace(day=1), today)
    if preset == "last_month":
        last = today.replace(day=1) - timedelta(days=1)
        return Period(last.replace(day=1), last)
    return Period(today - timedelta(days=27), today)


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self) -> None:
        super().__init__(format="%Y-%m-%d")


class DashboardForm(forms.Form):
    """`from`/`to` (days of the operations time zone) or a preset; neither gives the
    default preset. `format=csv&table=...` asks for one table as CSV."""

    preset = forms.ChoiceField(label=_("Preset"), choices=PRESETS, required=False)
    to = forms.DateField(label=_("To"), required=False, widget=DateInput())
    format = forms.ChoiceField(choices=[("html", "html"), ("csv", "csv")], required=False)
    table = forms.ChoiceField(choices=[(t, t) for t in TABLES], required=False)

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        # `from` is a Python keyword: the field is added under its query-string name.
        self.fields = {
            "from": forms.DateField(label=_("From"), required=False, widget=DateInput()),
            **self.fields,
        }

    def clean(self) -> dict:
        data = super().clean()
        first, last, preset = data.get("from"), data.get("to"), data.get("preset")
        today = ops_today()
        if self.errors:
            return data
        if first or last:
            if not (first and last):
                raise forms.ValidationError(_("Give both the first and the last day."))
            if first > last:
                raise forms.ValidationError(_("The first day must not be after the last."))
            if not (EARLIEST <= first and last <= LATEST):
                # The previous period and the day bounds are computed around the range:
                # year 1 or 9999 would overflow (a 500), and no desk has data there.
                raise forms.ValidationError(_("Choose days between 1970 and 2999."))
            if (last - first).days >= MAX_DAYS:
                raise forms.ValidationError(_("Choose at most %(days)d days.") % {"days": MAX_DAYS})
            data["period"] = Period(first, last)
            data["preset"] = next(
                (key for key, _label in PRESETS if preset_period(key, today) == data["period"]),
                "",
            )
        else:
            data["preset"] = preset or DEFAULT_PRESET
            data["period"] = preset_period(data["preset"], today)
        if data.get("format") == "csv" and not data.get("table"):
            self.add_error("table", _("Name the table to export."))
        return data

    @staticmethod
    def default_period() -> Period:
        return preset_period(DEFAULT_PRESET, ops_today())


class ReportForm(forms.Form):
    """A week (seven days from `start`) or a calendar month (the one `start` falls in)."""

    period = forms.ChoiceField(
        label=_("Period"),
        choices=[("week", _("Week")), ("month", _("Month"))],
        required=False,
    )
    start = forms.DateField(label=_("Starting"), required=False, widget=DateInput())

    def clean(self) -> dict:
        data = super().clean()
        if self.errors:
            return data
        kind = data.get("period") or "week"
        today = ops_today()
        start = data.get("start")
        if start is not None and not (EARLIEST <= start <= LATEST):
            raise forms.ValidationError(_("Choose days between 1970 and 2999."))
        if kind == "week":
            # Default: the last complete week, Monday to Sunday.
            start = start or today - timedelta(days=today.weekday() + 7)
            period = Period(start, start + timedelta(days=6))
            previous = period.previous()
        else:
            start = (start or (today.replace(day=1) - timedelta(days=1))).replace(day=1)
            period = Period(start, _month_end(start))
            before = start - timedelta(days=1)
            previous = Period(before.replace(day=1), before)
        if period.first > today:
            raise forms.ValidationError(_("The period has not started yet."))
        data.update(period=kind, report=period, previous=previous, start=start)
        return data


def _month_end(first: date) -> date:
    following = (first.replace(day=28) + timedelta(days=4)).replace(day=1)
    return following - timedelta(days=1)
