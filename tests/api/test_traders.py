"""GET /api/v1/traders/{external_id}/ and the account restrictions under it (v1.1)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.auth.models import User
from django.utils import timezone

from cases import lifecycle
from cases.models import AccountRestriction, AccountSignal, OutboxEvent, Trader
from cases.services import signals_ingest
from tests.factories import OrderFactory, TraderFactory, appeal_in, propose, staff_user

from .payloads import API, ISO_WITH_OFFSET, assert_error

pytestmark = pytest.mark.django_db

BODY = {"functions": ["withdrawal", "p2p"], "reason": "Chargebacks on three orders."}


@pytest.fixture
def trader() -> Trader:
    return TraderFactory(
        external_id="T-API", display_name="mule", kyc_name="Li Wei", country="CN", language="zh"
    )


def url(trader: Trader, rest: str = "") -> str:
    return f"{API}/traders/{trader.external_id}/{rest}"


def signal(
    trader: Trader, kind: str, value: str, minutes_ago: int = 0, **sighting: str
) -> AccountSignal:
    """Report a signal as the exchange does (the ingest also joins the clusters)."""
    seen = timezone.now() - timedelta(minutes=minutes_ago)
    reporter = User.objects.filter(username="svc-signals").first() or staff_user(
        "service_account", username="svc-signals"
    )
    signals_ingest(
        trader=trader,
        signals=[{"kind": kind, "value": value, "seen_at": seen, **sighting}],
        actor=reporter,
    )
    return AccountSignal.objects.get(trader=trader, kind=kind, value=value)


# --- reading ----------------------------------------------------------------------------


def test_a_trader_reads_as_the_contract_says(login, auditor, senior, trader, arbitrator):
    lifted = lifecycle.restriction_add(
        actor=senior, trader=trader, functions=["login"], reason="Takeover."
    )
    lifecycle.restriction_lift(actor=senior, restriction_id=lifted.pk, reason="Owner back.")
    until = timezone.now() + timedelta(days=2)
    active = lifecycle.restriction_add(
        actor=senior, trader=trader, functions=["p2p"], reason="Fake receipts.", until=until
    )
    signal(trader, "device", "dev-1", minutes_ago=30)
    signal(trader, "ip", "10.0.0.1", minutes_ago=5, country="VN", event="login")
    other = TraderFactory(external_id="T-OTHER")
    signal(other, "device", "dev-1")
    signal(other, "ip", "10.0.0.1")
    signal(TraderFactory(external_id="T-THIRD"), "ip", "10.0.0.1")
    signal(TraderFactory(external_id="T-APART"), "ip", "10.9.9.9")
    # The trader opened one appeal as buyer and lost it; a second, as seller, is open.
    lost = appeal_in("in_review", worker=arbitrator, order=OrderFactory(buyer=trader))
    propose(lost, arbitrator, outcome="return_to_seller")
    appeal_in("open", order=OrderFactory(seller=trader), opened_by="buyer")

    response = login(auditor).get(url(trader))

    assert response.status_code == 200, response.content
    body = response.json()
    assert {k: body[k] for k in ("external_id", "display_name", "kyc_name", "country")} == {
        "external_id": "T-API",
        "display_name": "mule",
        "kyc_name": "Li Wei",
        "country": "CN",
    }
    assert body["language"] == "zh"
    assert body["restrictions"] == [
        {
            "id": active.pk,
            "functions": ["p2p"],
            "reason": "Fake receipts.",
            "until": body["restrictions"][0]["until"],
            "active": True,
        },
        {
            "id": lifted.pk,
            "functions": ["login"],
            "reason": "Takeover.",
            "until": None,
            "active": False,
        },
    ]
    assert ISO_WITH_OFFSET.match(body["restrictions"][0]["until"])
    assert [(s["kind"], s["value"]) for s in body["signals"]] == [
        ("ip", "10.0.0.1"),
        ("device", "dev-1"),
    ]
    assert set(body["signals"][0]) == {"kind", "value", "seen_at", "country", "event"}
    assert (body["signals"][0]["country"], body["signals"][0]["event"]) == ("VN", "login")
    assert (body["signals"][1]["country"], body["signals"][1]["event"]) == (None, None)
    assert body["linked"] == [
        {"external_id": "T-OTHER", "via": ["ip", "device"]},
        {"external_id": "T-THIRD", "via": ["ip"]},
    ]
    assert body["appeals"] == {"opened": 1, "lost": 1}


def test_a_proposal_is_not_a_restriction_yet(login, risk_analyst, trader):
    lifecycle.restriction_propose(
        actor=risk_analyst, trader=trader, functions=["p2p"], reason="Linked to mules."
    )
    assert login(risk_analyst).get(url(trader)).json()["restrictions"] == []


def test_service_tokens_may_not_read_traders(service_api, trader):
    assert_error(service_api.get(url(trader)), 403)


def test_an_unknown_trader_is_404(login, auditor):
    assert_error(login(auditor).get(f"{API}/traders/T-NOBODY/"), 404)


def test_a_trader_costs_the_same_queries_with_many_rows(
    login, auditor, senior, trader, django_assert_max_num_queries
):
    client = login(auditor)
    client.get(url(trader))  # the session and role caches warm
    for i in range(30):
        lifecycle.restriction_add(actor=senior, trader=trader, functions=["p2p"], reason=f"r{i}")
        signal(trader, "ip", f"10.1.0.{i}")
        signal(TraderFactory(), "ip", f"10.1.0.{i}")
    # Measured 10: the session, user and roles, then the trader and its six reads (the
    # sightings and their first-seen times are two).
    with django_assert_max_num_queries(11):
        response = client.get(url(trader))
    assert len(response.json()["restrictions"]) == 30
    assert len(response.json()["linked"]) == 30


# --- restricting ------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["senior_arbitrator", "team_lead"])
def test_seniors_and_leads_restrict(role, make_user, login, trader):
    response = login(make_user(role)).post(url(trader, "restrictions/"), BODY, format="json")

    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["functions"], body["reason"], body["until"], body["active"]) == (
        ["withdrawal", "p2p"],
        "Chargebacks on three orders.",
        None,
        True,
    )
    [event] = OutboxEvent.objects.filter(type="account.action_taken")
    assert {k: event.data[k] for k in ("trader", "functions", "until", "reason")} == {
        "trader": "T-API",
        "functions": ["withdrawal", "p2p"],
        "until": None,
        "reason": "Chargebacks on three orders.",
    }
    assert Trader.objects.get(pk=trader.pk).is_restricted()


@pytest.mark.parametrize("role", ["arbitrator", "risk_analyst", "auditor", "service", "nobody"])
def test_other_callers_get_403_and_nothing_changes(role, role_api, trader):
    assert_error(role_api(role).post(url(trader, "restrictions/"), BODY, format="json"), 403)
    assert not AccountRestriction.objects.exists()


def test_restricting_an_unknown_trader_is_404(login, senior):
    response = login(senior).post(f"{API}/traders/T-NOBODY/restrictions/", BODY, format="json")
    assert_error(response, 404)


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"functions": [], "reason": "x"}, "functions"),
        ({"functions": ["trade"], "reason": "x"}, "functions"),
        ({"functions": "p2p", "reason": "x"}, "functions"),
        ({"reason": "x"}, "functions"),
        ({"functions": ["p2p"]}, "reason"),
        ({"functions": ["p2p"], "reason": "   "}, "reason"),
        ({"functions": ["p2p"], "reason": "x", "until": "2020-01-01T00:00:00Z"}, "until"),
        ({"functions": ["p2p"], "reason": "x", "until": "2030-01-01T00:00:00"}, "until"),
        ({"functions": ["p2p"], "reason": "x", "until": "soon"}, "until"),
    ],
)
def test_bad_input_is_400_and_changes_nothing(body, field, login, senior, trader):
    assert_error(login(senior).post(url(trader, "restrictions/"), body, format="json"), 400, field)
    assert not AccountRestriction.objects.exists()
    assert not OutboxEvent.objects.exists()


# --- lifting ----------------------------------------------------------------------------


def test_lifting_through_the_api(login, senior, lead, trader):
    restriction = lifecycle.restriction_add(
        actor=senior, trader=trader, functions=["withdrawal"], reason="Mule."
    )
    lift = url(trader, f"restrictions/{restriction.pk}/lift/")

    response = login(lead).post(lift, {"reason": "Cleared by compliance."}, format="json")

    assert response.status_code == 200, response.content
    assert response.json()["active"] is False
    lifted = OutboxEvent.objects.get(type="account.action_taken", data__lifted=True)
    assert (lifted.data["trader"], lifted.data["functions"]) == ("T-API", ["withdrawal"])
    assert_error(login(lead).post(lift, {"reason": "Again."}, format="json"), 409)


def test_lifting_needs_a_reason_the_role_and_the_right_trader(
    login, senior, arbitrator, service_api, trader
):
    restriction = lifecycle.restriction_add(
        actor=senior, trader=trader, functions=["withdrawal"], reason="Mule."
    )
    lift = url(trader, f"restrictions/{restriction.pk}/lift/")
    elsewhere = f"{API}/traders/{TraderFactory().external_id}/restrictions/{restriction.pk}/lift/"

    assert_error(login(senior).post(lift, {}, format="json"), 400, "reason")
    assert_error(login(arbitrator).post(lift, {"reason": "x"}, format="json"), 403)
    assert_error(service_api.post(lift, {"reason": "x"}, format="json"), 403)
    assert_error(login(senior).post(elsewhere, {"reason": "x"}, format="json"), 404)
    assert AccountRestriction.objects.get(pk=restriction.pk).is_active()
