"""REST API v1: thin views that parse with serializers and act through the services."""

from __future__ import annotations

from django.db.models import Model, Prefetch, QuerySet
from django.http import Http404
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import generics, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from arbitration.api import ByCodeCursor, NewestFirstCursor, OldestFirstCursor
from arbitration.permissions import ExchangeFacts, IsArbitrator, IsDeskMember, PartiesChannel

from . import lifecycle, services
from .filters import AppealFilter
from .models import Appeal, ChatMessage, ClockPause, Order, Rule, Trader, Verdict, VerdictReview
from .serializers import (
    AppealCreateSerializer,
    AppealDetailSerializer,
    AppealSerializer,
    CancelSerializer,
    ChatIngestResultSerializer,
    ChatMessageSerializer,
    ErrorSerializer,
    OrderSerializer,
    ReviewRequestSerializer,
    ReviewSerializer,
    RuleSerializer,
    SignalIngestResultSerializer,
    SignalSerializer,
    VerdictInputSerializer,
    VerdictSerializer,
)

MAX_BATCH = 1000


def errors(*codes: int) -> dict[int, OpenApiResponse]:
    described = {
        400: "Invalid input: `errors` names each wrong field and why.",
        401: "No or invalid credentials.",
        403: "Authenticated, but this role may not do this.",
        404: "No such resource (or a page cursor that is not one of ours).",
        409: "Conflicts with the current state.",
        413: "The upload is too large.",
    }
    # Every operation may answer 400: a query string with a NUL character is refused
    # before any view (arbitration.middleware), whatever the operation takes.
    codes = tuple(sorted({400, *codes}))
    return {c: OpenApiResponse(ErrorSerializer, description=described[c]) for c in codes}


def appeal_queryset() -> QuerySet[Appeal]:
    return Appeal.objects.select_related("order", "assignee").prefetch_related(
        Prefetch(
            "verdicts",
            queryset=Verdict.objects.filter(state__in=Verdict.LIVE_STATES).select_related(
                "rule", "decided_by", "approved_by"
            ),
            to_attr="live_verdicts",
        )
    )


def by_external_id(queryset: type[Model] | QuerySet, external_id: str) -> Model:
    """The row (of a model or queryset) with this external_id, or 404. PostgreSQL text
    cannot hold NUL, so an id with one names nothing and must not reach the query (500)."""
    if "\x00" in external_id:
        raise Http404
    return get_object_or_404(queryset, external_id=external_id)


def _batch(request: Request, serializer_class) -> list[dict]:
    from rest_framework.exceptions import ValidationError

    if not isinstance(request.data, list):
        raise ValidationError({"non_field_errors": ["Send a JSON list."]})
    if len(request.data) > MAX_BATCH:
        raise ValidationError({"non_field_errors": [f"At most {MAX_BATCH} items per request."]})
    serializer = serializer_class(data=request.data, many=True)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


class OrderUpsertView(APIView):
    permission_classes = [ExchangeFacts]

    @extend_schema(
        request=OrderSerializer,
        responses={200: OrderSerializer, 201: OrderSerializer, **errors(400, 401, 403, 409)},
        summary="Create or update an order by external_id (service accounts)",
        description="Posting the same external_id again updates the order (200); it never "
        "creates a duplicate. Buyer and seller are upserted by their external_id. While an "
        "appeal on the order is unresolved, a change to its parties, asset, amounts, price "
        "or payment method answers 409 and changes nothing. Staff sessions get 403.",
    )
    def post(self, request: Request) -> Response:
        serializer = OrderSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        order, created = services.order_upsert(
            external_id=data.pop("external_id"),
            buyer=data.pop("buyer"),
            seller=data.pop("seller"),
            actor=request.user,
            **data,
        )
        return Response(
            OrderSerializer(order).data,
            status=status.HTTP_201_CREATED if created else status.HTTP_200_OK,
        )


class OrderDetailView(APIView):
    permission_classes = [ExchangeFacts]

    @extend_schema(responses={200: OrderSerializer, **errors(401, 403, 404)})
    def get(self, request: Request, external_id: str) -> Response:
        order = by_external_id(Order.objects.select_related("buyer", "seller"), external_id)
        return Response(OrderSerializer(order).data)


class ChatView(generics.GenericAPIView):
    permission_classes = [ExchangeFacts]
    serializer_class = ChatMessageSerializer
    pagination_class = OldestFirstCursor
    filter_backends: list = []

    def get_order(self) -> Order:
        return by_external_id(Order, self.kwargs["external_id"])

    @extend_schema(
        responses={200: ChatMessageSerializer(many=True), **errors(401, 403, 404)},
        summary="An order's chat, oldest first",
    )
    def get(self, request: Request, external_id: str) -> Response:
        queryset = ChatMessage.objects.filter(order=self.get_order())
        page = self.paginate_queryset(queryset)
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    @extend_schema(
        request=ChatMessageSerializer(many=True),
        responses={
            200: ChatIngestResultSerializer,
            201: ChatIngestResultSerializer,
            **errors(400, 401, 403, 404, 409),
        },
        summary="Store chat messages, idempotent by message external_id (service accounts)",
        description="A message id this order already holds is a duplicate; one that another "
        "order holds is a 409 naming each such item, and nothing is stored.",
    )
    def post(self, request: Request, external_id: str) -> Response:
        order = self.get_order()
        messages = _batch(request, ChatMessageSerializer)
        created, duplicates = services.chat_ingest(
            order=order, messages=messages, actor=request.user
        )
        return Response(
            {"created": created, "duplicates": duplicates},
            status=status.HTTP_201_CREATED if created else status.HTTP_200_OK,
        )


class SignalsView(APIView):
    permission_classes = [ExchangeFacts]

    @extend_schema(
        request=SignalSerializer(many=True),
        responses={200: SignalIngestResultSerializer, **errors(400, 401, 403, 404)},
        summary="Record devices, IPs, e-mails and payment accounts seen on a trader "
        "(service accounts)",
    )
    def post(self, request: Request, external_id: str) -> Response:
        trader = by_external_id(Trader, external_id)
        signals = _batch(request, SignalSerializer)
        created, updated = services.signals_ingest(
            trader=trader, signals=signals, actor=request.user
        )
        return Response({"created": created, "updated": updated})


class AppealListView(generics.ListCreateAPIView):
    permission_classes = [PartiesChannel]
    serializer_class = AppealSerializer
    pagination_class = NewestFirstCursor
    filterset_class = AppealFilter

    def get_queryset(self) -> QuerySet[Appeal]:
        return appeal_queryset()

    @extend_schema(responses={200: AppealSerializer(many=True), **errors(400, 401, 403, 404)})
    def get(self, request: Request, *args, **kwargs) -> Response:
        return super().get(request, *args, **kwargs)

    @extend_schema(
        request=AppealCreateSerializer,
        responses={201: AppealSerializer, **errors(400, 401, 403, 409)},
        summary="Open an appeal on an order",
        description="A second appeal while one is unresolved on the same order answers 409.",
    )
    def post(self, request: Request, *args, **kwargs) -> Response:
        serializer = AppealCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        appeal = lifecycle.appeal_open(actor=request.user, **serializer.validated_data)
        return Response(
            AppealSerializer(appeal_queryset().get(pk=appeal.pk)).data,
            status=status.HTTP_201_CREATED,
        )


class AppealDetailView(generics.RetrieveAPIView):
    permission_classes = [IsDeskMember]
    serializer_class = AppealDetailSerializer

    def get_queryset(self) -> QuerySet[Appeal]:
        # The SLA summary reads the evidence requests; `incidents` the incident pauses.
        return appeal_queryset().prefetch_related(
            "evidence_requests",
            Prefetch(
                "clock_pauses",
                queryset=ClockPause.objects.filter(incident__isnull=False).only(
                    "id", "appeal_id", "incident_id"
                ),
                to_attr="incident_pauses",
            ),
        )

    @extend_schema(responses={200: AppealDetailSerializer, **errors(401, 403, 404)})
    def get(self, request: Request, *args, **kwargs) -> Response:
        return super().get(request, *args, **kwargs)


class AppealCancelView(APIView):
    permission_classes = [IsDeskMember]

    @extend_schema(
        request=CancelSerializer,
        responses={200: AppealSerializer, **errors(400, 401, 403, 404, 409)},
        summary="The appellant withdraws the appeal",
        description="Allowed before a verdict takes effect; afterwards 409.",
    )
    def post(self, request: Request, pk: int) -> Response:
        get_object_or_404(Appeal.objects.only("id"), pk=pk)
        serializer = CancelSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        lifecycle.appeal_cancel(
            appeal_id=pk, actor=request.user, reason=serializer.validated_data.get("reason", "")
        )
        return Response(AppealSerializer(appeal_queryset().get(pk=pk)).data)


class VerdictView(APIView):
    permission_classes = [IsArbitrator]

    @extend_schema(
        request=VerdictInputSerializer,
        responses={
            201: OpenApiResponse(VerdictSerializer, description="The verdict took effect."),
            202: OpenApiResponse(
                VerdictSerializer,
                description="Above the four-eyes threshold: status pending_approval.",
            ),
            **errors(400, 401, 403, 404, 409),
        },
        summary="Issue the verdict on an appeal (arbitrators only)",
        description="An appeal gets exactly one effective verdict, even under concurrent "
        "requests: every other request answers 409.",
    )
    def post(self, request: Request, pk: int) -> Response:
        get_object_or_404(Appeal.objects.only("id"), pk=pk)
        serializer = VerdictInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        action = None
        if data.get("account_action"):
            action = lifecycle.ProposedAction(
                kind=data["account_action"], days=data.get("restriction_days")
            )
        verdict = lifecycle.verdict_propose(
            appeal_id=pk,
            actor=request.user,
            outcome=data["outcome"],
            responsible_party=data["responsible_party"],
            rule_code=data["rule"],
            rationale=data["rationale"],
            account_action=action,
        )
        verdict = Verdict.objects.select_related("rule", "decided_by", "approved_by", "appeal").get(
            pk=verdict.pk
        )
        code = (
            status.HTTP_202_ACCEPTED
            if verdict.state == Verdict.State.PENDING
            else status.HTTP_201_CREATED
        )
        return Response(VerdictSerializer(verdict).data, status=code)


class RuleListView(generics.ListAPIView):
    permission_classes = [IsDeskMember]
    serializer_class = RuleSerializer
    queryset = Rule.objects.all()
    pagination_class = ByCodeCursor
    filter_backends: list = []

    @extend_schema(
        responses={200: RuleSerializer(many=True), **errors(401, 403, 404)},
        summary="The platform rulebook verdicts cite",
    )
    def get(self, request: Request, *args, **kwargs) -> Response:
        return super().get(request, *args, **kwargs)


class ReviewView(APIView):
    permission_classes = [PartiesChannel]

    @extend_schema(
        request=ReviewRequestSerializer,
        responses={201: ReviewSerializer, **errors(400, 401, 403, 404, 409)},
        summary="A party contests the effective verdict (second-level review)",
        description="Once per appeal, within the review window after the verdict took "
        "effect; otherwise 409. The review goes to a senior who has handled none of either "
        "party's cases. A reversal is announced by a verdict.reversed webhook; funds that "
        "already moved are not moved again.",
    )
    def post(self, request: Request, pk: int) -> Response:
        get_object_or_404(Appeal.objects.only("id"), pk=pk)
        serializer = ReviewRequestSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        review = lifecycle.review_request(
            appeal_id=pk, actor=request.user, **serializer.validated_data
        )
        review = VerdictReview.objects.select_related("reviewer").get(pk=review.pk)
        return Response(ReviewSerializer(review).data, status=status.HTTP_201_CREATED)
