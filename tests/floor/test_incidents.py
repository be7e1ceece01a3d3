"""Incidents: the clocks of the covered cases stop (and only theirs), retroactively, and
the end moves the deadlines and the parties' due times."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from cases import lifecycle
from cases.floor import deadlines
from cases.floor.incidents import incident_declare, incident_end, incident_sweep
from cases.floor.tick import floor_tick
from cases.models import Appeal, ClockPause, Party
from tests.factories import OrderFactory, TraderFactory, open_appeal

from .conftest import MONDAY

pytestmark = pytest.mark.django_db

S = Appeal.Status
START = MONDAY + timedelta(hours=9)
HOUR = timedelta(hours=1)


def fresh(appeal):
    return Appeal.objects.get(pk=appeal.pk)


@pytest.fixture
def cases(travel):
    travel(START)
    return {
        "alipay_cn": open_appeal(order=OrderFactory(payment_method="alipay")),
        "sepa_de": open_appeal(
            order=OrderFactory(
                payment_method="sepa",
                buyer=TraderFactory(country="DE"),
                seller=TraderFactory(country="DE"),
            )
        ),
        "wise_ng_seller": open_appeal(
            order=OrderFactory(
                payment_method="wise",
                buyer=TraderFactory(country="GB"),
                seller=TraderFactory(country="NG"),
            )
        ),
    }


@pytest.mark.parametrize(
    ("fields", "covered"),
    [
        ({"payment_method": "ALIPAY"}, {"alipay_cn"}),
        ({"country": "ng"}, {"wise_ng_seller"}),
        ({}, {"alipay_cn", "sepa_de", "wise_ng_seller"}),
    ],
)
def test_an_incident_pauses_only_what_it_covers_and_its_end_moves_the_deadlines(
    fields, covered, cases, lead, travel
):
    due = {k: a.resolution_due_at for k, a in cases.items()}
    travel(START + 2 * HOUR)
    incident = incident_declare(actor=lead, title="Rail down", starts_at=START + HOUR, **fields)

    for key, appeal in cases.items():
        a = fresh(appeal)
        assert a.paused == (key in covered), key
        if key in covered:
            assert a.clock_paused_at == START + HOUR  # declared late: from its start
            assert list(a.clock_pauses.values_list("incident_id", flat=True)) == [incident.pk]

    travel(START + 5 * HOUR)
    incident_end(actor=lead, incident_id=incident.pk)

    for key, appeal in cases.items():
        a = fresh(appeal)
        assert not a.paused
        moved = 4 * HOUR if key in covered else timedelta(0)
        assert a.resolution_due_at == due[key] + moved, key
        assert a.paused_seconds == int(moved.total_seconds())
    incident.refresh_from_db()
    floor_tick()
    incident.refresh_from_db()
    assert incident.settled_at is not None


def test_an_incident_declared_after_it_ended(cases, lead, travel):
    appeal = cases["alipay_cn"]
    due = appeal.resolution_due_at
    travel(START + 6 * HOUR)
    incident_declare(
        actor=lead,
        title="Alipay was down",
        payment_method="alipay",
        starts_at=START + HOUR,
        ends_at=START + 3 * HOUR,
    )
    a = fresh(appeal)
    assert not a.paused
    assert a.resolution_due_at == due + 2 * HOUR
    assert floor_tick()["clocks_paused_or_resumed"] == 0  # settled: nothing twice


def test_the_party_clock_stops_and_moves_by_the_incident(cases, lead, arbitrator, travel):
    appeal = cases["alipay_cn"]
    lifecycle.appeal_claim(appeal_id=appeal.pk, actor=arbitrator)
    travel(START + HOUR)
    lifecycle.appeal_request_evidence(
        appeal_id=appeal.pk,
        actor=arbitrator,
        party=Party.SELLER,
        text="Statement please.",
        due_at=START + 4 * HOUR,
    )
    travel(START + 2 * HOUR)
    incident = incident_declare(
        actor=lead, title="Alipay down", payment_method="alipay", starts_at=START + 2 * HOUR
    )
    # Past the party's deadline while the incident lasts: nobody misses anything.
    travel(START + 6 * HOUR)
    assert deadlines.missed_sweep() == 0
    assert deadlines.send_reminders() == 0
    travel(START + 7 * HOUR)
    incident_end(actor=lead, incident_id=incident.pk)
    a = fresh(appeal)
    request = a.evidence_requests.get()
    assert request.due_at == START + 9 * HOUR  # 4h + the 5h the incident took
    assert a.evidence_due_at == START + 9 * HOUR
    assert a.paused and a.status == S.AWAITING_EVIDENCE  # still waiting on the seller
    travel(START + 9 * HOUR + timedelta(seconds=1))
    assert deadlines.missed_sweep() == 1


def test_a_covered_case_the_tick_has_not_reached_misses_nothing(cases, lead, arbitrator, travel):
    appeal = cases["alipay_cn"]
    lifecycle.appeal_claim(appeal_id=appeal.pk, actor=arbitrator)
    lifecycle.appeal_request_evidence(
        appeal_id=appeal.pk,
        actor=arbitrator,
        party=Party.SELLER,
        text="Statement please.",
        due_at=START + 2 * HOUR,
    )
    travel(START + HOUR)
    from cases.models import Incident

    # Written directly, as if the sweep had not run yet.
    Incident.objects.create(title="down", payment_method="alipay", starts_at=START + HOUR)
    travel(START + 3 * HOUR)
    assert deadlines.missed_sweep() == 0
    assert not ClockPause.objects.filter(cause=ClockPause.Cause.INCIDENT).exists()


def test_overlapping_pauses_count_once(cases, lead, arbitrator, service_account, travel):
    appeal = cases["alipay_cn"]
    due = appeal.resolution_due_at
    lifecycle.appeal_claim(appeal_id=appeal.pk, actor=arbitrator)
    travel(START + HOUR)
    lifecycle.appeal_request_evidence(
        appeal_id=appeal.pk, actor=arbitrator, party=Party.SELLER, text="Statement please."
    )
    travel(START + 2 * HOUR)
    incident = incident_declare(actor=lead, title="All down", starts_at=START + 2 * HOUR)
    travel(START + 3 * HOUR)
    lifecycle.appeal_record_answer(appeal_id=appeal.pk, actor=arbitrator, party=Party.SELLER)
    assert fresh(appeal).paused  # the incident still holds it
    travel(START + 5 * HOUR)
    incident_end(actor=lead, incident_id=incident.pk)
    a = fresh(appeal)
    assert a.paused_seconds == 4 * 3600  # 1h..5h, once
    assert a.resolution_due_at == due + 4 * HOUR


def test_a_late_declared_incident_over_an_earlier_pause_counts_it_once(
    cases, lead, arbitrator, travel
):
    appeal = cases["alipay_cn"]
    due = appeal.resolution_due_at
    lifecycle.appeal_claim(appeal_id=appeal.pk, actor=arbitrator)
    travel(START + 2 * HOUR)
    lifecycle.appeal_request_evidence(
        appeal_id=appeal.pk, actor=arbitrator, party=Party.SELLER, text="Statement please."
    )
    travel(START + 3 * HOUR)
    lifecycle.appeal_record_answer(appeal_id=appeal.pk, actor=arbitrator, party=Party.SELLER)
    assert fresh(appeal).paused_seconds == 3600
    # Declared at 6h, it began at 1h and ended at 4h: it covers the 2h-3h wait.
    travel(START + 6 * HOUR)
    incident_declare(actor=lead, title="All down", starts_at=START + HOUR, ends_at=START + 4 * HOUR)
    a = fresh(appeal)
    assert a.paused_seconds == 3 * 3600
    assert a.resolution_due_at == due + 3 * HOUR


def test_a_gap_between_an_ended_incident_and_a_wait_is_no_pause(cases, lead, arbitrator, travel):
    appeal = cases["alipay_cn"]
    due = appeal.resolution_due_at
    lifecycle.appeal_claim(appeal_id=appeal.pk, actor=arbitrator)
    travel(START + 3 * HOUR)
    lifecycle.appeal_request_evidence(
        appeal_id=appeal.pk, actor=arbitrator, party=Party.SELLER, text="Statement please."
    )
    travel(START + 4 * HOUR)
    incident_declare(actor=lead, title="All down", starts_at=START + HOUR, ends_at=START + 2 * HOUR)
    assert fresh(appeal).paused  # the wait still holds it
    travel(START + 5 * HOUR)
    lifecycle.appeal_record_answer(appeal_id=appeal.pk, actor=arbitrator, party=Party.SELLER)
    a = fresh(appeal)
    # 1h of incident + 2h of waiting; the hour between them ran.
    assert a.paused_seconds == 3 * 3600
    assert a.resolution_due_at == due + 3 * HOUR


def test_a_case_opened_after_the_incident_ended_is_not_covered(lead, travel):
    travel(START)
    incident = incident_declare(actor=lead, title="All down", starts_at=START - HOUR)
    travel(START + HOUR)
    incident_end(actor=lead, incident_id=incident.pk)
    travel(START + 2 * HOUR)
    later = open_appeal()
    incident_sweep(timezone.now())
    assert not fresh(later).clock_pauses.exists()
