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


# --- bad input is a 4xx, never a 5xx (issue 8) ---------------------------------------------


@pytest.mark.parametrize("field", ["created_at", "paid_at", "released_at"])
def test_an_impossible_date_in_a_body_is_400(service_api, nothing_written, field):
    """2026-02-30 is well-formed and impossible: Django's parser raises, which was a 500."""
    with nothing_written():
        response = service_api.post(
            f"{API}/orders/",
            order_payload("ORD-FEB", **{field: "2026-02-30T10:00:00+08:00"}),
            format="json",
        )
    assert_error(response, 400, field)


def test_an_impossible_date_in_chat_and_signals_is_400(service_api, nothing_written):
    OrderFactory(external_id="ORD-FEB")
    TraderFactory(external_id="T-FEB")
    with nothing_written():
        chat = service_api.post(
            f"{API}/orders/ORD-FEB/chat/",
            [message("M-FEB", sent_at="2026-02-30T10:00:00Z")],
            format="json",
        )
        signals = service_api.post(
            f"{API}/traders/T-FEB/signals/",
            [{"kind": "ip", "value": "198.51.100.7", "seen_at": "2026-02-30T00:00:00Z"}],
            format="json",
        )
    assert_error(chat, 400, "[0].sent_at")
    assert_error(signals, 400, "[0].seen_at")


@pytest.mark.parametrize(
    "query",
    ["created_after=2026-02-30", "created_before=2026-02-30T10:00:00Z", "from=2026-02-30"],
)
def test_an_impossible_date_in_a_query_is_400(service_api, query):
    path = "metrics/daily/" if query.startswith("from") else "appeals/"
    extra = "&to=2026-03-01" if query.startswith("from") else ""
    assert_error(service_api.get(f"{API}/{path}?{query}{extra}"), 400)


@pytest.mark.parametrize("depth", [5000, 100_000])
def test_a_deeply_nested_body_is_400(service_api, nothing_written, depth):
    body = "[" * depth + "]" * depth
    with nothing_written():
        response = service_api.generic(
            "POST", f"{API}/orders/", body, content_type="application/json"
        )
    assert_error(response, 400)


@pytest.mark.parametrize(
    "param", ["status", "reason", "opened_by", "assignee", "created_after", "cursor", "page_size"]
)
def test_a_nul_in_a_query_parameter_is_400(service_api, param):
    response = service_api.get(f"{API}/appeals/?{param}=a%00b")

    body = assert_error(response, 400)
    assert "NUL" in body["detail"]


def test_a_body_over_the_size_limit_is_the_json_413(service_api, settings, nothing_written):
    big = json.dumps({**order_payload("ORD-BIG"), "padding": "x" * (3 * 1024 * 1024)})
    with nothing_written():
        response = service_api.generic(
            "POST", f"{API}/orders/", big, content_type="application/json"
        )
    assert response["Content-Type"] == "application/json"
    assert assert_error(response, 413)["code"] == "too_large"


@pytest.mark.parametrize("content_type", ["application/x-www-form-urlencoded", "text/plain"])
def test_a_body_that_is_not_json_is_the_json_415(service_api, content_type):
    response = service_api.generic(
        "POST", f"{API}/appeals/", "order=ORD-1&opened_by=buyer", content_type=content_type
    )
    assert response["Content-Type"] == "application/json"
    assert_error(response, 415)


def test_an_evidence_upload_with_too_many_fields_is_a_json_4xx(service_api):
    from django.test.client import BOUNDARY, MULTIPART_CONTENT, encode_multipart

    appeal = open_appeal()
    body = encode_multipart(BOUNDARY, {f"field{i}": "1" for i in range(1500)})

    response = service_api.generic(
        "POST", f"{API}/appeals/{appeal.pk}/evidence/", body, content_type=MULTIPART_CONTENT
    )

    assert response["Content-Type"] == "application/json"
    assert 400 <= response.status_code < 500
    assert set(response.json()) >= {"detail", "code", "errors"}


def test_a_huge_rationale_is_refused_so_lists_stay_small(arbitrator_api, nothing_written):
    """A 2 MiB rationale made every list page that shows the verdict 2 MB."""
    from cases.models import TEXT_MAX

    from .payloads import VERDICT_BODY

    appeal = open_appeal()
    with nothing_written():
        response = arbitrator_api.post(
            f"{API}/appeals/{appeal.pk}/verdict/",
            {**VERDICT_BODY, "rationale": "x" * (TEXT_MAX + 1)},
            format="json",
        )
    assert_error(response, 400, "rationale")


@pytest.mark.parametrize(
    "path, body, field",
    [
        ("appeals/", {"order": "ORD-T", "opened_by": "buyer", "reason": "other"}, "description"),
        ("orders/ORD-T/chat/", None, "[0].text"),
    ],
)
def test_free_text_is_capped_as_the_forms_cap_it(service_api, path, body, field):
    from cases.models import CHAT_TEXT_MAX, TEXT_MAX

    OrderFactory(external_id="ORD-T")
    if body is None:
        body = [message("M-LONG", text="x" * (CHAT_TEXT_MAX + 1))]
    else:
        body = {**body, "description": "x" * (TEXT_MAX + 1)}
    assert_error(service_api.post(f"{API}/{path}", body, format="json"), 400, field)
