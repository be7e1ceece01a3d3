from __future__ import annotations

from django.urls import path

from .views import account, notifications, queue

urlpatterns = [
    path("", queue.home, name="home"),
    path("queue/", queue.home, name="queue"),
    path("queue/claim-next/", queue.claim_next, name="claim_next"),
    path("queue/assign/", queue.bulk_assign, name="queue_bulk_assign"),
    path("escalations/", queue.escalations, name="escalations"),
    path("me/", account.profile, name="profile"),
    path("notifications/", notifications.inbox, name="notifications"),
    path("notifications/count/", notifications.count, name="notifications_count"),
    path("notifications/read-all/", notifications.mark_all_read, name="notifications_read_all"),
    path("notifications/<int:pk>/read/", notifications.mark_read, name="notification_read"),
]
