"""Nothing is lost in a broker outage: risk that a lost on-commit task never computed is
found by the derived-data sweep, like the webhook sweep finds undelivered events."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.conf import settings
from django.utils import timezone

from cases import derived, services, tasks
from cases.models import Appeal
from evidence.risk import WEIGHTS, risk_assess
from tests.factories import ChatMessageDataFactory, OrderFactory, open_appeal

pytestmark = pytest.mark.django_db


@pytest.fixture
def eager():
    from arbitration.celery import app

    saved = app.conf.task_always_eager
    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = saved


@pytest.fixture
def broker_down(monkeypatch):
    """Every enqueue fails as it does with Redis down (enqueue logs and moves on)."""

    def refuse(*args, **kwargs):
        raise ConnectionError("Error 111 connecting to redis:6379. Connection refused.")

    monkeypatch.setattr(tasks.assess_risk, "apply_async", refuse)
    yield
    monkeypatch.undo()


def test_an_appeal_opened_while_the_broker_is_down_gets_its_risk_from_the_sweep(
    eager, broker_down, django_capture_on_commit_callbacks, monkeypatch
):
    order = OrderFactory()
    with django_capture_on_commit_callbacks(execute=True):
        appeal = open_appeal(order=order)
        services.chat_ingest(
            order=order, messages=[ChatMessageDataFactory(text="add me on telegram @otc_fast")]
        )
    appeal.refresh_from_db()
    assert appeal.risk_score is None and appeal.risk_stale_at is not None

    monkeypatch.undo()  # the broker is back
    later = timezone.now() + timedelta(seconds=settings.DERIVED_SWEEP_GRACE_SECONDS + 1)
    with time_machine.travel(later, tick=False):
        swept = tasks.sweep_derived()

    assert swept == 1
    appeal.refresh_from_db()
    assert appeal.risk_score == WEIGHTS["off_platform_contact"]
    assert appeal.risk_stale_at is None
    assert tasks.sweep_derived() == 0  # nothing left to do


def test_the_sweep_leaves_fresh_marks_to_their_own_task(eager, broker_down):
    from django.db import transaction

    appeal = open_appeal()
    with transaction.atomic():
        derived.risk_reassess_on_commit([appeal.pk])

    assert derived.derived_due(now=timezone.now(), limit=10) == []
    later = timezone.now() + timedelta(seconds=settings.DERIVED_SWEEP_GRACE_SECONDS + 1)
    assert derived.derived_due(now=later, limit=10) == [appeal.pk]


def test_an_assessment_keeps_a_mark_made_while_it_computed(monkeypatch):
    """A change marked while an assessment was computing must get its own assessment: the
    older one stores nothing and leaves the mark (compare-and-swap on risk_stale_at)."""
    from django.db import transaction

    from evidence import risk

    appeal = open_appeal()
    with transaction.atomic():
        derived.risk_reassess_on_commit([appeal.pk])
    newer = timezone.now() + timedelta(seconds=5)
    real = risk._off_platform

    def a_change_lands_meanwhile(appeal_obj):
        Appeal.objects.filter(pk=appeal.pk).update(risk_stale_at=newer)
        return real(appeal_obj)

    monkeypatch.setattr(risk, "_off_platform", a_change_lands_meanwhile)
    risk_assess(appeal_id=appeal.pk)

    appeal.refresh_from_db()
    assert (appeal.risk_score, appeal.risk_stale_at) == (None, newer)

    monkeypatch.setattr(risk, "_off_platform", real)
    risk_assess(appeal_id=appeal.pk)  # the newer change's own assessment
    appeal.refresh_from_db()
    assert appeal.risk_score == 0 and appeal.risk_stale_at is None


def test_the_sweep_is_on_the_beat_schedule():
    entry = settings.CELERY_BEAT_SCHEDULE["sweep-derived"]
    assert entry["task"] == "cases.tasks.sweep_derived"
    assert entry["schedule"] == settings.DERIVED_SWEEP_SECONDS
