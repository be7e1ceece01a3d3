from __future__ import annotations

from django.urls import include, path

app_name = "cases"

# The queue (landing page, filters, claim next, profile) and the case page with its
# actions live in separate modules: cases/views/queue.py and cases/views/case.py.
urlpatterns = [
    path("", include("cases.urls_queue")),
    path("", include("cases.urls_case")),
    path("", include("cases.urls_floor")),
    path("", include("cases.urls_traders")),
]
