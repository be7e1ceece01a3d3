"""Webhooks end to end: a real Celery worker (with beat) and a real Redis, a real receiver.

The worker is a separate process, so it must see what the tests commit: it gets a
DATABASE_URL pointing at this run's test database (PostgreSQL, or the SQLite test file)
and a Redis of its own, a throwaway redis-server on a free port that the outage test can
stop and start without touching the Redis anyone else uses.

Runs when REDIS_URL is set (the suite's PostgreSQL + Redis pass); skipped without it,
except that under CI on PostgreSQL a missing REDIS_URL or redis-server is a failure, so
CI cannot pass by skipping this.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import quote

import pytest
import redis
from django.conf import settings
from django.db import connection

from arbitration.celery import app as celery_app
from cases.models import OutboxEvent, WebhookDelivery, WebhookSubscriber

from .support import SECRET, Receiver, emit

pytestmark = [pytest.mark.celery_worker, pytest.mark.django_db(transaction=True)]
Status = WebhookDelivery.Status
ROOT = Path(settings.BASE_DIR)

# What the worker runs with: fast retries and a sweep every second.
WORKER_SETTINGS = {
    "WEBHOOK_RETRY_BASE_SECONDS": "1",
    "WEBHOOK_RETRY_MAX_SECONDS": "2",
    "WEBHOOK_SWEEP_SECONDS": "1",
    "WEBHOOK_SWEEP_GRACE_SECONDS": "2",
    "WEBHOOK_TIMEOUT_SECONDS": "5",
    # The test's receiver listens on 127.0.0.1, which production refuses.
    "WEBHOOK_ALLOW_PRIVATE_URLS": "1",
}


def require_worker_environment() -> None:
    must_run = bool(os.environ.get("CI")) and connection.vendor == "postgresql"
    missing = None
    if not os.environ.get("REDIS_URL"):
        missing = "REDIS_URL is not set (this pass runs without Redis)"
    elif not shutil.which("redis-server"):
        missing = "redis-server is not installed"
    if missing:
        if must_run:
            pytest.fail(f"CI on PostgreSQL must run the worker integration test: {missing}")
        pytest.skip(missing)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for(condition: Callable[[], bool], timeout: float, what: str, log: Path) -> float:
    """Poll until `condition()`; returns the seconds it took."""
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        if condition():
            return time.monotonic() - started
        time.sleep(0.1)
    tail = log.read_text(errors="replace")[-4000:] if log.exists() else "(no log)"
    pytest.fail(f"{what}: not within {timeout} s. Worker log tail:\n{tail}")


class Broker:
    """A throwaway redis-server, nothing persisted, that a test may stop and restart."""

    def __init__(self, workdir: Path) -> None:
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.workdir = workdir
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        self.process = subprocess.Popen(
            [
                "redis-server",
                "--bind",
                "127.0.0.1",
                "--port",
                str(self.port),
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self.workdir),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        client = redis.Redis(port=self.port, socket_connect_timeout=0.5)
        deadline = time.monotonic() + 10
        while True:
            try:
                client.ping()
                return
            except redis.ConnectionError:
                if time.monotonic() > deadline or self.process.poll() is not None:
                    raise RuntimeError(f"redis-server on port {self.port} did not start") from None
                time.sleep(0.05)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(10)
        self.process = None


@pytest.fixture(scope="module")
def broker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Broker]:
    require_worker_environment()
    broker = Broker(tmp_path_factory.mktemp("redis"))
    broker.start()
    try:
        yield broker
    finally:
        broker.stop()


def database_url() -> str:
    """This run's test database, as the worker's DATABASE_URL."""
    db = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{Path(db['NAME']).resolve()}"
    if connection.vendor == "postgresql":
        auth = quote(db["USER"] or "", safe="")
        if db["PASSWORD"]:
            auth += ":" + quote(db["PASSWORD"], safe="")
        host = db["HOST"] or "localhost"
        port = db["PORT"] or 5432
        return f"postgres://{auth}@{host}:{port}/{quote(db['NAME'], safe='')}"
    pytest.fail(f"no worker DATABASE_URL for a {connection.vendor} database")


@pytest.fixture(scope="module")
def worker_log(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("worker") / "worker.log"


@contextmanager
def celery_worker(
    env: dict[str, str], args: list[str], log_path: Path
) -> Iterator[subprocess.Popen]:
    """A real `celery -A arbitration worker --pool=solo` with these extra args, started in a
    session of its own (so teardown signals it and an embedded beat together), yielded
    once it says it is ready, and gone before the test database is dropped."""
    command = [
        sys.executable, "-m", "celery", "-A", "arbitration", "worker", "--pool=solo",
        "-l", "info", "--without-gossip", "--without-mingle", *args,
    ]  # fmt: skip
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            command,
            cwd=ROOT,
            env={**os.environ, "PYTHONUNBUFFERED": "1", **env},
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        ready = lambda: " ready." in log_path.read_text(errors="replace")  # noqa: E731
        wait_for(ready, 30, "worker ready", log_path)
        yield process
    finally:
        # The worker holds connections to the test database: stop it first.
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(15)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(5)


@pytest.fixture(scope="module")
def worker(broker: Broker, worker_log: Path, django_db_setup: None) -> Iterator[subprocess.Popen]:
    """`celery worker --pool=solo -B` on the test database and the throwaway broker."""
    env = {**WORKER_SETTINGS, "DATABASE_URL": database_url(), "REDIS_URL": broker.url}
    args = [
        "-B", "--schedule", str(worker_log.with_name("beat-schedule")),
        "--hostname", f"webhooks-test-{os.getpid()}@%h",
    ]  # fmt: skip
    with celery_worker(env, args, worker_log) as process:
        yield process
        try:
            os.killpg(process.pid, signal.SIGKILL)  # whatever of its group is left (beat)
        except ProcessLookupError:
            pass


@pytest.fixture(scope="module")
def publisher(broker: Broker) -> Iterator[None]:
    """This process enqueues for real, to the throwaway broker the worker consumes."""
    saved = {key: celery_app.conf[key] for key in ("task_always_eager", "broker_url")}
    celery_app.conf.update(task_always_eager=False, broker_url=broker.url)
    reset_producer_pool()
    try:
        yield
    finally:
        celery_app.conf.update(saved)
        reset_producer_pool()


def reset_producer_pool() -> None:
    # The app caches its broker connection pool; rebuilt on next use for the new URL.
    celery_app._pool = None
    celery_app.amqp._producer_pool = None


@pytest.fixture
def live(worker: subprocess.Popen, publisher: None, receiver: Receiver) -> Receiver:
    assert worker.poll() is None, "the worker died"
    WebhookSubscriber.objects.create(url=receiver.url, secret=SECRET, events=["verdict.issued"])
    return receiver


def all_delivered(events: list[OutboxEvent]) -> Callable[[], bool]:
    ids = [event.id for event in events]
    return lambda: (
        WebhookDelivery.objects.filter(event_id__in=ids, status=Status.DELIVERED).count()
        == len(ids)
    )


def test_events_arrive_signed(live: Receiver, worker_log: Path) -> None:
    events = [emit(n=n) for n in range(3)]

    took = wait_for(all_delivered(events), 20, "3 events delivered", worker_log)

    print(f"delivered in {took:.1f} s")
    assert live.acknowledged() == {str(event.id): 1 for event in events}
    for received in live.received():
        expected = hmac.new(SECRET.encode(), received.body, hashlib.sha256).hexdigest()
        assert received.headers["X-Arbitration-Signature"] == f"sha256={expected}"
        assert received.headers["X-Arbitration-Event"] == "verdict.issued"
        assert json.loads(received.body)["type"] == "verdict.issued"


def test_a_flaky_receiver_acknowledges_the_event_exactly_once(
    live: Receiver, worker_log: Path
) -> None:
    def fail_twice(received) -> int:
        earlier = live.attempts()[received.event_id]
        return 500 if earlier < 2 else 200

    live.respond = fail_twice
    event = emit()

    took = wait_for(all_delivered([event]), 30, "delivered after two failures", worker_log)
    # Give the retry tasks and the sweep (every second) time to send it again, if they
    # ever would.
    time.sleep(3)

    print(f"delivered in {took:.1f} s")
    assert live.acknowledged() == {str(event.id): 1}
    assert live.attempts() == {str(event.id): 3}
    delivery = WebhookDelivery.objects.get(event=event)
    assert (delivery.status, delivery.attempts) == (Status.DELIVERED, 3)


def test_a_broker_outage_delays_events_but_loses_none(
    live: Receiver, broker: Broker, worker_log: Path
) -> None:
    before = emit(n="before")
    wait_for(all_delivered([before]), 20, "the event before the outage", worker_log)

    broker.stop()
    started = time.monotonic()
    # Each cause commits although its dispatch cannot be enqueued.
    during = [emit(n=n) for n in range(5)]
    assert WebhookDelivery.objects.filter(event__in=during, status=Status.PENDING).count() == 5
    time.sleep(max(0.0, 3 - (time.monotonic() - started)))
    broker.start()

    took = wait_for(all_delivered(during), 45, "events from the outage delivered", worker_log)

    print(f"outage events delivered {took:.1f} s after Redis came back")
    time.sleep(2)
    expected = {str(event.id): 1 for event in [before, *during]}
    assert live.acknowledged() == expected, "lost or acknowledged twice"
