"""Admin: a window on the desk's records. History is read-only here: statuses, verdicts,
notes, evidence and the audit log change only through the lifecycle service. Team leads
edit the rulebook and webhook subscribers."""

from __future__ import annotations

from functools import partial

from django.contrib import admin, messages
from django.db import transaction
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from .models import (
    AccountAction,
    AccountSignal,
    Appeal,
    AppealStatusChange,
    AuditEntry,
    ChatMessage,
    Note,
    Order,
    OutboxEvent,
    Rule,
    Trader,
    Verdict,
    WebhookDelivery,
    WebhookSubscriber,
)
from .tasks import deliver_webhook, enqueue
from .webhooks import deliveries_retry


class ReadOnlyAdmin(admin.ModelAdmin):
    """Viewable by every staff role; nobody adds, edits or deletes here."""

    # Tables reach millions of rows: no COUNT(*) of the whole table on every page.
    show_full_result_count = False

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


class SignalInline(ReadOnlyInline):
    model = AccountSignal
    fields = ("kind", "value", "first_seen_at", "last_seen_at")


class ActionInline(ReadOnlyInline):
    model = AccountAction
    fk_name = "trader"
    fields = ("kind", "days", "expires_at", "reason", "taken_by", "created_at")


@admin.register(Trader)
class TraderAdmin(ReadOnlyAdmin):
    list_display = ("external_id", "display_name", "kyc_name", "country", "language", "frozen",
                    "p2p_restricted_until")
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
    list_display = ("external_id", "asset", "crypto_amount", "fiat_amount", "fiat_currency",
                    "payment_method", "status", "created_at")
    list_filter = ("status", "asset", "fiat_currency")
    search_fields = ("=external_id", "=buyer__external_id", "=seller__external_id")
    list_select_related = ("buyer", "seller")
    date_hierarchy = "created_at"
    inlines = [MessageInline]


@admin.register(ChatMessage)
class ChatMessageAdmin(ReadOnlyAdmin):
    list_display = ("order", "sender", "sent_at", "text")
    search_fields = ("=order__external_id", "=external_id")
    list_select_related = ("order",)


class StatusChangeInline(ReadOnlyInline):
    model = AppealStatusChange
    fields = ("created_at", "from_status", "to_status", "actor", "comment")
    show_change_link = False


class NoteInline(ReadOnlyInline):
    model = Note
    fields = ("created_at", "author", "text")
    show_change_link = False


class VerdictInline(ReadOnlyInline):
    model = Verdict
    fields = ("state", "outcome", "responsible_party", "rule", "decided_by", "approved_by",
              "effective_at")


@admin.register(Appeal)
class AppealAdmin(ReadOnlyAdmin):
    list_display = ("id", "order", "reason", "opened_by", "status", "assignee", "priority",
                    "created_at", "resolution_due_at", "risk_score")
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


@admin.register(Rule)
class RuleAdmin(admin.ModelAdmin):
    """The rulebook: team leads edit it; a rule cited by verdicts is deactivated, not deleted."""

    list_display = ("code", "title", "active", "updated_at")
    list_filter = ("active",)
    search_fields = ("code", "title", "text")

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


@admin.register(Verdict)
class VerdictAdmin(ReadOnlyAdmin):
    list_display = ("id", "appeal", "state", "outcome", "responsible_party", "rule", "decided_by",
                    "approved_by", "effective_at")
    list_filter = ("state", "outcome", "responsible_party", "requires_approval")
    list_select_related = ("rule", "decided_by", "approved_by")


@admin.register(AccountAction)
class AccountActionAdmin(ReadOnlyAdmin):
    list_display = ("trader", "kind", "days", "expires_at", "verdict", "taken_by", "created_at")
    list_filter = ("kind",)
    list_select_related = ("trader", "taken_by")


class DeliveryInline(ReadOnlyInline):
    model = WebhookDelivery
    fields = ("subscriber", "status", "attempts", "next_attempt_at", "last_status_code",
              "last_error", "delivered_at")
    show_change_link = False


@admin.register(OutboxEvent)
class OutboxEventAdmin(ReadOnlyAdmin):
    list_display = ("id", "type", "appeal", "created_at")
    list_filter = ("type",)
    inlines = [DeliveryInline]


@admin.register(WebhookSubscriber)
class WebhookSubscriberAdmin(admin.ModelAdmin):
    list_display = ("url", "events", "active", "created_at")
    list_filter = ("active",)


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(ReadOnlyAdmin):
    """Read-only, with one action: send failed or dead deliveries again now."""

    list_display = ("event", "subscriber", "status", "attempts", "next_attempt_at",
                    "last_status_code", "delivered_at")
    list_filter = ("status", "subscriber")
    list_select_related = ("event", "subscriber")
    actions = ["retry_now"]

    def has_retry_permission(self, request: HttpRequest) -> bool:
        # Whoever manages subscribers (team leads) may also resend to them.
        user = request.user
        return user.is_superuser or user.has_perm("cases.change_webhooksubscriber")

    @admin.action(description=_("Retry now"), permissions=["retry"])
    def retry_now(self, request: HttpRequest, queryset: QuerySet[WebhookDelivery]) -> None:
        ids = list(queryset.values_list("id", flat=True))
        reset = deliveries_retry(delivery_ids=ids, actor=request.user)
        for delivery_id in reset:
            # After the reset commits, so the worker finds the row due.
            transaction.on_commit(partial(enqueue, deliver_webhook, delivery_id))
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
    list_display = ("seq", "created_at", "actor_label", "action", "object_type", "object_id",
                    "appeal")
    list_filter = ("action", "object_type")
    search_fields = ("=object_id", "=actor_label", "=appeal__id")
