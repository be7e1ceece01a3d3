"""The analysts' pages' GET forms: a range of weeks, and what to narrow it to."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from .analysis import DEFAULT_MIN_SAMPLE, DEFAULT_WEEKS, DIMENSIONS, MAX_WEEKS, MEASURES, Weeks
from .risk import LABELS, WEIGHTS


def code_choices() -> list[tuple[str, str]]:
    """Every code the scorer weighs (read when the form is built: no list here)."""
    return [("", _("Any signal"))] + [(c, str(LABELS.get(c, c))) for c in WEIGHTS]


class RangeForm(forms.Form):
    """`weeks` whole weeks ending with this one (default 12); `code` narrows to traders or
    appeals with that finding; `format=csv` asks for the file; `page` the page."""

    weeks = forms.IntegerField(label=_("Weeks"), min_value=1, max_value=MAX_WEEKS, required=False)
    code = forms.ChoiceField(label=_("Signal"), choices=code_choices, required=False)
    format = forms.ChoiceField(choices=[("html", "html"), ("csv", "csv")], required=False)
    page = forms.IntegerField(min_value=1, max_value=100_000, required=False)

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        data["range"] = Weeks.ending_now(data.get("weeks") or DEFAULT_WEEKS)
        data["page"] = data.get("page") or 1
        return data

    @staticmethod
    def default_range() -> Weeks:
        return Weeks.ending_now(DEFAULT_WEEKS)


class LoopholeForm(RangeForm):
    min_sample = forms.IntegerField(
        label=_("Minimum cases"), min_value=2, max_value=1_000_000, required=False
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        data["min_sample"] = data.get("min_sample") or DEFAULT_MIN_SAMPLE
        return data


class CasesForm(RangeForm):
    """The cases behind a figure: appeals with a finding (`code`, opened in the range or
    in the `week` starting that Monday), or verdicts decided in the range in a group
    (`dimension` and `value`) and of a `measure`."""

    week = forms.DateField(required=False)
    measure = forms.ChoiceField(
        choices=[("", ""), ("decided", "decided"), *[(m, m) for m in MEASURES]], required=False
    )
    dimension = forms.ChoiceField(choices=[("", ""), *[(d, d) for d in DIMENSIONS]], required=False)
    value = forms.CharField(max_length=64, required=False, strip=False)

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if self.errors:
            return data
        if not data.get("code") and not (data.get("measure") or data.get("dimension")):
            raise forms.ValidationError(_("Name a signal, or a measure or group of cases."))
        if data.get("code") and (data.get("measure") or data.get("dimension")):
            raise forms.ValidationError(_("Name a signal or a group of cases, not both."))
        week = data.get("week")
        if week is not None:
            monday = week - timedelta(days=week.weekday())
            data["range"] = Weeks(first=monday, count=1)
        return data


class ReportForm(forms.Form):
    """The report button's hidden fields: the range the ranking showed."""

    weeks = forms.IntegerField(min_value=1, max_value=MAX_WEEKS, required=False)

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        data["range"] = Weeks.ending_now(data.get("weeks") or DEFAULT_WEEKS)
        return data
