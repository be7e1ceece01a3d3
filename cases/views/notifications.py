"""Every staff member's own notifications: the list (unread first), marking them read,
and the header bell's count, which the page polls.

The list and the count read the user's rows only (the notification_inbox index), in a
fixed number of queries whatever the length of the list.
"""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_POST

from arbitration.permissions import staff_required
from cases import notifications, roles
from cases.models import Notification
from cases.views.queue import is_partial

# The page shows this many; older read ones stay in the API.
SHOWN = 100
# htmx stops polling on this status (the session ended: no bell to update).
STOP_POLLING = 286


def _url(n: Notification) -> str:
    """Where the notification leads: a proposed restriction to the trader's page, anything
    else to its appeal."""
    if n.kind == Notification.Kind.RESTRICTION_PROPOSED and n.data.get("trader"):
        return reverse("cases:trader", kwargs={"external_id": n.data["trader"]})
    return reverse("cases:case", args=[n.appeal_id]) if n.appeal_id else ""


def _items(request: HttpRequest) -> list[dict]:
    rows = list(notifications.inbox(request.user)[:SHOWN])
    return [
        {
            "n": n,
            "text": notifications.render(n),
            "url": _url(n),
        }
        for n in rows
    ]


def _list(request: HttpRequest, *, status: int = 200) -> HttpResponse:
    partial = is_partial(request)
    context = {
        "page": "notifications",
        "items": _items(request),
        "unread": notifications.unread_count(request.user),
        "shown": SHOWN,
        "partial": partial,
    }
    # A fragment (the poll, a mark-read button) carries the bell out of band with it.
    template = "cases/partials/notification_list.html" if partial else "cases/notifications.html"
    return render(request, template, context, status=status)


@require_GET
@staff_required
def inbox(request: HttpRequest) -> HttpResponse:
    """The list; an htmx request (the poll, a mark-read button) gets the list only."""
    return _list(request)


@require_GET
def count(request: HttpRequest) -> HttpResponse:
    """The bell, for the header's poll: one count query on top of the session's."""
    user = request.user
    if not user.is_authenticated or not roles.is_staff_member(user):
        return HttpResponse(status=STOP_POLLING)
    return render(
        request,
        "cases/partials/notification_bell.html",
        {"unread": notifications.unread_count(user)},
    )


@require_POST
@staff_required
def mark_read(request: HttpRequest, pk: int) -> HttpResponse:
    # mark_read touches the user's own rows only: another's id changes nothing.
    notifications.mark_read(request.user, [pk])
    if is_partial(request):
        return _list(request)
    return redirect("cases:notifications")


@require_POST
@staff_required
def mark_all_read(request: HttpRequest) -> HttpResponse:
    done = notifications.mark_read(request.user)
    if is_partial(request):
        return _list(request)
    messages.success(
        request,
        ngettext("%(n)d notification marked read.", "%(n)d notifications marked read.", done)
        % {"n": done}
        if done
        else _("Nothing was unread."),
    )
    return redirect("cases:notifications")
