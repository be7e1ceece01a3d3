from __future__ import annotations

from django.contrib import admin

from arbitration.admin import ReadOnlyAdmin

from .models import Evidence


@admin.register(Evidence)
class EvidenceAdmin(ReadOnlyAdmin):
    """Evidence is never edited or deleted: a correction is a new upload."""

    list_display = (
        "id",
        "appeal",
        "party",
        "kind",
        "content_type",
        "size",
        "sha256",
        "payer_name",
        "uploaded_by",
        "uploaded_at",
    )
    list_filter = ("kind", "party", "content_type")
    search_fields = ("=sha256", "=appeal__id", "payer_name")
    list_select_related = ("uploaded_by",)
