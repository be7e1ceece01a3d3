"""The team lead's KPI dashboard, its CSV exports, and the printable management report.

Everything shown is read from the precomputed daily rows (analytics.selectors): a page
costs the same few queries for a week as for a year. Charts get their data, and the queue
link behind every bar and point, through one `json_script` block that
static/js/dashboard.js reads: the Content-Security-Policy allows no inline script.
"""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any
from urllib.parse import quote, urlencode

from django.conf import settings
from django.contrib.auth.decorators import login_required, user_passes_test
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest, QueryDict
from django.shortcuts import render
from django.urls import reverse
from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.utils.translation import pgettext
from django.views.decorators.http import require_GET

from cases import roles
from cases.models import Appeal, Verdict

from .forms import PRESETS, DashboardForm, ReportForm
from .selectors import (
    Period,
    PeriodTotals,
    arbitrator_totals,
    day_bounds,
    metrics_periods,
    ops_today,
)

S = Appeal.Status
# The asset the desk counts money in (the KPI tile); every asset is in the tables.
MAIN_ASSET = "USDT"
ALL_STATUSES = [status.value for status in S]
ACTIVE_STATUSES = [s for s in ALL_STATUSES if s not in Appeal.CLOSED_STATUSES]


# --- formatting ---------------------------------------------------------------------------

DASH = "—"


def fmt_int(value: int | None) -> str:
    return DASH if value is None else number_format(value, force_grouping=True)


def fmt_pct(value: float | None) -> str:
    return DASH if value is None else f"{value * 100:.1f}%"


def fmt_duration(seconds: float | None) -> str:
    """3h 20m, 2d 4h, 12m, 45s: the two largest units."""
    if seconds is None:
        return DASH
    seconds = int(round(seconds))
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    if days:
        return _("%(days)dd %(hours)dh") % {"days": days, "hours": hours}
    if hours:
        return _("%(hours)dh %(minutes)dm") % {"hours": hours, "minutes": minutes}
    if minutes:
        return _("%(minutes)dm") % {"minutes": minutes}
    return _("%(seconds)ds") % {"seconds": secs}


def fmt_amount(value: Decimal | str | None) -> str:
    if value is None:
        return DASH
    value = Decimal(value)
    if value == value.to_integral_value():
        return number_format(value.quantize(Decimal(1)), force_grouping=True)
    return number_format(value.normalize(), force_grouping=True)


def change(current: float | None, previous: float | None) -> float | None:
    """Relative change, None when there is nothing to compare with."""
    if current is None or previous is None or previous == 0:
        return None
    return (current - previous) / previous


def fmt_change(current: float | None, previous: float | None) -> str:
    ratio = change(current, previous)
    if ratio is None:
        if previous == 0 and current:
            return _("new")
        return DASH
    return pct_change(ratio)


def pct_change(ratio: float) -> str:
    """+12%, -3%, and 0% (not +0%) when nothing moved."""
    text = f"{ratio * 100:+.0f}%"
    return "0%" if text in ("+0%", "-0%") else text


def reason_label(code: str) -> str:
    return str(Appeal.Reason(code).label) if code in Appeal.Reason.values else code


def channel_label(code: str) -> str:
    return str(Appeal.Channel(code).label) if code in Appeal.Channel.values else code


def method_label(code: str) -> str:
    return code or _("(none)")


# --- links to the queue -------------------------------------------------------------------


def _iso(moment: datetime) -> str:
    # 2026-11-20T00:00+08:00: a day boundary of the operations time zone, as people read it.
    return moment.isoformat(timespec="minutes")


# Which timestamp a link's time window filters on, as the queue's GET parameters, and the
# statuses it shows. `status` is always explicit, so the queue's default (the active
# statuses) never hides a closed case behind a figure.
WINDOWS = {
    "created": ("created_after={after}&created_before={before}", ALL_STATUSES),
    "resolved": ("resolved_after={after}&resolved_before={before}", [S.RESOLVED.value]),
    # Neither resolved nor cancelled at `before`: created before it, closed (if ever) after.
    "open_at": ("open_at={before}", ALL_STATUSES),
}


def link_template(window: str, **filters: Any) -> str:
    """A queue URL with {after} and {before} left to fill: one reverse() and one urlencode
    for a whole series of days. The charts send these, not one URL per bar."""
    times, statuses = WINDOWS[window]
    query = urlencode([*filters.items(), ("status", statuses)], doseq=True)
    return f"{reverse('cases:home')}?{query}&{times}"


def encoded_bounds(start: datetime, end: datetime) -> list[str]:
    return [quote(_iso(start), safe=""), quote(_iso(end), safe="")]


def fill(template: str, start: datetime, end: datetime) -> str:
    after, before = encoded_bounds(start, end)
    return template.replace("{after}", after).replace("{before}", before)


def opened_url(start: datetime, end: datetime, **filters: Any) -> str:
    """The queue filtered to the appeals opened in [start, end), in any status."""
    return fill(link_template("created", **filters), start, end)


def resolved_url(start: datetime, end: datetime, **filters: Any) -> str:
    """The queue filtered to the appeals resolved in [start, end)."""
    return fill(link_template("resolved", **filters), start, end)


# --- tables (HTML and CSV from one definition) --------------------------------------------


@dataclass
class Column:
    key: str
    label: str
    kind: str = "int"  # text | int | pct | seconds | amount | change | date
    html: bool = True  # False: in the CSV only


@dataclass
class Table:
    key: str
    title: str
    columns: list[Column]
    rows: list[dict[str, Any]] = field(default_factory=list)
    note: str = ""

    FORMATS: dict[str, Callable[[Any], str]] = field(
        default_factory=lambda: {
            "int": fmt_int,
            "pct": fmt_pct,
            "seconds": fmt_duration,
            "amount": fmt_amount,
            "text": lambda v: DASH if v in (None, "") else str(v),
            "change": lambda v: v,
            "date": lambda v: v.isoformat() if v else DASH,
        },
        repr=False,
    )

    def html_columns(self) -> list[Column]:
        return [c for c in self.columns if c.html]

    def html_rows(self) -> list[list[dict[str, Any]]]:
        out = []
        for row in self.rows:
            cells = []
            for i, column in enumerate(self.html_columns()):
                value = row.get(column.key)
                cells.append(
                    {
                        "text": self.FORMATS[column.kind](value),
                        "numeric": column.kind not in ("text", "date"),
                        "link": row.get("_link") if i == 0 else None,
                        "title": row.get("_title", "") if i == 0 else "",
                    }
                )
            out.append(cells)
        return out

    def csv_rows(self) -> Iterable[list[Any]]:
        yield [c.key for c in self.columns]
        for row in self.rows:
            yield [_csv_value(row.get(c.key), c.kind) for c in self.columns]


def _csv_value(value: Any, kind: str) -> Any:
    if value is None:
        return ""
    if kind == "date":
        return value.isoformat()
    if kind == "pct":
        return f"{value:.4f}"
    if kind == "amount":
        return format(Decimal(value).normalize(), "f")
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        # A spreadsheet would run it as a formula: payment-method names come from outside.
        return "'" + value
    return value


def csv_response(table: Table, period: Period) -> HttpResponse:
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    name = f"appeal-metrics-{table.key}-{period.first}-to-{period.last}.csv"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    writer = csv.writer(response)
    writer.writerows(table.csv_rows())
    return response


def daily_table(period: Period, current: PeriodTotals) -> Table:
    by_date = {d.date: d for d in current.days}
    reasons = Appeal.Reason.values
    columns = [
        Column("date", _("Day"), "date"),
        Column("is_partial", _("Partial"), "text", html=False),
        Column("appeals_opened", _("Opened")),
        Column("appeals_resolved", _("Resolved")),
        Column("appeals_cancelled", _("Cancelled")),
        Column("verdicts", _("Verdicts"), html=False),
        Column("appellant_wins", _("Appellant wins"), html=False),
        Column("appellant_success_rate", _("Appellant success"), "pct"),
        Column("median_first_response_seconds", _("Median first response"), "seconds"),
        Column("p90_first_response_seconds", _("p90 first response"), "seconds"),
        Column("median_resolution_seconds", _("Median resolution"), "seconds"),
        Column("p90_resolution_seconds", _("p90 resolution"), "seconds"),
        Column("sla_breaches", _("SLA breaches")),
        Column("backlog", _("Backlog at end")),
        Column("escalations", _("Escalations")),
        Column("sent_back", _("Sent back")),
        Column("reversals", _("Reversals")),
        Column(f"frozen_{MAIN_ASSET}", _("%(asset)s frozen") % {"asset": MAIN_ASSET}, "amount"),
        *[Column(f"opened_{r}", reason_label(r), html=False) for r in reasons],
    ]
    rows = []
    opened = link_template("created")
    for day in reversed(period.dates()):
        metric = by_date.get(day)
        if metric is None:
            continue
        row = {c.key: getattr(metric, c.key, None) for c in columns}
        row["is_partial"] = "yes" if metric.is_partial else "no"
        row[f"frozen_{MAIN_ASSET}"] = metric.frozen_amounts.get(MAIN_ASSET, "0")
        for r in reasons:
            row[f"opened_{r}"] = metric.by_reason.get(r, 0)
        row["_link"] = fill(opened, *day_bounds(day))
        row["_title"] = _("Partial: today is not over") if metric.is_partial else ""
        rows.append(row)
    return Table("daily", _("Day by day"), columns, rows)


def _share_rows(current: dict[str, int], previous: dict[str, int], keys: Iterable[str]) -> list:
    total = sum(current.values())
    return [
        {
            "key": key,
            "count": current.get(key, 0),
            "share": current.get(key, 0) / total if total else None,
            "previous": previous.get(key, 0),
            "change": fmt_change(current.get(key, 0), previous.get(key, 0)),
        }
        for key in keys
    ]


def reasons_table(period: Period, current: PeriodTotals, previous: PeriodTotals) -> Table:
    start, end = period.bounds()
    keys = sorted(
        set(current.by_reason) | set(previous.by_reason),
        key=lambda k: (-current.by_reason.get(k, 0), k),
    )
    rows = _share_rows(current.by_reason, previous.by_reason, keys)
    for row in rows:
        row["label"] = reason_label(row["key"])
        row["_link"] = opened_url(start, end, reason=row["key"])
    return Table(
        "reasons",
        _("Appeals by reason"),
        [
            Column("label", _("Reason"), "text"),
            Column("key", _("Code"), "text", html=False),
            Column("count", _("Opened")),
            Column("share", _("Share"), "pct"),
            Column("previous", _("Previous period")),
            Column("change", _("Change"), "change"),
        ],
        rows,
    )


def outcomes_table(current: PeriodTotals, previous: PeriodTotals) -> Table:
    keys = [
        k for k in Verdict.Outcome.values if k in current.by_outcome or k in previous.by_outcome
    ]
    rows = _share_rows(current.by_outcome, previous.by_outcome, keys)
    for row in rows:
        row["label"] = str(Verdict.Outcome(row["key"]).label)
    return Table(
        "outcomes",
        _("Verdicts by outcome"),
        [
            Column("label", _("Outcome"), "text"),
            Column("key", _("Code"), "text", html=False),
            Column("count", _("Verdicts")),
            Column("share", _("Share"), "pct"),
            Column("previous", _("Previous period")),
            Column("change", _("Change"), "change"),
        ],
        rows,
    )


def responsible_table(current: PeriodTotals, previous: PeriodTotals) -> Table:
    parties = Verdict.ResponsibleParty
    keys = [
        k
        for k in parties.values
        if k in current.by_responsible_party or k in previous.by_responsible_party
    ]
    rows = _share_rows(current.by_responsible_party, previous.by_responsible_party, keys)
    for row in rows:
        row["label"] = str(parties(row["key"]).label)
    return Table(
        "responsible_parties",
        _("Responsible party"),
        [
            Column("label", _("Responsible"), "text"),
            Column("key", _("Code"), "text", html=False),
            Column("count", _("Verdicts")),
            Column("share", _("Share"), "pct"),
            Column("previous", _("Previous period")),
            Column("change", _("Change"), "change"),
        ],
        rows,
    )


def arbitrators_table(period: Period, rows: list[dict[str, Any]]) -> Table:
    start, end = period.bounds()
    for row in rows:
        row["_link"] = resolved_url(start, end, assignee=row["user_id"])
    return Table(
        "arbitrators",
        _("Arbitrators"),
        [
            Column("username", _("Arbitrator"), "text"),
            Column("resolved", _("Resolved")),
            Column("median_handling_seconds", _("Median handling"), "seconds"),
            Column("escalations", _("Escalations")),
            Column("sent_back", _("Sent back at four-eyes")),
            Column("sla_breaches", _("SLA breaches")),
            Column("reversals", _("Reversals")),
        ],
        rows,
        note=_(
            "Median handling (first response to verdict) over the range: each day's median "
            "weighted by the cases resolved that day."
        ),
    )


def breakdown_table(
    key: str,
    title: str,
    first_label: str,
    label: Callable[[str], str],
    link: Callable[[str], str],
    current: dict[str, dict[str, int]],
    previous: dict[str, dict[str, int]],
) -> Table:
    keys = sorted(
        set(current) | set(previous),
        key=lambda k: (-current.get(k, {}).get("opened", 0), k),
    )
    rows = []
    for k in keys:
        now, before = current.get(k, {}), previous.get(k, {})
        verdicts = now.get("verdicts", 0)
        rows.append(
            {
                "label": label(k),
                "key": k,
                "opened": now.get("opened", 0),
                "previous_opened": before.get("opened", 0),
                "change": fmt_change(now.get("opened", 0), before.get("opened", 0)),
                "resolved": now.get("resolved", 0),
                "verdicts": verdicts,
                "appellant_wins": now.get("appellant_wins", 0),
                "appellant_success_rate": (
                    now.get("appellant_wins", 0) / verdicts if verdicts else None
                ),
                "_link": link(k),
            }
        )
    return Table(
        key,
        title,
        [
            Column("label", first_label, "text"),
            Column("key", _("Code"), "text", html=False),
            Column("opened", _("Opened")),
            Column("previous_opened", _("Previous period")),
            Column("change", _("Change"), "change"),
            Column("resolved", _("Resolved")),
            Column("verdicts", _("Verdicts"), html=False),
            Column("appellant_wins", _("Appellant wins"), html=False),
            Column("appellant_success_rate", _("Appellant success"), "pct"),
        ],
        rows,
    )


def amounts_table(current: PeriodTotals) -> Table:
    outcomes = Verdict.Outcome
    assets = sorted(
        set(current.frozen_amounts) | {a for v in current.decided_amounts.values() for a in v},
        key=lambda a: (a != MAIN_ASSET, a),
    )
    rows = []
    for asset in assets:
        row: dict[str, Any] = {"asset": asset, "frozen": current.frozen_amounts.get(asset)}
        for outcome in outcomes.values:
            row[outcome] = current.decided_amounts.get(outcome, {}).get(asset)
        rows.append(row)
    return Table(
        "amounts",
        _("Money frozen and decided"),
        [
            Column("asset", _("Asset"), "text"),
            Column("frozen", _("Frozen at end"), "amount"),
            *[Column(o, str(outcomes(o).label), "amount") for o in outcomes.values],
        ],
        rows,
        note=_("Frozen: escrow of appeals still open at the end of the last day."),
    )


# --- KPI tiles ----------------------------------------------------------------------------


def tile(
    key: str,
    label: str,
    current: float | None,
    previous: float | None,
    fmt: Callable[[Any], str],
    better: str | None,
    points: bool = False,
) -> dict[str, Any]:
    """`better`: "higher", "lower" or None (neither direction is good news)."""
    direction, delta = "flat", DASH
    if current is not None and previous is not None:
        # A change that rounds to nothing is shown as none: no arrow, no colour.
        if points:  # a rate: the change in percentage points
            diff = (current - previous) * 100
            direction = "up" if diff >= 0.05 else "down" if diff <= -0.05 else "flat"
            delta = _("%(points)+.1f pp") % {"points": diff} if direction != "flat" else "0.0 pp"
        else:
            ratio = change(current, previous)
            diff = current - previous
            if ratio is not None and abs(ratio) < 0.005:
                diff = 0
            direction = "up" if diff > 0 else "down" if diff < 0 else "flat"
            delta = pct_change(ratio) if ratio is not None else fmt_change(current, previous)
    tone = "neutral"
    if direction != "flat" and better:
        tone = "good" if (direction == "up") == (better == "higher") else "bad"
    return {
        "key": key,
        "label": label,
        "value": fmt(current),
        "previous": fmt(previous),
        "delta": delta,
        "arrow": {"up": "▲", "down": "▼"}.get(direction, "■"),
        "direction": direction,
        "tone": tone,
    }


def kpi_tiles(current: PeriodTotals, previous: PeriodTotals) -> list[dict[str, Any]]:
    def frozen(totals: PeriodTotals) -> Decimal | None:
        return totals.frozen(MAIN_ASSET)

    return [
        tile(
            "opened",
            _("Appeals opened"),
            current.appeals_opened,
            previous.appeals_opened,
            fmt_int,
            "lower",
        ),
        tile(
            "resolved",
            _("Appeals resolved"),
            current.appeals_resolved,
            previous.appeals_resolved,
            fmt_int,
            "higher",
        ),
        tile(
            "success",
            _("Appellant success rate"),
            current.appellant_success_rate,
            previous.appellant_success_rate,
            fmt_pct,
            None,
            points=True,
        ),
        tile(
            "first_response",
            _("Median first response"),
            current.median_first_response_seconds,
            previous.median_first_response_seconds,
            fmt_duration,
            "lower",
        ),
        tile(
            "resolution",
            _("Median resolution"),
            current.median_resolution_seconds,
            previous.median_resolution_seconds,
            fmt_duration,
            "lower",
        ),
        tile(
            "sla",
            _("SLA breaches"),
            current.sla_breaches,
            previous.sla_breaches,
            fmt_int,
            "lower",
        ),
        tile(
            "backlog",
            _("Backlog at end"),
            current.backlog,
            previous.backlog,
            fmt_int,
            "lower",
        ),
        tile(
            "frozen",
            _("%(asset)s frozen") % {"asset": MAIN_ASSET},
            frozen(current),
            frozen(previous),
            fmt_amount,
            "lower",
        ),
    ]


# --- charts -------------------------------------------------------------------------------


def chart_data(period: Period, current: PeriodTotals) -> dict[str, Any]:
    """Everything dashboard.js draws: labels, datasets and, for every element, the queue
    URL of the cases behind it. `links[dataset]` is either a list (one URL per label) or,
    for the charts by day, one template whose {after} and {before} are that day's
    `bounds` (already URL-encoded): a year of days stays a small page."""
    by_date = {d.date: d for d in current.days}
    days = period.dates()
    labels = [d.isoformat() for d in days]
    metric = [by_date.get(d) for d in days]

    def series(name: str, scale: float = 1.0) -> list[float | None]:
        out = []
        for m in metric:
            value = getattr(m, name) if m is not None else None
            out.append(None if value is None else round(value / scale, 2))
        return out

    resolved = link_template("resolved")
    reasons = [
        r for r in Appeal.Reason.values if any(m is not None and m.by_reason.get(r) for m in metric)
    ]
    start, end = period.bounds()
    methods = sorted(
        current.by_payment_method,
        key=lambda k: (-current.by_payment_method[k].get("opened", 0), k),
    )[:12]
    channels = sorted(
        current.by_channel, key=lambda k: (-current.by_channel[k].get("opened", 0), k)
    )
    charts = {
        "reasons": {
            "type": "bar",
            "stacked": True,
            "y": "int",
            "labels": labels,
            "datasets": [
                {
                    "key": r,
                    "label": reason_label(r),
                    "data": [m.by_reason.get(r, 0) if m is not None else None for m in metric],
                }
                for r in reasons
            ],
            "links": [link_template("created", reason=r) for r in reasons],
        },
        "success": {
            "type": "line",
            "y": "pct",
            "labels": labels,
            "datasets": [
                {
                    "key": "success",
                    "label": _("Appellant success rate"),
                    "data": series("appellant_success_rate", 0.01),
                }
            ],
            "links": [resolved],
        },
        "first_response": {
            "type": "line",
            "y": "minutes",
            "labels": labels,
            "datasets": [
                {
                    "key": "median",
                    "label": _("Median (minutes)"),
                    "data": series("median_first_response_seconds", 60),
                },
                {
                    "key": "p90",
                    "label": _("p90 (minutes)"),
                    "data": series("p90_first_response_seconds", 60),
                },
            ],
            "links": [resolved, resolved],
        },
        "resolution": {
            "type": "line",
            "y": "hours",
            "labels": labels,
            "datasets": [
                {
                    "key": "median",
                    "label": _("Median (hours)"),
                    "data": series("median_resolution_seconds", 3600),
                },
                {
                    "key": "p90",
                    "label": _("p90 (hours)"),
                    "data": series("p90_resolution_seconds", 3600),
                },
            ],
            "links": [resolved, resolved],
        },
        "sla_backlog": {
            "type": "bar",
            "y": "int",
            "labels": labels,
            "datasets": [
                {"key": "sla_breaches", "label": _("SLA breaches"), "data": series("sla_breaches")},
                {
                    "key": "backlog",
                    "label": _("Backlog at end of day"),
                    "data": series("backlog"),
                    "type": "line",
                    "yAxisID": "y2",
                },
            ],
            "links": [link_template("resolved", breached=1), link_template("open_at")],
        },
        "payment_methods": {
            "type": "bar",
            "horizontal": True,
            "y": "int",
            "labels": [method_label(k) for k in methods],
            "datasets": [
                {
                    "key": "opened",
                    "label": _("Opened"),
                    "data": [current.by_payment_method[k].get("opened", 0) for k in methods],
                },
                {
                    "key": "resolved",
                    "label": _("Resolved"),
                    "data": [current.by_payment_method[k].get("resolved", 0) for k in methods],
                },
            ],
            "links": [
                [opened_url(start, end, payment_method=k) for k in methods],
                [resolved_url(start, end, payment_method=k) for k in methods],
            ],
        },
        "channels": {
            "type": "bar",
            "horizontal": True,
            "y": "int",
            "labels": [channel_label(k) for k in channels],
            "datasets": [
                {
                    "key": "opened",
                    "label": _("Opened"),
                    "data": [current.by_channel[k].get("opened", 0) for k in channels],
                },
                {
                    "key": "resolved",
                    "label": _("Resolved"),
                    "data": [current.by_channel[k].get("resolved", 0) for k in channels],
                },
            ],
            "links": [
                [opened_url(start, end, channel=k) for k in channels],
                [resolved_url(start, end, channel=k) for k in channels],
            ],
        },
    }
    return {
        "bounds": [encoded_bounds(*day_bounds(d)) for d in days],
        "charts": charts,
        # Axis and tooltip units, translated here: the script has no catalogue.
        "units": {
            "minutes": pgettext("unit of time", "min"),
            "hours": pgettext("unit of time", "h"),
        },
    }


# --- views --------------------------------------------------------------------------------


def metrics_view(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Signed in (else the login page), with cases.view_metrics (else 403): team leads,
    and read-only the auditors and risk analysts."""

    def can_read_metrics(user: Any) -> bool:
        # The desk role decides, not is_superuser (cases.roles.has).
        if roles.has(user, roles.VIEW_METRICS):
            return True
        raise PermissionDenied

    return login_required(user_passes_test(can_read_metrics)(view))


@metrics_view
@require_GET
def dashboard(request: HttpRequest) -> HttpResponse:
    form = DashboardForm(request.GET or None)
    if form.is_bound and form.is_valid():
        data = form.cleaned_data
        period, preset = data["period"], data["preset"]
    else:
        if form.is_bound and request.GET.get("format", "html") != "html":
            return HttpResponseBadRequest(
                "; ".join(f"{k}: {' '.join(v)}" for k, v in form.errors.items()),
                content_type="text/plain; charset=utf-8",
            )
        period = DashboardForm.default_period()
        preset = "" if form.is_bound else "last_28"
    current, previous = metrics_periods(period=period)
    exporting = form.is_bound and form.is_valid() and form.cleaned_data.get("format") == "csv"
    wanted = form.cleaned_data.get("table") if exporting else None
    # Only the exported table, when a CSV is asked for: the arbitrators need a query.
    tables = _dashboard_tables(period, current, previous, only=wanted)
    if exporting:
        return csv_response(tables[0], period)
    prev = period.previous()
    context = {
        "page": "dashboard",
        "form": form,
        "period": period,
        "previous_period": prev,
        "preset": preset,
        "presets": [
            {"key": key, "label": label, "selected": key == preset} for key, label in PRESETS
        ],
        "today": ops_today(),
        "tiles": kpi_tiles(current, previous),
        "current": current,
        "missing_days": period.days - current.computed_days,
        "partial": any(d.is_partial for d in current.days),
        "tables": {t.key: t for t in tables},
        "table_order": [t for t in tables],
        "csv_base": _csv_base(period),
        "charts": chart_data(period, current),
        "report_week_url": reverse("analytics:report") + "?period=week",
        "report_month_url": reverse("analytics:report") + "?period=month",
        "zone": _zone_name(),
    }
    context["page"] = "dashboard"
    return render(request, "analytics/dashboard.html", context)


def _dashboard_tables(
    period: Period, current: PeriodTotals, previous: PeriodTotals, only: str | None = None
) -> list[Table]:
    start, end = period.bounds()
    builders: dict[str, Callable[[], Table]] = {
        "daily": lambda: daily_table(period, current),
        "reasons": lambda: reasons_table(period, current, previous),
        "outcomes": lambda: outcomes_table(current, previous),
        "responsible_parties": lambda: responsible_table(current, previous),
        "arbitrators": lambda: arbitrators_table(period, arbitrator_totals(period=period)),
        "payment_methods": lambda: breakdown_table(
            "payment_methods",
            _("By payment method"),
            _("Payment method"),
            method_label,
            lambda k: opened_url(start, end, payment_method=k),
            current.by_payment_method,
            previous.by_payment_method,
        ),
        "channels": lambda: breakdown_table(
            "channels",
            _("By channel"),
            _("Channel"),
            channel_label,
            lambda k: opened_url(start, end, channel=k),
            current.by_channel,
            previous.by_channel,
        ),
        "amounts": lambda: amounts_table(current),
    }
    if only is not None:
        return [builders[only]()]
    return [build() for build in builders.values()]


def _csv_base(period: Period) -> str:
    query = QueryDict(mutable=True)
    query["from"], query["to"], query["format"] = str(period.first), str(period.last), "csv"
    return f"{reverse('analytics:dashboard')}?{query.urlencode()}&table="


def _zone_name() -> str:
    return settings.OPERATIONS_TIME_ZONE


# --- the management report ----------------------------------------------------------------


def summary_sentences(
    kind: str,
    current: PeriodTotals,
    previous: PeriodTotals,
    arbitrators: list[dict[str, Any]],
) -> list[str]:
    """A handful of plain sentences a lead can paste into a mail to management."""
    than = _("last week") if kind == "week" else _("last month")
    out: list[str] = []
    now, before = current.appeals_opened, previous.appeals_opened
    ratio = change(now, before)
    if ratio is None:
        out.append(
            _("%(count)s appeals opened (none in %(than)s).")
            % {"count": fmt_int(now), "than": than}
        )
    elif abs(ratio) < 0.005:
        out.append(
            _("Appeals flat at %(count)s vs %(than)s.") % {"count": fmt_int(now), "than": than}
        )
    else:
        up = ratio > 0
        sentence = (
            _("Appeals up %(pct)s vs %(than)s (%(before)s → %(now)s)")
            if up
            else _("Appeals down %(pct)s vs %(than)s (%(before)s → %(now)s)")
        ) % {
            "pct": f"{abs(ratio) * 100:.0f}%",
            "than": than,
            "before": fmt_int(before),
            "now": fmt_int(now),
        }
        moves = {
            r: current.by_reason.get(r, 0) - previous.by_reason.get(r, 0)
            for r in set(current.by_reason) | set(previous.by_reason)
        }
        driver = max(moves, key=lambda r: (moves[r] if up else -moves[r], r), default=None)
        if driver is not None and (moves[driver] > 0) == up and moves[driver] != 0:
            sentence += _(", driven by %(reason)s (%(change)s)") % {
                "reason": reason_label(driver),
                "change": fmt_change(
                    current.by_reason.get(driver, 0), previous.by_reason.get(driver, 0)
                ),
            }
        out.append(sentence + ".")
    if current.verdicts:
        out.append(
            _(
                "%(resolved)s appeals resolved; appellants won %(rate)s of %(verdicts)s verdicts "
                "(%(than)s: %(before)s)."
            )
            % {
                "resolved": fmt_int(current.appeals_resolved),
                "rate": fmt_pct(current.appellant_success_rate),
                "verdicts": fmt_int(current.verdicts),
                "than": than,
                "before": fmt_pct(previous.appellant_success_rate),
            }
        )
    if current.median_resolution_seconds is not None:
        out.append(
            _(
                "Median time to resolution %(now)s (%(than)s: %(before)s); median first "
                "response %(fr)s."
            )
            % {
                "now": fmt_duration(current.median_resolution_seconds),
                "than": than,
                "before": fmt_duration(previous.median_resolution_seconds),
                "fr": fmt_duration(current.median_first_response_seconds),
            }
        )
    out.append(
        _("%(count)s SLA breaches, %(rate)s of resolved appeals (%(than)s: %(before)s).")
        % {
            "count": fmt_int(current.sla_breaches),
            "rate": fmt_pct(breach_rate(current)),
            "than": than,
            "before": fmt_int(previous.sla_breaches),
        }
    )
    if current.backlog is not None:
        out.append(
            _(
                "Backlog at the end: %(now)s appeals (%(than)s: %(before)s), "
                "%(frozen)s %(asset)s frozen."
            )
            % {
                "now": fmt_int(current.backlog),
                "than": than,
                "before": fmt_int(previous.backlog),
                "frozen": fmt_amount(current.frozen(MAIN_ASSET)),
                "asset": MAIN_ASSET,
            }
        )
    hot = hot_spots(current, previous)[:1]
    if hot and hot[0]["delta"] > 0:
        spot = hot[0]
        out.append(
            _("Hot spot: %(method)s, %(count)s appeals (%(change)s).")
            % {"method": spot["label"], "count": fmt_int(spot["opened"]), "change": spot["change"]}
        )
    if current.reversals:
        out.append(
            _("%(count)s verdicts reversed on review.") % {"count": fmt_int(current.reversals)}
        )
    if arbitrators:
        top = arbitrators[0]
        out.append(
            _("Most resolved: %(name)s with %(count)s cases.")
            % {"name": top["username"], "count": fmt_int(top["resolved"])}
        )
    return out


def breach_rate(totals: PeriodTotals) -> float | None:
    return totals.sla_breaches / totals.appeals_resolved if totals.appeals_resolved else None


def hot_spots(current: PeriodTotals, previous: PeriodTotals) -> list[dict[str, Any]]:
    """Payment methods by growth in appeals opened, then by volume."""
    rows = []
    for key in set(current.by_payment_method) | set(previous.by_payment_method):
        now = current.by_payment_method.get(key, {}).get("opened", 0)
        before = previous.by_payment_method.get(key, {}).get("opened", 0)
        verdicts = current.by_payment_method.get(key, {}).get("verdicts", 0)
        wins = current.by_payment_method.get(key, {}).get("appellant_wins", 0)
        rows.append(
            {
                "key": key,
                "label": method_label(key),
                "opened": now,
                "previous": before,
                "delta": now - before,
                "change": fmt_change(now, before),
                "success": fmt_pct(wins / verdicts if verdicts else None),
            }
        )
    rows.sort(key=lambda r: (-r["delta"], -r["opened"], r["key"]))
    return rows


def volume_svg(period: Period, current: PeriodTotals) -> dict[str, Any]:
    """Opened and resolved per day as SVG bars (crisp in print; no script needed)."""
    width, height, pad = 680, 150, 22
    by_date = {d.date: d for d in current.days}
    days = period.dates()
    peak = max([max(m.appeals_opened, m.appeals_resolved) for m in by_date.values()] or [0]) or 1
    slot = (width - 2 * pad) / len(days)
    bar = max(slot / 2 - 1, 1)
    bars, ticks = [], []
    for i, day in enumerate(days):
        m = by_date.get(day)
        x = pad + i * slot
        for j, value in enumerate(
            (m.appeals_opened, m.appeals_resolved) if m is not None else (0, 0)
        ):
            h = (height - 2 * pad) * value / peak
            bars.append(
                {
                    "x": round(x + j * bar + 1, 1),
                    "y": round(height - pad - h, 1),
                    "w": round(bar, 1),
                    "h": round(h, 1),
                    "cls": "opened" if j == 0 else "resolved",
                    "title": f"{day}: {value}",
                }
            )
        if len(days) <= 8 or i % 7 == 0:
            ticks.append({"x": round(x + slot / 2, 1), "text": day.strftime("%m-%d")})
    return {
        "width": width,
        "height": height,
        "bars": bars,
        "ticks": ticks,
        "peak": peak,
        "base": height - pad,
        "top": pad,
    }


@metrics_view
@require_GET
def report(request: HttpRequest) -> HttpResponse:
    form = ReportForm(request.GET or None)
    if not form.is_bound:
        form = ReportForm({"period": "week"})
    if not form.is_valid():
        return render(
            request, "analytics/report.html", {"form": form, "page": "report"}, status=400
        )
    data = form.cleaned_data
    kind, period, previous_period = data["period"], data["report"], data["previous"]
    current, previous = metrics_periods(period=period, previous=previous_period)
    arbitrators = arbitrator_totals(period=period)
    start, end = period.bounds()
    reasons = reasons_table(period, current, previous)
    context = {
        "page": "report",
        "form": form,
        "kind": kind,
        "period": period,
        "previous_period": previous_period,
        "partial": any(d.is_partial for d in current.days),
        "missing_days": period.days - current.computed_days,
        "tiles": kpi_tiles(current, previous),
        "summary": summary_sentences(kind, current, previous, arbitrators),
        "reasons": reasons.html_rows()[:8],
        "responsible": responsible_table(current, previous).html_rows(),
        "outcomes": outcomes_table(current, previous).html_rows(),
        "sla": _sla_rows(current, previous),
        "arbitrators": arbitrators_table(period, arbitrators).html_rows(),
        "arbitrator_columns": arbitrators_table(period, []).html_columns(),
        "hot_spots": hot_spots(current, previous)[:6],
        "amounts": amounts_table(current),
        "volume": volume_svg(period, current),
        "nav": _report_nav(kind, period),
        "dashboard_url": f"{reverse('analytics:dashboard')}?from={period.first}&to={period.last}",
        "zone": _zone_name(),
        "generated": ops_today(),
    }
    context["page"] = "dashboard"
    return render(request, "analytics/report.html", context)


def _sla_rows(current: PeriodTotals, previous: PeriodTotals) -> list[dict[str, str]]:
    rows = [
        (
            _("Median first response"),
            fmt_duration(current.median_first_response_seconds),
            fmt_duration(previous.median_first_response_seconds),
        ),
        (
            _("p90 first response"),
            fmt_duration(current.p90_first_response_seconds),
            fmt_duration(previous.p90_first_response_seconds),
        ),
        (
            _("Median resolution"),
            fmt_duration(current.median_resolution_seconds),
            fmt_duration(previous.median_resolution_seconds),
        ),
        (
            _("p90 resolution"),
            fmt_duration(current.p90_resolution_seconds),
            fmt_duration(previous.p90_resolution_seconds),
        ),
        (_("SLA breaches"), fmt_int(current.sla_breaches), fmt_int(previous.sla_breaches)),
        (
            _("Breach rate (of resolved)"),
            fmt_pct(breach_rate(current)),
            fmt_pct(breach_rate(previous)),
        ),
        (_("Escalations"), fmt_int(current.escalations), fmt_int(previous.escalations)),
        (
            _("Sent back at four-eyes"),
            fmt_int(current.sent_back),
            fmt_int(previous.sent_back),
        ),
        (_("Reversed on review"), fmt_int(current.reversals), fmt_int(previous.reversals)),
    ]
    return [{"label": a, "current": b, "previous": c} for a, b, c in rows]


def _report_nav(kind: str, period: Period) -> dict[str, str]:
    base = reverse("analytics:report")
    if kind == "week":
        before = period.previous().first
        following = period.last + timedelta(days=1)
    else:
        before = (period.first.replace(day=1) - timedelta(days=1)).replace(day=1)
        following = period.last + timedelta(days=1)
    nav = {
        "previous": f"{base}?period={kind}&start={before}",
        "week": f"{base}?period=week",
        "month": f"{base}?period=month",
    }
    if following <= ops_today():
        nav["next"] = f"{base}?period={kind}&start={following}"
    return nav
