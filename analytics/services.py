"""Computing the daily metrics. A day is replaced whole, inside one transaction, under a
lock: re-running a day never duplicates it, two runs at once queue up, and a run killed
mid-way leaves the previous figures."""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from decimal import Decimal

from django.db import connection, transaction
from django.db.models import Count, Sum
from django.utils import timezone

from cases.models import (
    Appeal,
    AppealStatusChange,
    Verdict,
    VerdictReview,
    appellant_won,
    open_at,
    sla_breached,
)

from .models import ArbitratorDailyMetric, DailyMetric, MetricsLock
from .selectors import PercentileCont, day_bounds, ops_today, percentiles, seconds_between

S = Appeal.Status
WON = appellant_won(appeal="appeal__")


def _counts(queryset, field: str) -> dict[str, int]:
    return {
        key: n
        for key, n in queryset.order_by().values_list(field).annotate(n=Count("id"))
        if key is not None
    }


def _amounts(queryset, *group: str) -> list[tuple]:
    return list(queryset.order_by().values_list(*group).annotate(total=Sum("crypto_amount")))


def _fmt(value: Decimal | None) -> str:
    return format((value or Decimal(0)).normalize(), "f")


def _breakdown(opened, decided_verdicts, resolved, field: str) -> dict[str, dict[str, int]]:
    """Opened, resolved, verdicts and appellant wins per payment method (or channel)."""
    result: dict[str, dict[str, int]] = defaultdict(
        lambda: {"opened": 0, "resolved": 0, "verdicts": 0, "appellant_wins": 0}
    )
    for key, n in _counts(opened, field).items():
        result[key]["opened"] = n
    for key, n in _counts(resolved, field).items():
        result[key]["resolved"] = n
    rows = (
        decided_verdicts.order_by()
        .values_list(f"appeal__{field}")
        .annotate(n=Count("id"), won=Count("id", filter=WON))
    )
    for key, n, won in rows:
        result[key]["verdicts"] = n
        result[key]["appellant_wins"] = won
    return dict(sorted(result.items()))


def metrics_compute_day(*, day: date) -> DailyMetric:
    MetricsLock.objects.get_or_create(name="daily")
    with transaction.atomic():
        # Lock first, then read: of two overlapping runs the later one reads later data
        # and writes last, so the stored figures are never older than a finished run's.
        MetricsLock.objects.select_for_update().get(name="daily")
        values, per_arbitrator = _figures(day)
        metric, _ = DailyMetric.objects.update_or_create(date=day, defaults=values)
        ArbitratorDailyMetric.objects.filter(date=day).delete()
        ArbitratorDailyMetric.objects.bulk_create(
            ArbitratorDailyMetric(date=day, user_id=user_id, **row)
            for user_id, row in per_arbitrator.items()
        )
    return metric


def _figures(day: date) -> tuple[dict, dict[int, dict]]:
    start, end = day_bounds(day)
    opened = Appeal.objects.filter(created_at__gte=start, created_at__lt=end)
    resolved = Appeal.objects.filter(status=S.RESOLVED, resolved_at__gte=start, resolved_at__lt=end)
    verdicts = Verdict.objects.filter(
        state=Verdict.State.EFFECTIVE, effective_at__gte=start, effective_at__lt=end
    )
    backlog = Appeal.objects.filter(open_at(end))
    verdict_totals = verdicts.aggregate(n=Count("id"), won=Count("id", filter=WON))
    first_response = seconds_between("first_response_at", "created_at")
    resolution = seconds_between("resolved_at", "created_at")
    fr_median, fr_p90 = percentiles(resolved, first_response, [0.5, 0.9])
    res_median, res_p90 = percentiles(resolved, resolution, [0.5, 0.9])
    decided_amounts: dict[str, dict[str, str]] = defaultdict(dict)
    for outcome, asset, total in (
        verdicts.order_by()
        .values_list("outcome", "appeal__asset")
        .annotate(total=Sum("appeal__crypto_amount"))
    ):
        decided_amounts[outcome][asset] = _fmt(total)
    values = {
        "computed_at": timezone.now(),
        "is_partial": day >= ops_today(),
        "appeals_opened": opened.count(),
        "appeals_resolved": resolved.count(),
        "appeals_cancelled": Appeal.objects.filter(
            status=S.CANCELLED, resolved_at__gte=start, resolved_at__lt=end
        ).count(),
        "by_reason": _counts(opened, "reason"),
        "by_outcome": _counts(verdicts, "outcome"),
        "by_responsible_party": _counts(verdicts, "responsible_party"),
        "by_payment_method": _breakdown(opened, verdicts, resolved, "payment_method"),
        "by_channel": _breakdown(opened, verdicts, resolved, "channel"),
        "verdicts": verdict_totals["n"],
        "appellant_wins": verdict_totals["won"],
        "appellant_success_rate": (
            verdict_totals["won"] / verdict_totals["n"] if verdict_totals["n"] else None
        ),
        "median_first_response_seconds": fr_median,
        "p90_first_response_seconds": fr_p90,
        "median_resolution_seconds": res_median,
        "p90_resolution_seconds": res_p90,
        "sla_breaches": resolved.filter(sla_breached()).count(),
        "backlog": backlog.count(),
        "escalations": AppealStatusChange.objects.filter(
            to_status=S.ESCALATED, created_at__gte=start, created_at__lt=end
        ).count(),
        "sent_back": Verdict.objects.filter(
            state=Verdict.State.SENT_BACK, reviewed_at__gte=start, reviewed_at__lt=end
        ).count(),
        "reversals": VerdictReview.objects.filter(
            state=VerdictReview.State.REVERSED, decided_at__gte=start, decided_at__lt=end
        ).count(),
        "frozen_amounts": {asset: _fmt(total) for asset, total in _amounts(backlog, "asset")},
        "decided_amounts": dict(decided_amounts),
    }
    return values, _per_arbitrator(start, end, resolved, verdicts)


def _per_arbitrator(start, end, resolved, verdicts) -> dict[int, dict]:
    rows: dict[int, dict] = defaultdict(
        lambda: {
            "resolved": 0,
            "median_handling_seconds": None,
            "escalations": 0,
            "sent_back": 0,
            "sla_breaches": 0,
            "reversals": 0,
        }
    )
    decided = (
        verdicts.order_by()
        .values_list("decided_by")
        .annotate(
            n=Count("id"),
            late=Count(
                "id",
                filter=sla_breached("appeal__"),
            ),
        )
    )
    handling = seconds_between("resolved_at", "first_response_at")
    decided_here = resolved.filter(verdicts__state=Verdict.State.EFFECTIVE)
    medians: dict[int, float | None] = {}
    if connection.vendor == "postgresql":
        # One grouped percentile_cont for every arbitrator of the day.
        for user_id, median in (
            decided_here.order_by()
            .values_list("verdicts__decided_by")
            .annotate(m=PercentileCont(handling, 0.5))
        ):
            medians[user_id] = None if median is None else round(median, 3)
    for user_id, n, late in decided:
        rows[user_id]["resolved"] = n
        rows[user_id]["sla_breaches"] = late
        if connection.vendor != "postgresql":
            theirs = decided_here.filter(verdicts__decided_by=user_id)
            medians[user_id] = percentiles(theirs, handling, [0.5])[0]
        rows[user_id]["median_handling_seconds"] = medians.get(user_id)
    for user_id, n in (
        AppealStatusChange.objects.filter(
            to_status=S.ESCALATED, created_at__gte=start, created_at__lt=end, actor__isnull=False
        )
        .order_by()
        .values_list("actor")
        .annotate(n=Count("id"))
    ):
        rows[user_id]["escalations"] = n
    for user_id, n in (
        Verdict.objects.filter(
            state=Verdict.State.SENT_BACK, reviewed_at__gte=start, reviewed_at__lt=end
        )
        .order_by()
        .values_list("decided_by")
        .annotate(n=Count("id"))
    ):
        rows[user_id]["sent_back"] = n
    for user_id, n in (
        VerdictReview.objects.filter(
            state=VerdictReview.State.REVERSED, decided_at__gte=start, decided_at__lt=end
        )
        .order_by()
        .values_list("verdict__decided_by")
        .annotate(n=Count("id"))
    ):
        rows[user_id]["reversals"] = n
    return dict(rows)


def metrics_compute_range(*, first: date, last: date, progress=None) -> int:
    """Compute each day from first to last, inclusive; returns the number of days."""
    days = (last - first).days + 1
    for offset in range(days):
        metrics_compute_day(day=date.fromordinal(first.toordinal() + offset))
        if progress is not None:
            progress.update(1)
    return days
