"""REST API v1.1: a trader as the desk sees it, and account restrictions.

Staff only (StaffOnly): the exchange's services push traders and signals in and hear of
restrictions by the `account.action_taken` webhook; they read none of this and get 403.
Every desk role reads a trader; seniors and team leads restrict and lift
(cases.lifecycle decides again, under the trader's lock).
"""

from __future__ import annotations

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from arbitration.permissions import RestrictsAccounts

from . import lifecycle
from .api import by_external_id, errors
from .models import AccountRestriction, Trader
from .selectors import trader as selectors
from .serializers_traders import (
    LiftInputSerializer,
    RestrictionInputSerializer,
    RestrictionSerializer,
    TraderDetailSerializer,
)


class TraderDetailView(APIView):
    permission_classes = [RestrictsAccounts]

    @extend_schema(
        responses={200: TraderDetailSerializer, **errors(401, 403, 404)},
        summary="A trader: profile, restrictions, recent signals, linked accounts, appeals (staff)",
        description="`restrictions` are those imposed (in force or not any more: `active`); "
        "proposals waiting for a team lead are not restrictions yet. `signals` are the most "
        "recently seen first. `linked` are the accounts sharing a signal value with this "
        "one, with the kinds they share. Service tokens get 403.",
    )
    def get(self, request: Request, external_id: str) -> Response:
        trader = by_external_id(Trader, external_id)
        restrictions = selectors.restrictions_of(trader).filter(
            state=AccountRestriction.State.IMPOSED
        )
        data = {
            "external_id": trader.external_id,
            "display_name": trader.display_name,
            "kyc_name": trader.kyc_name,
            "country": trader.country,
            "language": trader.language,
            "restrictions": restrictions,
            "signals": selectors.recent_signals(trader),
            "linked": selectors.trader_linked(trader),
            "appeals": selectors.appeal_counts(trader),
        }
        return Response(TraderDetailSerializer(data).data)


class RestrictionListView(APIView):
    permission_classes = [RestrictsAccounts]

    @extend_schema(
        request=RestrictionInputSerializer,
        responses={201: RestrictionSerializer, **errors(400, 401, 403, 404)},
        summary="Restrict a trader's functions now (seniors and team leads)",
        description="In force at once, until `until` (or until lifted); an "
        "`account.action_taken` event tells the exchange (`trader`, `functions`, `until`, "
        "`reason`). Service tokens get 403.",
    )
    def post(self, request: Request, external_id: str) -> Response:
        trader = by_external_id(Trader, external_id)
        serializer = RestrictionInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        restriction = lifecycle.restriction_add(
            actor=request.user, trader=trader, **serializer.validated_data
        )
        return Response(RestrictionSerializer(restriction).data, status=status.HTTP_201_CREATED)


class RestrictionLiftView(APIView):
    permission_classes = [RestrictsAccounts]

    @extend_schema(
        request=LiftInputSerializer,
        responses={200: RestrictionSerializer, **errors(400, 401, 403, 404, 409)},
        summary="Lift a restriction before its end (seniors and team leads)",
        description="The functions come back now, and an `account.action_taken` event with "
        '`"lifted": true` tells the exchange. One that is lifted already, or has ended, '
        "answers 409.",
    )
    def post(self, request: Request, external_id: str, pk: int) -> Response:
        trader = by_external_id(Trader, external_id)
        serializer = LiftInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        get_object_or_404(
            AccountRestriction.objects.only("id"),
            pk=pk,
            trader=trader,
            state=AccountRestriction.State.IMPOSED,
        )
        restriction = lifecycle.restriction_lift(
            actor=request.user, restriction_id=pk, reason=serializer.validated_data["reason"]
        )
        return Response(RestrictionSerializer(restriction).data)
