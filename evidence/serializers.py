from __future__ import annotations

from rest_framework import serializers

from cases.models import SHORT_TEXT_MAX, Party

from .models import Evidence


class EvidenceUploadSerializer(serializers.Serializer):
    file = serializers.FileField(allow_empty_file=True, use_url=False)
    party = serializers.ChoiceField(choices=Party.choices)
    kind = serializers.ChoiceField(choices=Evidence.Kind.choices)
    note = serializers.CharField(required=False, allow_blank=True, max_length=SHORT_TEXT_MAX)
    payer_name = serializers.CharField(required=False, allow_blank=True, max_length=256)


class EvidenceSerializer(serializers.ModelSerializer):
    uploaded_by = serializers.SlugRelatedField(slug_field="username", read_only=True)

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
            "edit_traces",
        ]
        read_only_fields = fields
