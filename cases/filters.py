from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import django_filters
from django import forms
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db.models import Q, QuerySet
from django.http import HttpRequest, QueryDict
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_filters.fields import IsoDateTimeField

from . import roles
from .forms_queue import QueueFilterForm
from .models import Appeal, Party, Trader, VerdictReview, open_at, sla_breached
from .selectors.queue import desk_day_start

# Roles whose members work appeals: the people a lead can filter the queue by.
WORKING_ROLES = roles.Role.WORKING
# The search matches order numbers and traders from their start from this many characters
# (shorter: exact); a prefix that many traders share is capped at this many of them.
SEARCH_PREFIX_MIN = 3
SEARCH_TRADERS_MAX = 500


class UtcIsoDateTimeField(IsoDateTimeField):
    def clean(self, value: Any) -> datetime | None:
        result = super().clean(value)
        if result is None:
            return None
        try:
            # What the database compares in; 0001-01-01T00:00+01:00 has no UTC time and
            # would otherwise fail in the SQLite adapter with a 500.
            return result.astimezone(UTC)
        except OverflowError:
            raise ValidationError("The time is out of range.", code="overflow") from None


class UtcIsoDateTimeFilter(django_filters.IsoDateTimeFilter):
    field_class = UtcIsoDateTimeField


class AppealFilter(django_filters.FilterSet):
    """The contract's filters. Each is backed by an index on Appeal (see its Meta)."""

    # distinct=False: these filters never duplicate rows, and SELECT DISTINCT would stop
    # PostgreSQL from walking the (status, created_at, id) index for the page.
    status = django_filters.MultipleChoiceFilter(choices=Appeal.Status.choices, distinct=False)
    reason = django_filters.MultipleChoiceFilter(choices=Appeal.Reason.choices, distinct=False)
    opened_by = django_filters.ChoiceFilter(choices=Party.choices)
    assignee = django_filters.CharFilter(
        method="filter_assignee",
        help_text="A username, 'me', or 'none' for unassigned appeals.",
    )
    created_after = UtcIsoDateTimeFilter(field_name="created_at", lookup_expr="gte")
    created_before = UtcIsoDateTimeFilter(field_name="created_at", lookup_expr="lt")
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


class QueueFilter(django_filters.FilterSet):
    """The queue page's filters (cases.views.queue). Each one narrows on a column of the
    appeal itself (the queue columns copied from the order), so a page stays on one
    table and its indexes; see cases.selectors.queue for the sorts and pages.

    With no status chosen the queue shows `default_status` (the active statuses, or the
    escalated ones on the escalations page). A search or the "my reviews" filter looks
    through every status: whoever types an order number wants that order, open or not.
    """

    status = django_filters.MultipleChoiceFilter(
        label=_("Status"),
        choices=Appeal.Status.choices,
        widget=forms.CheckboxSelectMultiple,
        method="filter_status",
    )
    reason = django_filters.ChoiceFilter(
        label=_("Reason"), choices=Appeal.Reason.choices, empty_label=_("Any reason")
    )
    assignee = django_filters.ChoiceFilter(
        label=_("Assignee"), method="filter_assignee", empty_label=_("Anyone")
    )
    amount_min = django_filters.NumberFilter(
        label=_("Amount from"),
        field_name="crypto_amount",
        lookup_expr="gte",
        min_value=0,
        widget=forms.NumberInput(attrs={"step": "any", "min": "0", "placeholder": _("min")}),
    )
    amount_max = django_filters.NumberFilter(
        label=_("Amount to"),
        field_name="crypto_amount",
        lookup_expr="lte",
        min_value=0,
        widget=forms.NumberInput(attrs={"step": "any", "min": "0", "placeholder": _("max")}),
    )
    asset = django_filters.CharFilter(
        label=_("Asset"),
        method="filter_asset",
        max_length=16,
        widget=forms.TextInput(attrs={"list": "assets", "autocomplete": "off", "size": 6}),
    )
    payment_method = django_filters.CharFilter(
        label=_("Payment method"),
        method="filter_payment_method",
        max_length=64,
        widget=forms.TextInput(attrs={"list": "payment-methods", "autocomplete": "off"}),
    )
    language = django_filters.ChoiceFilter(
        label=_("Party language"), method="filter_language", empty_label=_("Any language")
    )
    overdue = django_filters.BooleanFilter(
        label=_("Overdue only"), method="filter_overdue", widget=forms.CheckboxInput
    )
    review = django_filters.ChoiceFilter(
        label=_("Reviews"),
        choices=[("mine", _("Reviews assigned to me"))],
        method="filter_review",
        empty_label=_("Any"),
    )
    closed = django_filters.ChoiceFilter(
        label=_("Closed"),
        choices=[("today", _("Closed today"))],
        method="filter_closed",
        empty_label=_("Any time"),
    )
    # Drill-downs from the dashboard: the cases behind a bar or a point of a chart.
    created_after = UtcIsoDateTimeFilter(
        label=_("Opened from"), field_name="created_at", lookup_expr="gte"
    )
    created_before = UtcIsoDateTimeFilter(
        label=_("Opened before"), field_name="created_at", lookup_expr="lt"
    )
    resolved_after = UtcIsoDateTimeFilter(
        label=_("Decided from"), field_name="resolved_at", lookup_expr="gte"
    )
    resolved_before = UtcIsoDateTimeFilter(
        label=_("Decided before"), field_name="resolved_at", lookup_expr="lt"
    )
    open_at = UtcIsoDateTimeFilter(label=_("Open at"), method="filter_open_at")
    breached = django_filters.BooleanFilter(
        label=_("Missed an SLA"), method="filter_breached", widget=forms.CheckboxInput
    )
    channel = django_filters.ChoiceFilter(label=_("Channel"), choices=Appeal.Channel.choices)
    q = django_filters.CharFilter(
        label=_("Search"),
        method="filter_q",
        max_length=64,
        widget=forms.TextInput(
            attrs={
                "type": "search",
                "placeholder": _("Order, trader or #appeal"),
                "autocomplete": "off",
                "spellcheck": "false",
            }
        ),
    )

    class Meta:
        model = Appeal
        fields: list[str] = []
        form = QueueFilterForm

    def __init__(
        self,
        data: QueryDict | None = None,
        *args: Any,
        request: HttpRequest,
        default_status: tuple[str, ...],
        languages: list[str] = (),
        **kwargs: Any,
    ) -> None:
        data = data.copy() if data is not None else QueryDict(mutable=True)
        self.searching = bool(data.get("q", "").strip() or data.get("review"))
        if not data.getlist("status") and not self.searching:
            data.setlist("status", list(default_status))
        super().__init__(data, *args, request=request, **kwargs)
        user = request.user
        assignees = [("me", _("Me")), ("none", _("Unassigned"))]
        if roles.has(user, roles.ASSIGN):
            # Leads and seniors allocate work: they may look at anyone's cases.
            workers = (
                get_user_model()
                .objects.filter(is_active=True, groups__name__in=WORKING_ROLES)
                .distinct()
                .order_by("username")
                .values_list("pk", "username")
            )
            assignees += [(str(pk), username) for pk, username in workers]
        self.filters["assignee"].extra["choices"] = assignees
        current = data.get("language", "")
        if "\x00" in current:
            # No language holds NUL (PostgreSQL text cannot): not a choice, a form error.
            current = ""
        self.filters["language"].extra["choices"] = [
            (code, code) for code in sorted({*languages, *([current] if current else [])})
        ]

    def filter_queryset(self, queryset: QuerySet[Appeal]) -> QuerySet[Appeal]:
        # The form also carries `sort`, which is not a filter (the selector orders).
        for name, value in self.form.cleaned_data.items():
            if name in self.filters:
                queryset = self.filters[name].filter(queryset, value)
        return queryset

    def filter_status(
        self, queryset: QuerySet[Appeal], name: str, value: list[str]
    ) -> QuerySet[Appeal]:
        if self.searching or not value:
            return queryset
        return queryset.filter(status__in=value)

    def filter_assignee(
        self, queryset: QuerySet[Appeal], name: str, value: str
    ) -> QuerySet[Appeal]:
        if value == "me":
            return queryset.filter(assignee=self.request.user)
        if value == "none":
            return queryset.filter(assignee__isnull=True)
        return queryset.filter(assignee_id=int(value))

    def filter_asset(self, queryset: QuerySet[Appeal], name: str, value: str) -> QuerySet[Appeal]:
        value = value.strip().upper()
        return queryset.filter(asset=value) if value else queryset

    def filter_payment_method(
        self, queryset: QuerySet[Appeal], name: str, value: str
    ) -> QuerySet[Appeal]:
        # Exact: (payment_method, status) is indexed; a substring match would scan.
        value = value.strip()
        return queryset.filter(payment_method=value) if value else queryset

    def filter_language(
        self, queryset: QuerySet[Appeal], name: str, value: str
    ) -> QuerySet[Appeal]:
        return queryset.filter(Q(buyer_language=value) | Q(seller_language=value))

    def filter_overdue(
        self, queryset: QuerySet[Appeal], name: str, value: bool | None
    ) -> QuerySet[Appeal]:
        if not value:
            return queryset
        return queryset.filter(Appeal.late_q(timezone.now()))

    def filter_review(self, queryset: QuerySet[Appeal], name: str, value: str) -> QuerySet[Appeal]:
        return queryset.filter(
            review__reviewer=self.request.user, review__state=VerdictReview.State.PENDING
        )

    def filter_closed(self, queryset: QuerySet[Appeal], name: str, value: str) -> QuerySet[Appeal]:
        # The "resolved today" / "cancelled today" chips: since midnight of the desk's day.
        return queryset.filter(resolved_at__gte=desk_day_start(timezone.now()))

    def filter_open_at(
        self, queryset: QuerySet[Appeal], name: str, value: datetime | None
    ) -> QuerySet[Appeal]:
        """Open at that moment: the backlog the dashboard counts at a day's end."""
        if value is None:
            return queryset
        return queryset.filter(open_at(value))

    def filter_breached(
        self, queryset: QuerySet[Appeal], name: str, value: bool | None
    ) -> QuerySet[Appeal]:
        """Decided late on either deadline, as the daily metrics count SLA breaches."""
        if not value:
            return queryset
        return queryset.filter(sla_breached())

    def filter_q(self, queryset: QuerySet[Appeal], name: str, value: str) -> QuerySet[Appeal]:
        """An order number, a trader (id, nickname or KYC name: their appeals as buyer or
        seller), or an appeal id (#123 or 123). Orders and traders match from the start,
        case-insensitively ("p2p-2611" finds P2P-26112210..., "li" finds Li Na), once at
        least SEARCH_PREFIX_MIN characters are typed; shorter is exact.

        One UNION of id lookups used as `id IN (...)`: an OR of the same conditions would
        make PostgreSQL scan the table. Each prefix is `UPPER(col) LIKE 'X%'`, which on
        PostgreSQL uses the text_pattern_ops expression indexes of migration 0021
        (order_external_upper, trader_*_upper); the traders' appeals come through the
        order's buyer/seller foreign-key indexes.
        """
        value = value.strip()
        if not value:
            return queryset
        if len(value) >= SEARCH_PREFIX_MIN:
            orders = Q(order__external_id__istartswith=value)
            traders = Trader.objects.filter(
                Q(external_id__istartswith=value)
                | Q(display_name__istartswith=value)
                | Q(kyc_name__istartswith=value)
            )
        else:
            orders = Q(order__external_id=value)
            traders = Trader.objects.filter(external_id=value)
        trader_ids = traders.values("id")[:SEARCH_TRADERS_MAX]
        ids = Appeal.objects.filter(orders).values("id")
        ids = ids.union(
            Appeal.objects.filter(order__buyer__in=trader_ids).values("id"),
            Appeal.objects.filter(order__seller__in=trader_ids).values("id"),
        )
        number = value.removeprefix("#")
        if number.isascii() and number.isdigit() and len(number) < 19:
            ids = ids.union(Appeal.objects.filter(pk=int(number)).values("id"))
        return queryset.filter(pk__in=ids)
