from __future__ import annotations

import django_filters
from django.db.models import QuerySet

from .models import Appeal, Party


class AppealFilter(django_filters.FilterSet):
    """The contract's filters. Each is backed by an index on Appeal (see its Meta)."""

    status = django_filters.MultipleChoiceFilter(choices=Appeal.Status.choices)
    reason = django_filters.MultipleChoiceFilter(choices=Appeal.Reason.choices)
    opened_by = django_filters.ChoiceFilter(choices=Party.choices)
    assignee = django_filters.CharFilter(
        method="filter_assignee",
        help_text="A username, 'me', or 'none' for unassigned appeals.",
    )
    created_after = django_filters.IsoDateTimeFilter(field_name="created_at", lookup_expr="gte")
    created_before = django_filters.IsoDateTimeFilter(field_name="created_at", lookup_expr="lt")
    order = django_filters.CharFilter(field_name="order__external_id")

    class Meta:
        model = Appeal
        fields = ["status", "reason", "opened_by", "assignee", "created_after", "created_before"]

    def filter_assignee(
        self, queryset: QuerySet[Appeal], name: str, value: str
    ) -> QuerySet[Appeal]:
        if value == "none":
            return queryset.filter(assignee__isnull=True)
        if value == "me":
            return queryset.filter(assignee=self.request.user)
        return queryset.filter(assignee__username=value)
