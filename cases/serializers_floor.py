"""The floor's JSON shapes (contract v1.1): staff, SLA policies, evidence requests, the
escalation matrix, incidents and notifications.

Input serializers check types and sizes only; what a value means (a real time zone, a
language code, a condition the matrix knows) is decided by the services in cases.floor and
cases.sla, which name the field at fault in the same error envelope.
"""

from __future__ import annotations

import math

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from . import notifications, roles, sla
from .floor.staff import MAX_SHIFTS
from .models import (
    SHORT_TEXT_MAX,
    EscalationRule,
    EvidenceRequest,
    Incident,
    Notification,
    Party,
    SlaPolicy,
)
from .serializers import AwareDateTimeField

# --- JSON types, strictly: "no", 0 and "5" are not booleans or numbers ----------------


class StrictBooleanField(serializers.BooleanField):
    default_error_messages = {"invalid": _("Must be true or false.")}

    def to_internal_value(self, data):
        if not isinstance(data, bool):
            self.fail("invalid")
        return data


class StrictIntegerField(serializers.IntegerField):
    def to_internal_value(self, data):
        if isinstance(data, bool) or not isinstance(data, int):
            self.fail("invalid")
        return super().to_internal_value(data)


class StrictFloatField(serializers.FloatField):
    def to_internal_value(self, data):
        if isinstance(data, bool) or not isinstance(data, (int, float)):
            self.fail("invalid")
        return super().to_internal_value(data)


# --- staff ------------------------------------------------------------------------------


class ShiftSerializer(serializers.Serializer):
    weekday = StrictIntegerField(min_value=0, max_value=6, help_text="0 is Monday.")
    start = serializers.CharField(max_length=5, help_text="HH:MM in the person's time zone.")
    end = serializers.CharField(
        max_length=5, help_text="HH:MM; at or before start, the shift ends the next day."
    )


class StaffSerializer(serializers.Serializer):
    """One person as cases.floor.staff.staff_row shows them."""

    username = serializers.CharField()
    role = serializers.ChoiceField(choices=roles.Role.ALL)
    active = serializers.BooleanField()
    languages = serializers.ListField(child=serializers.CharField())
    max_open_cases = serializers.IntegerField()
    time_zone = serializers.CharField(help_text="An IANA time zone name.")
    shifts = ShiftSerializer(many=True)
    on_shift = serializers.BooleanField(read_only=True)
    open_cases = serializers.IntegerField(read_only=True)


class StaffUpdateSerializer(serializers.Serializer):
    """PATCH: every field optional; what is left out stays as it is."""

    role = serializers.ChoiceField(choices=roles.Role.ALL, required=False)
    active = StrictBooleanField(required=False)
    languages = serializers.ListField(
        child=serializers.CharField(max_length=16), max_length=12, required=False
    )
    max_open_cases = StrictIntegerField(min_value=0, max_value=500, required=False)
    time_zone = serializers.CharField(max_length=64, required=False)
    shifts = ShiftSerializer(many=True, max_length=MAX_SHIFTS, required=False)


# --- SLA policies -----------------------------------------------------------------------


class SlaPolicySerializer(serializers.ModelSerializer):
    reason = serializers.CharField(help_text='An appeal reason code, or "*" for any reason.')
    priority = serializers.IntegerField(allow_null=True, help_text="0-3, or null for any.")

    class Meta:
        model = SlaPolicy
        fields = ["id", *sla.POLICY_FIELDS, "updated_at"]
        read_only_fields = fields


class SlaPolicyInputSerializer(serializers.Serializer):
    # Not an enum in the schema: "*" and the reason codes are two choice sets, not one.
    reason = serializers.CharField(
        max_length=32, help_text='An appeal reason code, or "*" for any reason.'
    )
    priority = StrictIntegerField(
        min_value=0, max_value=3, allow_null=True, required=False, help_text="null: any."
    )
    first_response_minutes = StrictIntegerField(min_value=1)
    evidence_hours = StrictIntegerField(min_value=1)
    resolution_hours = StrictIntegerField(min_value=1)


# --- evidence requests ------------------------------------------------------------------


class EvidenceRequestSerializer(serializers.ModelSerializer):
    requested_by = serializers.SlugRelatedField(
        slug_field="username", read_only=True, allow_null=True
    )
    answered_via = serializers.SerializerMethodField()

    class Meta:
        model = EvidenceRequest
        fields = [
            "id",
            "appeal",
            "party",
            "what",
            "requested_by",
            "requested_at",
            "due_at",
            "answered_at",
            "answered_via",
            "missed_at",
        ]
        read_only_fields = fields

    @extend_schema_field(
        serializers.ChoiceField(choices=EvidenceRequest.Via.choices, allow_null=True)
    )
    def get_answered_via(self, request: EvidenceRequest) -> str | None:
        return request.answered_via or None


class EvidenceRequestInputSerializer(serializers.Serializer):
    party = serializers.ChoiceField(choices=Party.choices)
    what = serializers.CharField(max_length=SHORT_TEXT_MAX)
    due_hours = StrictFloatField(
        required=False,
        help_text="Hours the party has to answer (default: the SLA policy's evidence_hours); "
        "at least 1, at most EVIDENCE_DEADLINE_MAX_DAYS days.",
    )

    def validate_due_hours(self, value: float) -> float:
        most = 24 * settings.EVIDENCE_DEADLINE_MAX_DAYS
        if not math.isfinite(value) or not 1 <= value <= most:
            raise serializers.ValidationError(
                _("Give a number of hours from 1 to %(most)d.") % {"most": most}
            )
        return value


# --- the escalation matrix --------------------------------------------------------------


class EscalationConditionsSerializer(serializers.Serializer):
    """What a rule's `conditions` may hold (the schema's word; cases.floor.escalation
    validates them). Every condition given must hold; absent ones are ignored."""

    asset = serializers.CharField(required=False, max_length=16)
    min_crypto_amount = serializers.CharField(required=False, help_text="A decimal string.")
    min_risk_score = StrictIntegerField(required=False, min_value=0, max_value=100)
    reasons = serializers.ListField(
        child=serializers.CharField(), required=False, help_text="Appeal reason codes."
    )
    sla_breached = StrictBooleanField(required=False)
    evidence_deadline_missed = StrictBooleanField(required=False)
    reopened = StrictBooleanField(required=False)


def _holds_nul(value: object) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_holds_nul(k) or _holds_nul(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_holds_nul(v) for v in value)
    return False


@extend_schema_field(EscalationConditionsSerializer)
class ConditionsField(serializers.JSONField):
    """Passed as sent to escalation.validate_conditions, the one judge of conditions."""

    def to_internal_value(self, data: object) -> object:
        # PostgreSQL's jsonb and text hold no NUL; CharFields refuse it, so this does too.
        if _holds_nul(data):
            raise serializers.ValidationError(_("Null characters are not allowed."))
        return super().to_internal_value(data)


class EscalationRuleSerializer(serializers.ModelSerializer):
    conditions = ConditionsField(read_only=True)

    class Meta:
        model = EscalationRule
        fields = ["id", "name", "active", "conditions", "target_role", "created_at", "updated_at"]
        read_only_fields = fields


class EscalationRuleInputSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=100)
    active = StrictBooleanField(required=False)
    conditions = ConditionsField(required=False)
    target_role = serializers.ChoiceField(choices=EscalationRule.Target.choices)


# --- incidents --------------------------------------------------------------------------


class IncidentSerializer(serializers.ModelSerializer):
    active = serializers.SerializerMethodField()
    declared_by = serializers.SlugRelatedField(
        slug_field="username", read_only=True, allow_null=True
    )
    ended_by = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)

    class Meta:
        model = Incident
        fields = [
            "id",
            "title",
            "payment_method",
            "country",
            "starts_at",
            "ends_at",
            "active",
            "declared_by",
            "ended_by",
            "created_at",
        ]
        read_only_fields = fields

    def get_active(self, incident: Incident) -> bool:
        return incident.active_at(timezone.now())


class IncidentInputSerializer(serializers.Serializer):
    title = serializers.CharField(max_length=200)
    payment_method = serializers.CharField(
        max_length=64, required=False, allow_blank=True, help_text="Empty: every method."
    )
    country = serializers.CharField(
        max_length=2,
        required=False,
        allow_blank=True,
        help_text="A party's ISO country code; empty: every country.",
    )
    starts_at = AwareDateTimeField()
    ends_at = AwareDateTimeField(
        required=False, allow_null=True, help_text="Leave out while it lasts."
    )


# --- notifications ----------------------------------------------------------------------


class NotificationSerializer(serializers.ModelSerializer):
    text = serializers.SerializerMethodField()
    appeal = serializers.IntegerField(source="appeal_id", allow_null=True, read_only=True)

    class Meta:
        model = Notification
        fields = ["id", "kind", "text", "appeal", "created_at", "read_at"]
        read_only_fields = fields

    def get_text(self, notification: Notification) -> str:
        # Rendered for the reader, in the request's language, from the stored kind and data.
        return notifications.render(notification)
