"""Every table of the dashboard and the report, its HTML cells and its CSV rows from one
definition: a CSV export holds the same figures as the page, plus the columns marked
CSV-only."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.utils.translation import gettext as _

from analytics.selectors import Period, PeriodTotals, day_bounds
from cases.models import Appeal, Verdict

from .formatting import (
    FORMATS,
    MAIN_ASSET,
    channel_label,
    fmt_change,
    frozen_label,
    method_label,
    reason_label,
)
from .links import fill, link_template, opened_url, resolved_url


@dataclass
class Column:
    key: str
    label: str
    kind: str = "int"  # how its cells read: a key of formatting.FORMATS
    html: bool = True  # False: in the CSV only


@dataclass
class Table:
    """Rows are dicts by column key; a row's `_link` and `_title` go on its first cell."""

    key: str
    title: str
    columns: list[Column]
    rows: list[dict[str, Any]] = field(default_factory=list)
    note: str = ""

    def html_columns(self) -> list[Column]:
        return [c for c in self.columns if c.html]

    def html_rows(self) -> list[list[dict[str, Any]]]:
        columns = self.html_columns()
        return [
            [
                {
                    "text": FORMATS[column.kind](row.get(column.key)),
                    "numeric": column.kind not in ("text", "date"),
                    "link": row.get("_link") if i == 0 else None,
                    "title": row.get("_title", "") if i == 0 else "",
                }
                for i, column in enumerate(columns)
            ]
            for row in self.rows
        ]

    def csv_rows(self) -> Iterable[list[Any]]:
        """A header of column keys (stable for scripts), then raw values, not formatted."""
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


def busiest_first(counts: dict[str, dict[str, int]], keys: Iterable[str]) -> list[str]:
    """Most appeals opened first; ties by key, so the order is the same on every load."""
    return sorted(keys, key=lambda k: (-counts.get(k, {}).get("opened", 0), k))


# --- the tables ---------------------------------------------------------------------------


def daily_table(period: Period, current: PeriodTotals) -> Table:
    """One row per computed day, latest first; a day not computed yet has no row."""
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
        Column(f"frozen_{MAIN_ASSET}", frozen_label(), "amount"),
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


def share_table(
    *,
    key: str,
    title: str,
    first_label: str,
    count_label: str,
    keys: list[str],
    label: Callable[[str], str],
    current: dict[str, int],
    previous: dict[str, int],
    link: Callable[[str], str] | None = None,
) -> Table:
    """A count per code (reason, outcome, responsible party), its share of the period's
    total and its change from the previous period."""
    total = sum(current.values())
    rows = []
    for code in keys:
        now, before = current.get(code, 0), previous.get(code, 0)
        row = {
            "key": code,
            "label": label(code),
            "count": now,
            "share": now / total if total else None,
            "previous": before,
            "change": fmt_change(now, before),
        }
        if link is not None:
            row["_link"] = link(code)
        rows.append(row)
    return Table(
        key,
        title,
        [
            Column("label", first_label, "text"),
            Column("key", _("Code"), "text", html=False),
            Column("count", count_label),
            Column("share", _("Share"), "pct"),
            Column("previous", _("Previous period")),
            Column("change", _("Change"), "change"),
        ],
        rows,
    )


def _declared(codes: list[str], *counts: dict[str, int]) -> list[str]:
    # In the order the model declares them; only those either period counted.
    return [code for code in codes if any(code in c for c in counts)]


def reasons_table(period: Period, current: PeriodTotals, previous: PeriodTotals) -> Table:
    """Reasons by appeals opened, most first; each links to its appeals in the queue."""
    start, end = period.bounds()
    now, before = current.by_reason, previous.by_reason
    return share_table(
        key="reasons",
        title=_("Appeals by reason"),
        first_label=_("Reason"),
        count_label=_("Opened"),
        keys=sorted(set(now) | set(before), key=lambda k: (-now.get(k, 0), k)),
        label=reason_label,
        current=now,
        previous=before,
        link=lambda code: opened_url(start, end, reason=code),
    )


def outcomes_table(current: PeriodTotals, previous: PeriodTotals) -> Table:
    now, before = current.by_outcome, previous.by_outcome
    return share_table(
        key="outcomes",
        title=_("Verdicts by outcome"),
        first_label=_("Outcome"),
        count_label=_("Verdicts"),
        keys=_declared(Verdict.Outcome.values, now, before),
        label=lambda code: str(Verdict.Outcome(code).label),
        current=now,
        previous=before,
    )


def responsible_table(current: PeriodTotals, previous: PeriodTotals) -> Table:
    parties = Verdict.ResponsibleParty
    now, before = current.by_responsible_party, previous.by_responsible_party
    return share_table(
        key="responsible_parties",
        title=_("Responsible party"),
        first_label=_("Responsible"),
        count_label=_("Verdicts"),
        keys=_declared(parties.values, now, before),
        label=lambda code: str(parties(code).label),
        current=now,
        previous=before,
    )


def arbitrators_table(period: Period, rows: list[dict[str, Any]]) -> Table:
    """`rows` from analytics.selectors.arbitrator_totals; each links to the cases the
    arbitrator resolved in the period."""
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
    *,
    key: str,
    title: str,
    first_label: str,
    label: Callable[[str], str],
    link: Callable[[str], str],
    current: dict[str, dict[str, int]],
    previous: dict[str, dict[str, int]],
) -> Table:
    """Appeals by payment method or channel: opened (with the change), resolved, and how
    often the appellant won."""
    rows = []
    for k in busiest_first(current, set(current) | set(previous)):
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
    """Per asset (the main one first): frozen at the end, and decided by each outcome."""
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


def dashboard_tables(
    *,
    period: Period,
    current: PeriodTotals,
    previous: PeriodTotals,
    arbitrators: list[dict[str, Any]],
    only: str | None = None,
) -> dict[str, Table]:
    """The dashboard's tables by key (analytics.forms.TABLES), or just the one a CSV
    export asks for: the others are not built."""
    start, end = period.bounds()
    builders: dict[str, Callable[[], Table]] = {
        "daily": lambda: daily_table(period, current),
        "reasons": lambda: reasons_table(period, current, previous),
        "outcomes": lambda: outcomes_table(current, previous),
        "responsible_parties": lambda: responsible_table(current, previous),
        "arbitrators": lambda: arbitrators_table(period, arbitrators),
        "payment_methods": lambda: breakdown_table(
            key="payment_methods",
            title=_("By payment method"),
            first_label=_("Payment method"),
            label=method_label,
            link=lambda k: opened_url(start, end, payment_method=k),
            current=current.by_payment_method,
            previous=previous.by_payment_method,
        ),
        "channels": lambda: breakdown_table(
            key="channels",
            title=_("By channel"),
            first_label=_("Channel"),
            label=channel_label,
            link=lambda k: opened_url(start, end, channel=k),
            current=current.by_channel,
            previous=previous.by_channel,
        ),
        "amounts": lambda: amounts_table(current),
    }
    keys = list(builders) if only is None else [only]
    return {key: builders[key]() for key in keys}
