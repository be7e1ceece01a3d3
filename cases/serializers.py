"""The contract's JSON shapes. Serializers validate input; services decide."""

from __future__ import annotations

from datetime import UTC
from decimal import Decimal
from typing import Any

from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from . import sla
from .models import (
    CHAT_TEXT_MAX,
    COUNTRY_CODES,
    SHORT_TEXT_MAX,
    TEXT_MAX,
    AccountSignal,
    Appeal,
    ChatMessage,
    Order,
    Party,
    Rule,
    SignalEvent,
    Trader,
    Verdict,
)


class AwareDateTimeField(serializers.DateTimeField):
    """ISO 8601 with a UTC offset; a naive timestamp is ambiguous and refused."""

    default_error_messages = {
        "naive": "Give the time with a UTC offset, e.g. 2026-11-21T10:00:00+08:00.",
        "out_of_range": "Give a time between the years 1970 and 2999.",
    }

    def to_internal_value(self, value: Any):
        if isinstance(value, str):
            try:
                parsed = parse_datetime(value.strip())
            except ValueError:
                # Well-formed but impossible, like 2026-02-30: invalid, not a 500.
                self.fail("invalid", format="YYYY-MM-DDThh:mm[:ss[.uuuuuu]]+HH:MM")
            if parsed is not None and timezone.is_naive(parsed):
                self.fail("naive")
        value = super().to_internal_value(value)
        try:
            in_range = 1970 <= value.astimezone(UTC).year <= 2999
        except OverflowError:
            in_range = False
        if not in_range:
            # 9999-12-31T23:59-10:00 is year 10000 in UTC: stored, it could not be read back.
            self.fail("out_of_range")
        return value


class PositiveDecimalField(serializers.DecimalField):
    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("max_digits", 28)
        kwargs.setdefault("decimal_places", 8)
        kwargs.setdefault("min_value", None)
        super().__init__(**kwargs)

    def to_internal_value(self, data: Any):
        value = super().to_internal_value(data)
        if value <= 0:
            raise serializers.ValidationError("Must be greater than zero.")
        return value


class ErrorSerializer(serializers.Serializer):
    """The body of every 4xx answer."""

    detail = serializers.CharField()
    code = serializers.CharField()
    errors = serializers.DictField(child=serializers.ListField(child=serializers.CharField()))


class TraderSerializer(serializers.Serializer):
    external_id = serializers.CharField(max_length=64)
    display_name = serializers.CharField(max_length=128)
    kyc_name = serializers.CharField(max_length=256, required=False, allow_blank=True)
    country = serializers.CharField(max_length=2, required=False, allow_blank=True)
    language = serializers.CharField(max_length=16, required=False, allow_blank=True)


class OrderSerializer(serializers.Serializer):
    external_id = serializers.CharField(max_length=64)
    buyer = TraderSerializer()
    seller = TraderSerializer()
    asset = serializers.CharField(max_length=16)
    crypto_amount = PositiveDecimalField()
    fiat_currency = serializers.CharField(max_length=8)
    fiat_amount = PositiveDecimalField(max_digits=20, decimal_places=2)
    price = PositiveDecimalField()
    payment_method = serializers.CharField(max_length=64)
    status = serializers.ChoiceField(choices=Order.Status.choices)
    created_at = AwareDateTimeField()
    paid_at = AwareDateTimeField(allow_null=True, required=False)
    released_at = AwareDateTimeField(allow_null=True, required=False)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if attrs["buyer"]["external_id"] == attrs["seller"]["external_id"]:
            raise serializers.ValidationError({"seller": "Buyer and seller must differ."})
        return attrs

    def to_representation(self, order: Order) -> dict[str, Any]:
        def trader(t: Trader) -> dict[str, Any]:
            return {
                "external_id": t.external_id,
                "display_name": t.display_name,
                "kyc_name": t.kyc_name,
                "country": t.country,
                "language": t.language,
            }

        return {
            "external_id": order.external_id,
            "buyer": trader(order.buyer),
            "seller": trader(order.seller),
            "asset": order.asset,
            "crypto_amount": _decimal(order.crypto_amount),
            "fiat_currency": order.fiat_currency,
            "fiat_amount": _decimal(order.fiat_amount),
            "price": _decimal(order.price),
            "payment_method": order.payment_method,
            "status": order.status,
            "created_at": _iso(order.created_at),
            "paid_at": _iso(order.paid_at),
            "released_at": _iso(order.released_at),
        }


def _decimal(value: Decimal) -> str:
    # Fixed-point always: str(Decimal("0.00000001")) is "1E-8", which is no decimal string.
    return format(value, "f")


def _iso(value) -> str | None:
    # The same ISO 8601 form as every other timestamp the API writes.
    return serializers.DateTimeField().to_representation(value) if value is not None else None


class ChatMessageSerializer(serializers.ModelSerializer):
    sent_at = AwareDateTimeField()

    class Meta:
        model = ChatMessage
        fields = ["external_id", "sender", "sent_at", "text"]
        # Uniqueness is handled by the idempotent ingest, not refused per message.
        extra_kwargs = {
            "external_id": {"validators": []},
            "text": {"max_length": CHAT_TEXT_MAX},
        }


class ChatIngestResultSerializer(serializers.Serializer):
    created = serializers.IntegerField()
    duplicates = serializers.IntegerField()


class SignalSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=AccountSignal.Kind.choices)
    value = serializers.CharField(max_length=256)
    seen_at = AwareDateTimeField()
    country = serializers.CharField(required=False, allow_blank=True, max_length=2, default="")
    event = serializers.ChoiceField(
        choices=SignalEvent.Event.choices, required=False, allow_blank=True, default=""
    )

    def validate_country(self, value: str) -> str:
        code = value.upper()
        if code and code not in COUNTRY_CODES:
            raise serializers.ValidationError(
                _("%(code)s is not an ISO 3166 country code (two letters, e.g. CN).")
                % {"code": value}
            )
        return code


class SignalIngestResultSerializer(serializers.Serializer):
    created = serializers.IntegerField()
    updated = serializers.IntegerField()


class RuleSerializer(serializers.ModelSerializer):
    # The contract's rulebook is English (the source language), whatever the caller's
    # Accept-Language; the other languages are the pages' (cases/translation.py).
    title = serializers.CharField(source="title_en", read_only=True)
    text = serializers.CharField(source="text_en", read_only=True)

    class Meta:
        model = Rule
        fields = ["code", "title", "text", "reasons", "outcomes", "responsible", "active"]


class VerdictSerializer(serializers.ModelSerializer):
    # The code the verdict cited, as it was then (the rule row may be retired since).
    rule = serializers.CharField(source="rule_code", read_only=True)
    decided_by = serializers.SlugRelatedField(slug_field="username", read_only=True)
    approved_by = serializers.SlugRelatedField(
        slug_field="username", read_only=True, allow_null=True
    )
    status = serializers.CharField(source="appeal.status", read_only=True)

    class Meta:
        model = Verdict
        fields = [
            "id",
            "appeal",
            "outcome",
            "responsible_party",
            "rule",
            "rationale",
            "state",
            "status",
            "requires_approval",
            "decided_by",
            "approved_by",
            "created_at",
            "effective_at",
        ]


class VerdictInputSerializer(serializers.Serializer):
    outcome = serializers.ChoiceField(choices=Verdict.Outcome.choices)
    responsible_party = serializers.ChoiceField(choices=Verdict.ResponsibleParty.choices)
    rule = serializers.CharField(max_length=32)
    rationale = serializers.CharField(max_length=TEXT_MAX)
    account_action = serializers.ChoiceField(
        choices=["warning", "p2p_restriction", "freeze"], required=False, allow_blank=True
    )
    restriction_days = serializers.IntegerField(min_value=1, max_value=3650, required=False)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        # Named here, as the client sent it: the lifecycle's own check calls it "days".
        if attrs.get("account_action") == "p2p_restriction" and not attrs.get("restriction_days"):
            raise serializers.ValidationError(
                {"restriction_days": "A P2P restriction needs a number of days."}
            )
        return attrs


class RiskSignalSerializer(serializers.Serializer):
    code = serializers.CharField()
    detail = serializers.CharField()


class EscalationSerializer(serializers.Serializer):
    """The latest escalation: by a rule of the matrix (its name) or by hand (rule null)."""

    rule = serializers.CharField(allow_null=True)
    reason = serializers.CharField()
    at = serializers.DateTimeField()
    target_role = serializers.CharField()


class EvidenceDueSerializer(serializers.Serializer):
    buyer = serializers.DateTimeField(allow_null=True)
    seller = serializers.DateTimeField(allow_null=True)


class SlaSerializer(serializers.Serializer):
    """cases.sla.summary: the due times, the paused clock and the deadlines missed."""

    first_response_due_at = serializers.DateTimeField()
    resolution_due_at = serializers.DateTimeField()
    evidence_due = EvidenceDueSerializer()
    paused = serializers.BooleanField()
    paused_seconds = serializers.IntegerField()
    breaches = serializers.ListField(child=serializers.ChoiceField(choices=sla.BREACH_CODES))


class AppealSerializer(serializers.ModelSerializer):
    order = serializers.SlugRelatedField(slug_field="external_id", read_only=True)
    assignee = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)
    verdict = serializers.SerializerMethodField()
    risk_signals = RiskSignalSerializer(many=True, read_only=True)
    escalation = serializers.SerializerMethodField()

    class Meta:
        model = Appeal
        fields = [
            "id",
            "order",
            "opened_by",
            "reason",
            "description",
            "channel",
            "status",
            "priority",
            "assignee",
            "assigned_at",
            "assignment_note",
            "created_at",
            "updated_at",
            "first_response_due_at",
            "first_response_at",
            "resolution_due_at",
            "evidence_due_at",
            "resolved_at",
            "verdict",
            "risk_score",
            "risk_signals",
            "escalation",
        ]
        read_only_fields = fields

    @extend_schema_field(VerdictSerializer(allow_null=True))
    def get_verdict(self, appeal: Appeal) -> dict[str, Any] | None:
        # `live_verdicts` is prefetched by the views: one query per page, not per row.
        live = getattr(appeal, "live_verdicts", None)
        if live is None:
            live = list(appeal.verdicts.filter(state__in=Verdict.LIVE_STATES))
        return VerdictSerializer(live[0]).data if live else None

    @extend_schema_field(EscalationSerializer(allow_null=True))
    def get_escalation(self, appeal: Appeal) -> dict[str, Any] | None:
        # The appeal's own columns hold the latest escalation: no query per row.
        if appeal.escalated_at is None:
            return None
        return EscalationSerializer(
            {
                "rule": appeal.escalation_rule_name or None,
                "reason": appeal.escalation_reason,
                "at": appeal.escalated_at,
                "target_role": appeal.escalation_target_role,
            }
        ).data


class AppealDetailSerializer(AppealSerializer):
    """One appeal: the list's fields, its SLA clocks and the incidents that paused them.
    The views prefetch `evidence_requests` and `incident_pauses` (a fixed query count)."""

    sla = serializers.SerializerMethodField()
    incidents = serializers.SerializerMethodField()

    class Meta(AppealSerializer.Meta):
        fields = [*AppealSerializer.Meta.fields, "sla", "incidents"]
        read_only_fields = fields

    @extend_schema_field(SlaSerializer)
    def get_sla(self, appeal: Appeal) -> dict[str, Any]:
        return SlaSerializer(sla.summary(appeal, list(appeal.evidence_requests.all()))).data

    @extend_schema_field(serializers.ListField(child=serializers.IntegerField()))
    def get_incidents(self, appeal: Appeal) -> list[int]:
        pauses = getattr(appeal, "incident_pauses", None)
        if pauses is None:
            pauses = appeal.clock_pauses.filter(incident__isnull=False)
        return sorted({p.incident_id for p in pauses})


class AppealCreateSerializer(serializers.Serializer):
    order = serializers.CharField(max_length=64)
    opened_by = serializers.ChoiceField(choices=Party.choices)
    reason = serializers.ChoiceField(choices=Appeal.Reason.choices)
    description = serializers.CharField(allow_blank=True, max_length=TEXT_MAX)
    channel = serializers.ChoiceField(choices=Appeal.Channel.choices, required=False)

    def validate_order(self, value: str) -> Order:
        order = Order.objects.select_related("buyer", "seller").filter(external_id=value).first()
        if order is None:
            raise serializers.ValidationError(f"No order with external_id {value!r}.")
        return order


class CancelSerializer(serializers.Serializer):
    reason = serializers.CharField(required=False, allow_blank=True, max_length=SHORT_TEXT_MAX)


class ReviewRequestSerializer(serializers.Serializer):
    party = serializers.ChoiceField(choices=Party.choices)
    reason = serializers.CharField(max_length=SHORT_TEXT_MAX)


class ReviewSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    appeal = serializers.IntegerField(source="appeal_id")
    verdict = serializers.IntegerField(source="verdict_id")
    requested_by = serializers.CharField()
    reason = serializers.CharField()
    state = serializers.CharField()
    reviewer = serializers.CharField(source="reviewer.username", allow_null=True, default=None)
    corrected_outcome = serializers.CharField()
    corrected_responsible_party = serializers.CharField()
    requested_at = serializers.DateTimeField()
    decided_at = serializers.DateTimeField(allow_null=True)
