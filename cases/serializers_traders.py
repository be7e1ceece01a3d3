"""The contract's JSON shapes for traders and their account restrictions (v1.1)."""

from __future__ import annotations

from typing import Any

from django.utils import timezone
from rest_framework import serializers

from .models import SHORT_TEXT_MAX, AccountRestriction, AccountSignal
from .serializers import AwareDateTimeField

R = AccountRestriction


class RestrictionSerializer(serializers.ModelSerializer):
    functions = serializers.ListField(
        child=serializers.ChoiceField(choices=R.Function.choices), read_only=True
    )
    active = serializers.SerializerMethodField()

    class Meta:
        model = R
        fields = ["id", "functions", "reason", "until", "active"]
        read_only_fields = fields

    def get_active(self, restriction: AccountRestriction) -> bool:
        return restriction.is_active()


class RestrictionInputSerializer(serializers.Serializer):
    functions = serializers.ListField(
        child=serializers.ChoiceField(choices=R.Function.choices),
        allow_empty=False,
        help_text="One or more of withdrawal, p2p, login.",
    )
    reason = serializers.CharField(max_length=SHORT_TEXT_MAX)
    until = AwareDateTimeField(
        required=False, allow_null=True, help_text="Leave out for a restriction with no end."
    )

    def validate_functions(self, value: list[str]) -> list[str]:
        return [f for f in R.Function.values if f in set(value)]

    def validate_until(self, value: Any) -> Any:
        if value is not None and value <= timezone.now():
            raise serializers.ValidationError("The end of a restriction must be in the future.")
        return value


class LiftInputSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=SHORT_TEXT_MAX, help_text="Why it is lifted.")


class TraderSignalSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=AccountSignal.Kind.choices)
    value = serializers.CharField()
    seen_at = serializers.DateTimeField()
    country = serializers.CharField(allow_null=True, help_text="ISO code, e.g. of the IP.")
    event = serializers.CharField(
        allow_null=True,
        help_text="login, trade, withdrawal, password_change or 2fa_change; null if unknown.",
    )


class LinkedAccountSerializer(serializers.Serializer):
    external_id = serializers.CharField()
    via = serializers.ListField(child=serializers.ChoiceField(choices=AccountSignal.Kind.choices))


class AppealCountsSerializer(serializers.Serializer):
    opened = serializers.IntegerField(help_text="Appeals the trader opened.")
    lost = serializers.IntegerField(
        help_text="Appeals, on either side, whose effective verdict went against the trader."
    )


class TraderDetailSerializer(serializers.Serializer):
    external_id = serializers.CharField()
    display_name = serializers.CharField()
    kyc_name = serializers.CharField()
    country = serializers.CharField()
    language = serializers.CharField()
    restrictions = RestrictionSerializer(many=True)
    signals = TraderSignalSerializer(many=True, help_text="The most recent first.")
    linked = LinkedAccountSerializer(many=True)
    appeals = AppealCountsSerializer()
