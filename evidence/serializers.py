from __future__ import annotations

from typing import Any

from rest_framework import serializers

from cases.models import SHORT_TEXT_MAX, Party

from .extraction import FIELDS
from .models import Evidence


class EvidenceUploadSerializer(serializers.Serializer):
    file = serializers.FileField(allow_empty_file=True, use_url=False)
    party = serializers.ChoiceField(choices=Party.choices)
    kind = serializers.ChoiceField(choices=Evidence.Kind.choices)
    note = serializers.CharField(required=False, allow_blank=True, max_length=SHORT_TEXT_MAX)
    payer_name = serializers.CharField(required=False, allow_blank=True, max_length=256)


class ExtractedSerializer(serializers.Serializer):
    """What was read from the file itself (the contract's `extracted`): every key always
    there, null where nothing was found."""

    amount = serializers.CharField(allow_null=True, help_text="A decimal string: 1234.50")
    currency = serializers.CharField(allow_null=True, help_text="ISO 4217 code")
    payer_name = serializers.CharField(allow_null=True)
    paid_at = serializers.CharField(
        allow_null=True, help_text="ISO 8601 as the file shows it (an offset only if shown)"
    )
    reference = serializers.CharField(allow_null=True)
    text = serializers.CharField(allow_null=True)

    def to_representation(self, instance: dict[str, Any]) -> dict[str, Any]:
        return {field: instance.get(field) for field in FIELDS}


class EvidenceSerializer(serializers.ModelSerializer):
    uploaded_by = serializers.SlugRelatedField(slug_field="username", read_only=True)
    extracted = ExtractedSerializer(
        read_only=True,
        allow_null=True,
        help_text="Null until the file has been read (asynchronously, after upload).",
    )

    class Meta:
        model = Evidence
        fields = [
            "id",
            "appeal",
            "party",
            "kind",
            "sha256",
            "size",
            "content_type",
            "original_name",
            "note",
            "payer_name",
            "width",
            "height",
            "uploaded_by",
            "uploaded_at",
            "extracted",
            "extracted_at",
            "edit_traces",
        ]
        read_only_fields = fields
