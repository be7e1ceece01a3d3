"""What the exchange's services send, and what the contract says comes back."""

from __future__ import annotations

import re
from typing import Any

from rest_framework.response import Response

API = "/api/v1"

# ISO 8601 with a UTC offset ("Z" or "+08:00"): the contract's only timestamp form.
ISO_WITH_OFFSET = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$")
# A decimal string: digits, a point, digits. Never a JSON number.
DECIMAL_STRING = re.compile(r"^-?\d+\.\d+$")

VERDICT_BODY = {
    "outcome": "release_to_buyer",
    "responsible_party": "seller",
    "rule": "P2P-1.1",
    "rationale": "The buyer's bank statement shows the full amount paid in time.",
}


def trader_payload(external_id: str, **fields: Any) -> dict[str, Any]:
    return {
        "external_id": external_id,
        "display_name": f"name of {external_id}",
        "kyc_name": f"KYC {external_id}",
        "country": "CN",
        "language": "zh-hans",
        **fields,
    }


def order_payload(external_id: str = "ORD-API-1", **fields: Any) -> dict[str, Any]:
    """An order as the P2P order service posts it: 500 USDT for 3600 CNY, paid."""
    return {
        "external_id": external_id,
        "buyer": trader_payload(f"{external_id}-B"),
        "seller": trader_payload(f"{external_id}-S"),
        "asset": "USDT",
        "crypto_amount": "500",
        "fiat_currency": "CNY",
        "fiat_amount": "3600.00",
        "price": "7.2",
        "payment_method": "alipay",
        "status": "paid",
        "created_at": "2026-11-21T10:00:00+08:00",
        "paid_at": "2026-11-21T10:05:00+08:00",
        "released_at": None,
        **fields,
    }


def message(
    external_id: str,
    *,
    text: str = "hello",
    sender: str = "buyer",
    sent_at: str = "2026-11-21T10:06:00+08:00",
) -> dict[str, Any]:
    return {"external_id": external_id, "sender": sender, "sent_at": sent_at, "text": text}


def appeal_payload(order: str, **fields: Any) -> dict[str, Any]:
    return {
        "order": order,
        "opened_by": "buyer",
        "reason": "crypto_not_released",
        "description": "I paid 3600 CNY by Alipay; the seller does not release.",
        **fields,
    }


def assert_error(response: Response, status: int, *fields: str) -> dict[str, Any]:
    """The error envelope {"detail", "code", "errors": {field: [why]}} naming `fields`."""
    assert response.status_code == status, (response.status_code, response.content[:500])
    body = response.json()
    assert set(body) >= {"detail", "code", "errors"}, body
    assert isinstance(body["detail"], str) and body["detail"], body
    for field in fields:
        # "seller" is named by "seller" itself or by a nested key ("seller.display_name").
        keys = [k for k in body["errors"] if k == field or k.startswith((f"{field}.", f"{field}["))]
        assert keys, (field, body)
        for key in keys:
            assert body["errors"][key] and all(
                isinstance(why, str) and why for why in body["errors"][key]
            ), body
    return body


def walk(client: Any, url: str) -> list[dict[str, Any]]:
    """Follow `next` links from `url` to the end; every page has the paginated shape."""
    results: list[dict[str, Any]] = []
    pages = 0
    while url:
        response = client.get(url)
        assert response.status_code == 200, response.content[:500]
        body = response.json()
        assert set(body) == {"next", "previous", "results"}, body.keys()
        results.extend(body["results"])
        url = body["next"]
        pages += 1
        assert pages < 1000, "pagination does not end"
    return results
