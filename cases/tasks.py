"""Celery tasks. Each takes ids, calls one service, and is safe to run twice or at once.

Task modules are the top layer: they import the services they run, and the code that
schedules them names them instead (arbitration.jobs), so no service imports this module.
"""

from __future__ import annotations

import logging

from celery import shared_task
from django.conf import settings
from django.utils import timezone

from arbitration.jobs import enqueue
from evidence.risk import risk_assess

from . import webhooks
from .audit import audit_head
from .derived import derived_due
from .floor import assignment, tick
from .models import WebhookDelivery

logger = logging.getLogger(__name__)

# A failed delivery due later than this is left to the sweep rather than held as an ETA
# task: Redis hands an unacknowledged ETA task to another worker after its visibility
# timeout (an hour), and a worker restart drops the ones it held.
MAX_RETRY_COUNTDOWN_SECONDS = 300


@shared_task(ignore_result=True)
def deliver_webhook(delivery_id: int) -> None:
    retry_at = webhooks.delivery_attempt(delivery_id=delivery_id)
    if retry_at is None or deliver_webhook.app.conf.task_always_eager:
        # Eager mode would run a countdown at once, in a loop: there the sweep retries.
        return
    countdown = max((retry_at - timezone.now()).total_seconds(), 0)
    if countdown <= MAX_RETRY_COUNTDOWN_SECONDS:
        enqueue(deliver_webhook, delivery_id, countdown=countdown)


@shared_task(ignore_result=True)
def dispatch_event(event_id: str) -> None:
    pending = WebhookDelivery.objects.filter(
        event_id=event_id, status=WebhookDelivery.Status.PENDING
    ).values_list("id", flat=True)
    for delivery_id in pending:
        enqueue(deliver_webhook, delivery_id)


@shared_task(ignore_result=True)
def sweep_webhooks() -> int:
    """Periodic (beat): send what is due and was not sent on commit or by a retry."""
    now = timezone.now()
    given_up = webhooks.deliveries_give_up(now=now)
    if given_up:
        logger.error("%s webhook deliveries never finished an attempt; marked dead", given_up)
    due = webhooks.deliveries_due(now=now, limit=settings.WEBHOOK_SWEEP_BATCH)
    for delivery_id in due:
        # Expiring before the next sweep: under a backlog, stale copies are discarded
        # instead of piling up, and the next sweep sends a fresh one if still due.
        enqueue(deliver_webhook, delivery_id, expires=settings.WEBHOOK_SWEEP_SECONDS * 2)
    if due:
        logger.info("Webhook sweep: %s deliveries due", len(due))
    return len(due)


@shared_task(ignore_result=True)
def assess_risk(appeal_id: int) -> None:
    risk_assess(appeal_id=appeal_id)


@shared_task(ignore_result=True)
def sweep_derived() -> int:
    """Periodic (beat), like sweep_webhooks for events: recompute what a lost on-commit
    task never did.

    1. Find the appeals still marked risk-stale after the grace period, oldest first.
    2. Enqueue one assessment each, expiring before the next sweep (a backlog is not
       stacked up; the next sweep sends a fresh one if the mark is still there).
    Safe to run at once and twice: an assessment clears the mark only if no change came
    after the one it saw (evidence.risk.risk_assess).
    """
    due = derived_due(now=timezone.now(), limit=settings.DERIVED_SWEEP_BATCH)
    for appeal_id in due:
        enqueue(assess_risk, appeal_id, expires=settings.DERIVED_SWEEP_SECONDS * 2)
    if due:
        logger.warning("Derived-data sweep: %s appeals had stale risk; recomputing", len(due))
    return len(due)


@shared_task(ignore_result=True)
def audit_checkpoint() -> str:
    """Periodic (beat): log the audit chain's head. The log lives outside the database, so
    a tail cut off later (and the head wound back) is found by
    `verify_audit --checkpoint SEQ:HASH` with any logged value."""
    seq, digest = audit_head()
    logger.info("audit checkpoint %s:%s", seq, digest)
    return f"{seq}:{digest}"


@shared_task(ignore_result=True)
def assign_appeal(appeal_id: int) -> None:
    """A new appeal goes to someone on shift at once (the tick retries whatever this
    leaves unassigned). Safe twice: an assigned appeal is no longer a candidate."""
    assignment.assign_tick(appeal_ids=[appeal_id])


@shared_task(ignore_result=True)
def floor_tick() -> dict:
    """Periodic (beat, at least once a minute), and `manage.py floor_tick`: assignment,
    hand-backs, missed deadlines, escalations, incidents (cases.floor.tick)."""
    summary = tick.floor_tick()
    if any(summary.values()):
        logger.info("floor tick: %s", summary)
    return summary


@shared_task(ignore_result=True)
def evidence_reminders() -> int:
    """Periodic (beat): remind parties whose evidence deadline is near."""
    return tick.reminders()
