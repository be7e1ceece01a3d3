"""Forms of the case page. They parse and validate input; the lifecycle services decide."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from arbitration.exceptions import InvalidInput
from cases.lifecycle import ProposedAction, evidence_due_default
from cases.models import SHORT_TEXT_MAX, TEXT_MAX, AccountAction, Party, Rule, Verdict
from cases.replies import reply_gap
from evidence.models import FIELD_LABELS, Evidence
from evidence.services import CORRECTABLE, correction_value

LOCAL_INPUT = "%Y-%m-%dT%H:%M"
NO_ACTION = ""
ACTION_CHOICES = [(NO_ACTION, _("No account action")), *AccountAction.Kind.choices]


def _textarea(rows: int = 3, **attrs: Any) -> forms.Textarea:
    return forms.Textarea(attrs={"rows": rows, **attrs})


def _filled(text: str) -> str:
    # A canned reply's blank still in the text: the party would read "{what}".
    gap = reply_gap(text)
    if gap:
        raise forms.ValidationError(
            _("Replace %(gap)s with the real text before sending.") % {"gap": gap}
        )
    return text


class DeskForm(forms.Form):
    """Each form of the page gets its own element ids (several have a `party` or `text`)."""

    id_prefix = "form"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", f"id_{self.id_prefix}_%s")
        super().__init__(*args, **kwargs)


class Guarded(DeskForm):
    """A form that changes the case's state. The page writes `seen` (the appeal's
    updated_at when it was drawn) and `seen_seq` (its last audit entry); the view refuses
    the action if the case changed since."""

    seen = forms.CharField(required=False, widget=forms.HiddenInput)
    seen_seq = forms.IntegerField(required=False, widget=forms.HiddenInput)

    def clean(self) -> dict[str, Any]:
        """`expected`: `seen` as the datetime the lifecycle compares (None: not given)."""
        data = super().clean()
        data["expected"] = None
        if seen := data.get("seen"):
            try:
                expected = datetime.fromisoformat(seen)
            except ValueError:
                expected = None
            if expected is None or expected.tzinfo is None:
                # The page writes an aware ISO time; anything else was not written by it.
                self.add_error(None, _("The page is damaged; reload it and try again."))
            else:
                data["expected"] = expected
        return data


class ClaimForm(Guarded):
    id_prefix = "claim"


class UnassignForm(Guarded):
    id_prefix = "unassign"


class AssignForm(Guarded):
    id_prefix = "assign"

    assignee = forms.ModelChoiceField(
        queryset=None,
        required=False,
        label=_("Assignee"),
        empty_label=_("— nobody (back to the queue) —"),
    )

    def __init__(self, *args: Any, assignees: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["assignee"].queryset = assignees
        self.fields["assignee"].label_from_instance = lambda u: (
            f"{u.get_username()} ({u.get_full_name()})" if u.get_full_name() else u.get_username()
        )


class RequestEvidenceForm(Guarded):
    id_prefix = "request"

    party = forms.ChoiceField(choices=Party.choices, label=_("From"))
    text = forms.CharField(
        label=_("What is needed"), widget=_textarea(4), max_length=SHORT_TEXT_MAX, strip=True
    )
    due_at = forms.DateTimeField(
        label=_("By"),
        input_formats=[LOCAL_INPUT, "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M"],
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format=LOCAL_INPUT),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            # Shown and read in the viewer's time zone (activated per user).
            due = timezone.localtime(evidence_due_default())
            self.initial.setdefault("due_at", due.replace(second=0, microsecond=0))

    def clean_text(self) -> str:
        return _filled(self.cleaned_data["text"])

    def clean_due_at(self):
        due_at = self.cleaned_data["due_at"]
        if due_at <= timezone.now():
            raise forms.ValidationError(_("The deadline must be in the future."))
        return due_at


class NoteForm(DeskForm):
    id_prefix = "note"

    text = forms.CharField(label=_("Internal note"), widget=_textarea(3), max_length=TEXT_MAX)


class EvidenceCorrectionForm(DeskForm):
    """One field of what was read from a file, as the arbitrator reads it on the image.
    The value is checked by the same rule the service applies (correction_value)."""

    id_prefix = "correct"

    evidence = forms.IntegerField(widget=forms.HiddenInput, min_value=1)
    field = forms.ChoiceField(
        label=_("Field"),
        choices=[(f, FIELD_LABELS[f]) for f in CORRECTABLE],
    )
    value = forms.CharField(
        label=_("What the file shows"),
        required=False,
        max_length=256,
        help_text=_("Empty: the file shows none. A time as YYYY-MM-DD HH:MM."),
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if "field" in data and "value" in data:
            try:
                correction_value(data["field"], data["value"])
            except InvalidInput as exc:
                self.add_error("value", exc.message)
        return data


class EvidenceUploadForm(DeskForm):
    id_prefix = "upload"

    file = forms.FileField(label=_("File (PNG, JPEG, WebP or PDF)"))
    party = forms.ChoiceField(choices=Party.choices, label=_("On behalf of"))
    kind = forms.ChoiceField(choices=Evidence.Kind.choices, label=_("Kind"))
    payer_name = forms.CharField(
        label=_("Payer name on the voucher"), required=False, max_length=256
    )
    note = forms.CharField(
        label=_("Note"), required=False, widget=_textarea(2), max_length=SHORT_TEXT_MAX
    )


class EscalateForm(Guarded):
    id_prefix = "escalate"

    reason = forms.CharField(
        label=_("Why escalate"), widget=_textarea(3), max_length=SHORT_TEXT_MAX
    )


class RuleSelect(forms.Select):
    """The verdict form's rule select: each rule's option says what the rule's text allows
    (Rule.outcomes, Rule.responsible), so the page can grey out the rules that do not fit
    the chosen outcome and party; the check itself is Rule.verdict_conflict's."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.rules: dict[str, Rule] = {}

    def create_option(self, name, value, label, selected, index, subindex=None, attrs=None):
        option = super().create_option(name, value, label, selected, index, subindex, attrs)
        rule = self.rules.get(str(value))
        if rule is not None:
            option["attrs"]["data-outcomes"] = " ".join(rule.outcomes or [])
            option["attrs"]["data-responsible"] = " ".join(rule.responsible or [])
        return option


class VerdictForm(Guarded):
    id_prefix = "verdict"

    # No default: the one field that decides where the money goes is always chosen.
    outcome = forms.ChoiceField(choices=[("", "—"), *Verdict.Outcome.choices], label=_("Outcome"))
    responsible_party = forms.ChoiceField(
        choices=[("", "—"), *Verdict.ResponsibleParty.choices], label=_("Responsible party")
    )
    rule = forms.ChoiceField(label=_("Rule"), widget=RuleSelect)
    rationale = forms.CharField(label=_("Rationale"), widget=_textarea(4), max_length=TEXT_MAX)
    action_kind = forms.ChoiceField(
        choices=ACTION_CHOICES, required=False, label=_("Account action on the responsible party")
    )
    action_days = forms.IntegerField(
        required=False, min_value=1, max_value=3650, label=_("Days (P2P restriction)")
    )
    confirm = forms.BooleanField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args: Any, usual: list[Rule], other: list[Rule], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        choices: list[Any] = [("", "—")]
        if usual:
            choices.append((_("Usual for this reason"), [(r.code, str(r)) for r in usual]))
        if other:
            choices.append((_("Other rules"), [(r.code, str(r)) for r in other]))
        self.fields["rule"].choices = choices
        self.rules = {r.code: r for r in (*usual, *other)}
        self.fields["rule"].widget.rules = self.rules

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        rule = self.rules.get(data.get("rule", ""))
        if rule is not None and data.get("outcome") and data.get("responsible_party"):
            conflict = rule.verdict_conflict(data["outcome"], data["responsible_party"])
            if conflict is not None:
                self.add_error(*conflict)
        kind = data.get("action_kind") or NO_ACTION
        if kind and data.get("responsible_party") == Verdict.ResponsibleParty.NONE:
            self.add_error("action_kind", _("An account action needs a responsible party."))
        if kind == AccountAction.Kind.P2P_RESTRICTION and not data.get("action_days"):
            self.add_error("action_days", _("A P2P restriction needs a number of days."))
        if kind != AccountAction.Kind.P2P_RESTRICTION:
            data["action_days"] = None
        return data

    @property
    def account_action(self) -> ProposedAction | None:
        kind = self.cleaned_data.get("action_kind")
        return (
            ProposedAction(kind=kind, days=self.cleaned_data.get("action_days")) if kind else None
        )

    @property
    def rule_obj(self) -> Rule | None:
        return self.rules.get(self.cleaned_data.get("rule", ""))


class ApproveForm(Guarded):
    id_prefix = "approve"


class SendBackForm(Guarded):
    id_prefix = "sendback"

    comment = forms.CharField(
        label=_("What must change"), widget=_textarea(3), max_length=SHORT_TEXT_MAX
    )


class CancelForm(Guarded):
    id_prefix = "cancel"

    reason = forms.CharField(label=_("Why cancel"), widget=_textarea(2), max_length=SHORT_TEXT_MAX)
    confirm = forms.BooleanField(
        label=_("Yes, cancel this appeal (no funds move; this cannot be undone)")
    )


class MessageForm(DeskForm):
    id_prefix = "message"

    party = forms.ChoiceField(choices=Party.choices, label=_("To"))
    text = forms.CharField(label=_("Message"), widget=_textarea(5), max_length=SHORT_TEXT_MAX)

    def clean_text(self) -> str:
        return _filled(self.cleaned_data["text"])


class ReviewAssignForm(DeskForm):
    id_prefix = "reviewassign"

    reviewer = forms.ModelChoiceField(queryset=None, label=_("Reviewer"))

    def __init__(self, *args: Any, reviewers: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["reviewer"].queryset = reviewers


class ReviewDecideForm(DeskForm):
    id_prefix = "review"

    DECISIONS = [("uphold", _("Uphold the verdict")), ("reverse", _("Reverse the verdict"))]

    decision = forms.ChoiceField(choices=DECISIONS, widget=forms.RadioSelect, label=_("Decision"))
    outcome = forms.ChoiceField(
        choices=[("", "—"), *Verdict.Outcome.choices], required=False, label=_("Corrected outcome")
    )
    responsible_party = forms.ChoiceField(
        choices=[("", "—"), *Verdict.ResponsibleParty.choices],
        required=False,
        label=_("Responsible party"),
    )
    rationale = forms.CharField(label=_("Rationale"), widget=_textarea(3), max_length=TEXT_MAX)

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if data.get("decision") == "reverse":
            if not data.get("outcome"):
                self.add_error("outcome", _("A reversal needs the corrected outcome."))
            if not data.get("responsible_party"):
                self.add_error("responsible_party", _("Name the responsible party."))
        return data


class ReversalApproveForm(DeskForm):
    id_prefix = "reversalapprove"


class ReversalSendBackForm(DeskForm):
    id_prefix = "reversalsendback"

    comment = forms.CharField(
        label=_("Why the reversal is sent back"), widget=_textarea(3), max_length=SHORT_TEXT_MAX
    )


# The forms of the case page, by the key the template and the views use.
FORM_CLASSES: dict[str, type[forms.Form]] = {
    "claim": ClaimForm,
    "unassign": UnassignForm,
    "assign": AssignForm,
    "request_evidence": RequestEvidenceForm,
    "note": NoteForm,
    "upload": EvidenceUploadForm,
    "escalate": EscalateForm,
    "verdict": VerdictForm,
    "approve": ApproveForm,
    "send_back": SendBackForm,
    "cancel": CancelForm,
    "message": MessageForm,
    "review_assign": ReviewAssignForm,
    "review_decide": ReviewDecideForm,
    "reversal_approve": ReversalApproveForm,
    "reversal_send_back": ReversalSendBackForm,
}


class RecordAnswerForm(DeskForm):
    """The handler records that a party answered outside the app (a call, an e-mail to
    support): the party's clock stops as if it had answered in the app."""

    id_prefix = "answer"

    party = forms.ChoiceField(choices=Party.choices, label=_("Who answered"))
    note = forms.CharField(
        label=_("How and what (kept as an internal note)"),
        required=False,
        widget=_textarea(2),
        max_length=SHORT_TEXT_MAX,
    )

    def __init__(self, *args: Any, parties: list[str] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if parties is not None:
            self.fields["party"].choices = [(p, Party(p).label) for p in parties]
