"""Analytics queries: every figure is a database aggregate (COUNT, SUM, GROUP BY,
percentiles), never a loop over rows in Python."""

from __future__ import annotations

import math
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import connection
from django.db.models import Aggregate, Expression, F, FloatField, Func, QuerySet


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
