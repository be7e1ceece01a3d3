"""One delivery attempt against a real HTTP receiver: signature, headers, outcomes."""

from __future__ import annotations

import hashlib
import hmac
import json
import socket
import threading
import time
from datetime import timedelta

import pytest
from django.utils import timezone

from cases.models import WebhookDelivery, WebhookSubscriber
from cases.webhooks import delivery_attempt, retry_delay, sign

from .support import SECRET, Receiver, delivery_of, emit

pytestmark = pytest.mark.django_db
Status = WebhookDelivery.Status


def make_due(delivery: WebhookDelivery) -> None:
    WebhookDelivery.objects.filter(pk=delivery.pk).update(
        next_attempt_at=timezone.now() - timedelta(seconds=1)
    )


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_sign_is_hmac_sha256_of_the_body() -> None:
    body = b'{"id":"x"}'
    expected = hmac.new(b"key", body, hashlib.sha256).hexdigest()
    assert sign(body, "key") == f"sha256={expected}"


def test_signature_matches_an_hmac_of_the_exact_body_received(
    receiver: Receiver, subscriber: WebhookSubscriber
) -> None:
    event = emit(text="已收到 — ünïcode stays unescaped")

    delivery_attempt(delivery_id=delivery_of(event, subscriber).pk)

    [received] = receiver.received()
    expected = hmac.new(SECRET.encode(), received.body, hashlib.sha256).hexdigest()
    assert received.headers["X-Arbitration-Signature"] == f"sha256={expected}"
    # The envelope of the contract, compact and UTF-8 (not \u-escaped).
    event.refresh_from_db()
    assert json.loads(received.body) == event.envelope()
    assert "已收到".encode() in received.body
    assert b", " not in received.body and b": " not in received.body


def test_it_sends_the_contract_headers(receiver: Receiver, subscriber: WebhookSubscriber) -> None:
    event = emit()
    delivery = delivery_of(event, subscriber)

    delivery_attempt(delivery_id=delivery.pk)

    [received] = receiver.received()
    assert received.path == "/hook"
    assert received.headers["Content-Type"] == "application/json"
    assert received.headers["X-Arbitration-Event"] == "verdict.issued"
    assert received.headers["X-Arbitration-Delivery"] == str(delivery.pk)
    assert received.headers["User-Agent"].startswith("ArbitrationDesk-Webhooks/")


@pytest.mark.parametrize("status", [200, 202, 204])
def test_a_2xx_marks_it_delivered(
    receiver: Receiver, subscriber: WebhookSubscriber, status: int
) -> None:
    receiver.respond = lambda received: status
    delivery = delivery_of(emit(), subscriber)

    assert delivery_attempt(delivery_id=delivery.pk) is None

    delivery.refresh_from_db()
    assert delivery.status == Status.DELIVERED
    assert delivery.delivered_at is not None
    assert delivery.last_status_code == status
    assert delivery.attempts == 1
    assert delivery.last_error == ""


def test_a_500_marks_it_failed_with_a_jittered_backoff(
    receiver: Receiver, subscriber: WebhookSubscriber, settings
) -> None:
    settings.WEBHOOK_RETRY_BASE_SECONDS = 10
    receiver.respond = lambda received: 500
    delivery = delivery_of(emit(), subscriber)
    before = timezone.now()

    retry_at = delivery_attempt(delivery_id=delivery.pk)

    delivery.refresh_from_db()
    assert delivery.status == Status.FAILED
    assert delivery.attempts == 1
    assert delivery.last_status_code == 500
    # The status and our words for it; never what the subscriber's body said ("nope").
    assert delivery.last_error == "HTTP 500 Internal Server Error"
    assert delivery.delivered_at is None
    assert retry_at == delivery.next_attempt_at
    # First retry: full jitter over [0, base].
    assert before <= delivery.next_attempt_at <= timezone.now() + timedelta(seconds=10)


def test_backoff_grows_exponentially_and_stays_within_the_cap(settings) -> None:
    settings.WEBHOOK_RETRY_BASE_SECONDS = 10
    settings.WEBHOOK_RETRY_MAX_SECONDS = 3600
    for attempts in range(1, 20):
        ceiling = min(3600, 10 * 2 ** (attempts - 1))
        delays = [retry_delay(attempts).total_seconds() for _ in range(50)]
        assert all(0 <= delay <= ceiling for delay in delays)
    # Jittered, not a fixed schedule: spread over the range.
    late = [retry_delay(12).total_seconds() for _ in range(200)]
    assert min(late) < 1800 < max(late)


def test_a_connection_error_marks_it_failed(subscriber: WebhookSubscriber) -> None:
    WebhookSubscriber.objects.filter(pk=subscriber.pk).update(
        url=f"http://127.0.0.1:{closed_port()}/hook"
    )
    delivery = delivery_of(emit(), subscriber)

    delivery_attempt(delivery_id=delivery.pk)

    delivery.refresh_from_db()
    assert delivery.status == Status.FAILED
    assert delivery.last_status_code is None
    assert "ConnectionError" in delivery.last_error


def test_a_timeout_marks_it_failed(
    receiver: Receiver, subscriber: WebhookSubscriber, settings
) -> None:
    settings.WEBHOOK_TIMEOUT_SECONDS = 1
    release = threading.Event()

    def slow(received):
        release.wait(5)
        return 200

    receiver.respond = slow
    delivery = delivery_of(emit(), subscriber)
    started = time.monotonic()
    try:
        delivery_attempt(delivery_id=delivery.pk)
    finally:
        release.set()

    assert time.monotonic() - started < 4
    delivery.refresh_from_db()
    assert delivery.status == Status.FAILED
    assert "Timeout" in delivery.last_error


def test_a_redirect_is_not_followed(receiver: Receiver, subscriber: WebhookSubscriber) -> None:
    receiver.respond = lambda received: (
        (302, {"Location": receiver.url + "/elsewhere"}) if received.path == "/hook" else 200
    )
    delivery = delivery_of(emit(), subscriber)

    delivery_attempt(delivery_id=delivery.pk)

    assert [r.path for r in receiver.received()] == ["/hook"]
    delivery.refresh_from_db()
    assert delivery.status == Status.FAILED
    assert delivery.last_status_code == 302
    assert "redirects are not followed" in delivery.last_error


def test_it_is_dead_after_the_last_attempt(
    receiver: Receiver, subscriber: WebhookSubscriber, settings
) -> None:
    settings.WEBHOOK_MAX_ATTEMPTS = 3
    receiver.respond = lambda received: 503
    delivery = delivery_of(emit(), subscriber)

    for _ in range(3):
        make_due(delivery)
        delivery_attempt(delivery_id=delivery.pk)
    delivery.refresh_from_db()
    assert delivery.status == Status.DEAD
    assert delivery.attempts == 3
    assert delivery.last_status_code == 503

    make_due(delivery)
    assert delivery_attempt(delivery_id=delivery.pk) is None
    assert len(receiver.received()) == 3


def test_a_delivered_one_is_never_sent_again(
    receiver: Receiver, subscriber: WebhookSubscriber
) -> None:
    delivery = delivery_of(emit(), subscriber)
    delivery_attempt(delivery_id=delivery.pk)

    make_due(delivery)
    delivery_attempt(delivery_id=delivery.pk)

    assert len(receiver.received()) == 1
    delivery.refresh_from_db()
    assert delivery.status == Status.DELIVERED
    assert delivery.attempts == 1


def test_a_retry_that_is_not_due_yet_is_not_sent(
    receiver: Receiver, subscriber: WebhookSubscriber
) -> None:
    delivery = delivery_of(emit(), subscriber)
    WebhookDelivery.objects.filter(pk=delivery.pk).update(
        status=Status.FAILED, attempts=1, next_attempt_at=timezone.now() + timedelta(minutes=5)
    )

    assert delivery_attempt(delivery_id=delivery.pk) is None

    assert receiver.received() == []


def test_a_subscriber_deactivated_after_the_event_gets_nothing(
    receiver: Receiver, subscriber: WebhookSubscriber
) -> None:
    delivery = delivery_of(emit(), subscriber)
    WebhookSubscriber.objects.filter(pk=subscriber.pk).update(active=False)

    delivery_attempt(delivery_id=delivery.pk)

    assert receiver.received() == []
    delivery.refresh_from_db()
    assert delivery.status == Status.DEAD
    assert "deactivated" in delivery.last_error


def test_a_subscriber_not_interested_in_the_type_gets_no_delivery(
    receiver: Receiver, subscriber: WebhookSubscriber, django_capture_on_commit_callbacks
) -> None:
    other = WebhookSubscriber.objects.create(
        url=receiver.url + "/messages", secret=SECRET, events=["party.message"]
    )
    inactive = WebhookSubscriber.objects.create(
        url=receiver.url + "/off", secret=SECRET, events=["verdict.issued"], active=False
    )

    with django_capture_on_commit_callbacks(execute=True):
        event = emit("verdict.issued")

    assert list(event.deliveries.values_list("subscriber", flat=True)) == [subscriber.pk]
    assert not other.deliveries.exists() and not inactive.deliveries.exists()
    assert [r.path for r in receiver.received()] == ["/hook"]


@pytest.mark.django_db(transaction=True)
def test_two_workers_never_send_the_same_delivery_at_once(
    receiver: Receiver, subscriber: WebhookSubscriber, monkeypatch: pytest.MonkeyPatch
) -> None:
    """While one attempt is in flight its lease keeps everyone else off the row."""
    # This test commits: keep the on-commit dispatch from sending it first.
    monkeypatch.setattr("cases.outbox.enqueue", lambda *args, **options: True)
    in_flight, release = threading.Event(), threading.Event()

    def hold(received):
        in_flight.set()
        release.wait(10)
        return 200

    receiver.respond = hold
    delivery = delivery_of(emit(), subscriber)

    def first_worker() -> None:
        from django.db import connection

        try:
            delivery_attempt(delivery_id=delivery.pk)
        finally:
            connection.close()

    worker = threading.Thread(target=first_worker)
    worker.start()
    try:
        assert in_flight.wait(10)

        # The same delivery, sent by a second worker (a duplicate task, or the sweep).
        assert delivery_attempt(delivery_id=delivery.pk) is None
    finally:
        release.set()
        worker.join(15)

    assert len(receiver.received()) == 1
    delivery.refresh_from_db()
    assert delivery.status == Status.DELIVERED
    assert delivery.attempts == 1
