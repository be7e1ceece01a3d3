"""REST API v1.1, the floor: staff, SLA policies, evidence requests, the escalation
matrix, incidents and notifications.

Thin views: a serializer checks the shape of the input, one service of cases.floor,
cases.sla, cases.notifications or cases.lifecycle decides and writes (and audits), and
its refusals answer in the error envelope (arbitration.api.exception_handler). Every
desk role reads the floor; team leads change it (FloorManagement); service accounts
have no business here and get 403 on every path.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.db.models import F, QuerySet
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils import timezone
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import generics, status
from rest_framework.pagination import LimitOffsetPagination
from rest_framework.request import Request
from rest_framework.response import Response

from arbitration.api import NewestFirstCursor
from arbitration.permissions import FloorManagement, StaffOnly, WorksAppeals

from . import lifecycle, notifications, roles, sla
from .api import errors
from .floor import escalation, incidents, staff
from .models import Appeal, EscalationRule, EvidenceRequest, Incident, Notification, SlaPolicy
from .serializers_floor import (
    EscalationRuleInputSerializer,
    EscalationRuleSerializer,
    EvidenceRequestInputSerializer,
    EvidenceRequestSerializer,
    IncidentInputSerializer,
    IncidentSerializer,
    NotificationSerializer,
    SlaPolicyInputSerializer,
    SlaPolicySerializer,
    StaffSerializer,
    StaffUpdateSerializer,
)

# --- pagination -----------------------------------------------------------------------------


class ListPage(LimitOffsetPagination):
    """Pages of lists a cursor cannot key on: the staff (placed on the floor in Python) and
    a person's notifications (unread first: `read_at` is null for those). Both are short
    per reader; the answer has the contract's {next, previous, results} shape."""

    default_limit = 50
    limit_query_param = "page_size"
    max_limit = 200

    def get_paginated_response(self, data: list[Any]) -> Response:
        return Response(
            {"next": self.get_next_link(), "previous": self.get_previous_link(), "results": data}
        )

    def get_paginated_response_schema(self, schema: dict[str, Any]) -> dict[str, Any]:
        full = super().get_paginated_response_schema(schema)
        full["required"] = ["next", "previous", "results"]
        full["properties"].pop("count", None)
        return full


class ByNameCursor(NewestFirstCursor):
    ordering = ("name",)


class OldestRequestFirstCursor(NewestFirstCursor):
    ordering = ("requested_at", "id")


class LatestIncidentFirstCursor(NewestFirstCursor):
    ordering = ("-starts_at", "-id")


class FloorView(generics.GenericAPIView):
    permission_classes = [FloorManagement]
    filter_backends: list = []

    def page(self, rows, serializer_class, *, rendered=None) -> Response:
        page = self.paginate_queryset(rows)
        items = [rendered(row) for row in page] if rendered else page
        return self.get_paginated_response(serializer_class(items, many=True).data)


# --- staff ----------------------------------------------------------------------------------


def staff_user_or_404(username: str) -> AbstractBaseUser:
    # PostgreSQL text cannot hold NUL: such a name names nobody (and must not reach SQL).
    if "\x00" in username:
        raise Http404
    user = (
        get_user_model()
        .objects.filter(username=username, groups__name__in=roles.Role.ALL)
        .distinct()
        .first()
    )
    if user is None:
        raise Http404
    return user


def staff_row_or_404(username: str) -> dict[str, Any]:
    for person in staff.staff_members():
        if person.user.get_username() == username:
            return staff.staff_row(person)
    raise Http404


class StaffListView(FloorView):
    pagination_class = ListPage
    serializer_class = StaffSerializer

    @extend_schema(
        responses={200: StaffSerializer(many=True), **errors(401, 403)},
        summary="Every staff member: role, languages, case limit, rota, and now on shift",
    )
    def get(self, request: Request) -> Response:
        return self.page(staff.staff_members(), StaffSerializer, rendered=staff.staff_row)


class StaffDetailView(FloorView):
    serializer_class = StaffSerializer

    @extend_schema(responses={200: StaffSerializer, **errors(401, 403, 404)})
    def get(self, request: Request, username: str) -> Response:
        return Response(StaffSerializer(staff_row_or_404(username)).data)

    @extend_schema(
        request=StaffUpdateSerializer,
        responses={200: StaffSerializer, **errors(400, 401, 403, 404)},
        summary="Change a staff member (team leads)",
        description="Only the fields given change; `shifts` replaces the whole rota. "
        "Deactivating someone, or moving them to a role that takes no cases, returns their "
        "open cases to the pool. Every change is audited. Nobody deactivates themselves or "
        "changes their own role (403).",
    )
    def patch(self, request: Request, username: str) -> Response:
        user = staff_user_or_404(username)
        serializer = StaffUpdateSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        staff.staff_update(actor=request.user, user=user, **serializer.validated_data)
        return Response(StaffSerializer(staff_row_or_404(user.get_username())).data)


# --- SLA policies ---------------------------------------------------------------------------


class SlaPolicyListView(FloorView):
    pagination_class = ListPage
    serializer_class = SlaPolicySerializer

    @extend_schema(
        responses={200: SlaPolicySerializer(many=True), **errors(401, 403)},
        summary="The SLA policies: deadlines per reason and priority",
        description="The most specific policy wins when an appeal opens: reason and "
        'priority, then reason, then "*" and priority, then "*".',
    )
    def get(self, request: Request) -> Response:
        rows = SlaPolicy.objects.order_by("reason", F("priority").asc(nulls_first=True), "id")
        return self.page(rows, SlaPolicySerializer)

    @extend_schema(
        request=SlaPolicyInputSerializer,
        responses={201: SlaPolicySerializer, **errors(400, 401, 403, 409)},
        summary="Add an SLA policy (team leads)",
        description="A second policy for the same reason and priority answers 409. Appeals "
        "already open keep their due times.",
    )
    def post(self, request: Request) -> Response:
        serializer = SlaPolicyInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        policy = sla.sla_policy_save(actor=request.user, **serializer.validated_data)
        return Response(SlaPolicySerializer(policy).data, status=status.HTTP_201_CREATED)


class SlaPolicyDetailView(FloorView):
    serializer_class = SlaPolicySerializer

    @extend_schema(
        request=SlaPolicyInputSerializer(partial=True),
        responses={200: SlaPolicySerializer, **errors(400, 401, 403, 404, 409)},
        summary="Change an SLA policy (team leads)",
    )
    def patch(self, request: Request, pk: int) -> Response:
        policy = get_object_or_404(SlaPolicy, pk=pk)
        serializer = SlaPolicyInputSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        policy = sla.sla_policy_save(actor=request.user, policy=policy, **serializer.validated_data)
        return Response(SlaPolicySerializer(policy).data)

    @extend_schema(
        responses={204: OpenApiResponse(description="Deleted."), **errors(401, 403, 404)},
        summary="Delete an SLA policy (team leads)",
        description="Appeals keep their due times; with no policy left that matches, new "
        "appeals get the settings' deadlines.",
    )
    def delete(self, request: Request, pk: int) -> Response:
        sla.sla_policy_delete(actor=request.user, policy=get_object_or_404(SlaPolicy, pk=pk))
        return Response(status=status.HTTP_204_NO_CONTENT)


# --- evidence requests ----------------------------------------------------------------------


class EvidenceRequestsView(generics.GenericAPIView):
    permission_classes = [WorksAppeals]
    serializer_class = EvidenceRequestSerializer
    pagination_class = OldestRequestFirstCursor
    filter_backends: list = []

    @extend_schema(
        responses={200: EvidenceRequestSerializer(many=True), **errors(401, 403, 404)},
        summary="What the desk asked the parties for on an appeal, oldest first",
    )
    def get(self, request: Request, pk: int) -> Response:
        appeal = get_object_or_404(Appeal.objects.only("id"), pk=pk)
        rows = EvidenceRequest.objects.filter(appeal=appeal).select_related("requested_by")
        page = self.paginate_queryset(rows)
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    @extend_schema(
        request=EvidenceRequestInputSerializer,
        responses={201: EvidenceRequestSerializer, **errors(400, 401, 403, 404, 409)},
        summary="Ask a party for evidence by a deadline",
        description="By the appeal's assignee, or a senior or team lead (on an unassigned "
        "appeal, whoever asks takes it). The appeal becomes awaiting_evidence, the party is "
        "told through a party.message event with due_at in their language, and the "
        "resolution clock stands still until the party answers. 409 when the appeal's status "
        "allows no request.",
    )
    def post(self, request: Request, pk: int) -> Response:
        get_object_or_404(Appeal.objects.only("id"), pk=pk)
        serializer = EvidenceRequestInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        hours = data.get("due_hours")
        lifecycle.appeal_request_evidence(
            appeal_id=pk,
            actor=request.user,
            party=data["party"],
            text=data["what"],
            due_at=timezone.now() + timedelta(hours=hours) if hours is not None else None,
        )
        made = (
            EvidenceRequest.objects.select_related("requested_by")
            .filter(appeal_id=pk, party=data["party"], requested_by=request.user)
            .latest("id")
        )
        return Response(EvidenceRequestSerializer(made).data, status=status.HTTP_201_CREATED)


# --- the escalation matrix ------------------------------------------------------------------


class EscalationRuleListView(FloorView):
    serializer_class = EscalationRuleSerializer
    pagination_class = ByNameCursor

    @extend_schema(
        responses={200: EscalationRuleSerializer(many=True), **errors(401, 403, 404)},
        summary="The escalation matrix, by name",
    )
    def get(self, request: Request) -> Response:
        return self.page(EscalationRule.objects.all(), EscalationRuleSerializer)

    @extend_schema(
        request=EscalationRuleInputSerializer,
        responses={201: EscalationRuleSerializer, **errors(400, 401, 403, 409)},
        summary="Add an escalation rule (team leads)",
        description="Every condition given must hold; absent ones are ignored. The floor "
        "tick escalates each matching active appeal once per rule. A second rule of the "
        "same name answers 409.",
    )
    def post(self, request: Request) -> Response:
        serializer = EscalationRuleInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        rule = escalation.rule_save(actor=request.user, **serializer.validated_data)
        return Response(EscalationRuleSerializer(rule).data, status=status.HTTP_201_CREATED)


class EscalationRuleDetailView(FloorView):
    serializer_class = EscalationRuleSerializer

    @extend_schema(
        request=EscalationRuleInputSerializer(partial=True),
        responses={200: EscalationRuleSerializer, **errors(400, 401, 403, 404, 409)},
        summary="Change an escalation rule (team leads)",
        description="`conditions`, when given, replaces the rule's conditions.",
    )
    def patch(self, request: Request, pk: int) -> Response:
        rule = get_object_or_404(EscalationRule, pk=pk)
        serializer = EscalationRuleInputSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        rule = escalation.rule_save(actor=request.user, rule=rule, **serializer.validated_data)
        return Response(EscalationRuleSerializer(rule).data)

    @extend_schema(
        responses={204: OpenApiResponse(description="Deleted."), **errors(401, 403, 404)},
        summary="Delete an escalation rule (team leads)",
        description="Appeals it escalated stay escalated and keep its name.",
    )
    def delete(self, request: Request, pk: int) -> Response:
        rule = get_object_or_404(EscalationRule, pk=pk)
        escalation.rule_delete(actor=request.user, rule=rule)
        return Response(status=status.HTTP_204_NO_CONTENT)


# --- incidents ------------------------------------------------------------------------------


def incident_queryset() -> QuerySet[Incident]:
    return Incident.objects.select_related("declared_by", "ended_by")


class IncidentListView(FloorView):
    serializer_class = IncidentSerializer
    pagination_class = LatestIncidentFirstCursor

    @extend_schema(
        responses={200: IncidentSerializer(many=True), **errors(401, 403, 404)},
        summary="Incidents, the latest first",
    )
    def get(self, request: Request) -> Response:
        return self.page(incident_queryset(), IncidentSerializer)

    @extend_schema(
        request=IncidentInputSerializer,
        responses={201: IncidentSerializer, **errors(400, 401, 403)},
        summary="Declare a platform or payment-rail outage (team leads)",
        description="Neither payment_method nor country: it covers everything. While it is "
        "active, the party clocks and the resolution clock of the appeals it covers stand "
        "still, and those appeals list it in `incidents`. "
        "starts_at may be in the past, not in the future.",
    )
    def post(self, request: Request) -> Response:
        serializer = IncidentInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        incident = incidents.incident_declare(actor=request.user, **serializer.validated_data)
        return Response(
            IncidentSerializer(incident_queryset().get(pk=incident.pk)).data,
            status=status.HTTP_201_CREATED,
        )


class IncidentEndView(FloorView):
    serializer_class = IncidentSerializer

    @extend_schema(
        request=None,
        responses={200: IncidentSerializer, **errors(401, 403, 404, 409)},
        summary="End an incident now (team leads)",
        description="The clocks it stopped run again, and their deadlines move later by the "
        "time they stood still. An incident that has ended already answers 409.",
    )
    def post(self, request: Request, pk: int) -> Response:
        get_object_or_404(Incident.objects.only("id"), pk=pk)
        incidents.incident_end(actor=request.user, incident_id=pk)
        return Response(IncidentSerializer(incident_queryset().get(pk=pk)).data)


# --- notifications --------------------------------------------------------------------------


class NotificationListView(generics.GenericAPIView):
    permission_classes = [StaffOnly]
    serializer_class = NotificationSerializer
    pagination_class = ListPage
    filter_backends: list = []

    @extend_schema(
        responses={200: NotificationSerializer(many=True), **errors(401, 403)},
        summary="Your own notifications, unread first, newest first",
    )
    def get(self, request: Request) -> Response:
        page = self.paginate_queryset(notifications.inbox(request.user))
        return self.get_paginated_response(self.get_serializer(page, many=True).data)


class NotificationReadView(generics.GenericAPIView):
    permission_classes = [StaffOnly]
    serializer_class = NotificationSerializer

    @extend_schema(
        request=None,
        responses={200: NotificationSerializer, **errors(401, 403, 404)},
        summary="Mark one of your notifications read",
        description="Someone else's notification answers 404. Marking it again changes nothing.",
    )
    def post(self, request: Request, pk: int) -> Response:
        get_object_or_404(Notification.objects.only("id"), pk=pk, user=request.user)
        notifications.mark_read(request.user, [pk])
        return Response(self.get_serializer(Notification.objects.get(pk=pk)).data)
