"""Who is on shift: shifts across midnight and time zones, DST, absences, days off."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from cases.floor.schedule import my_shift, roster
from cases.models import Absence

from .conftest import BERLIN, MONDAY, SHANGHAI, UTC

pytestmark = pytest.mark.django_db


def on_shift(user, at: datetime) -> bool:
    return next(p for p in roster(at) if p.user.pk == user.pk).on_shift


def test_a_shanghai_night_shift_seen_from_utc(person):
    # Monday 22:00-06:00 in Shanghai (UTC+8) is Monday 14:00 to 22:00 UTC.
    night = person(time_zone="Asia/Shanghai", shifts=[(0, "22:00", "06:00")])
    monday_22_shanghai = datetime(2026, 3, 2, 22, 0, tzinfo=SHANGHAI)
    assert monday_22_shanghai.astimezone(UTC) == MONDAY + timedelta(hours=14)

    assert not on_shift(night, MONDAY + timedelta(hours=13, minutes=59))
    assert on_shift(night, MONDAY + timedelta(hours=14))
    assert on_shift(night, MONDAY + timedelta(hours=21, minutes=59))
    assert not on_shift(night, MONDAY + timedelta(hours=22))
    # Sunday's run does not exist (only Monday has the shift).
    assert not on_shift(night, MONDAY - timedelta(hours=3))


def test_mondays_overnight_shift_covers_tuesday_0559_but_not_0600(person):
    night = person(time_zone="UTC", shifts=[(0, "22:00", "06:00")])
    tuesday = MONDAY + timedelta(days=1)

    assert on_shift(night, tuesday + timedelta(hours=5, minutes=59))
    assert not on_shift(night, tuesday + timedelta(hours=6))
    # Tuesday night is a day off: no shift starts then.
    assert not on_shift(night, tuesday + timedelta(hours=23))
    member = next(p for p in roster(tuesday + timedelta(hours=1)) if p.user.pk == night.pk)
    assert member.shift_end == tuesday + timedelta(hours=6)


def test_a_shift_in_a_dst_zone_keeps_its_local_hours(person):
    # Europe/Berlin goes from CET (+1) to CEST (+2) on Sunday 29 March 2026 at 02:00.
    early = person(time_zone="Europe/Berlin", shifts=[(5, "08:00", "16:00"), (0, "08:00", "16:00")])
    saturday = datetime(2026, 3, 28, 8, 0, tzinfo=BERLIN)  # CET: 07:00 UTC
    monday = datetime(2026, 3, 30, 8, 0, tzinfo=BERLIN)  # CEST: 06:00 UTC

    assert on_shift(early, datetime(2026, 3, 28, 7, 0, tzinfo=UTC))
    assert not on_shift(early, datetime(2026, 3, 28, 6, 59, tzinfo=UTC))
    assert on_shift(early, datetime(2026, 3, 30, 6, 0, tzinfo=UTC))
    assert not on_shift(early, datetime(2026, 3, 30, 5, 59, tzinfo=UTC))
    assert not on_shift(early, datetime(2026, 3, 30, 14, 0, tzinfo=UTC))  # 16:00 CEST
    assert saturday.utcoffset() != monday.utcoffset()


def test_an_overnight_shift_across_the_dst_change_is_an_hour_shorter(person):
    # Saturday 22:00 CET to Sunday 06:00 CEST: 7 hours of absolute time.
    night = person(time_zone="Europe/Berlin", shifts=[(5, "22:00", "06:00")])
    member = next(p for p in roster(datetime(2026, 3, 28, 22, 0, tzinfo=UTC)) if p.user == night)
    assert member.on_shift
    assert member.shift_end == datetime(2026, 3, 29, 4, 0, tzinfo=UTC)
    assert on_shift(night, datetime(2026, 3, 29, 3, 59, tzinfo=UTC))
    assert not on_shift(night, datetime(2026, 3, 29, 4, 0, tzinfo=UTC))


def test_an_absence_takes_someone_off_shift_whatever_the_rota(person):
    day = person(shifts=[(0, "08:00", "16:00")])
    Absence.objects.create(
        user=day,
        starts_at=MONDAY + timedelta(hours=10),
        ends_at=MONDAY + timedelta(hours=12),
    )
    assert on_shift(day, MONDAY + timedelta(hours=9, minutes=59))
    assert not on_shift(day, MONDAY + timedelta(hours=10))
    assert not on_shift(day, MONDAY + timedelta(hours=11, minutes=59))
    assert on_shift(day, MONDAY + timedelta(hours=12))
    away = next(p for p in roster(MONDAY + timedelta(hours=11)) if p.user == day)
    # For the hand-back, the shift ended when the absence began.
    assert away.last_end == MONDAY + timedelta(hours=10)


def test_days_off_and_people_without_shifts(person):
    weekdays = person(shifts=[(d, "09:00", "17:00") for d in range(5)])
    nobody = person()
    saturday = MONDAY + timedelta(days=5, hours=10)
    assert not on_shift(weekdays, saturday)
    assert on_shift(weekdays, MONDAY + timedelta(days=4, hours=10))
    assert not on_shift(nobody, MONDAY + timedelta(hours=10))
    assert my_shift(weekdays, MONDAY + timedelta(hours=10)).on_shift


def test_the_roster_reads_a_fixed_number_of_queries(person, django_assert_max_num_queries):
    for _n in range(3):
        person(shifts=[(0, "08:00", "16:00")])
    with django_assert_max_num_queries(6) as few:
        roster(MONDAY + timedelta(hours=9))
    for _n in range(10):
        person(shifts=[(0, "08:00", "16:00")])
    with django_assert_max_num_queries(len(few.captured_queries)):
        roster(MONDAY + timedelta(hours=9))
