"""Celery tasks. Each takes ids, calls one service, and is safe to run twice or at once."""

from __future__ import annotations

import logging
from typing import Any

from celery import Task, shared_task
from django.conf import settings
from django.utils import timezone

from . import webhooks
from .models import WebhookDelivery

logger = logging.getLogger(__name__)

# A failed delivery due later than this is left to the sweep rather than held as an ETA
# task: Redis hands an unacknowledged ETA task to another worker after its visibility
# timeout (an hour), and a worker restart drops the ones it held.
MAX_RETRY_COUNTDOWN_SECONDS = 300


def enqueue(task: Task, *args: Any, **options: Any) -> bool:
    """Send a task, or log why not. Never raises: the rows it works on are committed and
    the sweep finds them later, so a broker outage delays work but loses none (and, in
    eager mode, a failing task cannot fail the request whose commit scheduled it)."""
    try:
        task.apply_async(args=args, **options)
    except Exception:
        logger.exception("Could not run %s%r now; the sweep will pick it up", task.name, args)
        return False
    return True


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
    from .risk import risk_assess

    risk_assess(appeal_id=appeal_id)


def risk_reassess_on_commit(appeal_ids: list[int]) -> None:
    """After the caller's transaction commits, recompute the risk of these appeals."""
    from functools import partial

    from django.db import transaction

    for appeal_id in dict.fromkeys(appeal_ids):
        transaction.on_commit(partial(enqueue, assess_risk, appeal_id))
