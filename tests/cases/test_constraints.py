"""What the database itself refuses, whatever code writes the row."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from arbitration.exceptions import Conflict
from cases.lifecycle import appeal_open
from cases.models import (
    AccountAction,
    AccountSignal,
    Appeal,
    ChatMessage,
    Order,
    Rule,
    Verdict,
    WebhookDelivery,
    WebhookSubscriber,
)
from cases.outbox import event_emit
from tests.factories import OrderFactory, TraderFactory, appeal_in, open_appeal

pytestmark = pytest.mark.django_db

S = Appeal.Status


def raw_appeal(order: Order, **fields) -> Appeal:
    """An appeal written straight with the ORM, past every check of the lifecycle."""
    now = timezone.now()
    return Appeal.objects.create(
        order=order,
        opened_by="buyer",
        reason="other",
        first_response_due_at=now,
        resolution_due_at=now,
        **fields,
    )


def raw_verdict(appeal: Appeal, *, state: str, decided_by, **fields) -> Verdict:
    return Verdict.objects.create(
        appeal=appeal,
        outcome="no_action",
        responsible_party="none",
        rule=Rule.objects.get(code="P2P-8.1"),
        rationale="Settled.",
        state=state,
        decided_by=decided_by,
        effective_at=timezone.now() if state == Verdict.State.EFFECTIVE else None,
        **fields,
    )


# --- one unresolved appeal per order ------------------------------------------------------


@pytest.mark.parametrize("status", [S.OPEN, S.IN_REVIEW, S.PENDING_APPROVAL])
def test_the_database_refuses_a_second_unresolved_appeal_on_an_order(status):
    first = appeal_in(status)
    with transaction.atomic(), pytest.raises(IntegrityError):
        raw_appeal(first.order)


def test_opening_a_second_appeal_is_a_conflict(nothing_written):
    first = open_appeal()
    with nothing_written(), pytest.raises(Conflict):
        appeal_open(order=first.order, opened_by="seller", reason="payment_not_received")


@pytest.mark.parametrize("status", [S.RESOLVED, S.CANCELLED])
def test_a_new_appeal_is_allowed_once_the_first_is_closed(status):
    first = appeal_in(status)

    second = appeal_open(order=first.order, opened_by="seller", reason="chargeback")

    assert second.pk != first.pk
    assert first.order.appeals.count() == 2
    # ... and the new one is again the only unresolved appeal.
    with transaction.atomic(), pytest.raises(IntegrityError):
        raw_appeal(first.order)


def test_the_risk_score_is_at_most_100():
    appeal = open_appeal()
    Appeal.objects.filter(pk=appeal.pk).update(risk_score=100)
    with transaction.atomic(), pytest.raises(IntegrityError):
        Appeal.objects.filter(pk=appeal.pk).update(risk_score=101)


# --- verdicts -----------------------------------------------------------------------------

LIVE = [Verdict.State.PENDING, Verdict.State.EFFECTIVE]


@pytest.mark.parametrize("existing", LIVE)
@pytest.mark.parametrize("second", LIVE)
def test_an_appeal_has_at_most_one_live_verdict(existing, second, arbitrator, arbitrator2):
    appeal = open_appeal()
    raw_verdict(appeal, state=existing, decided_by=arbitrator)
    with transaction.atomic(), pytest.raises(IntegrityError):
        raw_verdict(appeal, state=second, decided_by=arbitrator2)


@pytest.mark.parametrize("dead", [Verdict.State.SENT_BACK, Verdict.State.WITHDRAWN])
def test_sent_back_and_withdrawn_verdicts_leave_room_for_a_new_one(dead, arbitrator):
    appeal = open_appeal()
    raw_verdict(appeal, state=dead, decided_by=arbitrator)
    raw_verdict(appeal, state=dead, decided_by=arbitrator)
    raw_verdict(appeal, state=Verdict.State.PENDING, decided_by=arbitrator)
    assert appeal.verdicts.count() == 3


def test_nobody_approves_their_own_verdict(senior):
    appeal = open_appeal()
    with transaction.atomic(), pytest.raises(IntegrityError):
        raw_verdict(appeal, state=Verdict.State.EFFECTIVE, decided_by=senior, approved_by=senior)


def test_an_effective_verdict_has_a_time(arbitrator):
    verdict = raw_verdict(open_appeal(), state=Verdict.State.PENDING, decided_by=arbitrator)
    with transaction.atomic(), pytest.raises(IntegrityError):
        Verdict.objects.filter(pk=verdict.pk).update(state=Verdict.State.EFFECTIVE)


# --- orders -------------------------------------------------------------------------------


def test_an_order_needs_two_different_parties():
    trader = TraderFactory()
    with transaction.atomic(), pytest.raises(IntegrityError):
        OrderFactory(buyer=trader, seller=trader)


@pytest.mark.parametrize("field", ["crypto_amount", "fiat_amount", "price"])
@pytest.mark.parametrize("value", [Decimal("0"), Decimal("-1")])
def test_order_amounts_are_positive(field, value):
    with transaction.atomic(), pytest.raises(IntegrityError):
        OrderFactory(**{field: value})


def test_order_external_ids_are_unique():
    OrderFactory(external_id="ORD-1")
    with transaction.atomic(), pytest.raises(IntegrityError):
        OrderFactory(external_id="ORD-1")


# --- chat, signals, account actions, webhooks ---------------------------------------------


def test_a_chat_message_is_stored_once():
    order, other = OrderFactory(), OrderFactory()
    fields = {"sender": "buyer", "sent_at": timezone.now(), "text": "paid"}
    ChatMessage.objects.create(order=order, external_id="MSG-1", **fields)
    with transaction.atomic(), pytest.raises(IntegrityError):
        ChatMessage.objects.create(order=other, external_id="MSG-1", **fields)


def test_a_signal_is_stored_once_per_trader():
    trader = TraderFactory()
    now = timezone.now()
    fields = {"kind": "ip", "value": "203.0.113.7", "first_seen_at": now, "last_seen_at": now}
    AccountSignal.objects.create(trader=trader, **fields)
    AccountSignal.objects.create(trader=TraderFactory(), **fields)  # shared IPs link accounts
    with transaction.atomic(), pytest.raises(IntegrityError):
        AccountSignal.objects.create(trader=trader, **fields)


@pytest.mark.parametrize("days", [None, 0])
def test_a_restriction_has_a_length(days, lead):
    with transaction.atomic(), pytest.raises(IntegrityError):
        AccountAction.objects.create(
            trader=TraderFactory(), kind="p2p_restriction", days=days, taken_by=lead
        )


def test_an_event_is_delivered_once_per_subscriber():
    subscriber = WebhookSubscriber.objects.create(
        url="https://escrow.example/hooks", secret="s" * 32, events=["verdict.issued"]
    )
    with transaction.atomic():
        event = event_emit(type="verdict.issued", data={})
    assert event.deliveries.count() == 1
    with transaction.atomic(), pytest.raises(IntegrityError):
        WebhookDelivery.objects.create(event=event, subscriber=subscriber)
