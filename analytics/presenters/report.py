"""The management report's own pieces: the summary sentences a lead pastes into a mail,
the SLA table, the payment-method hot spots and the links to the periods around it."""

from __future__ import annotations

from datetime import date, timedelta
from operator import attrgetter
from typing import Any

from django.utils.translation import gettext as _

from analytics.selectors import Period, PeriodTotals

from .formatting import (
    FORMATS,
    MAIN_ASSET,
    change,
    fmt_amount,
    fmt_change,
    fmt_duration,
    fmt_int,
    fmt_pct,
    method_label,
    reason_label,
)
from .links import report_url
from .tiles import Figure


def breach_rate(totals: PeriodTotals) -> float | None:
    """SLA breaches per resolved appeal: breaches are counted on the day of the verdict."""
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


def volume_sentence(current: PeriodTotals, previous: PeriodTotals, than: str) -> str:
    """Appeals up or down and by how much, with the reason that moved most the same way."""
    now, before = current.appeals_opened, previous.appeals_opened
    ratio = change(now, before)
    if ratio is None:
        return _("%(count)s appeals opened (none in %(than)s).") % {
            "count": fmt_int(now),
            "than": than,
        }
    if abs(ratio) < 0.005:
        return _("Appeals flat at %(count)s vs %(than)s.") % {"count": fmt_int(now), "than": than}
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
    return sentence + "."


def summary_sentences(
    kind: str,
    current: PeriodTotals,
    previous: PeriodTotals,
    arbitrators: list[dict[str, Any]],
) -> list[str]:
    """A handful of plain sentences a lead can paste into a mail to management."""
    than = _("last week") if kind == "week" else _("last month")
    out = [volume_sentence(current, previous, than)]
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


def sla_rows(current: PeriodTotals, previous: PeriodTotals) -> list[dict[str, str]]:
    """The SLA table: each measure this period and the one before."""
    # label, the figure, its kind (formatting.FORMATS)
    measures: list[tuple[str, Figure, str]] = [
        (_("Median first response"), attrgetter("median_first_response_seconds"), "seconds"),
        (_("p90 first response"), attrgetter("p90_first_response_seconds"), "seconds"),
        (_("Median resolution"), attrgetter("median_resolution_seconds"), "seconds"),
        (_("p90 resolution"), attrgetter("p90_resolution_seconds"), "seconds"),
        (_("SLA breaches"), attrgetter("sla_breaches"), "int"),
        (_("Breach rate (of resolved)"), breach_rate, "pct"),
        (_("Escalations"), attrgetter("escalations"), "int"),
        (_("Sent back at four-eyes"), attrgetter("sent_back"), "int"),
        (_("Reversed on review"), attrgetter("reversals"), "int"),
    ]
    return [
        {
            "label": label,
            "current": FORMATS[kind](figure(current)),
            "previous": FORMATS[kind](figure(previous)),
        }
        for label, figure, kind in measures
    ]


def report_nav(kind: str, period: Period, today: date) -> dict[str, str]:
    """The reports before and after this one (no "next" into the future), and the latest."""
    if kind == "week":
        before = period.previous().first
    else:
        before = (period.first.replace(day=1) - timedelta(days=1)).replace(day=1)
    following = period.last + timedelta(days=1)
    nav = {
        "previous": report_url(kind, before),
        "week": report_url("week"),
        "month": report_url("month"),
    }
    if following <= today:
        nav["next"] = report_url(kind, following)
    return nav
