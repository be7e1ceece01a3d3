"""Analytics queries: every figure is a database aggregate (COUNT, SUM, GROUP BY,
percentiles), never a loop over rows in Python."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import connection
from django.db.models import (
    Aggregate,
    Expression,
    ExpressionWrapper,
    F,
    FloatField,
    Func,
    Q,
    QuerySet,
    Sum,
)


def day_bounds(day: date) -> tuple[datetime, datetime]:
    """[start, end) of a day of the operations time zone, DST-safe."""
    zone = ZoneInfo(settings.OPERATIONS_TIME_ZONE)
    start = datetime.combine(day, time.min, tzinfo=zone)
    end = datetime.combine(day + timedelta(days=1), time.min, tzinfo=zone)
    return start, end


def ops_today() -> date:
    from django.utils import timezone

    return timezone.now().astimezone(ZoneInfo(settings.OPERATIONS_TIME_ZONE)).date()


def seconds_between(later: str, earlier: str) -> Expression:
    """later - earlier in seconds, as a float, in the database's own dialect."""
    if connection.vendor == "postgresql":
        return Func(
            F(later) - F(earlier),
            template="EXTRACT(EPOCH FROM %(expressions)s)",
            output_field=FloatField(),
        )
    return Func(
        F(later),
        F(earlier),
        template="((julianday(%(expressions)s)) * 86400.0)",
        arg_joiner=") - julianday(",
        output_field=FloatField(),
    )


class PercentileCont(Aggregate):
    function = "PERCENTILE_CONT"
    template = "%(function)s(%(fraction)s) WITHIN GROUP (ORDER BY %(expressions)s)"
    output_field = FloatField()

    def __init__(self, expression, fraction: float, **extra):
        super().__init__(expression, fraction=float(fraction), **extra)


def percentiles(queryset: QuerySet, expression: Expression, fractions: list[float]) -> list:
    """Continuous percentiles (PostgreSQL's percentile_cont) of `expression` over the rows.

    PostgreSQL computes them in one aggregate. SQLite has no percentile function: there the
    database sorts and we read the one or two middle values by OFFSET, then interpolate
    exactly as percentile_cont does, so both backends give the same figures.
    """
    values = queryset.annotate(_v=expression).filter(_v__isnull=False)
    if connection.vendor == "postgresql":
        result = values.aggregate(
            **{f"p{i}": PercentileCont("_v", fraction) for i, fraction in enumerate(fractions)}
        )
        return [_ms(result[f"p{i}"]) for i in range(len(fractions))]
    n = values.count()
    if n == 0:
        return [None] * len(fractions)
    out = []
    ordered = values.order_by("_v").values_list("_v", flat=True)
    for fraction in fractions:
        position = fraction * (n - 1)
        low = math.floor(position)
        pair = list(ordered[low : low + 2])
        if len(pair) == 1 or position == low:
            out.append(_ms(float(pair[0])))
        else:
            out.append(_ms(float(pair[0]) + (float(pair[1]) - float(pair[0])) * (position - low)))
    return out


def _ms(seconds: float | None) -> float | None:
    # SQLite's julianday() carries float noise well below a millisecond.
    return None if seconds is None else round(seconds, 3)


# --- Dashboard reads ----------------------------------------------------------------------
# The dashboards read the precomputed rows only: one query for the days of a range (and
# of the period before it), one GROUP BY for the arbitrators. Summing a range's days is
# arithmetic on at most a few hundred small rows, never a read of appeals.


@dataclass(frozen=True)
class Period:
    """Days `first` to `last` of the operations time zone, inclusive."""

    first: date
    last: date

    @property
    def days(self) -> int:
        return (self.last - self.first).days + 1

    def previous(self) -> Period:
        """The period of equal length that ends the day before this one starts."""
        return Period(self.first - timedelta(days=self.days), self.first - timedelta(days=1))

    def dates(self) -> list[date]:
        return [self.first + timedelta(days=n) for n in range(self.days)]

    def bounds(self) -> tuple[datetime, datetime]:
        return day_bounds(self.first)[0], day_bounds(self.last)[1]


@dataclass
class PeriodTotals:
    """A period's figures, summed from its DailyMetric rows.

    Counts are sums. The success rate is wins / verdicts over the whole period (not a mean
    of daily rates). Medians and p90s cannot be summed: a period's figure is the mean of
    the daily figures weighted by each day's resolved appeals (the rows they were computed
    over), so a day with one case weighs one fortieth of a day with forty. Backlog and
    frozen amounts are states, read from the period's last computed day.
    """

    days: list[Any] = field(default_factory=list)
    appeals_opened: int = 0
    appeals_resolved: int = 0
    appeals_cancelled: int = 0
    verdicts: int = 0
    appellant_wins: int = 0
    sla_breaches: int = 0
    escalations: int = 0
    sent_back: int = 0
    reversals: int = 0
    median_first_response_seconds: float | None = None
    p90_first_response_seconds: float | None = None
    median_resolution_seconds: float | None = None
    p90_resolution_seconds: float | None = None
    backlog: int | None = None
    frozen_amounts: dict[str, Decimal] = field(default_factory=dict)
    by_reason: dict[str, int] = field(default_factory=dict)
    by_outcome: dict[str, int] = field(default_factory=dict)
    by_responsible_party: dict[str, int] = field(default_factory=dict)
    by_payment_method: dict[str, dict[str, int]] = field(default_factory=dict)
    by_channel: dict[str, dict[str, int]] = field(default_factory=dict)
    decided_amounts: dict[str, dict[str, Decimal]] = field(default_factory=dict)

    @property
    def appellant_success_rate(self) -> float | None:
        return self.appellant_wins / self.verdicts if self.verdicts else None

    @property
    def computed_days(self) -> int:
        return len(self.days)

    def frozen(self, asset: str) -> Decimal | None:
        if not self.days:
            return None
        return self.frozen_amounts.get(asset, Decimal(0))


SUMMED = (
    "appeals_opened",
    "appeals_resolved",
    "appeals_cancelled",
    "verdicts",
    "appellant_wins",
    "sla_breaches",
    "escalations",
    "sent_back",
    "reversals",
)
WEIGHTED = (
    "median_first_response_seconds",
    "p90_first_response_seconds",
    "median_resolution_seconds",
    "p90_resolution_seconds",
)


def metrics_days(*, first: date, last: date) -> list:
    """The computed days from first to last, in date order: one query."""
    from .models import DailyMetric

    return list(DailyMetric.objects.filter(date__gte=first, date__lte=last).order_by("date"))


def _add_counts(total: dict[str, int], part: dict[str, int]) -> None:
    for key, n in part.items():
        total[key] = total.get(key, 0) + n


def _weighted(days: list, name: str) -> float | None:
    pairs = [(getattr(d, name), d.appeals_resolved) for d in days]
    weight = sum(w for v, w in pairs if v is not None)
    if not weight:
        return None
    return round(sum(v * w for v, w in pairs if v is not None) / weight, 3)


def period_totals(days: list) -> PeriodTotals:
    """Sum the DailyMetric rows of one period (see PeriodTotals for how)."""
    totals = PeriodTotals(days=list(days))
    for name in SUMMED:
        setattr(totals, name, sum(getattr(d, name) for d in days))
    for name in WEIGHTED:
        setattr(totals, name, _weighted(days, name))
    if days:
        totals.backlog = days[-1].backlog
        totals.frozen_amounts = {k: Decimal(v) for k, v in days[-1].frozen_amounts.items()}
    for d in days:
        _add_counts(totals.by_reason, d.by_reason)
        _add_counts(totals.by_outcome, d.by_outcome)
        _add_counts(totals.by_responsible_party, d.by_responsible_party)
        for target, source in (
            (totals.by_payment_method, d.by_payment_method),
            (totals.by_channel, d.by_channel),
        ):
            for key, counts in source.items():
                _add_counts(target.setdefault(key, {}), counts)
        for outcome, assets in d.decided_amounts.items():
            into = totals.decided_amounts.setdefault(outcome, {})
            for asset, amount in assets.items():
                into[asset] = into.get(asset, Decimal(0)) + Decimal(amount)
    return totals


def metrics_periods(
    *, period: Period, previous: Period | None = None
) -> tuple[PeriodTotals, PeriodTotals]:
    """A period and the one before it (default: of equal length), from one query."""
    previous = previous or period.previous()
    days = metrics_days(first=previous.first, last=period.last)
    return (
        period_totals([d for d in days if d.date >= period.first]),
        period_totals([d for d in days if previous.first <= d.date <= previous.last]),
    )


def arbitrator_totals(*, period: Period) -> list[dict[str, Any]]:
    """Per arbitrator over the period, one GROUP BY over ArbitratorDailyMetric.

    Handling time: the mean of the arbitrator's daily medians weighted by the cases they
    resolved each day (a median of daily medians would let a one-case day count as much
    as a forty-case day; the exact median over the range would need the appeals).
    """
    from .models import ArbitratorDailyMetric

    has_median = Q(median_handling_seconds__isnull=False)
    summed = ("resolved", "escalations", "sent_back", "sla_breaches", "reversals")
    rows = (
        ArbitratorDailyMetric.objects.filter(date__gte=period.first, date__lte=period.last)
        .order_by()
        .values("user_id", "user__username")
        .annotate(
            # Aliased: an annotation may not reuse the name of the field it sums.
            **{f"sum_{name}": Sum(name) for name in summed},
            handling_weight=Sum("resolved", filter=has_median),
            handling_total=Sum(
                ExpressionWrapper(
                    F("median_handling_seconds") * F("resolved"), output_field=FloatField()
                ),
                filter=has_median,
            ),
        )
        .order_by("-sum_resolved", "user__username")
    )
    out = []
    for row in rows:
        weight, total = row["handling_weight"], row["handling_total"]
        out.append(
            {
                "user_id": row["user_id"],
                "username": row["user__username"],
                **{name: row[f"sum_{name}"] for name in summed},
                "median_handling_seconds": round(total / weight, 3) if weight else None,
            }
        )
    return out
