"""The escalation matrix: each condition firing once, the sweep idempotent, the paper trail
and notifications, and manual escalation beside it."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest

from cases import lifecycle
from cases.floor import deadlines
from cases.floor.escalation import escalation_sweep, rule_save
from cases.models import (
    Appeal,
    AppealEscalation,
    EscalationRule,
    Notification,
    Party,
)
from tests.factories import OrderFactory, appeal_in, open_appeal

from .conftest import MONDAY

pytestmark = pytest.mark.django_db

S = Appeal.Status
START = MONDAY + timedelta(hours=9)


@pytest.fixture(autouse=True)
def at_start(travel):
    travel(START)


def rule(conditions, target="senior_arbitrator", name=None):
    return EscalationRule.objects.create(
        name=name or f"rule {EscalationRule.objects.count() + 1}",
        conditions=conditions,
        target_role=target,
    )


def escalated(appeal) -> bool:
    return Appeal.objects.get(pk=appeal.pk).status == S.ESCALATED


def make_breached(travel):
    appeal = open_appeal()
    travel(START + timedelta(hours=49))  # past the 48 h resolution deadline
    return appeal


CASES = {
    "asset": (
        {"asset": "btc"},
        lambda travel: open_appeal(order=OrderFactory(asset="BTC", crypto_amount=Decimal("0.1"))),
        lambda travel: open_appeal(),
    ),
    "min_crypto_amount": (
        {"min_crypto_amount": "1000"},
        lambda travel: open_appeal(order=OrderFactory(crypto_amount=Decimal("1000"))),
        lambda travel: open_appeal(order=OrderFactory(crypto_amount=Decimal("999.99"))),
    ),
    "min_risk_score": (
        {"min_risk_score": 80},
        lambda travel: risky(80),
        lambda travel: risky(79),
    ),
    "reasons": (
        {"reasons": ["chargeback"]},
        lambda travel: open_appeal(reason=Appeal.Reason.CHARGEBACK, opened_by=Party.SELLER),
        lambda travel: open_appeal(),
    ),
}


def risky(score):
    appeal = open_appeal()
    Appeal.objects.filter(pk=appeal.pk).update(risk_score=score)
    return appeal


@pytest.mark.parametrize("condition", list(CASES))
def test_each_condition_fires_once(condition, travel, senior, senior2, trail):
    conditions, matching, not_matching = CASES[condition]
    yes, no = matching(travel), not_matching(travel)
    r = rule(conditions)
    t = trail()

    assert escalation_sweep() == 1
    assert escalation_sweep() == 0

    assert escalated(yes) and not escalated(no)
    assert AppealEscalation.objects.filter(rule=r).count() == 1
    actions = [e.action for e in t.audit]
    assert actions.count("appeal.escalated") == 1
    entry = next(e for e in t.audit if e.action == "appeal.escalated")
    assert entry.after["rule"] == r.name and entry.after["target_role"] == "senior_arbitrator"
    assert t.status_events == [(S.OPEN, S.ESCALATED)]
    for user in (senior, senior2):
        note = Notification.objects.get(user=user, kind=Notification.Kind.ESCALATED_TO_YOU)
        assert note.appeal_id == yes.pk and r.name in note.data["reason"]
    after = Appeal.objects.get(pk=yes.pk)
    assert after.escalation_rule_name == r.name
    assert after.escalation_target_role == "senior_arbitrator"
    assert after.escalated_at == START or after.escalated_at is not None


def test_sla_breached(travel, lead, arbitrator):
    late = open_appeal()
    lifecycle.appeal_claim(appeal_id=late.pk, actor=arbitrator)  # answered in time
    travel(START + timedelta(hours=47))
    fresh = open_appeal()
    lifecycle.appeal_claim(appeal_id=fresh.pk, actor=arbitrator)
    r = rule({"sla_breached": True}, target="team_lead")
    travel(START + timedelta(hours=48, seconds=1))
    assert escalation_sweep() == 1
    assert escalated(late) and not escalated(fresh)
    assert Notification.objects.get(user=lead).kind == Notification.Kind.ESCALATED_TO_YOU
    assert AppealEscalation.objects.get(rule=r).target_role == "team_lead"


def test_an_unanswered_case_breaches_its_first_response(travel):
    appeal = open_appeal()
    rule({"sla_breached": True})
    travel(START + timedelta(minutes=29))
    assert escalation_sweep() == 0
    travel(START + timedelta(minutes=31))
    assert escalation_sweep() == 1
    assert escalated(appeal)


def test_a_paused_clock_is_not_a_breach(travel, arbitrator):
    appeal = open_appeal()
    lifecycle.appeal_claim(appeal_id=appeal.pk, actor=arbitrator)
    lifecycle.appeal_request_evidence(
        appeal_id=appeal.pk,
        actor=arbitrator,
        party=Party.SELLER,
        text="Statement, please.",
        due_at=START + timedelta(days=20),
    )
    rule({"sla_breached": True})
    travel(START + timedelta(hours=60))  # past the original deadline, but waiting
    assert escalation_sweep() == 0


def test_evidence_deadline_missed(travel, arbitrator):
    waiting = appeal_in(S.AWAITING_EVIDENCE, worker=arbitrator)
    other = appeal_in(S.IN_REVIEW, worker=arbitrator)
    rule({"evidence_deadline_missed": True})
    assert escalation_sweep() == 0
    travel(START + timedelta(hours=25))
    deadlines.missed_sweep()
    assert escalation_sweep() == 1
    assert escalated(waiting) and not escalated(other)


def test_reopened(travel, arbitrator):
    first = appeal_in(S.RESOLVED, worker=arbitrator)
    travel(START + timedelta(hours=1))
    again = open_appeal(order=first.order, reason=Appeal.Reason.CHARGEBACK, opened_by=Party.SELLER)
    once = open_appeal()
    rule({"reopened": True})
    assert escalation_sweep() == 1
    assert escalated(again) and not escalated(once)


def test_every_condition_given_must_hold(travel):
    both = open_appeal(order=OrderFactory(asset="BTC", crypto_amount=Decimal("5")))
    only_asset = open_appeal(order=OrderFactory(asset="BTC", crypto_amount=Decimal("0.5")))
    rule({"asset": "BTC", "min_crypto_amount": "1"})
    assert escalation_sweep() == 1
    assert escalated(both) and not escalated(only_asset)


def test_two_rules_escalate_one_case_once_each_and_an_inactive_rule_never(travel, lead, senior):
    appeal = risky(90)
    rule({"min_risk_score": 50}, name="risky")
    rule({"min_risk_score": 50}, target="team_lead", name="leads too")
    EscalationRule.objects.create(name="off", active=False, conditions={}, target_role="team_lead")
    assert escalation_sweep() == 2
    assert escalation_sweep() == 0
    assert AppealEscalation.objects.filter(appeal=appeal).count() == 2
    assert Notification.objects.filter(user=lead).count() == 1
    assert Notification.objects.filter(user=senior).count() == 1


def test_closed_and_pending_cases_are_not_escalated(travel, arbitrator):
    appeal_in(S.RESOLVED, worker=arbitrator)
    appeal_in(S.PENDING_APPROVAL, worker=arbitrator)
    rule({})
    assert escalation_sweep() == 0


def test_manual_escalation_still_works(arbitrator, senior, trail):
    appeal = open_appeal()
    lifecycle.appeal_claim(appeal_id=appeal.pk, actor=arbitrator)
    t = trail()
    lifecycle.appeal_escalate(appeal_id=appeal.pk, actor=arbitrator, reason="Looks forged.")
    after = Appeal.objects.get(pk=appeal.pk)
    assert after.status == S.ESCALATED and after.assignee is None
    assert after.escalation_rule_name == "" and after.escalation_reason == "Looks forged."
    assert t.status_events == [(S.IN_REVIEW, S.ESCALATED)]
    assert AppealEscalation.objects.get(appeal=appeal).rule is None
    assert Notification.objects.get(user=senior).kind == Notification.Kind.ESCALATED_TO_YOU
    assert not Notification.objects.filter(user=arbitrator).exists()


def test_rule_save_validates_and_audits(lead, arbitrator):
    from arbitration.exceptions import InvalidInput, NotAllowed

    saved = rule_save(
        actor=lead,
        name="big BTC",
        conditions={"asset": "btc", "min_crypto_amount": "2"},
        target_role="team_lead",
    )
    assert saved.conditions == {"asset": "BTC", "min_crypto_amount": "2"}
    with pytest.raises(InvalidInput):
        rule_save(actor=lead, name="bad", conditions={"colour": "red"}, target_role="team_lead")
    with pytest.raises((NotAllowed, Exception)):
        rule_save(actor=arbitrator, name="nope", conditions={}, target_role="team_lead")
