"""The risk analysts' pages: the overview (the score's weights), suspicious accounts (and
their CSV), fraud-pattern trends, losses, the rule-loophole finder, and the list of cases
behind any of their figures.

Who sees them: risk analysts, team leads and auditors (the dashboards' permission,
metrics_required): analysts mine the cases, leads turn findings into rules, auditors read.
Arbitrators and seniors do not: they decide each case on its own facts, and a desk-wide
ranking of suspects is not theirs to read (DOMAIN: a party's data only to the role that
needs it). Reporting an account (a restriction proposal) is for analysts and leads only.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from arbitration.exceptions import DomainError
from arbitration.permissions import metrics_required
from cases import lifecycle
from cases.models import AccountRestriction, Trader

from . import analysis, presenters
from .forms import CasesForm, LoopholeForm, RangeForm, ReportForm

ACCOUNTS_PER_PAGE = 25
CASES_PER_PAGE = 50


def may_report(user: Any) -> bool:
    """Whoever may propose a restriction (cases.lifecycle's guard: risk analysts, seniors,
    team leads) gets the report button; auditors only read."""
    return bool(lifecycle.can_propose_restriction(user))


def _invalid(request: HttpRequest, template: str, form: Any, page: str) -> HttpResponse:
    """Bad parameters: the page with the form's errors and no figures, as a 400."""
    context = {"form": form, "page": "risk", "tab": page, "weeks": form.default_range()}
    return render(request, template, context, status=400)


@metrics_required
@require_GET
def overview(request: HttpRequest) -> HttpResponse:
    context = {"page": "risk", "tab": "overview", "weights": presenters.weights_table()}
    return render(request, "evidence/overview.html", context)


class _Echo:
    """The file-like object csv.writer writes to: each row is returned, not stored."""

    def write(self, value: str) -> str:
        return value


def _accounts_csv(rows: Any, weeks: analysis.Weeks) -> StreamingHttpResponse:
    """The whole ranking, streamed from one query read in chunks."""
    writer = csv.writer(_Echo())

    def lines() -> Iterator[str]:
        yield writer.writerow(presenters.account_csv_header())
        for rank, row in enumerate(rows.iterator(chunk_size=2000), start=1):
            yield writer.writerow(presenters.account_csv_row(rank, row, analysis.row_codes(row)))

    response = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
    name = f"suspicious-accounts-{weeks.first}-{weeks.count}w.csv"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@metrics_required
@require_GET
def accounts(request: HttpRequest) -> HttpResponse:
    form = RangeForm(request.GET)
    if not form.is_valid():
        return _invalid(request, "evidence/accounts.html", form, "accounts")
    weeks, code = form.cleaned_data["range"], form.cleaned_data.get("code") or None
    rows = analysis.suspicious_accounts(weeks=weeks, code=code)
    if form.cleaned_data.get("format") == "csv":
        return _accounts_csv(rows, weeks)
    page = Paginator(rows, ACCOUNTS_PER_PAGE).get_page(form.cleaned_data["page"])
    offset = (page.number - 1) * ACCOUNTS_PER_PAGE
    details = analysis.account_details(list(page.object_list), weeks=weeks)
    query = request.GET.copy()
    query.pop("page", None)
    query["format"] = "csv"
    context = {
        "page": "risk",
        "tab": "accounts",
        "form": form,
        "weeks": weeks,
        "code": code,
        "accounts": [
            {**d, "rank": offset + i, "code_labels": presenters.code_labels(d["codes"])}
            for i, d in enumerate(details, start=1)
        ],
        "pager": page,
        "csv_url": f"?{query.urlencode()}",
        "page_query": _without_page(request),
        "may_report": may_report(request.user),
    }
    return render(request, "evidence/accounts.html", context)


def _without_page(request: HttpRequest) -> str:
    query = request.GET.copy()
    query.pop("page", None)
    return query.urlencode()


@metrics_required
@require_GET
def trends(request: HttpRequest) -> HttpResponse:
    form = RangeForm(request.GET)
    if not form.is_valid():
        return _invalid(request, "evidence/trends.html", form, "trends")
    weeks = form.cleaned_data["range"]
    view = presenters.trends_view(analysis.signal_trends(weeks=weeks), weeks)
    context = {
        "page": "risk",
        "tab": "trends",
        "form": form,
        "weeks": weeks,
        "trends": view,
        "charts": {"charts": {"trends": view["chart"]}, "bounds": []},
    }
    return render(request, "evidence/trends.html", context)


@metrics_required
@require_GET
def losses(request: HttpRequest) -> HttpResponse:
    form = RangeForm(request.GET)
    if not form.is_valid():
        return _invalid(request, "evidence/losses.html", form, "losses")
    weeks = form.cleaned_data["range"]
    view = presenters.losses_view(analysis.losses(weeks=weeks), weeks)
    context = {
        "page": "risk",
        "tab": "losses",
        "form": form,
        "weeks": weeks,
        "losses": view,
        "reasons": [presenters.reason_label(r) for r in analysis.LOSS_REASONS],
        "charts": {"charts": {"losses": view["chart"]}, "bounds": []},
    }
    return render(request, "evidence/losses.html", context)


@metrics_required
@require_GET
def loopholes(request: HttpRequest) -> HttpResponse:
    form = LoopholeForm(request.GET)
    if not form.is_valid():
        return _invalid(request, "evidence/loopholes.html", form, "loopholes")
    weeks, min_sample = form.cleaned_data["range"], form.cleaned_data["min_sample"]
    found = analysis.loopholes(weeks=weeks, min_sample=min_sample)
    context = {
        "page": "risk",
        "tab": "loopholes",
        "form": form,
        "weeks": weeks,
        "min_sample": min_sample,
        "factor": analysis.LOOPHOLE_FACTOR,
        "decided": found["n"],
        "average": {m: round(100 * r, 1) for m, r in found["average"].items()},
        "rows": presenters.loophole_rows(found["groups"], weeks, min_sample),
    }
    return render(request, "evidence/loopholes.html", context)


@metrics_required
@require_GET
def cases(request: HttpRequest) -> HttpResponse:
    """The cases behind a figure, paginated: appeals with a finding, or decided cases of
    a group and measure."""
    form = CasesForm(request.GET)
    if not form.is_valid():
        return _invalid(request, "evidence/cases.html", form, "cases")
    data, weeks = form.cleaned_data, form.cleaned_data["range"]
    if data.get("code"):
        appeals = analysis.cases_with_code(weeks=weeks, code=data["code"])
        page = Paginator(appeals, CASES_PER_PAGE).get_page(data["page"])
        items = [{"appeal": a, "verdict": None} for a in page.object_list]
        title = presenters.code_label(data["code"])
    else:
        measure = data.get("measure") or "decided"
        verdicts = analysis.decided_cases(
            weeks=weeks,
            measure=measure,
            dimension=data.get("dimension") or None,
            value=data.get("value"),
        )
        page = Paginator(verdicts, CASES_PER_PAGE).get_page(data["page"])
        items = [{"appeal": v.appeal, "verdict": v} for v in page.object_list]
        title = presenters.measure_label(measure)
        if data.get("dimension"):
            title = (
                f"{title} · {presenters.dimension_label(data['dimension'])}: "
                f"{presenters.group_label(data['dimension'], data.get('value') or '')}"
            )
    context = {
        "page": "risk",
        "tab": "cases",
        "form": form,
        "weeks": weeks,
        "title": title,
        "items": items,
        "pager": page,
        "page_query": _without_page(request),
    }
    return render(request, "evidence/cases.html", context)


@metrics_required
@require_POST
def report(request: HttpRequest, trader_id: int) -> HttpResponse:
    """One click on a ranking row: propose restricting the account's P2P trading, with the
    account's signals in the range as the reason; a team lead approves or rejects it
    (cases.lifecycle.restriction_propose, whose guard refuses auditors)."""
    trader = get_object_or_404(Trader, pk=trader_id)
    form = ReportForm(request.POST)
    back = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(back, {request.get_host()}, request.is_secure()):
        back = reverse("evidence:accounts")
    if not form.is_valid():
        messages.error(request, " ".join(e for errs in form.errors.values() for e in errs))
        return redirect(back)
    weeks = form.cleaned_data["range"]
    reason = presenters.report_reason(
        analysis.trader_codes(trader_id=trader.pk, weeks=weeks), weeks
    )
    try:
        lifecycle.restriction_propose(
            actor=request.user,
            trader=trader,
            functions=[AccountRestriction.Function.P2P],
            reason=reason,
        )
    except DomainError as refusal:
        if refusal.status == 403:
            raise PermissionDenied(refusal.message) from None
        messages.error(request, refusal.message)
        return redirect(back)
    messages.success(
        request,
        _("Restricting %(trader)s's P2P trading is proposed; a team lead decides.")
        % {"trader": trader.external_id},
    )
    return redirect(back)
