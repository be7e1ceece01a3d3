"""The error envelope holds for hostile input anywhere under /api/: 4xx in JSON, never a 5xx.

Several of these were 500s found by probing and by Schemathesis (see test_schemathesis.py).
"""

from __future__ import annotations

import base64
import json

import pytest

from cases.models import Order, Trader
from tests.factories import OrderFactory, TraderFactory, open_appeal

from .payloads import API, assert_error, message, order_payload

pytestmark = pytest.mark.django_db


def forged(cursor: str) -> str:
    return base64.b64encode(cursor.encode()).decode()


@pytest.mark.parametrize(
    "path",
    [
        f"{API}/appeals/abc/",
        f"{API}/appeals/1.5/",
        f"{API}/appeals/-1/cancel/",
        f"{API}/appeals/null/evidence/",
        f"{API}/nothing-here/",
    ],
)
def test_a_path_matching_no_route_answers_the_json_envelope(service_api, path):
    response = service_api.get(path)

    assert response["Content-Type"] == "application/json"
    assert_error(response, 404)


def test_a_wrong_method_answers_the_json_envelope(service_api):
    assert_error(service_api.get(f"{API}/orders/"), 405)
    assert_error(service_api.delete(f"{API}/rules/"), 405)


def test_paths_outside_the_api_keep_the_html_404(client):
    response = client.get("/no-such-page/")

    assert response.status_code == 404
    assert "text/html" in response["Content-Type"]


@pytest.mark.parametrize("external_id", ["a%00b", "%00"], ids=["nul_inside", "nul_alone"])
def test_an_external_id_with_a_nul_is_404_not_a_500(service_api, external_id):
    # PostgreSQL text cannot hold NUL; the query itself would fail.
    OrderFactory(external_id="ab")
    TraderFactory(external_id="ab")

    assert_error(service_api.get(f"{API}/orders/{external_id}/"), 404)
    assert_error(service_api.get(f"{API}/orders/{external_id}/chat/"), 404)
    assert_error(
        service_api.post(f"{API}/orders/{external_id}/chat/", [message("M-1")], format="json"),
        404,
    )
    assert_error(service_api.post(f"{API}/traders/{external_id}/signals/", [], format="json"), 404)


@pytest.mark.parametrize(
    ("path", "cursor"),
    [
        (f"{API}/appeals/", "p=not-a-time"),
        (f"{API}/orders/ORD-C/chat/", "p=yesterday"),
        ("evidence", "p=0"),
        (f"{API}/rules/", "p=P2P%00"),
        (f"{API}/appeals/", "o=-5"),
        (f"{API}/appeals/", "not base64 at all"),
    ],
)
def test_a_forged_cursor_is_404_not_a_500(service_api, path, cursor):
    appeal = open_appeal(order=OrderFactory(external_id="ORD-C"))
    if path == "evidence":
        path = f"{API}/appeals/{appeal.pk}/evidence/"
    value = cursor if " " in cursor else forged(cursor)

    body = assert_error(service_api.get(path, {"cursor": value}), 404)

    assert body["detail"] == "Invalid cursor"


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("created_after=0001-01-01T00:00:00%2B01:00", "created_after"),
        ("created_before=9999-12-31T23:59:59-01:00", "created_before"),
    ],
)
def test_a_filter_time_with_no_utc_equivalent_is_400(service_api, query, field):
    open_appeal()

    assert_error(service_api.get(f"{API}/appeals/?{query}"), 400, field)


@pytest.mark.parametrize(
    "field",
    ["created_at", "paid_at"],
)
@pytest.mark.parametrize("value", ["0001-01-01T00:00:00+01:00", "9999-12-31T23:59:59-01:00"])
def test_a_body_time_with_no_utc_equivalent_is_400(service_api, field, value):
    response = service_api.post(
        f"{API}/orders/", order_payload("ORD-T", **{field: value}), format="json"
    )

    assert_error(response, 400, field)
    assert not Order.objects.exists()


@pytest.mark.parametrize(
    ("raw", "field"),
    [
        (b'{"external_id": "ORD-U", "asset": "\\ud800"}', "asset"),
        (b'{"external_id": "ORD-U", "asset": "US\\u0000DT"}', "asset"),
    ],
    ids=["lone_surrogate", "nul_character"],
)
def test_strings_postgres_cannot_store_are_400(service_api, raw, field):
    payload = order_payload("ORD-U")
    body = json.dumps(payload).encode()
    # Splice the hostile value in as raw JSON text: the test client could not encode it.
    body = body.replace(b'"asset": "USDT"', raw.split(b", ", 1)[1].rstrip(b"}"))

    response = service_api.generic("POST", f"{API}/orders/", body, content_type="application/json")

    assert_error(response, 400, field)
    assert not Order.objects.exists()
    assert not Trader.objects.exists()


@pytest.mark.parametrize(
    "body",
    [b"{", b"", b"null", b"[1, 2", b'{"a": NaN}', b"\xff\xfe"],
    ids=["truncated", "empty", "null", "unclosed_list", "nan", "not_utf8"],
)
def test_malformed_json_is_400(service_api, body):
    response = service_api.generic("POST", f"{API}/orders/", body, content_type="application/json")

    assert_error(response, 400)
    assert not Order.objects.exists()


def test_an_unsupported_content_type_is_415(service_api):
    response = service_api.generic(
        "POST", f"{API}/orders/", b"<order/>", content_type="application/xml"
    )

    assert_error(response, 415)
