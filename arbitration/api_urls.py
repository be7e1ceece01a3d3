"""/api/v1/: the integration contract's paths, exactly."""

from __future__ import annotations

from django.urls import path

from analytics.api import DailyMetricsView
from cases import api, api_floor, api_traders
from evidence.api import EvidenceView

urlpatterns = [
    path("orders/", api.OrderUpsertView.as_view(), name="order-upsert"),
    path("orders/<str:external_id>/", api.OrderDetailView.as_view(), name="order-detail"),
    path("orders/<str:external_id>/chat/", api.ChatView.as_view(), name="order-chat"),
    path("traders/<str:external_id>/signals/", api.SignalsView.as_view(), name="trader-signals"),
    # v1.1, traders and account restrictions.
    path(
        "traders/<str:external_id>/",
        api_traders.TraderDetailView.as_view(),
        name="trader-detail",
    ),
    path(
        "traders/<str:external_id>/restrictions/",
        api_traders.RestrictionListView.as_view(),
        name="trader-restrictions",
    ),
    path(
        "traders/<str:external_id>/restrictions/<int:pk>/lift/",
        api_traders.RestrictionLiftView.as_view(),
        name="trader-restriction-lift",
    ),
    path("appeals/", api.AppealListView.as_view(), name="appeal-list"),
    path("appeals/<int:pk>/", api.AppealDetailView.as_view(), name="appeal-detail"),
    path("appeals/<int:pk>/cancel/", api.AppealCancelView.as_view(), name="appeal-cancel"),
    path("appeals/<int:pk>/verdict/", api.VerdictView.as_view(), name="appeal-verdict"),
    path("appeals/<int:pk>/evidence/", EvidenceView.as_view(), name="appeal-evidence"),
    path("appeals/<int:pk>/review/", api.ReviewView.as_view(), name="appeal-review"),
    path("rules/", api.RuleListView.as_view(), name="rule-list"),
    path("metrics/daily/", DailyMetricsView.as_view(), name="metrics-daily"),
    # v1.1, the floor.
    path("staff/", api_floor.StaffListView.as_view(), name="staff-list"),
    path("staff/<str:username>/", api_floor.StaffDetailView.as_view(), name="staff-detail"),
    path("sla-policies/", api_floor.SlaPolicyListView.as_view(), name="sla-policy-list"),
    path(
        "sla-policies/<int:pk>/",
        api_floor.SlaPolicyDetailView.as_view(),
        name="sla-policy-detail",
    ),
    path(
        "appeals/<int:pk>/evidence-requests/",
        api_floor.EvidenceRequestsView.as_view(),
        name="appeal-evidence-requests",
    ),
    path(
        "escalation-rules/",
        api_floor.EscalationRuleListView.as_view(),
        name="escalation-rule-list",
    ),
    path(
        "escalation-rules/<int:pk>/",
        api_floor.EscalationRuleDetailView.as_view(),
        name="escalation-rule-detail",
    ),
    path("incidents/", api_floor.IncidentListView.as_view(), name="incident-list"),
    path("incidents/<int:pk>/end/", api_floor.IncidentEndView.as_view(), name="incident-end"),
    path("notifications/", api_floor.NotificationListView.as_view(), name="notification-list"),
    path(
        "notifications/<int:pk>/read/",
        api_floor.NotificationReadView.as_view(),
        name="notification-read",
    ),
]
