from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.db.models import Count
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from cases.models import Appeal


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """The landing page after login: counts per status and the user's own cases."""
    counts = dict(
        Appeal.objects.values_list("status").annotate(n=Count("id")).values_list("status", "n")
    )
    mine = (
        Appeal.objects.filter(assignee=request.user)
        .exclude(status__in=Appeal.CLOSED_STATUSES)
        .select_related("order")
        .order_by("resolution_due_at")[:25]
    )
    statuses = [(s, label, counts.get(s, 0)) for s, label in Appeal.Status.choices]
    return render(request, "cases/home.html", {"statuses": statuses, "mine": mine})
