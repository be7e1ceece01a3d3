"""The trader page (cases:trader) and the team leads' list of restriction proposals
(cases:restriction_proposals): who sees what, what each role is offered, the actions,
and a bounded number of queries."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from cases import lifecycle
from cases.models import AccountRestriction, AccountSignal, OutboxEvent, Trader
from cases.services import signals_ingest
from tests.factories import OrderFactory, TraderFactory, appeal_in, staff_user

pytestmark = pytest.mark.django_db

ROLES = ["arbitrator", "senior_arbitrator", "team_lead", "risk_analyst", "auditor"]
# Measured 12 for the trader page and 7 for the proposals, for 2 or 20 rows of each kind:
# the session, user, roles and shared header, then the trader, its restrictions, signals,
# linked accounts, appeal counts and appeals (6). An N+1 at 20 rows would add 20.
TRADER_QUERIES = 14
PROPOSALS_QUERIES = 9


def as_user(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def trader() -> Trader:
    return TraderFactory(external_id="T-PAGE", display_name="page_trader")


def page(trader: Trader) -> str:
    return reverse("cases:trader", kwargs={"external_id": trader.external_id})


def restrict_body(**fields: Any) -> dict[str, Any]:
    return {"functions": ["withdrawal", "login"], "reason": "Account takeover.", **fields}


def _world(trader: Trader, size: int, senior: Any, analyst: Any) -> None:
    now = timezone.now()
    for i in range(size):
        lifecycle.restriction_add(actor=senior, trader=trader, functions=["p2p"], reason=f"r{i}")
        lifecycle.restriction_propose(
            actor=analyst, trader=trader, functions=["login"], reason=f"p{i}"
        )
        other = TraderFactory()
        for who in (trader, other):
            AccountSignal.objects.create(
                trader=who, kind="ip", value=f"10.2.0.{i}", first_seen_at=now, last_seen_at=now
            )
        appeal_in("open", order=OrderFactory(buyer=trader))


@pytest.mark.parametrize("role", ROLES)
def test_every_desk_role_reads_the_trader(role, make_user, senior, trader):
    restriction = lifecycle.restriction_add(
        actor=senior, trader=trader, functions=["p2p"], reason="Fake receipts."
    )
    response = as_user(make_user(role)).get(page(trader))

    assert response.status_code == 200
    body = response.content.decode()
    assert "page_trader" in body and "Fake receipts." in body
    lifts = reverse("cases:restriction_lift", args=[restriction.pk]) in body
    assert lifts == (role in ("senior_arbitrator", "team_lead"))
    assert ('data-test="restrict"' in body) == (role != "arbitrator" and role != "auditor")


def test_signed_out_visitors_go_to_the_login_page_and_strangers_get_403(client, make_user, trader):
    assert client.get(page(trader)).status_code == 302
    assert as_user(make_user(None)).get(page(trader)).status_code == 403


def test_an_unknown_trader_is_404(lead):
    response = as_user(lead).get(reverse("cases:trader", kwargs={"external_id": "T-NONE"}))
    assert response.status_code == 404


def test_a_trader_id_with_a_slash_has_a_page(lead):
    trader = TraderFactory(external_id="bank/42")
    assert as_user(lead).get(page(trader)).status_code == 200


def test_the_page_shows_signals_linked_accounts_and_appeals(arbitrator, trader):
    now = timezone.now()
    twin = TraderFactory(external_id="T-TWIN")
    reporter = staff_user("service_account")
    for who in (trader, twin):
        signals_ingest(
            trader=who,
            signals=[{"kind": "device", "value": "dev-9", "seen_at": now}],
            actor=reporter,
        )
    appeal = appeal_in("in_review", worker=arbitrator, order=OrderFactory(seller=trader))

    response = as_user(arbitrator).get(page(trader))

    body = response.content.decode()
    assert "dev-9" in body
    assert reverse("cases:trader", kwargs={"external_id": "T-TWIN"}) in body
    assert reverse("cases:case", args=[appeal.pk]) in body


def test_a_senior_restricts_from_the_page(senior, trader):
    response = as_user(senior).post(page(trader), restrict_body())

    assert response.status_code == 302
    [restriction] = AccountRestriction.objects.all()
    assert (restriction.functions, restriction.state) == (["withdrawal", "login"], "imposed")
    assert OutboxEvent.objects.filter(type="account.action_taken").count() == 1


def test_a_risk_analyst_proposes_from_the_page(risk_analyst, trader):
    as_user(risk_analyst).post(page(trader), restrict_body())
    [restriction] = AccountRestriction.objects.all()
    assert restriction.state == "proposed" and not OutboxEvent.objects.exists()


@pytest.mark.parametrize("role", ["arbitrator", "auditor"])
def test_readers_may_not_restrict_from_the_page(role, make_user, trader):
    response = as_user(make_user(role)).post(page(trader), restrict_body())
    assert response.status_code == 403
    assert not AccountRestriction.objects.exists()


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"functions": []}, "functions"),
        ({"functions": ["trade"]}, "functions"),
        ({"reason": ""}, "reason"),
        ({"until": "2020-01-01T10:00"}, "until"),
    ],
)
def test_bad_input_shows_the_form_again_and_changes_nothing(fields, field, senior, trader):
    response = as_user(senior).post(page(trader), restrict_body(**fields))
    assert response.status_code == 400
    assert response.context["form"].errors[field]
    assert not AccountRestriction.objects.exists()


def test_lifting_from_the_page(senior, lead, trader):
    restriction = lifecycle.restriction_add(
        actor=senior, trader=trader, functions=["p2p"], reason="Fake receipts."
    )
    url = reverse("cases:restriction_lift", args=[restriction.pk])

    as_user(lead).post(url, {"reason": "Bank confirmed."})

    assert AccountRestriction.objects.get(pk=restriction.pk).lifted_by == lead
    assert "Bank confirmed." in as_user(lead).get(page(trader)).content.decode()


def test_lifting_needs_a_reason_and_the_role(senior, arbitrator, trader):
    restriction = lifecycle.restriction_add(
        actor=senior, trader=trader, functions=["p2p"], reason="Fake receipts."
    )
    url = reverse("cases:restriction_lift", args=[restriction.pk])
    as_user(senior).post(url, {"reason": ""})
    assert as_user(arbitrator).post(url, {"reason": "x"}).status_code == 403
    assert AccountRestriction.objects.get(pk=restriction.pk).is_active()


def test_team_leads_approve_and_reject_on_the_list(risk_analyst, lead, trader):
    approved, rejected = (
        lifecycle.restriction_propose(
            actor=risk_analyst, trader=trader, functions=["login"], reason=reason
        )
        for reason in ("Takeover.", "Weak hunch.")
    )
    client = as_user(lead)
    body = client.get(reverse("cases:restriction_proposals")).content.decode()
    assert body.count('data-test="proposal"') == 2 and "Takeover." in body
    decide = "cases:restriction_decide"

    client.post(reverse(decide, args=[approved.pk]), {"decision": "approve", "next": "proposals"})
    client.post(reverse(decide, args=[rejected.pk]), {"decision": "reject", "note": "No."})

    states = dict(AccountRestriction.objects.values_list("pk", "state"))
    assert states == {approved.pk: "imposed", rejected.pk: "rejected"}
    after = client.get(reverse("cases:restriction_proposals")).content.decode()
    assert 'data-test="proposal"' not in after


def test_a_lead_is_not_offered_to_approve_their_own_proposal(lead, make_user, trader):
    mine = lifecycle.restriction_propose(
        actor=lead, trader=trader, functions=["p2p"], reason="Mine."
    )
    client = as_user(lead)
    body = client.get(reverse("cases:restriction_proposals")).content.decode()
    assert 'data-test="approve-refused"' in body

    client.post(reverse("cases:restriction_decide", args=[mine.pk]), {"decision": "approve"})

    assert AccountRestriction.objects.get(pk=mine.pk).is_waiting


@pytest.mark.parametrize("role", ["senior_arbitrator", "risk_analyst", "auditor"])
def test_others_see_proposals_but_may_not_decide(role, make_user, risk_analyst, trader):
    proposal = lifecycle.restriction_propose(
        actor=risk_analyst, trader=trader, functions=["p2p"], reason="Ring."
    )
    client = as_user(make_user(role))
    body = client.get(reverse("cases:restriction_proposals")).content.decode()
    assert 'data-test="proposal"' in body and 'data-test="decide"' not in body
    url = reverse("cases:restriction_decide", args=[proposal.pk])
    assert client.post(url, {"decision": "approve"}).status_code == 403
    assert AccountRestriction.objects.get(pk=proposal.pk).is_waiting


def test_the_proposal_notification_leads_to_the_trader(risk_analyst, lead, trader):
    lifecycle.restriction_propose(
        actor=risk_analyst, trader=trader, functions=["p2p"], reason="Ring."
    )
    body = as_user(lead).get(reverse("cases:notifications")).content.decode()
    assert "page_trader" not in body  # the sentence names the trader by id
    assert "T-PAGE" in body and page(trader) in body


def test_the_case_page_links_each_party_to_its_trader_page(arbitrator, senior):
    appeal = appeal_in("in_review", worker=arbitrator)
    lifecycle.restriction_add(
        actor=senior, trader=appeal.order.seller, functions=["withdrawal"], reason="Mule."
    )
    body = as_user(arbitrator).get(reverse("cases:case", args=[appeal.pk])).content.decode()
    assert page(appeal.order.buyer) in body and page(appeal.order.seller) in body
    assert 'data-test="restricted"' in body


@pytest.mark.parametrize("size", [2, 20])
def test_the_trader_page_costs_a_fixed_number_of_queries(
    size, senior, make_user, trader, django_assert_max_num_queries
):
    _world(trader, size, senior, make_user("risk_analyst"))
    client = as_user(make_user("team_lead"))
    with django_assert_max_num_queries(TRADER_QUERIES):
        response = client.get(page(trader))
    assert len(response.context["facts"].active) == size
    assert len(response.context["waiting"]) == size


@pytest.mark.parametrize("size", [2, 20])
def test_the_proposals_page_costs_a_fixed_number_of_queries(
    size, senior, make_user, django_assert_max_num_queries
):
    analyst = make_user("risk_analyst")
    for _ in range(size):
        lifecycle.restriction_propose(
            actor=analyst, trader=TraderFactory(), functions=["p2p"], reason="Ring."
        )
    client = as_user(make_user("team_lead"))
    with django_assert_max_num_queries(PROPOSALS_QUERIES):
        response = client.get(reverse("cases:restriction_proposals"))
    assert len(response.context["rows"]) == size


def test_an_ended_restriction_is_past(senior, trader, time_machine):
    time_machine.move_to(timezone.now(), tick=False)
    lifecycle.restriction_add(
        actor=senior,
        trader=trader,
        functions=["p2p"],
        reason="Short.",
        until=timezone.now() + timedelta(hours=1),
    )
    time_machine.shift(timedelta(hours=2))
    response = as_user(senior).get(page(trader))
    facts = response.context["facts"]
    assert (len(facts.active), len(facts.past)) == (0, 1)
