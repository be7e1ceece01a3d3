"""Four-eyes cannot be dodged by rewriting the order: staff do not write the exchange's
facts, and the facts a verdict depends on are frozen while an appeal is unresolved."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from cases.models import Appeal, OutboxEvent, Verdict
from tests.factories import open_appeal

from .payloads import API, VERDICT_BODY, appeal_payload, assert_error, order_payload

pytestmark = pytest.mark.django_db

LARGE = order_payload("ORD-BIG", crypto_amount="50000", fiat_amount="360000.00")


@pytest.fixture
def big_appeal(service_api) -> Appeal:
    assert service_api.post(f"{API}/orders/", LARGE, format="json").status_code == 201
    response = service_api.post(f"{API}/appeals/", appeal_payload("ORD-BIG"), format="json")
    assert response.status_code == 201
    return Appeal.objects.get(pk=response.json()["id"])


def test_the_attack_lower_decide_restore_no_longer_works(big_appeal, arbitrator_api):
    """As reported: an arbitrator lowered 50,000 USDT to 1.00 through the orders API,
    issued a verdict that took effect at once, and restored the amount."""
    lowered = {**LARGE, "crypto_amount": "1.00", "fiat_amount": "7.20"}

    assert_error(arbitrator_api.post(f"{API}/orders/", lowered, format="json"), 403)
    response = arbitrator_api.post(
        f"{API}/appeals/{big_appeal.pk}/verdict/", VERDICT_BODY, format="json"
    )

    assert response.status_code == 202  # waits for a second pair of eyes
    assert response.json()["state"] == Verdict.State.PENDING
    assert not OutboxEvent.objects.filter(type="verdict.issued").exists()


@pytest.mark.parametrize("role", ["arbitrator", "senior_arbitrator", "team_lead"])
@pytest.mark.parametrize(
    "write",
    [
        lambda: ("orders/", order_payload("ORD-STAFF")),
        lambda: (
            "orders/ORD-BIG/chat/",
            [
                {
                    "external_id": "M-S",
                    "sender": "seller",
                    "sent_at": "2026-11-21T10:00:00Z",
                    "text": "hi",
                }
            ],
        ),
        lambda: (
            "traders/ORD-BIG-S/signals/",
            [{"kind": "ip", "value": "203.0.113.9", "seen_at": "2026-11-21T10:00:00Z"}],
        ),
    ],
    ids=["order", "chat", "signals"],
)
def test_staff_sessions_do_not_write_the_exchanges_facts(
    big_appeal, role_api, nothing_written, role, write
):
    path, body = write()
    client = role_api(role)
    with nothing_written():
        response = client.post(f"{API}/{path}", body, format="json")
    assert_error(response, 403)


@pytest.mark.parametrize(
    "change",
    [
        {"crypto_amount": "1.00"},
        {"fiat_amount": "7.20"},
        {"price": "0.01"},
        {"asset": "USDC"},
        {"fiat_currency": "USD"},
        {"payment_method": "wechat"},
    ],
    ids=lambda change: next(iter(change)),
)
def test_a_frozen_fact_cannot_change_while_the_appeal_is_unresolved(
    big_appeal, service_api, nothing_written, change
):
    with nothing_written():
        response = service_api.post(f"{API}/orders/", {**LARGE, **change}, format="json")

    body = assert_error(response, 409, next(iter(change)))
    assert body["code"] == "conflict"


def test_a_refused_upsert_does_not_touch_the_traders_either(big_appeal, service_api):
    buyer = {**LARGE["buyer"], "kyc_name": "Somebody Else"}
    response = service_api.post(
        f"{API}/orders/", {**LARGE, "buyer": buyer, "crypto_amount": "1.00"}, format="json"
    )

    assert response.status_code == 409
    big_appeal.order.buyer.refresh_from_db()
    assert big_appeal.order.buyer.kyc_name == LARGE["buyer"]["kyc_name"]


def test_the_parties_cannot_change(big_appeal, service_api, nothing_written):
    other = {**LARGE, "seller": {**LARGE["seller"], "external_id": "SOMEONE-ELSE"}}
    with nothing_written():
        response = service_api.post(f"{API}/orders/", other, format="json")
    assert_error(response, 409, "buyer")


def test_status_and_timestamps_still_move(big_appeal, service_api):
    moved = {**LARGE, "status": "appealed", "paid_at": "2026-11-21T10:07:00+08:00"}

    response = service_api.post(f"{API}/orders/", moved, format="json")

    assert response.status_code == 200
    assert response.json()["status"] == "appealed"


def test_the_facts_move_again_once_the_appeal_is_resolved(big_appeal, service_api):
    from cases import lifecycle

    lifecycle.appeal_cancel(appeal_id=big_appeal.pk, actor=None, reason="Settled.")

    response = service_api.post(
        f"{API}/orders/", {**LARGE, "payment_method": "wechat"}, format="json"
    )

    assert response.status_code == 200
    assert response.json()["payment_method"] == "wechat"


def test_four_eyes_and_the_event_use_the_amount_frozen_at_opening(make_user, senior):
    """Even if the order's row were lowered behind the service's back (database access),
    the decision and verdict.issued use the appeal's own copy."""
    from cases import lifecycle
    from cases.models import Order
    from tests.factories import OrderFactory

    arbitrator = make_user("arbitrator")
    appeal = open_appeal(order=OrderFactory(crypto_amount=Decimal("50000")))
    Order.objects.filter(pk=appeal.order_id).update(crypto_amount=Decimal("1"))
    lifecycle.appeal_claim(appeal_id=appeal.pk, actor=arbitrator)

    verdict = lifecycle.verdict_propose(
        appeal_id=appeal.pk,
        actor=arbitrator,
        outcome="release_to_buyer",
        responsible_party="seller",
        rule_code="P2P-1.1",
        rationale="Paid in full.",
    )
    assert verdict.state == Verdict.State.PENDING
    lifecycle.verdict_approve(verdict_id=verdict.pk, actor=senior)

    event: Any = OutboxEvent.objects.get(type="verdict.issued")
    assert event.data["crypto_amount"] == "50000.00000000"
    assert event.data["asset"] == "USDT"


# --- appeals come from the parties' channel ---------------------------------------------------


@pytest.mark.parametrize("role", ["arbitrator", "senior_arbitrator", "team_lead"])
def test_staff_cannot_open_an_appeal_in_a_partys_name(role_api, service_api, nothing_written, role):
    service_api.post(f"{API}/orders/", order_payload("ORD-OPEN"), format="json")
    client = role_api(role)
    with nothing_written():
        response = client.post(f"{API}/appeals/", appeal_payload("ORD-OPEN"), format="json")
    assert_error(response, 403)


def test_a_second_verdict_on_a_decided_order_needs_four_eyes(
    service_api, arbitrator_api, make_user
):
    """As reported: after a verdict took effect, a second appeal on the same order got a
    second, opposite verdict from the same arbitrator: two verdict.issued events, funds
    moved twice by one person. A second appeal stays possible (a chargeback after
    release), but its verdict waits for another senior or lead."""
    from cases import lifecycle

    service_api.post(f"{API}/orders/", order_payload("ORD-TWICE"), format="json")
    first = service_api.post(f"{API}/appeals/", appeal_payload("ORD-TWICE"), format="json")
    decided = arbitrator_api.post(
        f"{API}/appeals/{first.json()['id']}/verdict/", VERDICT_BODY, format="json"
    )
    assert decided.status_code == 201
    again = service_api.post(
        f"{API}/appeals/",
        appeal_payload("ORD-TWICE", opened_by="seller", reason="chargeback"),
        format="json",
    )
    assert again.status_code == 201

    second = arbitrator_api.post(
        f"{API}/appeals/{again.json()['id']}/verdict/",
        {
            **VERDICT_BODY,
            "outcome": "return_to_seller",
            "responsible_party": "buyer",
            "rule": "P2P-5.1",
        },
        format="json",
    )

    assert second.status_code == 202
    assert second.json()["requires_approval"] is True
    assert OutboxEvent.objects.filter(type="verdict.issued").count() == 1
    # Only when a senior approves does the second movement go out.
    lifecycle.verdict_approve(verdict_id=second.json()["id"], actor=make_user("senior_arbitrator"))
    assert OutboxEvent.objects.filter(type="verdict.issued").count() == 2


def test_a_plain_arbitrator_cannot_cancel_an_escalated_case(make_user, nothing_written):
    """As reported: escalation clears the assignee, and cancelling was then open to any
    arbitrator: a way around the senior queue."""
    from cases import lifecycle

    from .conftest import session_client

    appeal = open_appeal()
    lifecycle.appeal_escalate(appeal_id=appeal.pk, actor=make_user("arbitrator"), reason="Fraud.")
    arbitrator = session_client(make_user("arbitrator"))
    with nothing_written():
        response = arbitrator.post(f"{API}/appeals/{appeal.pk}/cancel/", {}, format="json")
    assert_error(response, 403)
    senior = session_client(make_user("senior_arbitrator"))
    assert senior.post(f"{API}/appeals/{appeal.pk}/cancel/", {}, format="json").status_code == 200


def test_a_kyc_name_change_is_audited(big_appeal, service_api):
    from cases.models import AuditEntry

    buyer = {**LARGE["buyer"], "kyc_name": "A Different Name"}
    response = service_api.post(f"{API}/orders/", {**LARGE, "buyer": buyer}, format="json")

    assert response.status_code == 200
    entry = AuditEntry.objects.filter(action="trader.updated").latest("seq")
    assert entry.before == {"kyc_name": LARGE["buyer"]["kyc_name"]}
    assert entry.after == {"kyc_name": "A Different Name"}
    assert entry.actor.username == "svc-p2p-order-service"


@pytest.mark.parametrize("when", ["9999-12-31T23:59:59-10:00", "1900-01-01T00:00:00Z"])
def test_a_time_out_of_range_is_refused(service_api, nothing_written, when):
    """9999-12-31T23:59-10:00 is year 10000 in UTC: once stored it could not be read back,
    and every list of appeals answered 500."""
    with nothing_written():
        response = service_api.post(
            f"{API}/orders/", order_payload("ORD-Y10K", created_at=when), format="json"
        )
    assert_error(response, 400, "created_at")


def test_staff_get_a_403_before_their_appeal_body_is_read(arbitrator_api):
    response = arbitrator_api.post(f"{API}/appeals/", {"order": 1}, format="json")
    assert_error(response, 403)
