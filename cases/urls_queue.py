from __future__ import annotations

from django.urls import path

from .views import queue

urlpatterns = [
    path("", queue.home, name="home"),
]
