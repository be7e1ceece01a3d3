"""Forms of the team lead's floor pages: adding and editing staff, weekly shifts, absences
and incidents. They parse and check the input with the same cleaners the services use
(cases.floor.staff), so a bad value is a form error before anything is written; the
services check again and decide."""

from __future__ import annotations

from functools import cache
from typing import Any
from zoneinfo import available_timezones

from django import forms
from django.utils.dates import WEEKDAYS
from django.utils.translation import gettext_lazy as _

from arbitration.exceptions import DomainError
from cases.floor import staff as staff_service
from cases.models import StaffProfile

from .selectors.floor import role_choices

DATETIME_INPUT = "%Y-%m-%dT%H:%M"


@cache
def _zones() -> dict[str, str]:
    # "asia/shanghai" is accepted and stored as "Asia/Shanghai".
    return {name.casefold(): name for name in available_timezones()}


def _domain_clean(cleaner: Any, value: Any) -> Any:
    try:
        return cleaner(value)
    except DomainError as exc:
        raise forms.ValidationError(exc.message, code="invalid") from None


class DateTimeLocalInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs=attrs, format=DATETIME_INPUT)


def _datetime_field(label: Any, *, required: bool = True, help_text: Any = "") -> Any:
    # Read in the viewer's time zone (the one the middleware activated).
    return forms.DateTimeField(
        label=label,
        required=required,
        help_text=help_text,
        input_formats=[DATETIME_INPUT, "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S"],
        widget=DateTimeLocalInput(),
    )


class StaffFieldsMixin(forms.Form):
    """Languages, case limit and time zone, parsed as the staff service parses them."""

    languages = forms.CharField(
        label=_("Languages"),
        required=False,
        max_length=200,
        help_text=_("Codes separated by commas, such as en, zh, ru."),
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )
    max_open_cases = forms.IntegerField(
        label=_("Case limit"),
        min_value=0,
        max_value=500,
        initial=StaffProfile.DEFAULT_MAX_OPEN,
        help_text=_("Open cases at most (0: takes none automatically)."),
    )
    time_zone = forms.CharField(
        label=_("Time zone"),
        required=False,
        max_length=64,
        help_text=_("An IANA name such as Asia/Shanghai; the shifts are in this zone."),
        widget=forms.TextInput(attrs={"list": "time-zones", "autocomplete": "off"}),
    )

    def clean_languages(self) -> list[str]:
        return _domain_clean(staff_service.clean_languages, self.cleaned_data["languages"])

    def clean_time_zone(self) -> str:
        name = self.cleaned_data["time_zone"].strip()
        if not name:
            return ""
        canonical = _zones().get(name.casefold(), name)
        return _domain_clean(staff_service.clean_time_zone, canonical)


class StaffCreateForm(StaffFieldsMixin):
    field_order = [
        "username",
        "email",
        "role",
        "password",
        "languages",
        "max_open_cases",
        "time_zone",
    ]

    username = forms.CharField(
        label=_("User name"),
        max_length=150,
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )
    email = forms.EmailField(label=_("E-mail"), required=False)
    role = forms.ChoiceField(label=_("Role"), choices=role_choices)
    password = forms.CharField(
        label=_("Temporary password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=_("Give it to them in person; they change it after signing in."),
    )


class StaffEditForm(StaffFieldsMixin):
    field_order = ["role", "languages", "max_open_cases", "time_zone"]

    role = forms.ChoiceField(label=_("Role"), choices=role_choices)


def _hhmm_widget() -> forms.TimeInput:
    # Text, not type="time": a browser set to a 12-hour locale would show "10:00 PM", and
    # the desk speaks 24-hour shifts (22:00-06:00) whatever the locale.
    return forms.TimeInput(
        format="%H:%M",
        attrs={
            "class": "hhmm",
            "placeholder": "HH:MM",
            "pattern": "[0-2][0-9]:[0-5][0-9]",
            "inputmode": "numeric",
            "maxlength": "5",
            "autocomplete": "off",
        },
    )


class ShiftForm(forms.Form):
    weekday = forms.TypedChoiceField(
        label=_("Day"),
        coerce=int,
        choices=lambda: [("", "—"), *((str(d), name) for d, name in WEEKDAYS.items())],
        required=False,
    )
    start = forms.TimeField(
        label=_("Start"),
        required=False,
        input_formats=["%H:%M", "%H:%M:%S"],
        widget=_hhmm_widget(),
    )
    end = forms.TimeField(
        label=_("End"),
        required=False,
        input_formats=["%H:%M", "%H:%M:%S"],
        widget=_hhmm_widget(),
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        given = [data.get(k) not in (None, "") for k in ("weekday", "start", "end")]
        if any(given) and not all(given) and not self.errors:
            raise forms.ValidationError(_("A shift needs a day, a start and an end."))
        return data

    @property
    def is_blank(self) -> bool:
        data = getattr(self, "cleaned_data", {})
        return all(data.get(k) in (None, "") for k in ("weekday", "start", "end"))

    @property
    def overnight(self) -> bool:
        """For the hint next to the row: an end at or before the start is the next day."""
        start, end = self._value("start"), self._value("end")
        return bool(start and end and end <= start)

    def _value(self, name: str) -> str:
        value = self[name].value()
        if hasattr(value, "strftime"):
            return value.strftime("%H:%M")
        return str(value or "")[:5]


class BaseShiftFormSet(forms.BaseFormSet):
    def clean(self) -> None:
        if any(self.errors):
            return
        seen = set()
        for form in self.forms:
            if self.can_delete and self._should_delete_form(form):
                continue
            if form.is_blank:
                continue
            key = (form.cleaned_data["weekday"], form.cleaned_data["start"])
            if key in seen:
                raise forms.ValidationError(_("Two shifts start at the same time on the same day."))
            seen.add(key)

    def kept(self) -> list[tuple[int, dict[str, Any]]]:
        """(form index, {weekday, start, end}) of each row to keep, in page order."""
        rows = []
        for i, form in enumerate(self.forms):
            if self.can_delete and self._should_delete_form(form):
                continue
            if form.is_blank:
                continue
            data = form.cleaned_data
            rows.append(
                (i, {"weekday": data["weekday"], "start": data["start"], "end": data["end"]})
            )
        return rows


ShiftFormSet = forms.formset_factory(
    ShiftForm,
    formset=BaseShiftFormSet,
    extra=2,
    can_delete=True,
    max_num=staff_service.MAX_SHIFTS,
    validate_max=True,
    absolute_max=staff_service.MAX_SHIFTS + 5,
)


class AbsenceForm(forms.Form):
    starts_at = _datetime_field(_("From"))
    ends_at = _datetime_field(_("Until"))
    reason = forms.CharField(
        label=_("Reason"),
        required=False,
        max_length=200,
        widget=forms.TextInput(attrs={"placeholder": _("Leave, training, sick...")}),
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        start, end = data.get("starts_at"), data.get("ends_at")
        if start and end and end <= start:
            self.add_error("ends_at", _("The absence must end after it starts."))
        return data


class IncidentForm(forms.Form):
    title = forms.CharField(
        label=_("Title"),
        max_length=200,
        widget=forms.TextInput(attrs={"placeholder": _("Alipay callbacks failing")}),
    )
    payment_method = forms.CharField(
        label=_("Payment method"),
        required=False,
        max_length=64,
        help_text=_("Empty: every payment method."),
        widget=forms.TextInput(attrs={"list": "payment-methods", "autocomplete": "off"}),
    )
    country = forms.CharField(
        label=_("Country"),
        required=False,
        max_length=2,
        help_text=_("A party's two-letter ISO code, such as NG; empty: every country."),
        widget=forms.TextInput(attrs={"autocomplete": "off", "size": 3}),
    )
    starts_at = _datetime_field(_("Started at"), help_text=_("May be in the past."))
    ends_at = _datetime_field(
        _("Ended at"), required=False, help_text=_("Empty while it lasts; end it here later.")
    )

    def clean_country(self) -> str:
        country = self.cleaned_data["country"].strip().upper()
        if country and (len(country) != 2 or not country.isalpha()):
            raise forms.ValidationError(_("A country is a two-letter ISO code, such as NG."))
        return country
