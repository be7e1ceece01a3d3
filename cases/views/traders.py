"""The trader page and account restrictions in the browser.

Every desk role reads a trader (auditors and arbitrators included); what the page offers
comes from the lifecycle's guards (can_restrict, can_propose_restriction,
can_lift_restriction, can_decide_restriction), and every action calls one lifecycle
function, which asks the same guard again under the trader's lock. The team leads' list of
proposals waiting is `restriction_proposals`.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from arbitration.exceptions import DomainError
from arbitration.permissions import staff_required
from cases import lifecycle
from cases.forms_traders import DecideForm, LiftForm, RestrictionForm
from cases.models import AccountRestriction, Trader
from cases.selectors import trader as selectors


def _trader_or_404(external_id: str) -> Trader:
    # PostgreSQL text cannot hold NUL: such an id names nobody (and must not reach SQL).
    if "\x00" in external_id:
        raise Http404
    return get_object_or_404(Trader, external_id=external_id)


def _page_url(trader: Trader) -> str:
    return reverse("cases:trader", kwargs={"external_id": trader.external_id})


def _add_domain_error(form: forms.Form, exc: DomainError) -> None:
    field = exc.field if exc.field in form.fields else None
    form.add_error(field, exc.message)


def _abilities(user: Any, facts: selectors.TraderFacts) -> dict[str, Any]:
    """What the page offers this user, from the guards."""
    return {
        "restrict": bool(lifecycle.can_restrict(user)),
        "propose": bool(lifecycle.can_propose_restriction(user)),
        "lift": {r.pk for r in facts.active if lifecycle.can_lift_restriction(user, r, facts.now)},
    }


def decide_rows(user: Any, waiting: list[AccountRestriction]) -> list[dict[str, Any]]:
    """Each waiting proposal with what this user may do to it: decide at all (a team
    lead), and why not approve (their own proposal), from the guard."""
    rows = []
    for r in waiting:
        approval = lifecycle.can_decide_restriction(user, r, approve=True)
        rows.append(
            {
                "r": r,
                "decide": bool(lifecycle.can_decide_restriction(user, r, approve=False)),
                "approve_refusal": approval.reason,
            }
        )
    return rows


def _trader_page(
    request: HttpRequest, trader: Trader, form: RestrictionForm, status: int = 200
) -> HttpResponse:
    facts = selectors.trader_facts(trader)
    return render(
        request,
        "cases/trader.html",
        {
            "page": "trader",
            "facts": facts,
            "t": trader,
            "can": _abilities(request.user, facts),
            "waiting": decide_rows(request.user, facts.waiting),
            "form": form,
            "lift_form": LiftForm(),
            "now": facts.now,
        },
        status=status,
    )


@require_http_methods(["GET", "POST"])
@staff_required
def trader(request: HttpRequest, external_id: str) -> HttpResponse:
    """GET: the trader. POST: restrict at once (seniors, leads) or propose (risk
    analysts); the lifecycle refuses anyone else."""
    found = _trader_or_404(external_id)
    if request.method != "POST":
        return _trader_page(request, found, RestrictionForm())
    form = RestrictionForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        direct = bool(lifecycle.can_restrict(request.user))
        act = lifecycle.restriction_add if direct else lifecycle.restriction_propose
        try:
            act(
                actor=request.user,
                trader=found,
                functions=data["functions"],
                reason=data["reason"],
                until=data["until"],
            )
        except DomainError as exc:
            if exc.status == 403:
                raise PermissionDenied(exc.message) from exc
            _add_domain_error(form, exc)
        else:
            messages.success(
                request,
                _("The account is restricted now; the exchange is told.")
                if direct
                else _("Proposed: a team lead approves it before it takes effect."),
            )
            return redirect(_page_url(found))
    messages.error(request, _("Please correct the form below; nothing was restricted."))
    return _trader_page(request, found, form, status=400)


def _restriction_or_404(pk: int) -> AccountRestriction:
    return get_object_or_404(AccountRestriction.objects.select_related("trader"), pk=pk)


@require_POST
@staff_required
def restriction_lift(request: HttpRequest, pk: int) -> HttpResponse:
    restriction = _restriction_or_404(pk)
    form = LiftForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Say why the restriction is lifted; nothing was lifted."))
        return redirect(_page_url(restriction.trader))
    try:
        lifecycle.restriction_lift(
            actor=request.user, restriction_id=pk, reason=form.cleaned_data["reason"]
        )
    except DomainError as exc:
        if exc.status == 403:
            raise PermissionDenied(exc.message) from exc
        messages.error(request, exc.message)
    else:
        messages.success(request, _("The restriction is lifted; the exchange is told."))
    return redirect(_page_url(restriction.trader))


@require_POST
@staff_required
def restriction_decide(request: HttpRequest, pk: int) -> HttpResponse:
    restriction = _restriction_or_404(pk)
    form = DecideForm(request.POST)
    back = request.POST.get("next") == "proposals"
    target = reverse("cases:restriction_proposals") if back else _page_url(restriction.trader)
    if not form.is_valid():
        messages.error(request, _("Approve or reject the proposal; nothing was decided."))
        return redirect(target)
    approve = form.cleaned_data["decision"] == "approve"
    try:
        lifecycle.restriction_proposal_decide(
            actor=request.user, restriction_id=pk, approve=approve, note=form.cleaned_data["note"]
        )
    except DomainError as exc:
        if exc.status == 403 and not lifecycle.can_decide_restriction(
            request.user, restriction, approve=False
        ):
            raise PermissionDenied(exc.message) from exc
        messages.error(request, exc.message)
    else:
        messages.success(
            request,
            _("Approved: the account is restricted now.")
            if approve
            else _("Rejected: the proposal never applies."),
        )
    return redirect(target)


@require_GET
@staff_required
def restriction_proposals(request: HttpRequest) -> HttpResponse:
    """The proposals waiting for a team lead, oldest first: team leads decide here; other
    roles may look (a risk analyst follows their own), and nothing else is offered them."""
    waiting = list(selectors.waiting_proposals()[: selectors.PROPOSALS_MAX])
    return render(
        request,
        "cases/restriction_proposals.html",
        {
            "page": "proposals",
            "rows": decide_rows(request.user, waiting),
            "shown": selectors.PROPOSALS_MAX,
        },
    )
