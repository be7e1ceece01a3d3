"""manage.py create_staff_user: a staff user in one role, with the floor's settings."""

from __future__ import annotations

import io

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command

from cases.models import AuditEntry, StaffProfile

pytestmark = pytest.mark.django_db

PASSWORD = "a long enough passphrase 42"


def create(*args: str) -> str:
    out = io.StringIO()
    call_command("create_staff_user", *args, "--password", PASSWORD, stdout=out)
    return out.getvalue()


def test_it_creates_a_member_with_languages_limit_and_time_zone():
    create(
        "mei",
        "--role",
        "arbitrator",
        "--languages",
        "en,ZH",
        "--max-open",
        "6",
        "--time-zone",
        "Asia/Singapore",
    )

    user = get_user_model().objects.get(username="mei")
    assert list(user.groups.values_list("name", flat=True)) == ["arbitrator"]
    profile = StaffProfile.objects.get(user=user)
    assert (profile.languages, profile.max_open_cases, profile.time_zone) == (
        ["en", "zh"],
        6,
        "Asia/Singapore",
    )
    entry = AuditEntry.objects.order_by("-seq").first()
    assert entry.action == "staff.created"
    assert entry.after["languages"] == ["en", "zh"]


def test_updating_changes_only_what_is_given():
    create("mei", "--role", "arbitrator", "--languages", "en", "--max-open", "6")

    create("mei", "--role", "senior_arbitrator", "--time-zone", "Europe/Madrid")

    profile = StaffProfile.objects.get(user__username="mei")
    assert (profile.languages, profile.max_open_cases, profile.time_zone) == (
        ["en"],
        6,
        "Europe/Madrid",
    )


def test_without_floor_options_the_defaults_apply():
    create("mei", "--role", "auditor")

    profile = StaffProfile.objects.get(user__username="mei")
    assert (profile.languages, profile.max_open_cases, profile.time_zone) == (
        [],
        StaffProfile.DEFAULT_MAX_OPEN,
        "",
    )


@pytest.mark.parametrize(
    ("option", "value"),
    [
        ("--languages", "english!"),
        ("--max-open", "501"),
        ("--max-open", "-1"),
        ("--time-zone", "Mars/Olympus"),
    ],
)
def test_a_bad_floor_option_is_refused_and_creates_nobody(option, value):
    with pytest.raises(CommandError):
        create("mei", "--role", "arbitrator", option, value)

    assert not get_user_model().objects.filter(username="mei").exists()
