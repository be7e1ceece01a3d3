"""The team lead's KPI dashboard, its CSV exports, and the printable management report.

Everything shown is read from the precomputed daily rows (analytics.selectors): a page
costs the same few queries for a week as for a year. The views parse the request, read
the figures and hand them to analytics.presenters, which make what the templates print.
"""

from __future__ import annotations

import csv

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import render
from django.views.decorators.http import require_GET

from arbitration.permissions import metrics_required

from .forms import DEFAULT_PRESET, DashboardForm, ReportForm
from .presenters.charts import chart_data, volume_svg
from .presenters.links import csv_base, dashboard_url, preset_pills, report_url
from .presenters.report import hot_spots, report_nav, sla_rows, summary_sentences
from .presenters.tables import (
    Table,
    amounts_table,
    arbitrators_table,
    dashboard_tables,
    outcomes_table,
    reasons_table,
    responsible_table,
)
from .presenters.tiles import kpi_tiles
from .selectors import Period, arbitrator_totals, metrics_periods, ops_today


def csv_response(table: Table, period: Period) -> HttpResponse:
    """One table as a download named after it and the range."""
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    name = f"appeal-metrics-{table.key}-{period.first}-to-{period.last}.csv"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    csv.writer(response).writerows(table.csv_rows())
    return response


@metrics_required
@require_GET
def dashboard(request: HttpRequest) -> HttpResponse:
    form = DashboardForm(request.GET or None)
    valid = form.is_bound and form.is_valid()
    if valid:
        period, preset = form.cleaned_data["period"], form.cleaned_data["preset"]
    elif form.is_bound and request.GET.get("format", "html") != "html":
        # A script asked for a file: it gets the errors, not a page.
        return HttpResponseBadRequest(
            "; ".join(f"{k}: {' '.join(v)}" for k, v in form.errors.items()),
            content_type="text/plain; charset=utf-8",
        )
    else:
        period = DashboardForm.default_period()
        preset = "" if form.is_bound else DEFAULT_PRESET
    current, previous = metrics_periods(period=period)
    exporting = valid and form.cleaned_data.get("format") == "csv"
    only = form.cleaned_data["table"] if exporting else None
    # Only the exported table, when a CSV is asked for: the arbitrators need a query.
    arbitrators = arbitrator_totals(period=period) if only in (None, "arbitrators") else []
    tables = dashboard_tables(
        period=period, current=current, previous=previous, arbitrators=arbitrators, only=only
    )
    if only is not None:
        return csv_response(tables[only], period)
    context = {
        "page": "dashboard",
        "form": form,
        "period": period,
        "previous_period": period.previous(),
        "preset": preset,
        "presets": preset_pills(preset),
        "today": ops_today(),
        "tiles": kpi_tiles(current, previous),
        "current": current,
        "missing_days": period.days - current.computed_days,
        "partial": any(d.is_partial for d in current.days),
        "tables": tables,
        "csv_base": csv_base(period),
        "charts": chart_data(period, current),
        "report_week_url": report_url("week"),
        "report_month_url": report_url("month"),
        "zone": settings.OPERATIONS_TIME_ZONE,
    }
    return render(request, "analytics/dashboard.html", context)


@metrics_required
@require_GET
def report(request: HttpRequest) -> HttpResponse:
    # No query string: the last complete week.
    form = ReportForm(request.GET or {"period": "week"})
    if not form.is_valid():
        # A way back to a report that exists.
        context = {"form": form, "page": "dashboard", "latest_report": report_url("week")}
        return render(request, "analytics/report.html", context, status=400)
    data = form.cleaned_data
    kind, period, previous_period = data["period"], data["report"], data["previous"]
    current, previous = metrics_periods(period=period, previous=previous_period)
    arbitrators = arbitrator_totals(period=period)
    summary = summary_sentences(kind, current, previous, arbitrators)
    arbitrator_table = arbitrators_table(period, arbitrators)
    today = ops_today()
    context = {
        # The report is the dashboard's printable side: the navigation marks the dashboard.
        "page": "dashboard",
        "form": form,
        "kind": kind,
        "period": period,
        "previous_period": previous_period,
        "partial": any(d.is_partial for d in current.days),
        "missing_days": period.days - current.computed_days,
        "tiles": kpi_tiles(current, previous),
        "summary": summary,
        "reasons": reasons_table(period, current, previous).html_rows()[:8],
        "responsible": responsible_table(current, previous).html_rows(),
        "outcomes": outcomes_table(current, previous).html_rows(),
        "sla": sla_rows(current, previous),
        "arbitrators": arbitrator_table.html_rows(),
        "arbitrator_columns": arbitrator_table.html_columns(),
        "hot_spots": hot_spots(current, previous)[:6],
        "amounts": amounts_table(current),
        "volume": volume_svg(period, current),
        "period_nav": report_nav(kind, period, today),
        "dashboard_url": dashboard_url(period),
        "zone": settings.OPERATIONS_TIME_ZONE,
        "generated": today,
    }
    return render(request, "analytics/report.html", context)
