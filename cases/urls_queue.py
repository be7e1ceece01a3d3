from __future__ import annotations

from django.urls import path

from .views import account, queue

urlpatterns = [
    path("", queue.home, name="home"),
    path("queue/", queue.home, name="queue"),
    path("queue/claim-next/", queue.claim_next, name="claim_next"),
    path("escalations/", queue.escalations, name="escalations"),
    path("me/", account.profile, name="profile"),
]
