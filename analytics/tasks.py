from __future__ import annotations

from datetime import date, timedelta

from celery import shared_task

from .selectors import ops_today
from .services import metrics_compute_day


@shared_task(name="analytics.compute_daily_metrics")
def compute_daily_metrics(day: str | None = None) -> str:
    """Compute one day (default: yesterday, operations time zone). Safe to run twice or at
    once: the day is replaced whole under a lock."""
    target = date.fromisoformat(day) if day else ops_today() - timedelta(days=1)
    metrics_compute_day(day=target)
    return target.isoformat()


@shared_task(name="analytics.refresh_today")
def refresh_today() -> str:
    """Today's partial figures, recomputed every few minutes for the dashboards."""
    today = ops_today()
    metrics_compute_day(day=today)
    return today.isoformat()
