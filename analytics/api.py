from __future__ import annotations

from datetime import date

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from arbitration.permissions import CanReadMetrics
from cases.api import errors

from .models import DailyMetric

MAX_DAYS = 366


class DailyRangeSerializer(serializers.Serializer):
    # `from` is a Python keyword: the field is declared under its query-string name below.
    to = serializers.DateField()

    def get_fields(self):
        fields = super().get_fields()
        fields["from"] = serializers.DateField()
        return fields

    def validate(self, attrs):
        if attrs["from"] > attrs["to"]:
            raise serializers.ValidationError({"from": "Must not be after 'to'."})
        if (attrs["to"] - attrs["from"]).days >= MAX_DAYS:
            raise serializers.ValidationError({"to": f"Ask for at most {MAX_DAYS} days."})
        return attrs


class DailyMetricSerializer(serializers.Serializer):
    """One day of the operations time zone, as the contract names its fields."""

    date = serializers.DateField()
    appeals_opened = serializers.IntegerField()
    appeals_resolved = serializers.IntegerField()
    by_reason = serializers.DictField(child=serializers.IntegerField())
    by_outcome = serializers.DictField(child=serializers.IntegerField())
    by_responsible_party = serializers.DictField(child=serializers.IntegerField())
    appellant_success_rate = serializers.FloatField(allow_null=True)
    median_first_response_seconds = serializers.FloatField(allow_null=True)
    median_resolution_seconds = serializers.FloatField(allow_null=True)
    sla_breaches = serializers.IntegerField()
    backlog = serializers.IntegerField()
    # Beyond the contract: the dashboards' extra figures.
    is_partial = serializers.BooleanField()
    appeals_cancelled = serializers.IntegerField()
    by_payment_method = serializers.DictField()
    by_channel = serializers.DictField()
    p90_first_response_seconds = serializers.FloatField(allow_null=True)
    p90_resolution_seconds = serializers.FloatField(allow_null=True)
    escalations = serializers.IntegerField()
    sent_back = serializers.IntegerField()
    reversals = serializers.IntegerField()
    frozen_amounts = serializers.DictField(child=serializers.CharField())
    decided_amounts = serializers.DictField()


class DailyMetricPageSerializer(serializers.Serializer):
    """The list shape every list endpoint answers; one page holds the whole range."""

    next = serializers.URLField(allow_null=True)
    previous = serializers.URLField(allow_null=True)
    results = DailyMetricSerializer(many=True)


class DailyMetricsView(APIView):
    permission_classes = [CanReadMetrics]

    @extend_schema(
        parameters=[
            OpenApiParameter("from", date, required=True, description="First day, YYYY-MM-DD"),
            OpenApiParameter("to", date, required=True, description="Last day, YYYY-MM-DD"),
        ],
        responses={200: DailyMetricPageSerializer, **errors(400, 401, 403)},
        summary="Daily appeal metrics computed by the daily job",
    )
    def get(self, request: Request) -> Response:
        params = DailyRangeSerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        # The daily job stored these; a range is at most MAX_DAYS rows: one page.
        rows = DailyMetric.objects.filter(
            date__gte=params.validated_data["from"], date__lte=params.validated_data["to"]
        ).order_by("date")
        days = DailyMetricSerializer(rows, many=True).data
        return Response({"next": None, "previous": None, "results": days})
