"""The exchange's facts come in idempotently: orders, traders, chat and account signals."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from arbitration.exceptions import Conflict, InvalidInput
from cases.models import AccountSignal, AuditEntry, ChatMessage, Order, Trader
from cases.services import chat_ingest, order_upsert, signals_ingest, trader_upsert
from tests.factories import ChatMessageDataFactory, OrderFactory, TraderFactory

pytestmark = pytest.mark.django_db

T0 = datetime(2025, 3, 3, 4, 0, tzinfo=UTC)


def order_payload(**overrides: Any) -> dict[str, Any]:
    return {
        "external_id": "ORD-42",
        "buyer": {"external_id": "B-1", "display_name": "buyer one", "kyc_name": "Li Wei"},
        "seller": {"external_id": "S-1", "display_name": "seller one", "country": "CN"},
        "asset": "USDT",
        "crypto_amount": Decimal("500.00"),
        "fiat_currency": "CNY",
        "fiat_amount": Decimal("3600.00"),
        "price": Decimal("7.20"),
        "payment_method": "alipay",
        "status": "paid",
        "created_at": T0,
        "paid_at": T0 + timedelta(minutes=3),
        **overrides,
    }


# --- orders -------------------------------------------------------------------------------


def test_an_order_given_as_strings_comes_back_typed_and_unchanged_on_repeat(
    service_account,
):
    """Callers outside the API (scripts, the benchmark) pass what JSON would: strings. The
    order handed back holds Decimals and datetimes, and the same strings again change
    nothing (compared typed, "500" is 500.00)."""
    as_strings = order_payload(
        crypto_amount="500",
        fiat_amount="3600.0",
        price="7.2",
        created_at=T0.isoformat(),
        paid_at=(T0 + timedelta(minutes=3)).isoformat(),
    )
    order, created = order_upsert(actor=service_account, **as_strings)

    assert created
    assert order.crypto_amount == Decimal("500") and isinstance(order.crypto_amount, Decimal)
    assert order.price > Decimal("7")  # the comparison four_eyes_required makes
    assert order.created_at == T0

    again, created = order_upsert(actor=service_account, **as_strings)
    assert not created
    assert again.crypto_amount == Decimal("500")
    assert list(AuditEntry.objects.values_list("action", flat=True)) == ["order.created"]


def test_an_order_is_created_then_updated(service_account):
    order, created = order_upsert(actor=service_account, **order_payload())
    assert created
    assert (order.buyer.external_id, order.seller.external_id) == ("B-1", "S-1")
    assert order.buyer.kyc_name == "Li Wei"

    again, created = order_upsert(
        actor=service_account,
        **order_payload(status="released", released_at=T0 + timedelta(hours=1)),
    )

    assert not created
    assert again.pk == order.pk
    assert Order.objects.count() == 1
    order.refresh_from_db()
    assert (order.status, order.released_at) == ("released", T0 + timedelta(hours=1))
    assert list(AuditEntry.objects.values_list("action", flat=True)) == [
        "order.created",
        "order.updated",
    ]
    updated = AuditEntry.objects.get(action="order.updated")
    assert updated.before == {"status": "paid", "released_at": None}
    assert updated.after["status"] == "released"


def test_re_sending_an_unchanged_order_writes_nothing(service_account, nothing_written):
    order_upsert(actor=service_account, **order_payload())
    with nothing_written():
        _, created = order_upsert(actor=service_account, **order_payload())
    assert not created
    assert Order.objects.count() == 1


def test_the_parties_of_an_order_cannot_change(service_account, nothing_written):
    order_upsert(actor=service_account, **order_payload())
    other_seller = {"external_id": "S-2", "display_name": "someone else"}
    with nothing_written(), pytest.raises(Conflict):
        order_upsert(actor=service_account, **order_payload(seller=other_seller))
    assert not Trader.objects.filter(external_id="S-2").exists()


def test_buyer_and_seller_must_differ(service_account, nothing_written):
    same = {"external_id": "B-1", "display_name": "me"}
    with nothing_written(), pytest.raises(InvalidInput):
        order_upsert(actor=service_account, **order_payload(buyer=same, seller=same))
    assert not Order.objects.exists()


def test_traders_are_shared_across_orders(service_account):
    order_upsert(actor=service_account, **order_payload())
    order_upsert(
        actor=service_account,
        **order_payload(
            external_id="ORD-43",
            buyer={"external_id": "S-1", "display_name": "seller one"},
            seller={"external_id": "B-1", "display_name": "buyer one"},
        ),
    )
    assert Trader.objects.count() == 2
    assert Order.objects.count() == 2


# --- traders ------------------------------------------------------------------------------


def test_a_trader_is_created_then_updated():
    created = trader_upsert(external_id="T-1", display_name="first", language="ru")
    updated = trader_upsert(external_id="T-1", display_name="renamed", kyc_name="Ivan Petrov")

    assert updated.pk == created.pk
    assert Trader.objects.count() == 1
    trader = Trader.objects.get()
    assert (trader.display_name, trader.kyc_name, trader.language) == (
        "renamed",
        "Ivan Petrov",
        "ru",
    )


def test_a_missing_trader_field_keeps_its_value():
    trader_upsert(external_id="T-1", display_name="first", country="DE")
    trader_upsert(external_id="T-1", display_name="first", country=None)
    assert Trader.objects.get().country == "DE"


def test_only_known_trader_fields_are_written():
    trader_upsert(external_id="T-1", display_name="x", frozen=True, p2p_restricted_until=T0)
    trader = Trader.objects.get()
    assert not trader.frozen
    assert trader.p2p_restricted_until is None


# --- chat ---------------------------------------------------------------------------------


def test_a_chat_batch_is_stored_once():
    order = OrderFactory()
    batch = ChatMessageDataFactory.create_batch(3)

    assert chat_ingest(order=order, messages=batch) == (3, 0)
    assert chat_ingest(order=order, messages=batch) == (0, 3)

    assert ChatMessage.objects.filter(order=order).count() == 3


def test_a_repeat_inside_a_batch_is_a_duplicate_and_the_first_copy_wins():
    order = OrderFactory()
    first = ChatMessageDataFactory(text="first copy")
    other = ChatMessageDataFactory()
    repeat = {**first, "text": "second copy"}

    assert chat_ingest(order=order, messages=[first, other, repeat]) == (2, 1)

    assert ChatMessage.objects.get(external_id=first["external_id"]).text == "first copy"


def test_a_partly_new_batch_stores_only_the_new_messages():
    order = OrderFactory()
    old = ChatMessageDataFactory.create_batch(2)
    chat_ingest(order=order, messages=old)
    new = ChatMessageDataFactory.create_batch(2)

    assert chat_ingest(order=order, messages=[*old, *new]) == (2, 2)
    assert ChatMessage.objects.count() == 4


def test_an_empty_chat_batch_stores_nothing():
    assert chat_ingest(order=OrderFactory(), messages=[]) == (0, 0)


def test_chat_is_read_in_time_order():
    order = OrderFactory()
    late = ChatMessageDataFactory(sent_at=T0 + timedelta(minutes=5), text="late")
    early = ChatMessageDataFactory(sent_at=T0, text="early")
    chat_ingest(order=order, messages=[late, early])
    assert [m.text for m in order.messages.all()] == ["early", "late"]


# --- account signals ----------------------------------------------------------------------


def signal(kind: str, value: str, seen_at: datetime) -> dict[str, Any]:
    return {"kind": kind, "value": value, "seen_at": seen_at}


def test_signals_are_recorded_once():
    trader = TraderFactory()
    batch = [signal("ip", "203.0.113.7", T0), signal("device", "a1b2c3", T0)]

    assert signals_ingest(trader=trader, signals=batch) == (2, 0)
    assert signals_ingest(trader=trader, signals=batch) == (0, 0)

    assert AccountSignal.objects.filter(trader=trader).count() == 2


def test_a_known_signal_widens_its_seen_window():
    trader = TraderFactory()
    signals_ingest(trader=trader, signals=[signal("email", "a@b.example", T0)])

    created, updated = signals_ingest(
        trader=trader,
        signals=[
            signal("email", "a@b.example", T0 - timedelta(days=3)),
            signal("email", "a@b.example", T0 + timedelta(days=2)),
            signal("email", "a@b.example", T0),  # inside the window: nothing to do
        ],
    )

    assert (created, updated) == (0, 2)
    stored = AccountSignal.objects.get()
    assert stored.first_seen_at == T0 - timedelta(days=3)
    assert stored.last_seen_at == T0 + timedelta(days=2)


def test_the_same_value_on_two_traders_is_two_signals():
    a, b = TraderFactory(), TraderFactory()
    shared = [signal("payment_account", "6222 0000 1111", T0)]
    signals_ingest(trader=a, signals=shared)
    signals_ingest(trader=b, signals=shared)
    assert set(
        AccountSignal.objects.filter(value="6222 0000 1111").values_list("trader", flat=True)
    ) == {a.pk, b.pk}
