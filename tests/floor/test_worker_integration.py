"""The floor tick on a real Celery worker with a real Redis, sent twice at once: every
appeal is assigned once, nobody over their limit, and what nobody can take says why.

Like tests/analytics/test_celery_integration.py: a separate worker process on this run's
test database (a transactional test, so it sees what the test commits) and a throwaway
redis-server. Runs when REDIS_URL is set; skipped without it, except that CI on
PostgreSQL fails instead.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from arbitration.celery import app as celery_app
from cases.models import Appeal, AuditEntry, Shift
from cases.tasks import floor_tick
from tests.factories import open_appeal
from tests.webhooks.test_worker_integration import (
    Broker,
    celery_worker,
    database_url,
    require_worker_environment,
    reset_producer_pool,
    wait_for,
)

from .conftest import ALL_WEEK, hhmm, make_person

pytestmark = [pytest.mark.celery_worker, pytest.mark.django_db(transaction=True)]


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
    return tmp_path_factory.mktemp("floor-worker") / "worker.log"


@pytest.fixture(scope="module")
def worker(broker: Broker, worker_log: Path, django_db_setup: None) -> Iterator[subprocess.Popen]:
    """Two worker processes (prefork), so the two ticks really run at the same time."""
    env = {"DATABASE_URL": database_url(), "REDIS_URL": broker.url}
    args = ["--hostname", f"floor-test-{os.getpid()}@%h", "--pool=prefork", "--concurrency=2"]
    with celery_worker(env, args, worker_log) as process:
        yield process


@pytest.fixture
def publisher(broker: Broker) -> Iterator[None]:
    saved = {key: celery_app.conf[key] for key in ("task_always_eager", "broker_url")}
    celery_app.conf.update(task_always_eager=False, broker_url=broker.url)
    reset_producer_pool()
    try:
        yield
    finally:
        celery_app.conf.update(saved)
        reset_producer_pool()


def test_two_ticks_on_the_worker_assign_each_appeal_once_within_the_limits(
    worker: subprocess.Popen, worker_log: Path, request: pytest.FixtureRequest
) -> None:
    # Opened while nobody is on shift: they wait in the pool.
    appeals = [open_appeal() for _ in range(10)]
    people = [make_person("arbitrator", max_open=3) for _ in range(2)]
    for person in people:
        Shift.objects.bulk_create(
            Shift(user=person, weekday=d, start=hhmm(s), end=hhmm(e)) for d, s, e in ALL_WEEK
        )
    request.getfixturevalue("publisher")
    assert worker.poll() is None, "the worker died"
    floor_tick.delay()
    floor_tick.delay()
    wait_for(
        lambda: worker_log.read_text(errors="replace").count("succeeded in") >= 2,
        60,
        "both ticks finished",
        worker_log,
    )
    ids = [a.pk for a in appeals]
    assigned = Appeal.objects.filter(pk__in=ids, assignee__isnull=False)
    assert assigned.count() == 6  # two people, three each
    for person in people:
        assert Appeal.objects.filter(assignee=person).count() == 3
    entries = AuditEntry.objects.filter(action="appeal.assigned", appeal_id__in=ids)
    assert entries.count() == 6  # none assigned twice
    waiting = Appeal.objects.filter(pk__in=ids, assignee__isnull=True)
    assert {a.assignment_note for a in waiting} == {
        "Everyone on shift who could take it is at their case limit."
    }
