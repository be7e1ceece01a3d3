"""Admin: a window on the desk's records. History is read-only here: statuses, verdicts,
notes, evidence and the audit log change only through the lifecycle service. Team leads
edit the rulebook, the desk's tools (canned replies, penalties, watchlist) and webhook
subscribers; every such edit is audited through the service that owns it. What a role
sees at all is its group's permissions (cases.roles.ROLE_PERMISSIONS): webhook
subscribers and deliveries are the team leads' only, and a subscriber's secret is never
shown to anyone after it is set."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db.models import Model, QuerySet
from django.http import HttpRequest, HttpResponseRedirect
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from modeltranslation.admin import TranslationAdmin
from rest_framework.authtoken.models import TokenProxy

from arbitration.admin import NoDeleteAdmin, ReadOnlyAdmin, ReadOnlyInline
from arbitration.exceptions import DomainError
from arbitration.jobs import enqueue_on_commit

from . import roles, sla
from .audit import audit_record
from .floor import escalation
from .models import (
    Absence,
    AccountAction,
    AccountSignal,
    Appeal,
    AppealEscalation,
    AppealStatusChange,
    AuditEntry,
    CannedReply,
    ChatMessage,
    ClockPause,
    DeskMessage,
    EscalationRule,
    EvidenceRequest,
    Incident,
    Note,
    Order,
    OutboxEvent,
    PenaltyRule,
    Rule,
    Shift,
    SlaPolicy,
    StaffProfile,
    Trader,
    Verdict,
    WatchKeyword,
    WebhookDelivery,
    WebhookSubscriber,
)
from .replies import reply_check
from .services import rule_save, webhook_subscriber_check, webhook_subscriber_save
from .translation import localized
from .webhooks import DELIVER_WEBHOOK, deliveries_retry

# Service tokens are not shown in the admin, not even to the superuser: a key read there
# would let its reader speak for the parties. `manage.py create_service_token` issues and
# rotates them, printing the new key once.
if admin.site.is_registered(TokenProxy):
    admin.site.unregister(TokenProxy)

# The admin is the desk's, not a stock "Django administration".
admin.site.site_header = _("Arbitration desk administration")
admin.site.site_title = _("Arbitration desk admin")
admin.site.index_title = _("Rulebook, tools and history")


class AuditedAdmin(NoDeleteAdmin):
    """Every add and change made here is an audit entry: who, and each changed field
    before and after (the admin's own save runs in one transaction with it)."""

    audit_fields: tuple[str, ...] = ()

    def save_model(self, request: HttpRequest, obj: Model, form: forms.ModelForm, change: bool):
        manager = type(obj)._default_manager
        old = manager.filter(pk=obj.pk).values(*self.audit_fields).first() if change else None
        super().save_model(request, obj, form, change)
        changed = [f for f in self.audit_fields if old is None or old[f] != getattr(obj, f)]
        if not changed:
            return
        audit_record(
            actor=request.user,
            action=f"{obj._meta.model_name}.{'updated' if old else 'created'}",
            obj=obj,
            before={f: old[f] for f in changed} if old else {},
            after={f: getattr(obj, f) for f in changed},
        )


class SignalInline(ReadOnlyInline):
    model = AccountSignal
    fields = ("kind", "value", "first_seen_at", "last_seen_at")


class ActionInline(ReadOnlyInline):
    model = AccountAction
    fk_name = "trader"
    fields = ("kind", "days", "expires_at", "reason", "taken_by", "created_at")


@admin.register(Trader)
class TraderAdmin(ReadOnlyAdmin):
    list_display = (
        "external_id",
        "display_name",
        "kyc_name",
        "country",
        "language",
        "frozen",
        "p2p_restricted_until",
    )
    list_filter = ("frozen", "country", "language")
    search_fields = ("=external_id", "display_name", "kyc_name")
    inlines = [SignalInline, ActionInline]


@admin.register(AccountSignal)
class AccountSignalAdmin(ReadOnlyAdmin):
    list_display = ("trader", "kind", "value", "first_seen_at", "last_seen_at")
    list_filter = ("kind",)
    search_fields = ("=value", "=trader__external_id")
    list_select_related = ("trader",)


class MessageInline(ReadOnlyInline):
    model = ChatMessage
    fields = ("sent_at", "sender", "text")
    show_change_link = False


@admin.register(Order)
class OrderAdmin(ReadOnlyAdmin):
    list_display = (
        "external_id",
        "asset",
        "crypto_amount",
        "fiat_amount",
        "fiat_currency",
        "payment_method",
        "status",
        "created_at",
    )
    list_filter = ("status", "asset", "fiat_currency")
    search_fields = ("=external_id", "=buyer__external_id", "=seller__external_id")
    list_select_related = ("buyer", "seller")
    date_hierarchy = "created_at"
    inlines = [MessageInline]


@admin.register(ChatMessage)
class ChatMessageAdmin(ReadOnlyAdmin):
    list_display = ("order", "sender", "source", "sent_at", "text")
    search_fields = ("=order__external_id", "=external_id")
    list_select_related = ("order", "source")


@admin.register(DeskMessage)
class DeskMessageAdmin(ReadOnlyAdmin):
    list_display = ("appeal", "party", "kind", "language", "sent_by", "sent_at", "text")
    list_filter = ("kind", "party")
    search_fields = ("=appeal__id",)
    list_select_related = ("sent_by",)


class StatusChangeInline(ReadOnlyInline):
    model = AppealStatusChange
    fields = ("created_at", "from_status", "to_status", "actor", "comment")
    show_change_link = False


class NoteInline(ReadOnlyInline):
    model = Note
    fields = ("created_at", "author", "text")
    show_change_link = False


# What a verdict is, at a glance: on its appeal's page and in the verdict list.
VERDICT_COLUMNS = (
    "state",
    "outcome",
    "responsible_party",
    "rule",
    "decided_by",
    "approved_by",
    "effective_at",
)


class VerdictInline(ReadOnlyInline):
    model = Verdict
    fields = VERDICT_COLUMNS


@admin.register(Appeal)
class AppealAdmin(ReadOnlyAdmin):
    list_display = (
        "id",
        "order",
        "reason",
        "opened_by",
        "status",
        "assignee",
        "priority",
        "created_at",
        "resolution_due_at",
        "risk_score",
    )
    list_filter = ("status", "reason", "opened_by", "channel", "priority")
    search_fields = ("=id", "=order__external_id")
    list_select_related = ("order", "assignee")
    raw_id_fields = ("order", "assignee")
    inlines = [StatusChangeInline, VerdictInline, NoteInline]


@admin.register(AppealStatusChange)
class AppealStatusChangeAdmin(ReadOnlyAdmin):
    list_display = ("appeal", "from_status", "to_status", "actor", "created_at")
    list_filter = ("to_status",)
    list_select_related = ("actor",)


@admin.register(Note)
class NoteAdmin(ReadOnlyAdmin):
    list_display = ("appeal", "author", "created_at", "text")
    list_select_related = ("author",)


def _ticks(choices: Any, label: str, help_text: str) -> forms.MultipleChoiceField:
    """A JSON list field edited as ticked boxes of known values (free JSON let a lead save
    `5` as a rule's reasons and take every case page down)."""
    return forms.MultipleChoiceField(
        choices=choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label=label,
        help_text=help_text,
    )


class RuleForm(forms.ModelForm):
    # The reasons the verdict form offers the rule first for, and what
    # Rule.verdict_conflict reads.
    reasons = _ticks(
        Appeal.Reason.choices,
        _("Usual for these reasons"),
        _("The verdict form offers the rule first on appeals with these reasons."),
    )
    outcomes = _ticks(
        Verdict.Outcome.choices,
        _("Outcomes it decides"),
        _("A verdict citing the rule must have one of these (none ticked: any)."),
    )
    responsible = _ticks(
        Verdict.ResponsibleParty.choices,
        _("Responsible parties"),
        _("A verdict citing the rule names one of these (none ticked: any)."),
    )

    class Meta:
        model = Rule
        fields = (
            "code",
            *localized("title", "text"),
            "reasons",
            "outcomes",
            "responsible",
            "active",
        )

    def clean_code(self) -> str:
        code = self.cleaned_data["code"]
        instance = self.instance
        if instance.pk and code != instance.code and instance.verdicts.exists():
            raise forms.ValidationError(
                gettext(
                    "Verdicts cite this rule: its code cannot change. Retire it (untick "
                    "active) and add a new rule instead."
                )
            )
        return code


class DomainErrorsAsMessages:
    """A save the owning service refuses under its lock (a verdict citing the rule that
    commits while the form was open, a policy another lead saved meanwhile) is said on the
    page, with nothing saved, not a 500."""

    def changeform_view(self, request: HttpRequest, *args: Any, **kwargs: Any):
        # A verdict citing the rule may commit while the form was open (rule_save then
        # refuses the rename): say so on the page, with nothing saved, not a 500.
        try:
            return super().changeform_view(request, *args, **kwargs)
        except DomainError as exc:
            messages.error(request, exc.message)
            return HttpResponseRedirect(request.get_full_path())


@admin.register(Rule)
class RuleAdmin(DomainErrorsAsMessages, NoDeleteAdmin, TranslationAdmin):
    """The rulebook: team leads edit it, audited, its title and text in each language. A
    cited rule keeps its code (retire it and add a new one); verdicts keep the title and
    text they cited."""

    form = RuleForm
    list_display = ("code", "title", "active", "updated_at")
    list_filter = ("active",)
    search_fields = ("code", *localized("title", "text"))

    def get_readonly_fields(self, request: HttpRequest, obj: Rule | None = None):
        if obj is not None and obj.verdicts.exists():
            return ("code",)
        return ()

    def save_model(self, request: HttpRequest, obj: Rule, form: forms.ModelForm, change: bool):
        rule_save(rule=obj, actor=request.user)


class CannedReplyForm(forms.ModelForm):
    """Each language's text must be a reply the desk can fill (cases.replies.reply_check:
    paired braces, known variables only), or a case page offering it would fail."""

    class Meta:
        model = CannedReply
        fields = ("key", *localized("title", "text"), "active")

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        for name in localized("text"):
            try:
                reply_check(data.get(name) or "")
            except DomainError as exc:
                self.add_error(name, exc.message)
        return data


@admin.register(CannedReply)
class CannedReplyAdmin(AuditedAdmin, TranslationAdmin):
    """One row per reply, its title and text in each language side by side."""

    form = CannedReplyForm

    list_display = ("key", "title", "active")
    list_filter = ("active",)
    search_fields = ("key", *localized("title", "text"))
    audit_fields = ("key", *localized("title", "text"), "active")


@admin.register(PenaltyRule)
class PenaltyRuleAdmin(AuditedAdmin, TranslationAdmin):
    list_display = ("reason", "first_action", "first_days", "repeat_action", "repeat_days")
    audit_fields = (
        "reason",
        "first_action",
        "first_days",
        "repeat_action",
        "repeat_days",
        *localized("note"),
    )


@admin.register(WatchKeyword)
class WatchKeywordAdmin(AuditedAdmin):
    list_display = ("term", "category", "active")
    list_filter = ("category", "active")
    search_fields = ("term",)
    audit_fields = ("term", "category", "active")


@admin.register(Verdict)
class VerdictAdmin(ReadOnlyAdmin):
    list_display = ("id", "appeal", *VERDICT_COLUMNS)
    list_filter = ("state", "outcome", "responsible_party", "requires_approval")
    list_select_related = ("rule", "decided_by", "approved_by")


@admin.register(AccountAction)
class AccountActionAdmin(ReadOnlyAdmin):
    list_display = ("trader", "kind", "days", "expires_at", "verdict", "taken_by", "created_at")
    list_filter = ("kind",)
    list_select_related = ("trader", "taken_by")


class DeliveryInline(ReadOnlyInline):
    model = WebhookDelivery

    def has_view_permission(self, request: HttpRequest, obj=None) -> bool:
        # Subscriber URLs and their errors: team leads only (their desk role).
        return roles.has(request.user, "cases.view_webhookdelivery")

    fields = (
        "subscriber",
        "status",
        "attempts",
        "next_attempt_at",
        "last_status_code",
        "last_error",
        "delivered_at",
    )
    show_change_link = False


@admin.register(OutboxEvent)
class OutboxEventAdmin(ReadOnlyAdmin):
    list_display = ("id", "type", "appeal", "created_at")
    list_filter = ("type",)
    inlines = [DeliveryInline]


class WebhookSubscriberForm(forms.ModelForm):
    """The signing secret is write-only: a new one may be typed, the current one is never
    rendered (not even as a password field's value). Shown instead: its fingerprint."""

    url = forms.URLField(max_length=500, assume_scheme="https")
    events = forms.MultipleChoiceField(
        choices=OutboxEvent.Type.choices, widget=forms.CheckboxSelectMultiple
    )
    new_secret = forms.CharField(
        label=_("Signing secret"),
        required=False,
        strip=False,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
    )

    class Meta:
        model = WebhookSubscriber
        fields = ("url", "events", "active")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Here, not at import: in the language of the request.
        self.fields["new_secret"].help_text = gettext(
            "A random string of at least %(n)d characters, %(d)d or more of them different. "
            "Leave blank to keep the current secret; it is never shown again once saved."
        ) % {"n": WebhookSubscriber.SECRET_MIN_LENGTH, "d": WebhookSubscriber.SECRET_MIN_DISTINCT}

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        secret = data.get("new_secret") or None
        if self.instance.pk is None and not secret:
            self.add_error("new_secret", gettext("A new subscriber needs a signing secret."))
        problems = webhook_subscriber_check(
            url=data.get("url"), secret=secret, events=data.get("events")
        )
        for field, reasons in problems.items():
            target = "new_secret" if field == "secret" else field
            for reason in reasons:
                if target in self.fields:
                    self.add_error(target, reason)
        return data


@admin.register(WebhookSubscriber)
class WebhookSubscriberAdmin(NoDeleteAdmin):
    form = WebhookSubscriberForm
    list_display = ("url", "events", "active", "fingerprint", "created_at")
    list_filter = ("active",)
    fields = ("url", "events", "active", "new_secret", "fingerprint", "created_at")
    readonly_fields = ("fingerprint", "created_at")

    @admin.display(description=_("Secret fingerprint"))
    def fingerprint(self, obj: WebhookSubscriber) -> str:
        return obj.fingerprint or "—"

    def save_model(
        self, request: HttpRequest, obj: WebhookSubscriber, form: forms.ModelForm, change: bool
    ) -> None:
        data = form.cleaned_data
        try:
            webhook_subscriber_save(
                subscriber=obj,
                url=data["url"],
                events=list(data["events"]),
                active=data["active"],
                secret=data.get("new_secret") or None,
                actor=request.user,
            )
        except DomainError as exc:  # validated by the form already; a race at most
            messages.error(request, exc.message)
            raise


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(ReadOnlyAdmin):
    """Read-only, with one action: send failed or dead deliveries again now."""

    list_display = (
        "event",
        "subscriber",
        "status",
        "attempts",
        "next_attempt_at",
        "last_status_code",
        "delivered_at",
    )
    list_filter = ("status", "subscriber")
    list_select_related = ("event", "subscriber")
    actions = ["retry_now"]

    def has_retry_permission(self, request: HttpRequest) -> bool:
        # Whoever manages subscribers (team leads) may also resend to them.
        return roles.has(request.user, "cases.change_webhooksubscriber")

    @admin.action(description=_("Retry now"), permissions=["retry"])
    def retry_now(self, request: HttpRequest, queryset: QuerySet[WebhookDelivery]) -> None:
        ids = list(queryset.values_list("id", flat=True))
        reset = deliveries_retry(delivery_ids=ids, actor=request.user)
        for delivery_id in reset:
            # After the reset commits, so the worker finds the row due.
            enqueue_on_commit(DELIVER_WEBHOOK, delivery_id)
        self.message_user(
            request,
            gettext(
                "%(reset)d of %(selected)d deliveries queued to send again; pending and "
                "delivered ones were left alone."
            )
            % {"reset": len(reset), "selected": len(ids)},
            messages.SUCCESS if reset else messages.WARNING,
        )


@admin.register(AuditEntry)
class AuditEntryAdmin(ReadOnlyAdmin):
    list_display = (
        "seq",
        "created_at",
        "actor_label",
        "action",
        "object_type",
        "object_id",
        "appeal",
    )
    list_filter = ("action", "object_type")
    search_fields = ("=object_id", "=actor_label", "=appeal__id")


# --- the floor ----------------------------------------------------------------------------
# Staff, rotas and absences are managed on the staff page (/floor/staff/), which audits
# every change and returns a deactivated person's cases to the pool; here they are only
# read. Incidents are declared and ended on the floor's incident page or the API.


@admin.register(StaffProfile)
class StaffProfileAdmin(ReadOnlyAdmin):
    list_display = ("user", "languages", "max_open_cases", "time_zone", "language")
    search_fields = ("user__username",)


@admin.register(Shift)
class ShiftAdmin(ReadOnlyAdmin):
    list_display = ("user", "weekday", "start", "end")
    list_filter = ("weekday",)
    search_fields = ("user__username",)


@admin.register(Absence)
class AbsenceAdmin(ReadOnlyAdmin):
    list_display = ("user", "starts_at", "ends_at", "reason")
    search_fields = ("user__username",)


class SlaPolicyForm(forms.ModelForm):
    """The API's checks (cases.sla.sla_policy_save), as form errors."""

    class Meta:
        model = SlaPolicy
        fields = (
            "reason",
            "priority",
            "first_response_minutes",
            "evidence_hours",
            "resolution_hours",
        )

    def clean(self):
        data = super().clean()
        try:
            sla.policy_fields_check({k: v for k, v in data.items() if k in self.Meta.fields})
        except DomainError as exc:
            self.add_error(exc.field if exc.field in self.Meta.fields else None, exc.message)
        return data


@admin.register(SlaPolicy)
class SlaPolicyAdmin(DomainErrorsAsMessages, NoDeleteAdmin):
    """Deadlines per reason ("*": any) and priority (empty: any); the most specific wins
    when an appeal opens. Team leads edit them, audited, with the API's checks."""

    form = SlaPolicyForm

    list_display = (
        "reason",
        "priority",
        "first_response_minutes",
        "evidence_hours",
        "resolution_hours",
        "updated_at",
    )

    def save_model(self, request: HttpRequest, obj: SlaPolicy, form, change: bool):
        fields = {k: form.cleaned_data[k] for k in SlaPolicyForm.Meta.fields}
        existing = SlaPolicy.objects.get(pk=obj.pk) if change else None
        saved = sla.sla_policy_save(actor=request.user, policy=existing, **fields)
        obj.pk = saved.pk


class EscalationRuleForm(forms.ModelForm):
    class Meta:
        model = EscalationRule
        fields = ("name", "active", "conditions", "target_role")
        help_texts = {
            "conditions": _(
                'Every condition given must hold: {"asset": "USDT", "min_crypto_amount": '
                '"10000", "min_risk_score": 70, "reasons": ["fraud_scam"], "sla_breached": '
                'true, "evidence_deadline_missed": true, "reopened": true}'
            )
        }

    def clean_conditions(self):
        try:
            return escalation.validate_conditions(self.cleaned_data.get("conditions"))
        except DomainError as exc:
            raise forms.ValidationError(exc.message) from None


@admin.register(EscalationRule)
class EscalationRuleAdmin(NoDeleteAdmin):
    """The escalation matrix: team leads edit it here or through the API, audited."""

    form = EscalationRuleForm
    list_display = ("name", "active", "target_role", "conditions", "updated_at")
    list_filter = ("active", "target_role")

    def save_model(self, request: HttpRequest, obj: EscalationRule, form, change: bool):
        fields = {k: form.cleaned_data[k] for k in ("name", "active", "conditions", "target_role")}
        existing = EscalationRule.objects.get(pk=obj.pk) if change else None
        saved = escalation.rule_save(actor=request.user, rule=existing, **fields)
        obj.pk = saved.pk


@admin.register(EvidenceRequest)
class EvidenceRequestAdmin(ReadOnlyAdmin):
    list_display = (
        "appeal",
        "party",
        "requested_at",
        "due_at",
        "answered_at",
        "answered_via",
        "missed_at",
    )
    list_filter = ("party", "answered_via")


@admin.register(AppealEscalation)
class AppealEscalationAdmin(ReadOnlyAdmin):
    list_display = ("appeal", "rule_name", "target_role", "at", "actor")
    list_filter = ("target_role",)


@admin.register(Incident)
class IncidentAdmin(ReadOnlyAdmin):
    list_display = ("title", "payment_method", "country", "starts_at", "ends_at", "declared_by")


@admin.register(ClockPause)
class ClockPauseAdmin(ReadOnlyAdmin):
    list_display = ("appeal", "cause", "incident", "started_at", "ended_at")
    list_filter = ("cause",)
