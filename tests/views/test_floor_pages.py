"""The team lead's floor pages: the floor view, the staff table and a person's page
(role, languages, limit, time zone, weekly shifts, absences, deactivation), incidents;
who may open them, what a bad input leaves unchanged, and a bounded number of queries."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from typing import Any

import pytest
import time_machine
from django.contrib.auth import get_user_model
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from cases import roles
from cases.models import Absence, Appeal, AuditEntry, Incident, Shift, StaffProfile
from cases.selectors import floor as floor_selectors
from tests.factories import appeal_in, open_appeal, staff_user

S = Appeal.Status
# Monday 16 March 2026, 21:30 in Shanghai (the operations zone).
NOW = datetime(2026, 3, 16, 13, 30, tzinfo=UTC)
PAGES = ["cases:floor", "cases:floor_staff", "cases:floor_incidents", "edit"]


@pytest.fixture
def frozen() -> Any:
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


def as_user(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def page_url(name: str, subject: Any) -> str:
    if name == "edit":
        return reverse("cases:floor_staff_edit", args=[subject.username])
    return reverse(name)


def person(role: str = "arbitrator", *, shifts: list[tuple[int, str, str]] = (), **profile: Any):
    user = staff_user(role)
    StaffProfile.objects.create(
        user=user,
        time_zone=profile.get("time_zone", "Asia/Shanghai"),
        languages=profile.get("languages", ["en"]),
        max_open_cases=profile.get("max_open_cases", 10),
    )
    Shift.objects.bulk_create(
        [
            Shift(user=user, weekday=d, start=time.fromisoformat(s), end=time.fromisoformat(e))
            for d, s, e in shifts
        ]
    )
    return user


def edit_data(user: Any, shifts: list[dict[str, str]], **fields: Any) -> dict[str, str]:
    """The person's form as the page posts it: the profile fields and the shift rows."""
    profile = StaffProfile.objects.filter(user=user).first()
    data = {
        "role": roles.Role.ARBITRATOR,
        "languages": ", ".join(profile.languages) if profile else "",
        "max_open_cases": str(profile.max_open_cases if profile else 10),
        "time_zone": profile.time_zone if profile else "",
        "shifts-TOTAL_FORMS": str(len(shifts)),
        "shifts-INITIAL_FORMS": "0",
        "shifts-MIN_NUM_FORMS": "0",
        "shifts-MAX_NUM_FORMS": "21",
    }
    for i, row in enumerate(shifts):
        for key, value in row.items():
            data[f"shifts-{i}-{key}"] = value
    data.update({k: str(v) for k, v in fields.items()})
    return data


def state_of(user: Any) -> dict[str, Any]:
    user = get_user_model().objects.get(pk=user.pk)
    return {
        "active": user.is_active,
        "groups": sorted(user.groups.values_list("name", flat=True)),
        "profile": list(StaffProfile.objects.filter(user=user).values()),
        "shifts": list(Shift.objects.filter(user=user).order_by("pk").values()),
        "absences": list(Absence.objects.filter(user=user).order_by("pk").values()),
        "audit": AuditEntry.objects.count(),
    }


# --- who may open the pages -------------------------------------------------------------


@pytest.mark.parametrize("name", PAGES)
def test_team_leads_open_every_floor_page(lead, name):
    assert as_user(lead).get(page_url(name, lead)).status_code == 200


@pytest.mark.parametrize("name", PAGES)
@pytest.mark.parametrize("role", ["arbitrator", "senior_arbitrator", "risk_analyst", "auditor"])
def test_other_roles_are_refused(make_user, lead, role, name):
    assert as_user(make_user(role)).get(page_url(name, lead)).status_code == 403


@pytest.mark.parametrize("name", PAGES)
def test_anonymous_users_are_sent_to_log_in(lead, name):
    url = page_url(name, lead)
    response = Client().get(url)
    assert response.status_code == 302
    assert response["Location"] == f"/accounts/login/?next={url}"


def test_a_user_without_a_role_is_refused(make_user, lead):
    assert as_user(make_user(None)).get(reverse("cases:floor")).status_code == 403


@pytest.mark.parametrize("role", ["arbitrator", "senior_arbitrator", "risk_analyst", "auditor"])
def test_other_roles_cannot_write(make_user, arbitrator, role):
    client = as_user(make_user(role))
    before = state_of(arbitrator)
    posts = [
        (reverse("cases:floor_staff"), {"username": "newbie", "role": "arbitrator"}),
        (reverse("cases:floor_staff_active", args=[arbitrator.username]), {"confirm": "1"}),
        (reverse("cases:floor_incidents"), {"title": "Alipay down"}),
    ]
    for url, data in posts:
        assert client.post(url, data).status_code == 403
    assert state_of(arbitrator) == before
    assert not get_user_model().objects.filter(username="newbie").exists()
    assert not Incident.objects.exists()


def test_team_leads_see_the_floor_and_staff_links(lead, arbitrator):
    html = as_user(lead).get(reverse("cases:home")).content.decode()
    assert f'href="{reverse("cases:floor")}"' in html
    assert f'href="{reverse("cases:floor_staff")}"' in html
    html = as_user(arbitrator).get(reverse("cases:home")).content.decode()
    assert f'href="{reverse("cases:floor")}"' not in html


# --- the staff page -------------------------------------------------------------------------


def test_the_staff_page_shows_each_person(frozen, lead):
    night = person(
        "senior_arbitrator",
        languages=["zh", "ru"],
        max_open_cases=6,
        shifts=[(d, "22:00", "06:00") for d in range(5)],
    )
    response = as_user(lead).get(reverse("cases:floor_staff"))
    html = response.content.decode()
    assert night.username in html
    assert "Mon–Fri" in html and "22:00–06:00" in html and "overnight" in html
    row = next(r for r in response.context["rows"] if r["person"].user == night)
    assert row["person"].max_open == 6 and row["person"].languages == ["zh", "ru"]
    assert row["days_off"] == ["Sat", "Sun"]
    assert not row["person"].on_shift  # 21:30 in Shanghai: the shift begins at 22:00


def test_the_staff_page_says_who_is_on_shift_until_when(frozen, lead):
    person(shifts=[(0, "14:00", "22:00")], time_zone="Asia/Shanghai")
    html = as_user(lead).get(reverse("cases:floor_staff")).content.decode()
    assert "On shift" in html and "until 22:00" in html


def test_the_staff_page_lists_the_roles_capabilities(lead):
    response = as_user(lead).get(reverse("cases:floor_staff"))
    table = response.context["capabilities"]
    assert [code for code, _name in table["roles"]] == list(roles.Role.ALL)
    floor_row = next(r for r in table["rows"] if "Run the floor" in str(r["label"]))
    assert floor_row["cells"] == ["none", "none", "all", "none", "none"]
    assert "Approve or send back verdicts" in response.content.decode()


def test_every_role_permission_has_a_line_in_the_capability_table():
    described = [p for _label, perms in floor_selectors.CAPABILITIES for p in perms]
    assert len(described) == len(set(described))
    granted = {p for perms in roles.ROLE_PERMISSIONS.values() for p in perms}
    assert granted <= set(described), granted - set(described)


def test_a_lead_adds_a_person(lead):
    response = as_user(lead).post(
        reverse("cases:floor_staff"),
        {
            "username": "night-owl",
            "email": "owl@desk.example",
            "role": "arbitrator",
            "password": "Correct-Horse-Battery-9",
            "languages": "zh, RU",
            "max_open_cases": "7",
            "time_zone": "asia/shanghai",
        },
    )
    user = get_user_model().objects.get(username="night-owl")
    assert response.status_code == 302
    assert response["Location"] == reverse("cases:floor_staff_edit", args=["night-owl"])
    assert user.check_password("Correct-Horse-Battery-9") and user.is_staff
    assert list(user.groups.values_list("name", flat=True)) == ["arbitrator"]
    assert user.desk_profile.languages == ["zh", "ru"]
    assert user.desk_profile.max_open_cases == 7
    assert user.desk_profile.time_zone == "Asia/Shanghai"
    assert AuditEntry.objects.filter(action="staff.created").exists()


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("languages", "english!"),
        ("time_zone", "Mars/Olympus"),
        ("max_open_cases", "900"),
        ("password", "123"),
        ("username", "has space"),
        ("role", "superhero"),
    ],
)
def test_adding_a_person_with_a_bad_value_is_a_form_error(lead, field, value):
    data = {
        "username": "night-owl",
        "role": "arbitrator",
        "password": "Correct-Horse-Battery-9",
        "languages": "zh",
        "max_open_cases": "7",
        "time_zone": "Asia/Shanghai",
        field: value,
    }
    audit = AuditEntry.objects.count()
    response = as_user(lead).post(reverse("cases:floor_staff"), data)
    assert response.status_code == 400
    assert response.context["form"].errors[field]
    assert not get_user_model().objects.filter(username__in=["night-owl", "has space"]).exists()
    assert AuditEntry.objects.count() == audit


def test_adding_an_existing_user_name_is_a_form_error(lead, arbitrator):
    response = as_user(lead).post(
        reverse("cases:floor_staff"),
        {
            "username": "ARBITRATOR",
            "role": "arbitrator",
            "password": "Correct-Horse-Battery-9",
            "max_open_cases": "7",
        },
    )
    assert response.status_code == 400
    assert "already exists" in str(response.context["form"].errors["username"])


# --- a person's page ------------------------------------------------------------------------


def test_a_lead_sets_weekly_shifts_including_an_overnight_one(frozen, lead):
    user = person(shifts=[(5, "09:00", "17:00")])
    data = edit_data(
        user,
        [
            {"weekday": "0", "start": "22:00", "end": "06:00"},
            {"weekday": "1", "start": "09:00", "end": "17:00"},
            {"weekday": "", "start": "", "end": ""},  # a blank row is no shift
        ],
        languages="en, zh",
        max_open_cases=4,
        time_zone="Europe/Moscow",
        role="senior_arbitrator",
    )
    client = as_user(lead)
    response = client.post(reverse("cases:floor_staff_edit", args=[user.username]), data)
    assert response.status_code == 302
    rows = list(Shift.objects.filter(user=user).values_list("weekday", "start", "end"))
    assert rows == [(0, time(22), time(6)), (1, time(9), time(17))]
    profile = StaffProfile.objects.get(user=user)
    assert (profile.languages, profile.max_open_cases, profile.time_zone) == (
        ["en", "zh"],
        4,
        "Europe/Moscow",
    )
    assert roles.user_roles(get_user_model().objects.get(pk=user.pk)) == {"senior_arbitrator"}
    page = client.get(reverse("cases:floor_staff_edit", args=[user.username]))
    html = page.content.decode()
    assert "overnight: ends the next day" in html
    # Saturday no longer has a shift: days off are the days without one.
    assert page.context["days_off"] == ["Wed", "Thu", "Fri", "Sat", "Sun"]


def test_a_removed_shift_row_is_deleted(lead):
    user = person(shifts=[(0, "09:00", "17:00"), (1, "09:00", "17:00")])
    data = edit_data(
        user,
        [
            {"weekday": "0", "start": "09:00", "end": "17:00"},
            {"weekday": "1", "start": "09:00", "end": "17:00", "DELETE": "on"},
        ],
    )
    as_user(lead).post(reverse("cases:floor_staff_edit", args=[user.username]), data)
    assert list(Shift.objects.filter(user=user).values_list("weekday", flat=True)) == [0]


@pytest.mark.parametrize(
    ("rows", "fields", "where"),
    [
        ([{"weekday": "9", "start": "09:00", "end": "17:00"}], {}, ("shift", 0, "weekday")),
        ([{"weekday": "0", "start": "25:00", "end": "17:00"}], {}, ("shift", 0, "start")),
        ([{"weekday": "0", "start": "09:00", "end": ""}], {}, ("shift", 0, None)),
        (
            [
                {"weekday": "2", "start": "09:00", "end": "17:00"},
                {"weekday": "2", "start": "09:00", "end": "18:00"},
            ],
            {},
            ("shifts", None, None),
        ),
        ([], {"languages": "english!"}, ("form", None, "languages")),
        ([], {"time_zone": "Mars/Olympus"}, ("form", None, "time_zone")),
        ([], {"max_open_cases": "-1"}, ("form", None, "max_open_cases")),
    ],
)
def test_a_bad_value_is_a_form_error_and_changes_nothing(lead, rows, fields, where):
    user = person(shifts=[(0, "22:00", "06:00")], languages=["ru"])
    before = state_of(user)
    data = edit_data(
        user,
        [{"weekday": "4", "start": "10:00", "end": "18:00"}, *rows],
        **{"languages": "ru, en", **fields},
    )
    response = as_user(lead).post(reverse("cases:floor_staff_edit", args=[user.username]), data)
    assert response.status_code == 400
    kind, index, name = where
    if kind == "form":
        assert response.context["form"].errors[name]
    elif kind == "shifts":
        assert response.context["shifts"].non_form_errors()
    else:
        row = response.context["shifts"].forms[index + 1]
        assert row.errors[name or "__all__"]
    assert "nothing was changed" in response.content.decode()
    assert state_of(user) == before


def test_a_lead_cannot_change_their_own_role(lead):
    person_page = reverse("cases:floor_staff_edit", args=[lead.username])
    data = edit_data(lead, [], role="arbitrator", max_open_cases=5)
    response = as_user(lead).post(person_page, data)
    # The role field is disabled on one's own page: the role stays, the rest is saved.
    assert response.status_code == 302
    assert roles.user_roles(get_user_model().objects.get(pk=lead.pk)) == {"team_lead"}
    assert StaffProfile.objects.get(user=lead).max_open_cases == 5


def test_deactivating_asks_first_and_says_the_cases_return_to_the_pool(lead):
    worker = person()
    appeal_in(S.IN_REVIEW, worker=worker)
    url = reverse("cases:floor_staff_active", args=[worker.username])
    response = as_user(lead).post(url, {"active": "0"})
    assert response.status_code == 200
    assert "1 live case goes back to the pool" in response.content.decode()
    assert get_user_model().objects.get(pk=worker.pk).is_active


def test_deactivating_returns_live_cases_to_the_pool(lead):
    worker = person()
    in_review = appeal_in(S.IN_REVIEW, worker=worker)
    url = reverse("cases:floor_staff_active", args=[worker.username])
    response = as_user(lead).post(url, {"active": "0", "confirm": "1"})
    assert response.status_code == 302
    assert not get_user_model().objects.get(pk=worker.pk).is_active
    in_review.refresh_from_db()
    assert in_review.assignee is None and in_review.status == S.OPEN
    assert AuditEntry.objects.filter(action="staff.deactivated").exists()
    as_user(lead).post(url, {"active": "1"})
    assert get_user_model().objects.get(pk=worker.pk).is_active


def test_a_lead_cannot_deactivate_themselves(lead):
    url = reverse("cases:floor_staff_active", args=[lead.username])
    response = as_user(lead).post(url, {"active": "0", "confirm": "1"}, follow=True)
    assert "cannot deactivate yourself" in response.content.decode()
    assert get_user_model().objects.get(pk=lead.pk).is_active


def test_a_lead_adds_and_removes_an_absence(frozen, lead):
    user = person(shifts=[(0, "14:00", "22:00")])
    client = as_user(lead)
    url = reverse("cases:floor_absence_add", args=[user.username])
    response = client.post(
        url, {"starts_at": "2026-03-16T20:00", "ends_at": "2026-03-18T09:00", "reason": "Sick"}
    )
    assert response.status_code == 302
    absence = Absence.objects.get(user=user)
    # Read in the lead's zone (Shanghai, UTC+8).
    assert absence.starts_at == datetime(2026, 3, 16, 12, 0, tzinfo=UTC)
    assert absence.reason == "Sick"
    page = client.get(reverse("cases:floor_staff_edit", args=[user.username]))
    assert not page.context["person"].on_shift and "Sick" in page.content.decode()
    remove = reverse("cases:floor_absence_remove", args=[user.username, absence.pk])
    assert client.post(remove).status_code == 302
    assert not Absence.objects.filter(user=user).exists()
    assert AuditEntry.objects.filter(action="staff.absence_removed").exists()


def test_an_absence_that_ends_before_it_starts_is_a_form_error(lead):
    user = person()
    response = as_user(lead).post(
        reverse("cases:floor_absence_add", args=[user.username]),
        {"starts_at": "2026-03-18T09:00", "ends_at": "2026-03-16T20:00"},
    )
    assert response.status_code == 400
    assert response.context["absence_form"].errors["ends_at"]
    assert not Absence.objects.exists()


# --- the floor view -------------------------------------------------------------------------


def test_the_floor_shows_who_is_on_and_what_waits(frozen, lead):
    leaving = person(languages=["zh"], shifts=[(0, "14:00", "22:00")], max_open_cases=3)
    arriving = person(shifts=[(0, "22:00", "06:00")])
    later = person(shifts=[(2, "09:00", "17:00")])
    appeal_in(S.IN_REVIEW, worker=leaving)
    unassigned = [open_appeal() for _ in range(3)]
    Appeal.objects.filter(pk__in=[a.pk for a in unassigned[:2]]).update(
        assignment_note="Nobody on shift speaks ru."
    )
    overdue = open_appeal()
    Appeal.objects.filter(pk=overdue.pk).update(resolution_due_at=NOW - timedelta(hours=2))
    soon = open_appeal()
    Appeal.objects.filter(pk=soon.pk).update(resolution_due_at=NOW + timedelta(minutes=30))
    paused = open_appeal()
    Appeal.objects.filter(pk=paused.pk).update(
        resolution_due_at=NOW + timedelta(minutes=20), clock_paused_at=NOW - timedelta(hours=1)
    )
    Incident.objects.create(title="Alipay down", payment_method="alipay", starts_at=NOW)

    response = as_user(lead).get(reverse("cases:floor"))
    floor = response.context["floor"]
    assert [p.user for p in floor.on_shift] == [leaving]
    assert [p.user for p in floor.going_off] == [leaving]
    assert [p.user for p in floor.coming_on] == [arriving] and floor.coming_on_soon
    assert later not in [p.user for p in floor.coming_on]
    assert floor.on_shift[0].open_cases == 1
    assert floor.unassigned == 6 and floor.no_fit == 2
    assert floor.common_notes == [{"note": "Nobody on shift speaks ru.", "n": 2}]
    assert floor.overdue == 1 and [a.pk for a in floor.overdue_rows] == [overdue.pk]
    assert floor.breaching == 1 and [a.pk for a in floor.breaching_rows] == [soon.pk]
    assert [i.title for i in floor.incidents] == ["Alipay down"]
    html = response.content.decode()
    assert "Nobody on shift speaks ru." in html and "Alipay down" in html
    assert 'max="3" value="1"' in html  # the load bar: 1 of 3


def test_the_floor_with_nobody_on_shift(frozen, lead):
    html = as_user(lead).get(reverse("cases:floor")).content.decode()
    assert "Nobody is on shift." in html


# --- incidents ------------------------------------------------------------------------------


def test_a_lead_declares_and_ends_an_incident(frozen, lead):
    client = as_user(lead)
    response = client.post(
        reverse("cases:floor_incidents"),
        {
            "title": "SEPA rail outage",
            "payment_method": "sepa",
            "country": "de",
            "starts_at": "2026-03-16T20:00",
        },
    )
    assert response.status_code == 302
    incident = Incident.objects.get()
    assert incident.starts_at == datetime(2026, 3, 16, 12, 0, tzinfo=UTC)
    assert (incident.country, incident.ends_at, incident.declared_by) == ("DE", None, lead)
    page = client.get(reverse("cases:floor_incidents"))
    assert [i.pk for i in page.context["active"]] == [incident.pk]
    html = page.content.decode()
    assert "Asia/Shanghai (UTC+08:00)" in html and "Mon 2026-03-16 20:00" in html
    assert reverse("cases:floor_incident_end", args=[incident.pk]) in html

    assert client.post(reverse("cases:floor_incident_end", args=[incident.pk])).status_code == 302
    incident.refresh_from_db()
    assert incident.ends_at == NOW and incident.ended_by == lead
    page = client.get(reverse("cases:floor_incidents"))
    assert page.context["active"] == [] and [i.pk for i in page.context["past"]] == [incident.pk]


def test_declaring_an_incident_that_is_over_lists_it_as_past(frozen, lead):
    as_user(lead).post(
        reverse("cases:floor_incidents"),
        {"title": "Login outage", "starts_at": "2026-03-16T18:00", "ends_at": "2026-03-16T19:00"},
    )
    incident = Incident.objects.get()
    assert incident.ends_at == datetime(2026, 3, 16, 11, 0, tzinfo=UTC)
    page = as_user(lead).get(reverse("cases:floor_incidents"))
    assert [i.pk for i in page.context["past"]] == [incident.pk]


@pytest.mark.parametrize(
    ("field", "value"),
    [("country", "Nigeria"), ("starts_at", "2026-03-17T08:00"), ("title", "")],
)
def test_a_bad_incident_is_a_form_error(frozen, lead, field, value):
    data = {"title": "Alipay down", "starts_at": "2026-03-16T20:00", field: value}
    response = as_user(lead).post(reverse("cases:floor_incidents"), data)
    assert response.status_code == 400
    assert response.context["form"].errors[field]
    assert not Incident.objects.exists()


def test_ending_an_ended_incident_says_so(frozen, lead):
    incident = Incident.objects.create(
        title="Over", starts_at=NOW - timedelta(hours=2), ends_at=NOW - timedelta(hours=1)
    )
    response = as_user(lead).post(
        reverse("cases:floor_incident_end", args=[incident.pk]), follow=True
    )
    assert "already ended" in response.content.decode()


# --- a bounded number of queries --------------------------------------------------------------


def _floor_of(size: int) -> None:
    people = [
        person(
            "senior_arbitrator" if i % 3 == 0 else "arbitrator",
            languages=["zh", "en"],
            shifts=[(0, "14:00", "22:00"), (1, "22:00", "06:00")],
        )
        for i in range(size)
    ]
    for i, worker in enumerate(people):
        Absence.objects.create(
            user=worker, starts_at=NOW + timedelta(days=1), ends_at=NOW + timedelta(days=2)
        )
        appeal_in(S.IN_REVIEW, worker=worker)
        if i % 2:
            open_appeal()
    Appeal.objects.filter(assignee__isnull=True).update(assignment_note="Nobody fits.")
    Appeal.objects.filter(pk__in=Appeal.objects.values("pk")[:3]).update(
        resolution_due_at=NOW - timedelta(hours=1)
    )


# Measured 21 and 16: the session, user, preferences, roles and the shared header (about
# 11), then the floor's roster (5), appeal aggregate, notes and two lists (4) and
# incidents (1), or the staff list (5). A little room for the header; an N+1 query at 20
# people would add 20.
FLOOR_QUERIES = 24
STAFF_QUERIES = 19


@pytest.mark.parametrize("size", [5, 20])
def test_the_floor_view_costs_a_fixed_number_of_queries(
    frozen, lead, size, django_assert_max_num_queries
):
    _floor_of(size)
    client = as_user(lead)
    with django_assert_max_num_queries(FLOOR_QUERIES):
        response = client.get(reverse("cases:floor"))
    assert len(response.context["floor"].on_shift) == size


@pytest.mark.parametrize("size", [5, 20])
def test_the_staff_page_costs_a_fixed_number_of_queries(
    frozen, lead, size, django_assert_max_num_queries
):
    _floor_of(size)
    client = as_user(lead)
    with django_assert_max_num_queries(STAFF_QUERIES):
        response = client.get(reverse("cases:floor_staff"))
    assert len(response.context["rows"]) == size + 1  # and the lead


@pytest.mark.parametrize("name", ["cases:floor", "cases:floor_staff"])
def test_more_staff_and_appeals_cost_no_more_queries(frozen, lead, name):
    client = as_user(lead)
    _floor_of(5)
    client.get(reverse(name))  # warm the per-process caches (payment methods, zones)
    with CaptureQueriesContext(connection) as small:
        client.get(reverse(name))
    _floor_of(15)
    with CaptureQueriesContext(connection) as large:
        client.get(reverse(name))
    assert len(large) == len(small)


# --- the week in words ----------------------------------------------------------------------


def test_the_week_summary_joins_runs_of_days():
    shifts = [Shift(weekday=d, start=time(22), end=time(6)) for d in (0, 1, 2, 3, 4)]
    shifts += [Shift(weekday=5, start=time(10), end=time(14))]
    shifts += [Shift(weekday=d, start=time(8), end=time(12)) for d in (0, 2)]
    summary = floor_selectors.week_summary(shifts)
    assert [(g["days"], g["start"], g["end"], g["overnight"]) for g in summary] == [
        ("Mon, Wed", "08:00", "12:00", False),
        ("Mon–Fri", "22:00", "06:00", True),
        ("Sat", "10:00", "14:00", False),
    ]
