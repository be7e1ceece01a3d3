"""The case page's SLA panel: the clocks (first response, resolution, each party's),
pauses and breaches, incidents, escalation, the missed-deadline flag with its suggested
(never applied) outcome, and "Record the party's answer" for the handler."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from cases import lifecycle
from cases.floor.escalation import escalation_sweep
from cases.floor.incidents import incident_declare
from cases.models import Appeal, EscalationRule, EvidenceRequest, Note, Verdict
from tests.factories import appeal_in

pytestmark = pytest.mark.django_db

S = Appeal.Status


def page(client, user, appeal):
    client.force_login(user)
    response = client.get(reverse("cases:case", args=[appeal.pk]))
    assert response.status_code == 200
    return response


def record_url(appeal) -> str:
    return reverse("cases:case_record_answer", args=[appeal.pk])


def test_a_case_waiting_on_the_seller_shows_its_clock_and_a_paused_resolution(client, arbitrator):
    appeal = appeal_in(S.AWAITING_EVIDENCE, worker=arbitrator)

    response = page(client, arbitrator, appeal)

    panel = response.context["sla"]
    assert panel.summary["paused"] is True
    (seller_clock,) = [c for c in panel.clocks if c.side == "seller"]
    assert seller_clock.waiting and seller_clock.due == appeal.evidence_due_at
    html = response.content.decode()
    assert 'data-test="sla-panel"' in html
    assert "Clocks paused: Waiting on a party" in html
    assert 'data-test="resolution-timer"' in html and "data-paused" in html
    assert "Please upload your bank statement for the day of the order." in html
    assert "Nothing asked of this party." in html  # the buyer's clock


def test_the_handler_is_offered_record_answer_for_the_party_waited_on(
    client, arbitrator, arbitrator2, auditor
):
    appeal = appeal_in(S.AWAITING_EVIDENCE, worker=arbitrator)

    mine = page(client, arbitrator, appeal)
    other = page(client, arbitrator2, appeal)
    reader = page(client, auditor, appeal)

    assert mine.context["can"].record_answer == ["seller"]
    assert record_url(appeal) in mine.content.decode()
    assert other.context["can"].record_answer == []
    assert record_url(appeal) not in other.content.decode()
    assert record_url(appeal) not in reader.content.decode()


def test_recording_the_answer_stops_the_partys_clock(client, arbitrator, trail):
    appeal = appeal_in(S.AWAITING_EVIDENCE, worker=arbitrator)
    client.force_login(arbitrator)
    t = trail()

    response = client.post(
        record_url(appeal), {"party": "seller", "note": "Called us: statement sent to support."}
    )

    assert response.status_code == 302
    assert response["Location"].endswith("#sla")
    request = EvidenceRequest.objects.get(appeal=appeal)
    assert request.answered_via == EvidenceRequest.Via.STAFF and request.answered_at
    appeal.refresh_from_db()
    assert appeal.status == S.IN_REVIEW and not appeal.paused
    assert Note.objects.filter(appeal=appeal, text__startswith="Called us").exists()
    assert {"appeal.party_answered", "appeal.evidence_received"} & set(t.audit_actions)
    html = page(client, arbitrator, appeal).content.decode()
    assert "Recorded by staff" in html
    assert record_url(appeal) not in html


def test_recording_for_a_party_not_waited_on_is_refused(client, arbitrator):
    appeal = appeal_in(S.AWAITING_EVIDENCE, worker=arbitrator)
    client.force_login(arbitrator)

    response = client.post(record_url(appeal), {"party": "buyer"})

    assert response.status_code == 409
    assert EvidenceRequest.objects.get(appeal=appeal).answered_at is None


def test_another_arbitrator_may_not_record_the_answer(client, arbitrator, arbitrator2):
    appeal = appeal_in(S.AWAITING_EVIDENCE, worker=arbitrator)
    client.force_login(arbitrator2)

    response = client.post(record_url(appeal), {"party": "seller"})

    assert response.status_code in (403, 409)
    assert EvidenceRequest.objects.get(appeal=appeal).answered_at is None


def test_a_missed_deadline_is_flagged_with_the_suggested_outcome_not_applied(client, arbitrator):
    appeal = appeal_in(S.AWAITING_EVIDENCE, worker=arbitrator)
    later = appeal.evidence_due_at + timedelta(minutes=1)
    lifecycle.appeal_evidence_missed(appeal_id=appeal.pk, at=later)

    response = page(client, arbitrator, appeal)

    suggestion = response.context["sla"].suggestion
    assert suggestion.rule_code == "P2P-1.2"
    assert suggestion.outcome == Verdict.Outcome.RELEASE_TO_BUYER
    html = response.content.decode()
    assert 'data-test="missed-flag"' in html
    assert "suggested, not applied" in html and "Release to buyer" in html
    assert "Seller&#x27;s evidence late or missing" in html
    assert "missed · flagged" in html
    assert not Verdict.objects.filter(appeal=appeal).exists()


def test_an_escalation_by_hand_shows_who_why_and_for_whom(client, arbitrator, senior):
    appeal = appeal_in(S.ESCALATED, worker=arbitrator)

    html = page(client, senior, appeal).content.decode()

    assert 'data-test="escalation"' in html
    assert "By hand (" in html and "Looks like fraud." in html
    assert "Senior arbitrator" in html


def test_an_escalation_by_a_rule_names_the_rule(client, arbitrator, lead):
    appeal = appeal_in(S.IN_REVIEW, worker=arbitrator)
    EscalationRule.objects.create(
        name="Large USDT", conditions={"asset": "USDT"}, target_role="team_lead"
    )
    escalation_sweep()

    html = page(client, lead, appeal).content.decode()

    assert "By the rule “Large USDT”" in html
    assert "Team lead" in html


def test_an_incident_covering_the_case_is_listed_and_pauses_the_clocks(client, arbitrator, lead):
    appeal = appeal_in(S.IN_REVIEW, worker=arbitrator)
    incident_declare(
        actor=lead,
        title="Alipay outage",
        payment_method="alipay",
        starts_at=timezone.now() - timedelta(minutes=30),
    )

    response = page(client, arbitrator, appeal)

    panel = response.context["sla"]
    assert [i.title for i in panel.incidents] == ["Alipay outage"]
    html = response.content.decode()
    assert 'data-test="incidents"' in html and "Alipay outage" in html
    assert "Clocks paused: Alipay outage" in html


def test_an_answered_first_response_shows_in_time(client, arbitrator):
    appeal = appeal_in(S.IN_REVIEW, worker=arbitrator)
    Appeal.objects.filter(pk=appeal.pk).update(first_response_at=timezone.now())

    html = page(client, arbitrator, appeal).content.decode()

    assert "in time" in html


def count(client, appeal) -> int:
    """The case page's queries, its chat thread rendered afresh (each evidence request is
    a new line of it, which the cached thread would hide or reveal)."""
    url = reverse("cases:case", args=[appeal.pk])
    cache.clear()
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


def test_the_panel_costs_the_same_for_one_request_or_many(client, arbitrator):
    appeal = appeal_in(S.AWAITING_EVIDENCE, worker=arbitrator)
    client.force_login(arbitrator)
    client.get(reverse("cases:case", args=[appeal.pk]))

    few = count(client, appeal)
    for i in range(6):
        lifecycle.appeal_request_evidence(
            appeal_id=appeal.pk, actor=arbitrator, party="seller", text=f"More, part {i}."
        )
    many = count(client, appeal)

    assert EvidenceRequest.objects.filter(appeal=appeal).count() == 7
    assert few == many
