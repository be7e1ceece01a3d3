"""Automatic assignment: language, load, limit, the senior route, notes, creation,
hand-back at shift end, audit and notifications."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest

from cases import lifecycle
from cases.floor.assignment import assign_tick
from cases.models import Appeal, AuditEntry, Notification, Party
from tests.factories import LARGE_AMOUNT, OrderFactory, TraderFactory, open_appeal

from .conftest import ALL_WEEK, MONDAY

pytestmark = pytest.mark.django_db

S = Appeal.Status
NOON = MONDAY + timedelta(hours=12)


def appeal_with(buyer="zh-hans", seller="zh-hans", opened_by=Party.BUYER, **order):
    o = OrderFactory(
        buyer=TraderFactory(language=buyer), seller=TraderFactory(language=seller), **order
    )
    return open_appeal(order=o, opened_by=opened_by)


def assignee(appeal):
    appeal.refresh_from_db()
    return appeal.assignee


@pytest.fixture(autouse=True)
def at_noon(travel):
    travel(NOON)


def test_the_appellants_language_comes_first(person):
    en = person(languages=["en"], shifts=ALL_WEEK)
    ru = person(languages=["ru"], shifts=ALL_WEEK)
    by_buyer = appeal_with(buyer="ru", seller="en")
    by_seller = appeal_with(buyer="ru", seller="en", opened_by=Party.SELLER)

    assign_tick()

    assert assignee(by_buyer) == ru
    assert assignee(by_seller) == en


def test_else_the_other_partys_language_else_anyone(person):
    zh = person(languages=["zh"], shifts=ALL_WEEK)
    other = appeal_with(buyer="ru", seller="zh-TW")
    assign_tick()
    assert assignee(other) == zh

    anyone = appeal_with(buyer="ar", seller="fr")
    assign_tick()
    assert assignee(anyone) == zh


def test_the_fewest_open_cases_wins(person):
    busy = person(languages=["en"], shifts=ALL_WEEK)
    idle = person(languages=["en"], shifts=ALL_WEEK)
    for _ in range(2):
        lifecycle.appeal_claim(appeal_id=appeal_with(buyer="en").pk, actor=busy)

    appeals = [appeal_with(buyer="en") for _ in range(3)]
    outcome = assign_tick()

    assert outcome.assigned == 3
    owners = [assignee(a) for a in appeals]
    # 2 vs 0: idle gets two, then they are level and the tie goes to the lower id.
    assert owners.count(idle) == 2 and owners.count(busy) == 1


def test_nobody_goes_above_their_limit(person):
    small = person(max_open=1, shifts=ALL_WEEK)
    two = person(max_open=2, shifts=ALL_WEEK)
    appeals = [appeal_with() for _ in range(5)]

    outcome = assign_tick()

    assert outcome.assigned == 3 and outcome.unassigned == 2
    assert Appeal.objects.filter(assignee=small).count() == 1
    assert Appeal.objects.filter(assignee=two).count() == 2
    left = [a for a in appeals if assignee(a) is None]
    assert len(left) == 2
    assert all("limit" in Appeal.objects.get(pk=a.pk).assignment_note for a in left)


def test_a_large_appeal_goes_to_a_senior_only(person):
    arb = person(shifts=ALL_WEEK)
    senior = person("senior_arbitrator", shifts=ALL_WEEK)
    large = appeal_with(crypto_amount=LARGE_AMOUNT)
    small = appeal_with()

    assign_tick()

    assert assignee(large) == senior
    assert assignee(small) == arb


def test_at_the_threshold_is_senior_too(person, settings):
    settings.FOUR_EYES_THRESHOLDS = {"USDT": Decimal("500")}
    person(shifts=ALL_WEEK)
    senior = person("senior_arbitrator", shifts=ALL_WEEK)
    at_threshold = appeal_with(crypto_amount=Decimal("500"))
    below = appeal_with(crypto_amount=Decimal("499.99"))

    assign_tick()

    assert assignee(at_threshold) == senior
    assert assignee(below) != senior


def test_high_risk_goes_to_a_senior(person, settings):
    settings.SENIOR_RISK_SCORE = 70
    arb = person(shifts=ALL_WEEK)
    senior = person("senior_arbitrator", shifts=ALL_WEEK)
    risky, just_below = appeal_with(), appeal_with()
    Appeal.objects.filter(pk=risky.pk).update(risk_score=70)
    Appeal.objects.filter(pk=just_below.pk).update(risk_score=69)

    assign_tick()

    assert assignee(risky) == senior
    assert assignee(just_below) == arb


def test_no_senior_on_shift_leaves_a_large_appeal_unassigned_with_a_note(person):
    person(shifts=ALL_WEEK)
    person("senior_arbitrator", shifts=[(1, "08:00", "16:00")])  # Tuesdays only
    large = appeal_with(crypto_amount=LARGE_AMOUNT)

    outcome = assign_tick()

    large.refresh_from_db()
    assert large.assignee is None and large.status == S.OPEN
    assert outcome.unassigned == 1
    assert "senior" in large.assignment_note.lower()


def test_nobody_on_shift_leaves_a_note_and_a_later_tick_assigns(person, travel):
    later = person(shifts=[(0, "14:00", "22:00")])
    person("team_lead", shifts=ALL_WEEK)  # leads do not take cases automatically
    appeal = appeal_with()

    assign_tick()
    appeal.refresh_from_db()
    assert appeal.assignee is None
    assert appeal.assignment_note == "Nobody who takes cases is on shift."

    travel(MONDAY + timedelta(hours=14))
    assign_tick()
    appeal.refresh_from_db()
    assert appeal.assignee == later
    assert appeal.assignment_note == ""
    assert appeal.assigned_at == MONDAY + timedelta(hours=14)


def test_an_appeal_is_assigned_when_it_is_created(person, django_capture_on_commit_callbacks):
    arb = person(shifts=ALL_WEEK)
    with django_capture_on_commit_callbacks(execute=True):
        appeal = appeal_with()
    appeal.refresh_from_db()
    assert appeal.assignee == arb
    assert appeal.status == S.IN_REVIEW
    assert appeal.assigned_at == NOON


def test_each_assignment_is_audited_and_notified(person, trail):
    arb = person(shifts=ALL_WEEK)
    appeal = appeal_with()
    t = trail()

    assign_tick()

    entries = [e for e in t.audit if e.action == "appeal.assigned"]
    assert len(entries) == 1
    assert entries[0].actor is None and entries[0].after["by_floor"] == "auto"
    assert entries[0].after["assignee"] == arb.pk
    assert t.status_changes == [(S.OPEN, S.IN_REVIEW)]
    note = Notification.objects.get(user=arb)
    assert note.kind == Notification.Kind.ASSIGNED_TO_YOU and note.appeal_id == appeal.pk


def test_a_second_tick_assigns_nothing_again(person):
    person(shifts=ALL_WEEK)
    appeal_with()
    assert assign_tick().assigned == 1
    before = AuditEntry.objects.count()
    assert assign_tick().assigned == 0
    assert AuditEntry.objects.count() == before


def test_auto_assignment_refuses_a_case_no_longer_in_the_pool(person):
    arb, other = person(shifts=ALL_WEEK), person(shifts=ALL_WEEK)
    appeal = appeal_with()
    lifecycle.appeal_claim(appeal_id=appeal.pk, actor=arb)
    from arbitration.exceptions import Conflict

    with pytest.raises(Conflict):
        lifecycle.appeal_assign(appeal_id=appeal.pk, assignee=other, actor=None, by_floor="auto")


# --- hand-back at shift end ------------------------------------------------------------


def test_shift_end_hands_back_open_and_in_review_but_not_awaiting_evidence(person, travel):
    day = person(shifts=[(0, "08:00", "16:00")])
    person(shifts=[(0, "16:00", "23:00")])  # the evening shift takes the pool
    reviewing, asking = appeal_with(), appeal_with()
    assign_tick()
    assert assignee(reviewing) == day and assignee(asking) == day
    lifecycle.appeal_request_evidence(
        appeal_id=asking.pk, actor=day, party=Party.SELLER, text="Your bank statement, please."
    )

    travel(MONDAY + timedelta(hours=15, minutes=59))
    assert assign_tick().handed_back == 0
    assert assignee(reviewing) == day

    travel(MONDAY + timedelta(hours=16))
    outcome = assign_tick()

    assert outcome.handed_back == 1
    reviewing.refresh_from_db()
    asking.refresh_from_db()
    assert reviewing.assignee != day  # handed back, then assigned to the evening shift
    assert asking.assignee == day and asking.status == S.AWAITING_EVIDENCE
    back = AuditEntry.objects.filter(action="appeal.assigned", after__by_floor="shift_ended")
    assert back.count() == 1


def test_people_without_any_shift_keep_their_cases(person, travel):
    person(shifts=[(0, "00:00", "23:59")])
    unscheduled = person()
    appeal = appeal_with()
    lifecycle.appeal_claim(appeal_id=appeal.pk, actor=unscheduled)

    travel(MONDAY + timedelta(days=1, hours=3))
    assert assign_tick().handed_back == 0
    assert assignee(appeal) == unscheduled


def test_a_case_given_after_the_shift_ended_stays(person, travel):
    day = person(shifts=[(0, "08:00", "10:00")])
    travel(MONDAY + timedelta(hours=11))
    appeal = appeal_with()
    lifecycle.appeal_claim(appeal_id=appeal.pk, actor=day)  # they took it after hours
    assert assign_tick().handed_back == 0
    assert assignee(appeal) == day
