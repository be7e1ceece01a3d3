"""The tasks around an attempt: dispatch on commit, retry scheduling and the sweep.

Celery runs eagerly here (tests/webhooks/conftest.py), except where a test points it at a
broker that is down on purpose.
"""

from __future__ import annotations

import json
import logging
import socket
from collections.abc import Iterator
from datetime import timedelta

import pytest
from django.utils import timezone

from arbitration.celery import app as celery_app
from cases import tasks
from cases.models import WebhookDelivery, WebhookSubscriber
from cases.tasks import deliver_webhook, sweep_webhooks

from .support import Receiver, delivery_of, emit

pytestmark = pytest.mark.django_db
Status = WebhookDelivery.Status


@pytest.fixture
def broker_down() -> Iterator[None]:
    """Celery not eager, publishing to a Redis that is not there."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    saved = {key: celery_app.conf[key] for key in ("task_always_eager", "broker_url")}
    celery_app.conf.update(task_always_eager=False, broker_url=f"redis://127.0.0.1:{port}/0")
    reset_producer_pool()
    try:
        yield
    finally:
        celery_app.conf.update(saved)
        reset_producer_pool()


def reset_producer_pool() -> None:
    # The app keeps its broker connection pool; it must be rebuilt for a new broker_url.
    celery_app._pool = None
    celery_app.amqp._producer_pool = None


def test_a_committed_event_is_delivered_on_commit(
    receiver: Receiver, subscriber: WebhookSubscriber, django_capture_on_commit_callbacks
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        event = emit()

    assert receiver.acknowledged() == {str(event.id): 1}
    assert delivery_of(event, subscriber).status == Status.DELIVERED


def test_nothing_is_scheduled_without_subscribers(
    receiver: Receiver, django_capture_on_commit_callbacks
) -> None:
    with django_capture_on_commit_callbacks() as callbacks:
        emit()

    assert callbacks == []


def test_a_failing_subscriber_does_not_fail_the_request_in_eager_mode(
    receiver: Receiver, subscriber: WebhookSubscriber, django_capture_on_commit_callbacks
) -> None:
    receiver.respond = lambda received: 500

    with django_capture_on_commit_callbacks(execute=True):
        event = emit()

    # One attempt, and no retry loop in-process: eager mode leaves retries to the sweep.
    assert len(receiver.received()) == 1
    delivery = delivery_of(event, subscriber)
    assert delivery.status == Status.FAILED
    assert delivery.attempts == 1


def test_a_broker_outage_on_commit_is_logged_not_raised(
    broker_down: None,
    receiver: Receiver,
    subscriber: WebhookSubscriber,
    django_capture_on_commit_callbacks,
    caplog: pytest.LogCaptureFixture,
) -> None:
    with caplog.at_level(logging.ERROR), django_capture_on_commit_callbacks(execute=True):
        event = emit()

    assert "the sweep will pick it up" in caplog.text
    assert receiver.received() == []
    # Committed and waiting for the sweep.
    assert delivery_of(event, subscriber).status == Status.PENDING


def test_a_failed_attempt_schedules_its_retry(
    receiver: Receiver, subscriber: WebhookSubscriber, settings, monkeypatch
) -> None:
    settings.WEBHOOK_RETRY_BASE_SECONDS = 10
    celery_app.conf.task_always_eager = False  # restored by the celery_mode fixture
    receiver.respond = lambda received: 500
    delivery = delivery_of(emit(), subscriber)
    sent: list[dict] = []
    monkeypatch.setattr(
        deliver_webhook,
        "apply_async",
        lambda args, **options: sent.append({"args": args, **options}),
    )

    deliver_webhook(delivery.pk)

    [retry] = sent
    assert retry["args"] == (delivery.pk,)
    assert 0 <= retry["countdown"] <= 10


def test_a_retry_due_much_later_is_left_to_the_sweep(
    receiver: Receiver, subscriber: WebhookSubscriber, settings, monkeypatch
) -> None:
    settings.WEBHOOK_RETRY_BASE_SECONDS = tasks.MAX_RETRY_COUNTDOWN_SECONDS * 100
    monkeypatch.setattr("random.uniform", lambda low, high: high)
    celery_app.conf.task_always_eager = False
    receiver.respond = lambda received: 500
    delivery = delivery_of(emit(), subscriber)
    sent: list[tuple] = []
    monkeypatch.setattr(deliver_webhook, "apply_async", lambda *a, **kw: sent.append(a))

    deliver_webhook(delivery.pk)

    assert sent == []
    delivery.refresh_from_db()
    assert delivery.status == Status.FAILED


def test_the_sweep_sends_what_is_due_and_nothing_else(
    receiver: Receiver, subscriber: WebhookSubscriber, settings
) -> None:
    settings.WEBHOOK_SWEEP_GRACE_SECONDS = 30
    now = timezone.now()
    rows = {}
    for name, status, next_attempt_at, age in [
        ("fresh_pending", Status.PENDING, now, timedelta(0)),
        ("stale_pending", Status.PENDING, now - timedelta(minutes=1), timedelta(minutes=1)),
        ("due_failed", Status.FAILED, now - timedelta(seconds=1), timedelta(minutes=5)),
        ("later_failed", Status.FAILED, now + timedelta(minutes=5), timedelta(minutes=5)),
        ("dead", Status.DEAD, now - timedelta(minutes=1), timedelta(hours=5)),
        ("delivered", Status.DELIVERED, now - timedelta(minutes=1), timedelta(minutes=5)),
    ]:
        delivery = delivery_of(emit(name=name), subscriber)
        WebhookDelivery.objects.filter(pk=delivery.pk).update(
            status=status, next_attempt_at=next_attempt_at, created_at=now - age
        )
        rows[name] = delivery

    assert sweep_webhooks() == 2

    sent = {json.loads(received.body)["data"]["name"] for received in receiver.received()}
    assert sent == {"stale_pending", "due_failed"}
    for name in ("stale_pending", "due_failed"):
        rows[name].refresh_from_db()
        assert rows[name].status == Status.DELIVERED


def test_the_sweep_gives_up_on_attempts_that_never_finished(
    receiver: Receiver, subscriber: WebhookSubscriber, settings
) -> None:
    settings.WEBHOOK_MAX_ATTEMPTS = 3
    delivery = delivery_of(emit(), subscriber)
    # A worker claimed it for its last attempt and died: the lease ran out, no result.
    WebhookDelivery.objects.filter(pk=delivery.pk).update(
        attempts=3, next_attempt_at=timezone.now() - timedelta(seconds=1)
    )

    assert sweep_webhooks() == 0

    delivery.refresh_from_db()
    assert delivery.status == Status.DEAD
    assert receiver.received() == []
