"""Races on account restrictions: two team leads approving one proposal at the same
moment, two seniors lifting one restriction. The trader's row lock, then the
restriction's, and the state checked under them, let exactly one through."""

from __future__ import annotations

import pytest

from cases import lifecycle
from cases.models import AccountRestriction, AuditEntry, OutboxEvent, Trader
from tests.cases.test_concurrency import (  # noqa: F401 - the fixture is autouse
    concurrent_database,
    one_winner,
    run_together,
)
from tests.factories import TraderFactory

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def test_two_leads_approving_at_once_apply_it_once(make_user):
    analyst = make_user("risk_analyst", username="risk")
    leads = [make_user("team_lead", username=f"lead{i}") for i in range(2)]
    trader = TraderFactory()
    proposal = lifecycle.restriction_propose(
        actor=analyst, trader=trader, functions=["withdrawal"], reason="Mule account."
    )

    outcomes = run_together(
        *(
            lambda lead=lead: lifecycle.restriction_proposal_decide(
                actor=lead, restriction_id=proposal.pk, approve=True
            )
            for lead in leads
        )
    )

    one_winner(outcomes)
    row = AccountRestriction.objects.get(pk=proposal.pk)
    assert row.state == "imposed" and row.decided_by in leads
    assert OutboxEvent.objects.filter(type="account.action_taken").count() == 1
    assert AuditEntry.objects.filter(action="account.restricted").count() == 1


def test_an_approval_and_a_rejection_at_once_decide_once(make_user):
    analyst = make_user("risk_analyst", username="risk")
    lead_a, lead_b = (make_user("team_lead", username=f"lead{i}") for i in range(2))
    trader = TraderFactory()
    proposal = lifecycle.restriction_propose(
        actor=analyst, trader=trader, functions=["p2p"], reason="Recycled vouchers."
    )

    outcomes = run_together(
        lambda: lifecycle.restriction_proposal_decide(
            actor=lead_a, restriction_id=proposal.pk, approve=True
        ),
        lambda: lifecycle.restriction_proposal_decide(
            actor=lead_b, restriction_id=proposal.pk, approve=False
        ),
    )

    one_winner(outcomes)
    state = AccountRestriction.objects.get(pk=proposal.pk).state
    events = OutboxEvent.objects.filter(type="account.action_taken").count()
    assert (state, events) in (("imposed", 1), ("rejected", 0))
    assert Trader.objects.get(pk=trader.pk).is_restricted() == (state == "imposed")


def test_two_lifts_at_once_lift_once(make_user):
    seniors = [make_user("senior_arbitrator", username=f"senior{i}") for i in range(2)]
    trader = TraderFactory()
    restriction = lifecycle.restriction_add(
        actor=seniors[0], trader=trader, functions=["login", "p2p"], reason="Takeover."
    )

    outcomes = run_together(
        *(
            lambda s=s: lifecycle.restriction_lift(
                actor=s, restriction_id=restriction.pk, reason="Owner verified."
            )
            for s in seniors
        )
    )

    one_winner(outcomes)
    lifted = OutboxEvent.objects.filter(type="account.action_taken", data__lifted=True)
    assert lifted.count() == 1
    assert not Trader.objects.get(pk=trader.pk).is_restricted()
