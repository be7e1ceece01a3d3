"""POST /api/v1/orders/ (upsert by external_id) and GET /api/v1/orders/{external_id}/."""

from __future__ import annotations

import pytest

from cases.models import Order, Trader

from .payloads import (
    API,
    DECIMAL_STRING,
    ISO_WITH_OFFSET,
    assert_error,
    order_payload,
    trader_payload,
)

pytestmark = pytest.mark.django_db


def test_it_creates_an_order_with_201(service_api):
    response = service_api.post(f"{API}/orders/", order_payload("ORD-1"), format="json")

    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["external_id"] == "ORD-1"
    assert body["buyer"]["external_id"] == "ORD-1-B"
    assert body["seller"] == {
        "external_id": "ORD-1-S",
        "display_name": "name of ORD-1-S",
        "kyc_name": "KYC ORD-1-S",
        "country": "CN",
        "language": "zh-hans",
    }
    assert body["status"] == "paid"
    order = Order.objects.get(external_id="ORD-1")
    assert (order.buyer.external_id, order.seller.external_id) == ("ORD-1-B", "ORD-1-S")
    assert Trader.objects.count() == 2


def test_it_answers_decimals_as_strings_and_timestamps_with_an_offset(service_api):
    service_api.post(f"{API}/orders/", order_payload("ORD-1"), format="json")

    body = service_api.get(f"{API}/orders/ORD-1/").json()

    assert body["crypto_amount"] == "500.00000000"
    assert body["fiat_amount"] == "3600.00"
    assert body["price"] == "7.20000000"
    for field in ("crypto_amount", "fiat_amount", "price"):
        assert isinstance(body[field], str) and DECIMAL_STRING.match(body[field]), body[field]
    # 10:00 in Shanghai is 02:00 UTC.
    assert body["created_at"] == "2026-11-21T02:00:00Z"
    assert ISO_WITH_OFFSET.match(body["paid_at"])
    assert body["released_at"] is None


def test_it_keeps_decimal_precision_exactly(service_api):
    payload = order_payload("ORD-1", crypto_amount="12345.12345678", price="0.00000001")

    body = service_api.post(f"{API}/orders/", payload, format="json").json()

    assert body["crypto_amount"] == "12345.12345678"
    assert body["price"] == "0.00000001"


def test_posting_the_same_order_again_updates_it_with_200(service_api):
    service_api.post(f"{API}/orders/", order_payload("ORD-1"), format="json")
    again = order_payload(
        "ORD-1",
        status="released",
        released_at="2026-11-21T11:00:00+08:00",
        buyer=trader_payload("ORD-1-B", display_name="renamed buyer"),
    )

    response = service_api.post(f"{API}/orders/", again, format="json")

    assert response.status_code == 200, response.json()
    assert response.json()["status"] == "released"
    assert response.json()["released_at"] == "2026-11-21T03:00:00Z"
    assert Order.objects.filter(external_id="ORD-1").count() == 1
    assert Order.objects.get().status == "released"
    assert Trader.objects.count() == 2
    assert Trader.objects.get(external_id="ORD-1-B").display_name == "renamed buyer"


def test_traders_are_upserted_by_external_id_across_orders(service_api):
    first = order_payload("ORD-1")
    second = order_payload("ORD-2", buyer=first["buyer"])

    service_api.post(f"{API}/orders/", first, format="json")
    response = service_api.post(f"{API}/orders/", second, format="json")

    assert response.status_code == 201
    assert Trader.objects.count() == 3
    assert Order.objects.get(external_id="ORD-2").buyer.external_id == "ORD-1-B"


def test_get_of_an_unknown_order_is_404(service_api):
    assert_error(service_api.get(f"{API}/orders/NOPE/"), 404)


def test_an_invalid_seller_leaves_no_trader_and_no_order(service_api):
    payload = order_payload("ORD-1", seller={"external_id": "S-1"})  # no display_name

    response = service_api.post(f"{API}/orders/", payload, format="json")

    assert_error(response, 400, "seller")
    assert not Order.objects.exists()
    assert not Trader.objects.exists()


def test_a_changed_seller_is_refused_and_nothing_of_the_request_is_kept(service_api):
    service_api.post(f"{API}/orders/", order_payload("ORD-1"), format="json")
    changed = order_payload(
        "ORD-1",
        status="released",
        buyer=trader_payload("ORD-1-B", display_name="renamed buyer"),
        seller=trader_payload("SOMEONE-ELSE"),
    )

    response = service_api.post(f"{API}/orders/", changed, format="json")

    assert_error(response, 409)
    # The new seller and the buyer's new name were written before the conflict was found;
    # the transaction took them back with it.
    assert not Trader.objects.filter(external_id="SOMEONE-ELSE").exists()
    assert Trader.objects.get(external_id="ORD-1-B").display_name == "name of ORD-1-B"
    assert Order.objects.get(external_id="ORD-1").status == "paid"


def test_buyer_and_seller_must_differ(service_api):
    payload = order_payload("ORD-1")
    payload["seller"] = payload["buyer"]

    assert_error(service_api.post(f"{API}/orders/", payload, format="json"), 400, "seller")
    assert not Order.objects.exists()
    assert not Trader.objects.exists()


@pytest.mark.parametrize("field", ["created_at", "paid_at", "released_at"])
def test_a_naive_timestamp_is_refused(service_api, field):
    payload = order_payload("ORD-1", **{field: "2026-11-21T10:00:00"})

    body = assert_error(service_api.post(f"{API}/orders/", payload, format="json"), 400, field)

    assert "offset" in body["errors"][field][0]
    assert not Order.objects.exists()


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("crypto_amount", "0"),
        ("crypto_amount", "-5"),
        ("crypto_amount", "abc"),
        ("fiat_amount", "1.234"),
        ("price", "1e400"),
        ("status", "lost"),
        ("created_at", "yesterday"),
        ("asset", ""),
    ],
)
def test_bad_values_are_refused_naming_the_field(service_api, field, value):
    payload = order_payload("ORD-1", **{field: value})

    assert_error(service_api.post(f"{API}/orders/", payload, format="json"), 400, field)
    assert not Order.objects.exists()
    assert not Trader.objects.exists()


@pytest.mark.parametrize("field", ["external_id", "buyer", "seller", "crypto_amount", "created_at"])
def test_a_missing_field_is_named(service_api, field):
    payload = order_payload("ORD-1")
    del payload[field]

    assert_error(service_api.post(f"{API}/orders/", payload, format="json"), 400, field)


def test_nested_errors_name_the_inner_field_in_plain_words(service_api):
    payload = order_payload("ORD-1", seller={"external_id": "S-1"})

    response = service_api.post(f"{API}/orders/", payload, format="json")

    body = assert_error(response, 400)
    # The client must learn that seller.display_name is missing, in words, not a Python
    # repr of DRF's internals.
    assert "ErrorDetail" not in response.content.decode()
    assert any("display_name" in key for key in body["errors"]), body["errors"]
