"""Bulk reassignment from the queue: for seniors and leads only, each appeal its own
lifecycle.appeal_assign, a message that says how many went and why the others did not,
and the floor's note on an unassigned row."""

from __future__ import annotations

import re
from datetime import time

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse

from cases import lifecycle
from cases.forms_queue import POOL
from cases.models import Appeal, Shift, StaffProfile
from tests.factories import appeal_in

pytestmark = pytest.mark.django_db

S = Appeal.Status
URL = "/queue/assign/"


def ticked(*appeals: Appeal) -> list[str]:
    return [f"{a.pk}|{a.updated_at.isoformat()}" for a in appeals]


def post(client, appeals, assignee: str, **extra):
    return client.post(URL, {"appeal": appeals, "assignee": assignee, **extra})


def said(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def test_a_lead_assigns_three_appeals_at_once(client, lead, arbitrator, trail):
    appeals = [appeal_in(S.OPEN) for _ in range(3)]
    client.force_login(lead)
    t = trail()

    response = post(client, ticked(*appeals), arbitrator.username, next="/?reason=chargeback")

    assert response.status_code == 302
    assert response["Location"] == "/?reason=chargeback"
    assert said(response) == ["3 assigned to arbitrator"]
    for a in appeals:
        a.refresh_from_db()
        assert a.assignee_id == arbitrator.pk and a.status == S.IN_REVIEW
    # each appeal its own action: one audit entry per appeal
    assert t.audit_actions.count("appeal.assigned") == 3


def test_one_refusal_stops_nothing_else_and_says_why(client, senior, arbitrator, arbitrator2):
    fine = [appeal_in(S.OPEN) for _ in range(3)]
    escalated = appeal_in(S.ESCALATED)
    client.force_login(senior)

    response = post(client, ticked(*fine, escalated), arbitrator2.username)

    (message,) = said(response)
    assert message.startswith("3 assigned to arbitrator2, 1 refused: ")
    assert f"#{escalated.pk}: arbitrator2 does not take escalated appeals" in message
    assert ".;" not in message
    escalated.refresh_from_db()
    assert escalated.assignee_id is None


def test_a_case_changed_since_the_page_was_drawn_is_refused(client, lead, arbitrator, arbitrator2):
    a = appeal_in(S.OPEN)
    stale = ticked(a)
    lifecycle.appeal_claim(appeal_id=a.pk, actor=arbitrator)
    client.force_login(lead)

    response = post(client, stale, arbitrator2.username)

    assert said(response) == [
        f"0 assigned to arbitrator2, 1 refused: #{a.pk} changed since the page was drawn"
    ]
    a.refresh_from_db()
    assert a.assignee_id == arbitrator.pk


def test_back_to_the_pool(client, lead, arbitrator):
    a = appeal_in(S.IN_REVIEW, worker=arbitrator)
    client.force_login(lead)

    response = post(client, ticked(a), POOL)

    assert said(response) == ["1 back in the pool"]
    a.refresh_from_db()
    assert a.assignee_id is None and a.status == S.OPEN


def test_an_arbitrator_may_not_bulk_assign(client, arbitrator, arbitrator2):
    a = appeal_in(S.OPEN)
    client.force_login(arbitrator)

    response = post(client, ticked(a), arbitrator2.username)

    assert response.status_code == 403
    a.refresh_from_db()
    assert a.assignee_id is None


def test_an_arbitrator_sees_no_boxes_and_no_bulk_form(client, arbitrator):
    appeal_in(S.OPEN)
    client.force_login(arbitrator)

    html = client.get("/").content.decode()

    assert 'id="bulk-assign"' not in html and "js-pick" not in html


def test_nothing_ticked_or_nobody_chosen_assigns_nothing(client, lead, arbitrator):
    a = appeal_in(S.OPEN)
    client.force_login(lead)

    nothing = post(client, [], arbitrator.username)
    nobody = post(client, ticked(a), "")
    stranger = post(client, ticked(a), "not-a-person")
    damaged = post(client, [f"{a.pk}|yesterday"], arbitrator.username)

    for response in (nothing, nobody, stranger, damaged):
        assert said(response)[0].startswith("Nothing was assigned: ")
    a.refresh_from_db()
    assert a.assignee_id is None


def test_the_select_shows_each_persons_load_limit_and_shift(client, lead, make_user):
    ann = make_user("arbitrator", username="ann")
    StaffProfile.objects.update_or_create(
        user=ann, defaults={"max_open_cases": 4, "languages": ["en", "ru"]}
    )
    for weekday in range(7):
        Shift.objects.create(user=ann, weekday=weekday, start=time(0, 0), end=time(0, 0))
    make_user("senior_arbitrator", username="bob")
    appeal_in(S.IN_REVIEW, worker=ann)
    client.force_login(lead)

    response = client.get("/")

    html = response.content.decode()
    assert 'id="bulk-assign"' in html and 'class="js-pick-all"' in html
    assert "ann · 1/4 open · on shift · EN RU" in html
    assert "bob · 0/10 open · off shift" in html
    assert "Back to the pool (unassigned)" in html


def test_an_unassigned_row_shows_why_the_floor_left_it(client, lead):
    a = appeal_in(S.OPEN)
    Appeal.objects.filter(pk=a.pk).update(assignment_note="Nobody on shift speaks ru")
    client.force_login(lead)

    html = client.get("/").content.decode()

    assert "Nobody on shift speaks ru" in html


def test_a_row_counts_down_its_resolution_deadline(client, lead):
    appeal_in(S.OPEN)
    client.force_login(lead)

    html = client.get("/").content.decode()

    assert re.search(r'<span class="due[^"]*" data-due="\d{4}-\d\d-\d\dT[^"]+"[^>]*>', html)
    assert "js/timers.js" in html


def test_the_page_with_the_bulk_form_costs_the_same_for_few_or_many_people(client, lead, make_user):
    for _ in range(2):
        make_user("arbitrator")
    client.force_login(lead)
    client.get("/")
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def count() -> int:
        with CaptureQueriesContext(connection) as ctx:
            client.get("/")
        return len(ctx.captured_queries)

    few = count()
    for _ in range(8):
        make_user("senior_arbitrator")
    assert count() == few


def test_the_bulk_url_is_named():
    assert reverse("cases:queue_bulk_assign") == URL
