"""What the analysts' templates print, shaped from evidence.analysis: labels in the
reader's language, tables, the Chart.js data (static/js/dashboard.js draws it, as on the
KPI dashboard), links to the cases behind each figure, and CSV-safe cells."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any
from urllib.parse import urlencode

from django.urls import reverse
from django.utils.formats import number_format
from django.utils.translation import gettext as _

from cases.models import Appeal

from .analysis import Losses, Weeks
from .risk import LABELS, MEANINGS, WEIGHTS

PALETTE_KEYS = list(WEIGHTS)


def code_label(code: str) -> str:
    return str(LABELS.get(code, code))


def code_labels(codes: list[tuple[str, int]]) -> list[dict[str, Any]]:
    """A trader's codes with their labels, weights and appeal counts."""
    return [
        {"code": c, "label": code_label(c), "weight": WEIGHTS.get(c, 0), "n": n} for c, n in codes
    ]


def reason_label(value: str) -> str:
    return str(Appeal.Reason(value).label) if value in Appeal.Reason.values else value


def dimension_label(dimension: str) -> str:
    return {
        "reason": _("Reason"),
        "method": _("Payment method"),
        "rule": _("Rule cited"),
        "country": _("Appellant's country"),
        "culprit_country": _("Responsible party's country"),
    }.get(dimension, dimension)


def measure_label(measure: str) -> str:
    return {
        "reversal": _("Reversal rate"),
        "loss": _("Loss rate"),
        "repeat": _("Repeat rate"),
        "decided": _("Decided"),
    }.get(measure, measure)


def group_label(dimension: str, value: str) -> str:
    if dimension == "reason":
        return reason_label(value)
    return value or _("(none)")


def weights_table() -> list[dict[str, Any]]:
    """The scorer's weights, heaviest first: code, label, weight, what it means."""
    return [
        {"code": c, "label": code_label(c), "weight": w, "meaning": str(MEANINGS.get(c, ""))}
        for c, w in sorted(WEIGHTS.items(), key=lambda kv: (-kv[1], kv[0]))
    ]


def cases_url(weeks: Weeks, **params: Any) -> str:
    """The list of cases behind a figure (evidence:cases)."""
    query = {"weeks": weeks.count, **{k: v for k, v in params.items() if v is not None}}
    return f"{reverse('evidence:cases')}?{urlencode(query)}"


def money(amounts: dict[str, Decimal], currencies: list[str]) -> list[str]:
    """One cell per currency, in the reader's number format; never added together."""
    return [
        number_format(amounts[c], 2, use_l10n=True, force_grouping=True) if c in amounts else "—"
        for c in currencies
    ]


def week_label(monday: date) -> str:
    return monday.isoformat()


def trends_view(counts: dict[str, dict[date, int]], weeks: Weeks) -> dict[str, Any]:
    """Each code per week: the table's rows (one per week, one cell per code, linked to
    the cases) and the chart (one line per code)."""
    mondays = weeks.mondays()
    codes = [c for c in WEIGHTS if c in counts] + sorted(c for c in counts if c not in WEIGHTS)
    rows = [
        {
            "week": m,
            "cells": [
                {
                    "n": counts[c].get(m, 0),
                    "url": cases_url(weeks, code=c, week=m.isoformat()),
                }
                for c in codes
            ],
        }
        for m in mondays
    ]
    chart = {
        "type": "line",
        "y": "int",
        "labels": [week_label(m) for m in mondays],
        "datasets": [
            {"key": c, "label": code_label(c), "data": [counts[c].get(m, 0) for m in mondays]}
            for c in codes
        ],
        "links": [[cases_url(weeks, code=c, week=m.isoformat()) for m in mondays] for c in codes],
    }
    totals = [sum(counts[c].values()) for c in codes]
    return {
        "codes": [{"code": c, "label": code_label(c)} for c in codes],
        "rows": rows,
        "totals": totals,
        "chart": chart,
    }


def losses_view(data: Losses, weeks: Weeks) -> dict[str, Any]:
    """The loss tables (per week, per payment method, per country; a column per
    currency) and a chart of loss cases per week by payment method (cases add up;
    amounts in different currencies do not)."""
    mondays, currencies = weeks.mondays(), data.currencies

    def table(entries: dict[Any, dict[str, Any]], dimension: str | None) -> list[dict[str, Any]]:
        keys = sorted(entries, key=lambda k: (-entries[k]["n"], str(k)))
        return [
            {
                "label": group_label(dimension or "", k) if dimension else k,
                "n": entries[k]["n"],
                "amounts": money(entries[k]["amounts"], currencies),
                "url": cases_url(weeks, measure="loss", dimension=dimension, value=k)
                if dimension
                else None,
            }
            for k in keys
        ]

    week_rows = [
        {
            "label": m,
            "n": data.by_week.get(m, {}).get("n", 0),
            "amounts": money(data.by_week.get(m, {}).get("amounts", {}), currencies),
            "url": cases_url(weeks.week(m), measure="loss"),
        }
        for m in mondays
    ]
    methods = sorted(data.by_week_method, key=lambda k: -sum(data.by_week_method[k].values()))
    chart = {
        "type": "bar",
        "y": "int",
        "stacked": True,
        "labels": [week_label(m) for m in mondays],
        "datasets": [
            {"key": k, "label": k, "data": [data.by_week_method[k].get(m, 0) for m in mondays]}
            for k in methods
        ],
        "links": [
            [cases_url(weeks.week(m), measure="loss", dimension="method", value=k) for m in mondays]
            for k in methods
        ],
    }
    return {
        "currencies": currencies,
        "weeks": week_rows,
        "methods": table(data.by_method, "method"),
        "countries": table(data.by_country, "culprit_country"),
        "chart": chart,
    }


def loophole_rows(groups: list[dict[str, Any]], weeks: Weeks, min_sample: int) -> list[dict]:
    """One row per group and measure, flagged ones first, each linked to its cases."""
    return [
        {
            **g,
            "dimension_label": dimension_label(g["dimension"]),
            "value_label": group_label(g["dimension"], g["value"]),
            "measure_label": measure_label(g["measure"]),
            "rate_pct": round(100 * g["rate"], 1),
            "ratio_text": _("%(ratio)s× the average") % {"ratio": f"{g['ratio']:.1f}"}
            if g["ratio"] is not None
            else "—",
            "url": cases_url(
                weeks, measure=g["measure"], dimension=g["dimension"], value=g["value"]
            ),
            "all_url": cases_url(
                weeks, measure="decided", dimension=g["dimension"], value=g["value"]
            ),
        }
        for g in groups
    ]


def report_reason(codes: dict[str, int], weeks: Weeks) -> str:
    """The restriction proposal's reason, in English like every stored reason: what the
    ranking showed."""
    from django.utils import translation

    with translation.override("en"):
        found = ", ".join(
            f"{code_label(c)} ({n})"
            for c, n in sorted(codes.items(), key=lambda kv: -WEIGHTS.get(kv[0], 0))
        )
        return _(
            "Reported from the suspicious-accounts ranking (%(weeks)s weeks from %(first)s): "
            "%(found)s."
        ) % {"weeks": weeks.count, "first": weeks.first, "found": found or _("no signal")}


# --- CSV ----------------------------------------------------------------------------------

# A spreadsheet runs a cell starting with one of these as a formula (CSV injection).
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def csv_safe(value: Any) -> Any:
    """The cell as text a spreadsheet will not execute: a leading ' before a formula
    character. Numbers stay numbers."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def account_csv_header() -> list[str]:
    return [
        _("Rank"),
        _("Trader"),
        _("Name"),
        _("Country"),
        _("Frozen"),
        _("Score"),
        _("Held responsible"),
        _("Flagged appeals"),
        _("Signals"),
    ]


def account_csv_row(rank: int, row: dict[str, Any], codes: list[str]) -> list[Any]:
    return [
        csv_safe(cell)
        for cell in (
            rank,
            row["trader__external_id"],
            row["trader__display_name"],
            row["trader__country"],
            "yes" if row["trader__frozen"] else "no",
            row["score"],
            row["held"],
            row["flagged"],
            " ".join(codes),
        )
    ]
