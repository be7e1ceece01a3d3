"""The queue: the landing page after login, the escalations preset, and "claim next".

Every staff role reads the queue; the roles that work appeals also claim from it.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_GET, require_POST

from arbitration.exceptions import DomainError
from arbitration.permissions import staff_required
from cases import lifecycle, roles
from cases.filters import QueueFilter
from cases.floor.schedule import roster
from cases.forms_queue import BulkAssignForm
from cases.models import Appeal
from cases.selectors import queue as queue_selectors
from cases.selectors.queue import (
    DEFAULT_SORT,
    queue_languages,
    queue_page,
    queue_payment_methods,
    queue_queryset,
    queue_status_counts,
)

# Assets with a four-eyes threshold: the asset field's suggestions, without a query.
ASSET_SUGGESTIONS = tuple(a for a in settings.FOUR_EYES_THRESHOLDS if a != "*")


def is_partial(request: HttpRequest) -> bool:
    """An htmx request for the results only (a filter change, a page link). A history
    restore after a cache miss asks for the whole page again."""
    return (
        request.headers.get("HX-Request") == "true"
        and request.headers.get("HX-History-Restore-Request") != "true"
    )


# Filters the dashboard links with; shown as removable pills, not as form fields.
DRILL_FIELDS = (
    "created_after",
    "created_before",
    "resolved_after",
    "resolved_before",
    "open_at",
    "breached",
    "channel",
)


@require_GET
@staff_required
def home(request: HttpRequest) -> HttpResponse:
    return _queue(
        request, default_status=Appeal.ACTIVE_STATUSES, title=gettext_lazy("Queue"), page="queue"
    )


@require_GET
@staff_required
def escalations(request: HttpRequest) -> HttpResponse:
    """The senior queue: the same page, preset to escalated appeals."""
    return _queue(
        request,
        default_status=(Appeal.Status.ESCALATED,),
        title=gettext_lazy("Escalations"),
        page="escalations",
    )


def _queue(
    request: HttpRequest, *, default_status: tuple[str, ...], title: str, page: str
) -> HttpResponse:
    now = timezone.now()
    filterset = QueueFilter(
        request.GET,
        request=request,
        queryset=queue_queryset(),
        default_status=default_status,
        languages=queue_languages(),
    )
    form = filterset.form
    form.is_valid()  # invalid fields are reported and left out; the valid ones apply
    sort = form.cleaned_data.get("sort") or DEFAULT_SORT
    result = queue_page(
        queryset=filterset.qs,
        sort=sort,
        after=request.GET.get("after", ""),
        size=queue_selectors.PAGE_SIZE,
    )

    params = request.GET.copy()
    params.pop("after", None)
    first_url = f"?{params.urlencode()}" if params else request.path
    next_url = ""
    if result.next_cursor:
        params["after"] = result.next_cursor
        next_url = f"?{params.urlencode()}"

    chosen = set(form.cleaned_data.get("status") or ())
    if page == "queue" and form.cleaned_data.get("assignee") == "me":
        page = "mine"
    partial = is_partial(request)
    can_bulk = roles.has(request.user, roles.ASSIGN)
    context = {
        "title": title,
        "page": page,
        "partial": partial,
        "now": now,
        "filter": filterset,
        "form": form,
        "drill_fields": DRILL_FIELDS,
        "searching": filterset.searching,
        "rows": result.rows,
        "first_page": result.is_first,
        "first_url": first_url,
        "next_url": next_url,
        "counts": [
            {
                "count": c,
                "url": _status_url(c.status),
                "selected": c.status in chosen and not filterset.searching,
            }
            for c in queue_status_counts(now=now)
        ],
        "can_claim": roles.has(request.user, roles.WORK),
        # Seniors and leads reassign in bulk; arbitrators claim by hand. The form (and the
        # roster behind its select) sits outside the results, so a fragment needs neither.
        "can_bulk": can_bulk,
        "bulk": BulkAssignForm(people=roster(now)) if can_bulk and not partial else None,
        "payment_methods": queue_payment_methods(),
        "assets": ASSET_SUGGESTIONS,
        "page_size": len(result.rows),
    }
    template = "cases/partials/queue_results.html" if partial else "cases/queue.html"
    response = render(request, template, context)
    # The same URL answers with a fragment or a page: caches must keep them apart.
    patch_vary_headers(response, ("HX-Request",))
    return response


def _status_url(status: str) -> str:
    params = QueryDict(mutable=True)
    params["status"] = status
    if status in Appeal.CLOSED_STATUSES:
        params["closed"] = "today"
        params["sort"] = "-age"
    return f"?{params.urlencode()}"


@require_POST
@staff_required
def claim_next(request: HttpRequest) -> HttpResponse:
    """Claim the most urgent unassigned open appeal and open it."""
    if not roles.has(request.user, roles.WORK):
        raise PermissionDenied(_("Your role reads the queue but does not claim appeals."))
    return claim_and_open(request)


def claim_and_open(request: HttpRequest) -> HttpResponse:
    """Claim the most urgent unassigned open appeal through the lifecycle and open it, or
    go back to the queue saying why not (a refusal, or nothing left to claim). The queue's
    Claim next and the case page's "decide, then the next case" both end here."""
    try:
        appeal = lifecycle.appeal_claim_next(actor=request.user)
    except DomainError as error:
        messages.error(request, error.message)
        return redirect("cases:home")
    if appeal is None:
        messages.info(request, _("The queue is empty: no unassigned open appeal to claim."))
        return redirect("cases:home")
    messages.success(
        request,
        _("You claimed appeal #%(id)s (order %(order)s).")
        % {"id": appeal.pk, "order": appeal.order.external_id},
    )
    return redirect(appeal)


def open_next_case(request: HttpRequest) -> HttpResponse:
    """After a decision: the user's own next case still in review, else a newly claimed
    one (claim_and_open)."""
    mine = queue_selectors.my_next_case(request.user)
    if mine is not None:
        messages.info(
            request,
            _("Next: your appeal #%(id)s (order %(order)s), still in review.")
            % {"id": mine.pk, "order": mine.order.external_id},
        )
        return redirect(mine)
    return claim_and_open(request)


def _back(request: HttpRequest) -> str:
    """Where the bulk form came from (its filters kept), if it is this site's."""
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return reverse("cases:home")


@require_POST
@staff_required
def bulk_assign(request: HttpRequest) -> HttpResponse:
    """Assign the ticked appeals to one person (or back to the pool): each one its own
    lifecycle.appeal_assign, so one refusal stops nothing else, and the message says how
    many went and why the others did not."""
    if not roles.has(request.user, roles.ASSIGN):
        raise PermissionDenied(_("Your role does not assign appeals."))
    form = BulkAssignForm(request.POST, people=roster())
    back = _back(request)
    if not form.is_valid():
        problems = [str(e) for errors in form.errors.values() for e in errors]
        messages.error(request, _("Nothing was assigned: %(why)s") % {"why": " ".join(problems)})
        return redirect(back)
    assignee = form.cleaned_data["assignee"]
    done: list[int] = []
    refused: list[str] = []
    for appeal_id, seen in form.cleaned_data["appeal"]:
        try:
            lifecycle.appeal_assign(
                appeal_id=appeal_id,
                assignee=assignee,
                actor=request.user,
                expected_updated_at=seen,
            )
        except lifecycle.StaleAppeal:
            refused.append(_("#%(id)s changed since the page was drawn") % {"id": appeal_id})
        except DomainError as error:
            refused.append(f"#{appeal_id}: {str(error.message).rstrip('.。')}")
        else:
            done.append(appeal_id)
    if assignee is None:
        sent = ngettext("%(n)d back in the pool", "%(n)d back in the pool", len(done)) % {
            "n": len(done)
        }
    else:
        sent = ngettext("%(n)d assigned to %(user)s", "%(n)d assigned to %(user)s", len(done)) % {
            "n": len(done),
            "user": assignee.get_username(),
        }
    if refused:
        text = ngettext(
            "%(sent)s, %(n)d refused: %(why)s", "%(sent)s, %(n)d refused: %(why)s", len(refused)
        ) % {"sent": sent, "n": len(refused), "why": "; ".join(refused)}
        (messages.warning if done else messages.error)(request, text)
    else:
        messages.success(request, sent)
    return redirect(back)
