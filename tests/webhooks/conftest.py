"""Webhook test fixtures.

Celery is explicit here. A test marked `celery_worker` talks to a real worker through a
broker of its own (see test_worker_integration.py). Every other webhook test runs Celery
eagerly, in-process, whatever REDIS_URL says: in the suite's PostgreSQL pass REDIS_URL is
set and Celery is not eager, and a test that enqueued there would wait on a worker that
does not exist.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from arbitration.celery import app as celery_app
from cases.models import WebhookSubscriber

from .support import SECRET, Receiver, running_receiver


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with running_receiver() as receiver:
        yield receiver


@pytest.fixture(autouse=True)
def celery_mode(request: pytest.FixtureRequest) -> Iterator[None]:
    """Eager Celery with an in-memory broker, except for tests that bring a real worker."""
    if request.node.get_closest_marker("celery_worker"):
        yield
        return
    saved = {key: celery_app.conf[key] for key in ("task_always_eager", "broker_url")}
    celery_app.conf.update(task_always_eager=True, broker_url="memory://")
    try:
        yield
    finally:
        celery_app.conf.update(saved)


@pytest.fixture
def subscriber(db: None, receiver: Receiver) -> WebhookSubscriber:
    return WebhookSubscriber.objects.create(
        url=receiver.url, secret=SECRET, events=["verdict.issued", "appeal.status_changed"]
    )
