"""The dashboard's chart data and the report's volume chart.

Charts get their data, and the queue link behind every bar and point, through one
`json_script` block that static/js/dashboard.js reads: the Content-Security-Policy allows
no inline script. The report's chart is SVG drawn by the template: crisp in print, no
script needed.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from analytics.selectors import Period, PeriodTotals, day_bounds
from cases.models import Appeal

from .formatting import channel_label, method_label, reason_label
from .links import encoded_bounds, link_template, opened_url, resolved_url
from .tables import busiest_first


def chart(
    kind: str,
    y: str,
    labels: list[str],
    datasets: list[dict[str, Any]],
    links: list,
    **options: Any,
) -> dict[str, Any]:
    """One chart as dashboard.js draws it. `y` names the axis unit; `options` are flags
    such as stacked or horizontal. `links[i]` belongs to `datasets[i]`."""
    return {"type": kind, **options, "y": y, "labels": labels, "datasets": datasets, "links": links}


def dataset(key: str, label: str, data: list[Any], **options: Any) -> dict[str, Any]:
    """One series of a chart; `options` override the chart's (a line on a bar chart)."""
    return {"key": key, "label": label, "data": data, **options}


def breakdown_chart(
    counts: dict[str, dict[str, int]],
    label: Callable[[str], str],
    start: datetime,
    end: datetime,
    filter_name: str,
    most: int | None = None,
) -> dict[str, Any]:
    """Opened and resolved over the range per payment method or channel (the `most`
    busiest), each bar linked to the queue filtered on `filter_name`."""
    keys = busiest_first(counts, counts)[:most]
    return chart(
        "bar",
        "int",
        [label(k) for k in keys],
        [
            dataset(name, title, [counts[k].get(name, 0) for k in keys])
            for name, title in (("opened", _("Opened")), ("resolved", _("Resolved")))
        ],
        [[url(start, end, **{filter_name: k}) for k in keys] for url in (opened_url, resolved_url)],
        horizontal=True,
    )


def chart_data(period: Period, current: PeriodTotals) -> dict[str, Any]:
    """Everything dashboard.js draws: labels, datasets and, for every element, the queue
    URL of the cases behind it. `links[dataset]` is either a list (one URL per label) or,
    for the charts by day, one template whose {after} and {before} are that day's
    `bounds` (already URL-encoded): a year of days stays a small page."""
    by_date = {d.date: d for d in current.days}
    days = period.dates()
    labels = [d.isoformat() for d in days]
    metric = [by_date.get(d) for d in days]
    # Every chart by day links the same way: one template for all its days.
    resolved = link_template("resolved")

    def series(name: str, scale: float = 1.0) -> list[float | None]:
        # None for a day not computed: a gap in the line, not a zero.
        out = []
        for m in metric:
            value = getattr(m, name) if m is not None else None
            out.append(None if value is None else round(value / scale, 2))
        return out

    def timing(measure: str, unit: str, scale: float, median: str, p90: str) -> dict[str, Any]:
        # The median and p90 of a duration per day, in `unit`.
        return chart(
            "line",
            unit,
            labels,
            [
                dataset("median", median, series(f"median_{measure}_seconds", scale)),
                dataset("p90", p90, series(f"p90_{measure}_seconds", scale)),
            ],
            [resolved, resolved],
        )

    reasons = [
        r for r in Appeal.Reason.values if any(m is not None and m.by_reason.get(r) for m in metric)
    ]
    start, end = period.bounds()
    charts = {
        "reasons": chart(
            "bar",
            "int",
            labels,
            [
                dataset(
                    r,
                    reason_label(r),
                    [m.by_reason.get(r, 0) if m is not None else None for m in metric],
                )
                for r in reasons
            ],
            [link_template("created", reason=r) for r in reasons],
            stacked=True,
        ),
        "success": chart(
            "line",
            "pct",
            labels,
            [
                dataset(
                    "success",
                    _("Appellant success rate"),
                    series("appellant_success_rate", 0.01),
                )
            ],
            [resolved],
        ),
        "first_response": timing(
            "first_response", "minutes", 60, _("Median (minutes)"), _("p90 (minutes)")
        ),
        "resolution": timing("resolution", "hours", 3600, _("Median (hours)"), _("p90 (hours)")),
        "sla_backlog": chart(
            "bar",
            "int",
            labels,
            [
                dataset("sla_breaches", _("SLA breaches"), series("sla_breaches")),
                dataset(
                    "backlog",
                    _("Backlog at end of day"),
                    series("backlog"),
                    type="line",
                    yAxisID="y2",
                ),
            ],
            [link_template("resolved", breached=1), link_template("open_at")],
        ),
        "payment_methods": breakdown_chart(
            current.by_payment_method, method_label, start, end, "payment_method", most=12
        ),
        "channels": breakdown_chart(current.by_channel, channel_label, start, end, "channel"),
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
