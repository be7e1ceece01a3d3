"""The trader page's forms: restrict (or propose), lift, decide a proposal.

They check the shape of the input; cases.lifecycle decides (and checks the functions,
reason and end again, so the page and the API refuse the same things)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .forms_floor import DATETIME_INPUT, DateTimeLocalInput
from .models import SHORT_TEXT_MAX, AccountRestriction


class RestrictionForm(forms.Form):
    functions = forms.MultipleChoiceField(
        label=_("Functions to switch off"),
        choices=AccountRestriction.Function.choices,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": _("Choose at least one function.")},
    )
    reason = forms.CharField(
        label=_("Reason"),
        max_length=SHORT_TEXT_MAX,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("The exchange receives it with the restriction."),
    )
    # Read in the viewer's time zone (the one the middleware activated), as the floor's.
    until = forms.DateTimeField(
        label=_("Until"),
        required=False,
        help_text=_("Empty: until someone lifts it."),
        input_formats=[DATETIME_INPUT, "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S"],
        widget=DateTimeLocalInput(),
    )

    def clean_until(self) -> Any:
        until = self.cleaned_data.get("until")
        if until is not None and until <= timezone.now():
            raise forms.ValidationError(_("The end of a restriction must be in the future."))
        return until


class LiftForm(forms.Form):
    reason = forms.CharField(
        label=_("Why lift it"), max_length=SHORT_TEXT_MAX, widget=forms.TextInput()
    )


class DecideForm(forms.Form):
    decision = forms.ChoiceField(
        choices=[("approve", _("Approve")), ("reject", _("Reject"))], widget=forms.HiddenInput
    )
    note = forms.CharField(label=_("Note"), max_length=SHORT_TEXT_MAX, required=False)
