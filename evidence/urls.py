from __future__ import annotations

from django.urls import path

from . import views

app_name = "evidence"

urlpatterns = [
    path("", views.overview, name="overview"),
    path("accounts/", views.accounts, name="accounts"),
    path("trends/", views.trends, name="trends"),
    path("losses/", views.losses, name="losses"),
    path("loopholes/", views.loopholes, name="loopholes"),
    path("cases/", views.cases, name="cases"),
]
