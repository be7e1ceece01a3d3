"""Data derived from a case and kept on its row: today the risk score and signals.

A change that affects it marks the appeal stale in the change's own transaction and asks
for a recomputation after commit; if that task is lost (the broker is down at commit, a
worker dies), the mark stays and the `sweep_derived` beat task finds it. The scorer itself
is evidence.risk; the task is looked up by name (arbitration.jobs), so no write path
imports it.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.utils import timezone

from arbitration.db import require_transaction
from arbitration.jobs import enqueue_on_commit

from .models import Appeal

ASSESS_RISK = "cases.tasks.assess_risk"


def risk_reassess_on_commit(appeal_ids: list[int]) -> None:
    """Mark these appeals' risk out of date, in the caller's transaction, and recompute it
    after the transaction commits."""
    ids = list(dict.fromkeys(appeal_ids))
    if not ids:
        return
    require_transaction("risk_reassess_on_commit")
    Appeal.objects.filter(pk__in=ids).update(risk_stale_at=timezone.now())
    for appeal_id in ids:
        enqueue_on_commit(ASSESS_RISK, appeal_id)


def derived_due(*, now: datetime, limit: int) -> list[int]:
    """Appeals whose derived data has been out of date for longer than its on-commit task
    should take. Uses the partial index appeal_risk_stale."""
    grace = now - timedelta(seconds=settings.DERIVED_SWEEP_GRACE_SECONDS)
    return list(
        Appeal.objects.filter(risk_stale_at__lte=grace)
        .order_by("risk_stale_at")
        .values_list("id", flat=True)[:limit]
    )
