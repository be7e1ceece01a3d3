"""How a figure reads on the pages: one home per format, so that a tile, a table cell and
a report sentence that show the same figure show it the same way."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

from django.utils.formats import number_format
from django.utils.translation import gettext as _

from arbitration.formatting import compact_duration
from cases.models import Appeal

# The asset the desk counts money in (the KPI tile); every asset is in the tables.
MAIN_ASSET = "USDT"
# What a figure that does not exist (no day computed, nothing to divide by) shows.
DASH = "—"


def fmt_int(value: int | None) -> str:
    """1,234: grouped, as the active language groups digits."""
    return DASH if value is None else number_format(value, force_grouping=True)


def fmt_pct(value: float | None) -> str:
    """A rate (0.123) as 12.3%."""
    return DASH if value is None else f"{value * 100:.1f}%"


def fmt_duration(seconds: float | None) -> str:
    """3h 20m, 2d 4h, 12m, 45s: the two largest units."""
    if seconds is None:
        return DASH
    return compact_duration(int(round(seconds)))


def fmt_amount(value: Decimal | str | None) -> str:
    """An amount with no trailing zeros: 12, 12.5, 0.0001 (assets differ in decimals)."""
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
    """The relative change as +12%, or "new" for something the previous period had none of."""
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


def frozen_label() -> str:
    """ "USDT frozen": the tile and the daily table's column."""
    return _("%(asset)s frozen") % {"asset": MAIN_ASSET}


# How a figure of each kind reads: a table column's kind, a tile's, an SLA row's.
FORMATS: dict[str, Callable[[Any], str]] = {
    "int": fmt_int,
    "pct": fmt_pct,
    "seconds": fmt_duration,
    "amount": fmt_amount,
    "text": lambda v: DASH if v in (None, "") else str(v),
    "change": lambda v: v,  # already text: fmt_change
    "date": lambda v: v.isoformat() if v else DASH,
}


# The daily rows keep codes; a code the models no longer know is shown as it is.


def reason_label(code: str) -> str:
    return str(Appeal.Reason(code).label) if code in Appeal.Reason.values else code


def channel_label(code: str) -> str:
    return str(Appeal.Channel(code).label) if code in Appeal.Channel.values else code


def method_label(code: str) -> str:
    # Payment methods are free text from the exchange: an order may have none.
    return code or _("(none)")
