"""The KPI tiles at the top of the dashboard and the report: a figure, the previous
period's, and whether the change is good news."""

from __future__ import annotations

from collections.abc import Callable
from operator import attrgetter, methodcaller
from typing import Any

from django.utils.translation import gettext as _

from analytics.selectors import PeriodTotals

from .formatting import (
    DASH,
    FORMATS,
    MAIN_ASSET,
    change,
    fmt_change,
    frozen_label,
    pct_change,
)

# Reads one figure of a period: PeriodTotals.appeals_opened, .frozen("USDT"), ...
Figure = Callable[[PeriodTotals], Any]


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
    """The eight headline figures, in the order the pages show them."""
    # key, label, the figure, its kind (formatting.FORMATS), which way is good news
    figures: list[tuple[str, str, Figure, str, str | None]] = [
        ("opened", _("Appeals opened"), attrgetter("appeals_opened"), "int", "lower"),
        ("resolved", _("Appeals resolved"), attrgetter("appeals_resolved"), "int", "higher"),
        (
            "success",
            _("Appellant success rate"),
            attrgetter("appellant_success_rate"),
            "pct",
            None,
        ),
        (
            "first_response",
            _("Median first response"),
            attrgetter("median_first_response_seconds"),
            "seconds",
            "lower",
        ),
        (
            "resolution",
            _("Median resolution"),
            attrgetter("median_resolution_seconds"),
            "seconds",
            "lower",
        ),
        ("sla", _("SLA breaches"), attrgetter("sla_breaches"), "int", "lower"),
        ("backlog", _("Backlog at end"), attrgetter("backlog"), "int", "lower"),
        ("frozen", frozen_label(), methodcaller("frozen", MAIN_ASSET), "amount", "lower"),
    ]
    return [
        tile(
            key,
            label,
            figure(current),
            figure(previous),
            FORMATS[kind],
            better,
            # A rate moves in percentage points: 40% to 44% is +4.0 pp, not +10%.
            points=kind == "pct",
        )
        for key, label, figure, kind, better in figures
    ]
