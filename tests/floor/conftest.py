"""The floor's test plumbing: people with a rota, and appeals opened at a fixed moment.

Time is controlled with time_machine (tick=False): a test travels to a moment, opens
appeals, then travels on and runs a tick. Every moment here is an aware datetime.
"""

from __future__ import annotations

from datetime import datetime, time
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.contrib.auth import get_user_model

from arbitration.celery import app as celery_app
from cases.models import Shift, StaffProfile
from tests import factories

UTC = ZoneInfo("UTC")
SHANGHAI = ZoneInfo("Asia/Shanghai")
BERLIN = ZoneInfo("Europe/Berlin")

# A Monday (weekday 0), in UTC.
MONDAY = datetime(2026, 3, 2, tzinfo=UTC)


def hhmm(value: str) -> time:
    hours, minutes = value.split(":")
    return time(int(hours), int(minutes))


def make_person(
    role: str = "arbitrator",
    *,
    languages: list[str] | None = None,
    max_open: int = 10,
    time_zone: str = "UTC",
    shifts: list[tuple[int, str, str]] | None = None,
    **fields: Any,
):
    """A staff member with a profile and weekly shifts [(weekday, "22:00", "06:00")]."""
    user = factories.staff_user(role, **fields)
    StaffProfile.objects.update_or_create(
        user=user,
        defaults={
            "languages": languages or [],
            "max_open_cases": max_open,
            "time_zone": time_zone,
        },
    )
    for weekday, start, end in shifts or []:
        Shift.objects.create(user=user, weekday=weekday, start=hhmm(start), end=hhmm(end))
    return get_user_model().objects.get(pk=user.pk)


ALL_WEEK = [(d, "00:00", "00:00") for d in range(7)]  # a 24-hour shift every day


@pytest.fixture
def person(db: None):
    return make_person


@pytest.fixture
def travel():
    """travel(moment) moves the clock there (and stays until the next call)."""
    traveller: list[Any] = []

    def go(moment: datetime) -> datetime:
        if traveller:
            traveller.pop().stop()
        t = time_machine.travel(moment, tick=False)
        t.start()
        traveller.append(t)
        return moment

    yield go
    if traveller:
        traveller.pop().stop()


@pytest.fixture(autouse=True)
def celery_mode(request: pytest.FixtureRequest):
    """Eager Celery with an in-memory broker (CI sets REDIS_URL, and a task sent there would
    wait for a worker nobody started), except for tests that bring a real worker."""
    if request.node.get_closest_marker("celery_worker"):
        yield
        return
    saved = {key: celery_app.conf[key] for key in ("task_always_eager", "broker_url")}
    celery_app.conf.update(task_always_eager=True, broker_url="memory://")
    try:
        yield
    finally:
        celery_app.conf.update(saved)
