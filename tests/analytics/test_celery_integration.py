"""The daily metrics task on a real Celery worker with a real Redis: the same figures as
when the task runs eagerly, in-process.

The worker is a separate process on this run's test database (it must see what the test
commits, hence a transactional test) and a throwaway redis-server on a free port, started
with the helpers of the webhook worker test (tests/webhooks/test_worker_integration.py).
Runs when REDIS_URL is set; skipped without it, except that CI on PostgreSQL fails instead.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings

from analytics.models import ArbitratorDailyMetric, DailyMetric
from analytics.tasks import compute_daily_metrics
from arbitration.celery import app as celery_app
from tests.webhooks.test_worker_integration import (
    Broker,
    celery_worker,
    database_url,
    require_worker_environment,
    reset_producer_pool,
    wait_for,
)

from .test_metrics import (
    DAY,
    EXPECTED_ARBITRATORS,
    EXPECTED_DAY,
    arbitrator_rows,
    at,
    build_desk,
    metric_values,
    ops,
)

pytestmark = [pytest.mark.celery_worker, pytest.mark.django_db(transaction=True)]
ROOT = Path(settings.BASE_DIR)


@pytest.fixture(scope="module")
def broker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Broker]:
    require_worker_environment()
    broker = Broker(tmp_path_factory.mktemp("redis"))
    broker.start()
    try:
        yield broker
    finally:
        broker.stop()


@pytest.fixture(scope="module")
def worker_log(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("metrics-worker") / "worker.log"


@pytest.fixture(scope="module")
def worker(broker: Broker, worker_log: Path, django_db_setup: None) -> Iterator[subprocess.Popen]:
    """`celery worker --pool=solo` (no beat: only the tasks this test sends) on the test
    database and the throwaway broker."""
    env = {"DATABASE_URL": database_url(), "REDIS_URL": broker.url}
    args = ["--hostname", f"metrics-test-{os.getpid()}@%h"]
    with celery_worker(env, args, worker_log) as process:
        yield process


@pytest.fixture
def eager() -> Iterator[None]:
    saved = {key: celery_app.conf[key] for key in ("task_always_eager", "broker_url")}
    celery_app.conf.update(task_always_eager=True, broker_url="memory://")
    try:
        yield
    finally:
        celery_app.conf.update(saved)


@pytest.fixture
def publisher(broker: Broker) -> Iterator[None]:
    """This process enqueues for real, to the broker the worker consumes."""
    saved = {key: celery_app.conf[key] for key in ("task_always_eager", "broker_url")}
    celery_app.conf.update(task_always_eager=False, broker_url=broker.url)
    reset_producer_pool()
    try:
        yield
    finally:
        celery_app.conf.update(saved)
        reset_producer_pool()


def snapshot() -> tuple[dict[str, Any], dict[str, dict[str, Any]], int]:
    return (
        metric_values(DailyMetric.objects.get(date=DAY)),
        arbitrator_rows(DAY),
        ArbitratorDailyMetric.objects.filter(date=DAY).count(),
    )


def test_the_worker_computes_the_same_figures_as_eager_mode(
    worker: subprocess.Popen, broker: Broker, worker_log: Path, request: pytest.FixtureRequest
) -> None:
    build_desk()
    # Eager: in this process, at a moment after the day.
    request.getfixturevalue("eager")
    with at(ops(3, 10, 0)):
        assert compute_daily_metrics.delay(DAY.isoformat()).get() == DAY.isoformat()
    eager_figures = snapshot()
    assert eager_figures == (EXPECTED_DAY, EXPECTED_ARBITRATORS, 3)
    DailyMetric.objects.all().delete()
    ArbitratorDailyMetric.objects.all().delete()

    # The real worker, through Redis; sent twice: the second run replaces the first.
    request.getfixturevalue("publisher")
    assert worker.poll() is None, "the worker died"
    compute_daily_metrics.delay(DAY.isoformat())
    compute_daily_metrics.delay(DAY.isoformat())
    computed = lambda: DailyMetric.objects.filter(date=DAY).exists()  # noqa: E731
    took = wait_for(computed, 30, "the worker computed the day", worker_log)
    wait_for(
        lambda: worker_log.read_text(errors="replace").count("succeeded in") >= 2,
        30,
        "both runs finished",
        worker_log,
    )

    print(f"worker computed the day {took:.1f} s after the task was sent")
    assert snapshot() == eager_figures
    assert DailyMetric.objects.count() == 1
