from __future__ import annotations

from django.urls import path

from . import views

app_name = "evidence"

urlpatterns = [
    path("", views.overview, name="overview"),
    path("accounts/", views.accounts, name="accounts"),
    path("accounts/<int:trader_id>/report/", views.report, name="report"),
    path("trends/", views.trends, name="trends"),
    path("losses/", views.losses, name="losses"),
    path("loopholes/", views.loopholes, name="loopholes"),
    path("cases/", views.cases, name="cases"),
]
