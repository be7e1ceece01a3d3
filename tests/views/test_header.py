"""The header's own shift: "On shift until 06:00" / "Off shift · next 22:00", only for
people who take cases and have shifts."""

from __future__ import annotations

from datetime import UTC, datetime, time

import pytest
import time_machine

from cases.models import Shift, StaffProfile

pytestmark = pytest.mark.django_db

# A Tuesday, 23:00 in Shanghai.
NIGHT = datetime(2026, 3, 10, 15, 0, tzinfo=UTC)
# The same Tuesday, 12:00 in Shanghai.
NOON = datetime(2026, 3, 10, 4, 0, tzinfo=UTC)


@pytest.fixture
def night_owl(arbitrator):
    StaffProfile.objects.update_or_create(user=arbitrator, defaults={"time_zone": "Asia/Shanghai"})
    for weekday in range(7):
        Shift.objects.create(user=arbitrator, weekday=weekday, start=time(22), end=time(6))
    return arbitrator


def header(client, user) -> str:
    client.force_login(user)
    return client.get("/me/").content.decode()


def test_on_shift_until_the_end_of_the_night(client, night_owl):
    with time_machine.travel(NIGHT, tick=False):
        html = header(client, night_owl)

    assert "On shift until 06:00" in html


def test_off_shift_until_the_next_start(client, night_owl):
    with time_machine.travel(NOON, tick=False):
        html = header(client, night_owl)

    assert "Off shift · next 22:00" in html


def test_nothing_for_who_takes_no_cases_or_has_no_shifts(client, auditor, lead):
    assert 'data-test="my-shift"' not in header(client, auditor)
    assert 'data-test="my-shift"' not in header(client, lead)
