"""The user's own time zone and language: chosen on /me/ or in the switcher, stored on
the profile, and applied to every page (and to no API response)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
import time_machine
from django.core.cache import cache
from django.test import Client

from cases.models import StaffProfile
from tests.factories import open_appeal

NOW = datetime(2026, 3, 14, 4, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def locmem_cache(settings: Any) -> None:
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    cache.clear()


@pytest.fixture
def frozen() -> Any:
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


def as_user(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_the_profile_page_shows_the_default_zone_and_the_local_time(frozen, arbitrator):
    html = as_user(arbitrator).get("/me/").content.decode()

    assert 'value="Asia/Shanghai"' in html
    assert "2026-03-14 12:00" in html  # 04:00 UTC in Shanghai
    assert '<option value="Europe/Moscow">' in html  # a suggestion


def test_anonymous_users_are_sent_to_log_in():
    assert Client().get("/me/")["Location"] == "/accounts/login/?next=/me/"


def test_saving_a_time_zone_and_a_language(frozen, arbitrator):
    client = as_user(arbitrator)

    response = client.post("/me/", {"time_zone": "Europe/Moscow", "language": "zh-hans"})

    assert response.status_code == 302
    profile = StaffProfile.objects.get(user=arbitrator)
    assert (profile.time_zone, profile.language) == ("Europe/Moscow", "zh-hans")
    assert response.cookies["django_language"].value == "zh-hans"
    page = client.get("/me/")
    assert "2026-03-14 07:00" in page.content.decode()  # 04:00 UTC in Moscow
    assert page["Content-Language"] == "zh-hans"


def test_a_time_zone_name_is_matched_without_regard_to_case(arbitrator):
    as_user(arbitrator).post("/me/", {"time_zone": " america/sao_paulo ", "language": "en"})

    assert StaffProfile.objects.get(user=arbitrator).time_zone == "America/Sao_Paulo"


@pytest.mark.parametrize("zone", ["Mars/Olympus_Mons", "", "../../etc/passwd", "UTC\x00"])
def test_an_unknown_time_zone_is_refused(zone, arbitrator):
    response = as_user(arbitrator).post("/me/", {"time_zone": zone, "language": "en"})

    assert response.status_code == 200
    assert b'class="errorlist"' in response.content
    assert not StaffProfile.objects.filter(user=arbitrator).exists()


def test_an_unknown_language_is_refused(arbitrator):
    response = as_user(arbitrator).post("/me/", {"time_zone": "UTC", "language": "xx"})

    assert response.status_code == 200
    assert not StaffProfile.objects.filter(user=arbitrator).exists()


def test_the_queue_shows_times_in_the_users_zone(frozen, arbitrator, arbitrator2):
    open_appeal(at=NOW)  # due 2026-03-16 04:00 UTC
    StaffProfile.objects.create(user=arbitrator, time_zone="Europe/London")

    london = as_user(arbitrator).get("/").content.decode()
    shanghai = as_user(arbitrator2).get("/").content.decode()  # no profile: the desk's zone

    assert "03-16 04:00" in london and "03-16 12:00" not in london
    assert "03-16 12:00" in shanghai
    assert "Europe/London" in london  # the clock in the top bar names the zone


def test_the_profile_language_applies_to_every_page(arbitrator):
    StaffProfile.objects.create(user=arbitrator, language="zh-hans")

    response = as_user(arbitrator).get("/", HTTP_ACCEPT_LANGUAGE="en")

    assert response["Content-Language"] == "zh-hans"
    assert b'<html lang="zh-hans">' in response.content


def test_the_language_switcher_remembers_the_choice_on_the_profile(arbitrator):
    client = as_user(arbitrator)

    response = client.post("/i18n/setlang/", {"language": "zh-hans", "next": "/"})

    assert response.status_code == 302
    assert StaffProfile.objects.get(user=arbitrator).language == "zh-hans"
    # Another browser, without the cookie, follows the profile.
    assert as_user(arbitrator).get("/")["Content-Language"] == "zh-hans"


def test_the_language_switcher_ignores_unknown_languages(arbitrator):
    as_user(arbitrator).post("/i18n/setlang/", {"language": "xx", "next": "/"})

    assert not StaffProfile.objects.filter(user=arbitrator).exists()


@pytest.mark.django_db
def test_the_language_switcher_works_signed_out():
    client = Client()

    client.post("/i18n/setlang/", {"language": "zh-hans", "next": "/accounts/login/"})

    assert client.get("/accounts/login/")["Content-Language"] == "zh-hans"
    assert not StaffProfile.objects.exists()


def test_a_zone_removed_from_the_tz_database_falls_back_to_the_default(frozen, arbitrator):
    StaffProfile.objects.create(user=arbitrator, time_zone="Nowhere/Gone")

    response = as_user(arbitrator).get("/me/")

    assert response.status_code == 200
    assert "2026-03-14 12:00" in response.content.decode()


def test_the_api_keeps_speaking_utc(frozen, arbitrator):
    appeal = open_appeal(at=NOW)
    StaffProfile.objects.create(user=arbitrator, time_zone="Asia/Tokyo", language="zh-hans")

    response = as_user(arbitrator).get(f"/api/v1/appeals/{appeal.pk}/")

    assert response.status_code == 200
    created = response.json()["created_at"]
    assert created.endswith(("Z", "+00:00")), created
