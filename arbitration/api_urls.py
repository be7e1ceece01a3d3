"""/api/v1/: the integration contract's paths, exactly."""

from __future__ import annotations

from django.urls import path

from analytics.api import DailyMetricsView
from cases import api
from evidence.api import EvidenceView

urlpatterns = [
    path("orders/", api.OrderUpsertView.as_view(), name="order-upsert"),
    path("orders/<str:external_id>/", api.OrderDetailView.as_view(), name="order-detail"),
    path("orders/<str:external_id>/chat/", api.ChatView.as_view(), name="order-chat"),
    path("traders/<str:external_id>/signals/", api.SignalsView.as_view(), name="trader-signals"),
    path("appeals/", api.AppealListView.as_view(), name="appeal-list"),
    path("appeals/<int:pk>/", api.AppealDetailView.as_view(), name="appeal-detail"),
    path("appeals/<int:pk>/cancel/", api.AppealCancelView.as_view(), name="appeal-cancel"),
    path("appeals/<int:pk>/verdict/", api.VerdictView.as_view(), name="appeal-verdict"),
    path("appeals/<int:pk>/evidence/", EvidenceView.as_view(), name="appeal-evidence"),
    path("appeals/<int:pk>/review/", api.ReviewView.as_view(), name="appeal-review"),
    path("rules/", api.RuleListView.as_view(), name="rule-list"),
    path("metrics/daily/", DailyMetricsView.as_view(), name="metrics-daily"),
]
