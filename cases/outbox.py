"""The transactional outbox: events are rows written with their cause, delivered later."""

from __future__ import annotations

import json
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction

from arbitration.db import require_transaction
from arbitration.jobs import enqueue

from .models import Appeal, OutboxEvent, WebhookDelivery, WebhookSubscriber

DISPATCH_EVENT = "cases.tasks.dispatch_event"


def event_emit(*, type: str, data: dict[str, Any], appeal: Appeal | None = None) -> OutboxEvent:
    """Write an event and one pending delivery per subscriber, in the caller's transaction.

    A rolled-back cause rolls its event back too; a committed one is delivered at least
    once, by the dispatch task scheduled on commit or, if that is lost, by the sweep.
    """
    require_transaction("event_emit")
    event = OutboxEvent.objects.create(
        type=type, data=json.loads(json.dumps(data, cls=DjangoJSONEncoder)), appeal=appeal
    )
    subscribers = [s for s in WebhookSubscriber.objects.filter(active=True) if s.wants(type)]
    WebhookDelivery.objects.bulk_create(
        WebhookDelivery(event=event, subscriber=s, next_attempt_at=event.created_at)
        for s in subscribers
    )
    if subscribers:
        # enqueue() logs a broker error instead of raising it: the cause is committed by
        # then, and its request must still succeed; the sweep delivers the event later.
        transaction.on_commit(lambda: enqueue(DISPATCH_EVENT, str(event.id)))
    return event


def event_emit_many(
    *, type: str, items: list[tuple[Appeal | None, dict[str, Any]]]
) -> list[OutboxEvent]:
    """event_emit for many events of one type: one insert of the events and one of their
    deliveries, whatever their number."""
    require_transaction("event_emit_many")
    if not items:
        return []
    events = [
        OutboxEvent(
            type=type, data=json.loads(json.dumps(data, cls=DjangoJSONEncoder)), appeal=appeal
        )
        for appeal, data in items
    ]
    OutboxEvent.objects.bulk_create(events)
    subscribers = [s for s in WebhookSubscriber.objects.filter(active=True) if s.wants(type)]
    WebhookDelivery.objects.bulk_create(
        WebhookDelivery(event=event, subscriber=s, next_attempt_at=event.created_at)
        for event in events
        for s in subscribers
    )
    if subscribers:
        ids = [str(e.id) for e in events]
        transaction.on_commit(lambda: [enqueue(DISPATCH_EVENT, i) for i in ids])
    return events
