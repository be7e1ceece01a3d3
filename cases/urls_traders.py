"""The trader page and account restrictions (cases/views/traders.py). A trader's id is
the exchange's and may hold a slash, so it is the last part of its path; the actions
name the restriction by its own id."""

from __future__ import annotations

from django.urls import path

from .views import traders

urlpatterns = [
    path(
        "restrictions/proposals/",
        traders.restriction_proposals,
        name="restriction_proposals",
    ),
    path("restrictions/<int:pk>/lift", traders.restriction_lift, name="restriction_lift"),
    path("restrictions/<int:pk>/decide", traders.restriction_decide, name="restriction_decide"),
    path("traders/<path:external_id>/", traders.trader, name="trader"),
]
