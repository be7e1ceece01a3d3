"""POST and GET /api/v1/orders/{external_id}/chat/."""

from __future__ import annotations

import pytest

from cases.models import ChatMessage
from tests.factories import OrderFactory

from .payloads import API, ISO_WITH_OFFSET, assert_error, message, walk

pytestmark = pytest.mark.django_db


@pytest.fixture
def order():
    return OrderFactory(external_id="ORD-CHAT")


URL = f"{API}/orders/ORD-CHAT/chat/"


def test_it_stores_a_batch_and_counts_it(service_api, order):
    batch = [message("M-1"), message("M-2", sender="seller"), message("M-3", sender="system")]

    response = service_api.post(URL, batch, format="json")

    assert response.status_code == 201, response.json()
    assert response.json() == {"created": 3, "duplicates": 0}
    assert ChatMessage.objects.filter(order=order).count() == 3


def test_resending_a_batch_stores_nothing_twice(service_api, order):
    batch = [message("M-1"), message("M-2")]
    service_api.post(URL, batch, format="json")

    response = service_api.post(URL, batch, format="json")

    assert response.status_code == 200
    assert response.json() == {"created": 0, "duplicates": 2}
    assert ChatMessage.objects.count() == 2


def test_a_batch_overlapping_a_previous_one_stores_only_the_new_messages(service_api, order):
    service_api.post(URL, [message("M-1"), message("M-2")], format="json")

    response = service_api.post(URL, [message("M-2"), message("M-3")], format="json")

    assert response.json() == {"created": 1, "duplicates": 1}
    assert sorted(ChatMessage.objects.values_list("external_id", flat=True)) == [
        "M-1",
        "M-2",
        "M-3",
    ]


def test_a_batch_repeating_a_message_stores_it_once_keeping_the_first_copy(service_api, order):
    batch = [message("M-1", text="first"), message("M-2"), message("M-1", text="repeat")]

    response = service_api.post(URL, batch, format="json")

    assert response.json() == {"created": 2, "duplicates": 1}
    assert ChatMessage.objects.get(external_id="M-1").text == "first"


def test_it_lists_the_chat_oldest_first(service_api, order):
    batch = [
        message("M-late", sent_at="2026-11-21T10:30:00+08:00"),
        message("M-early", sent_at="2026-11-21T10:01:00+08:00"),
        message("M-mid", sent_at="2026-11-21T02:10:00Z"),
    ]
    service_api.post(URL, batch, format="json")

    body = service_api.get(URL).json()

    assert set(body) == {"next", "previous", "results"}
    assert [m["external_id"] for m in body["results"]] == ["M-early", "M-mid", "M-late"]
    first = body["results"][0]
    assert set(first) >= {"external_id", "sender", "sent_at", "text"}
    assert first["sent_at"] == "2026-11-21T02:01:00Z"
    assert ISO_WITH_OFFSET.match(first["sent_at"])


def test_the_chat_pages_through_every_message_once_in_order(service_api, order):
    batch = [message(f"M-{i:02d}", sent_at=f"2026-11-21T10:{i:02d}:00+08:00") for i in range(11)]
    service_api.post(URL, batch, format="json")

    results = walk(service_api, f"{URL}?page_size=3")

    assert [m["external_id"] for m in results] == [f"M-{i:02d}" for i in range(11)]


def test_messages_sent_in_the_same_instant_keep_the_order_they_were_sent_in(service_api, order):
    same = "2026-11-21T10:05:00+08:00"
    batch = [message(f"M-{n}", sent_at=same) for n in ("a", "b", "c", "d")]
    service_api.post(URL, batch, format="json")

    results = walk(service_api, f"{URL}?page_size=2")

    assert [m["external_id"] for m in results] == ["M-a", "M-b", "M-c", "M-d"]


def test_the_chat_of_another_order_is_not_shown(service_api, order):
    OrderFactory(external_id="ORD-OTHER")
    service_api.post(f"{API}/orders/ORD-OTHER/chat/", [message("X-1")], format="json")
    service_api.post(URL, [message("M-1")], format="json")

    body = service_api.get(URL).json()

    assert [m["external_id"] for m in body["results"]] == ["M-1"]


def test_a_batch_with_one_invalid_message_stores_none(service_api, order):
    batch = [message("M-1"), message("M-2", sender="bot"), message("M-3")]

    response = service_api.post(URL, batch, format="json")

    assert_error(response, 400)
    assert not ChatMessage.objects.exists()


def test_a_batch_error_names_the_message_and_its_field(service_api, order):
    batch = [message("M-1"), message("M-2", sender="bot")]

    response = service_api.post(URL, batch, format="json")

    body = assert_error(response, 400)
    assert "ErrorDetail" not in response.content.decode()
    assert any("sender" in key for key in body["errors"]), body["errors"]


@pytest.mark.parametrize(
    "bad",
    [
        {"sent_at": "2026-11-21T10:06:00"},  # naive
        {"sent_at": "soon"},
        {"text": ""},
        {"external_id": ""},
        {"external_id": "x" * 65},
    ],
)
def test_a_bad_message_is_refused(service_api, order, bad):
    response = service_api.post(URL, [{**message("M-1"), **bad}], format="json")

    assert_error(response, 400)
    assert not ChatMessage.objects.exists()


@pytest.mark.parametrize("body", [{"external_id": "M-1"}, "text", 5])
def test_the_body_must_be_a_list(service_api, order, body):
    assert_error(service_api.post(URL, body, format="json"), 400, "non_field_errors")


def test_an_unknown_order_is_404(service_api):
    assert_error(service_api.get(f"{API}/orders/NOPE/chat/"), 404)
    assert_error(service_api.post(f"{API}/orders/NOPE/chat/", [message("M-1")], format="json"), 404)
    assert not ChatMessage.objects.exists()


# --- who said it ----------------------------------------------------------------------------


def test_each_message_records_the_service_account_that_sent_it(service_api, order):
    service_api.post(URL, [message("M-1"), message("M-2", sender="seller")], format="json")

    sources = set(ChatMessage.objects.values_list("source__username", flat=True))

    assert sources == {"svc-p2p-order-service"}


@pytest.mark.parametrize("role", ["arbitrator", "senior_arbitrator", "team_lead"])
def test_no_staff_member_can_post_as_a_party(role_api, order, nothing_written, role):
    """As reported: a staff session posted a message as the "seller" and it showed as the
    seller's, with no trace."""
    client = role_api(role)
    with nothing_written():
        response = client.post(URL, [message("M-FORGED", sender="seller")], format="json")

    assert_error(response, 403)
    assert not ChatMessage.objects.filter(external_id="M-FORGED").exists()


def test_the_service_refuses_a_staff_actor_too(order, arbitrator):
    from arbitration.exceptions import NotAllowed
    from cases.services import chat_ingest
    from tests.factories import ChatMessageDataFactory

    with pytest.raises(NotAllowed):
        chat_ingest(order=order, messages=[ChatMessageDataFactory()], actor=arbitrator)


# --- idempotent per order ---------------------------------------------------------------------


def test_another_orders_message_id_is_a_per_item_conflict(service_api, order, nothing_written):
    """It used to be counted as a duplicate and silently dropped."""
    OrderFactory(external_id="ORD-OTHER")
    service_api.post(f"{API}/orders/ORD-OTHER/chat/", [message("M-SHARED")], format="json")

    with nothing_written():
        response = service_api.post(
            URL, [message("M-NEW"), message("M-SHARED"), message("M-NEW-2")], format="json"
        )

    body = assert_error(response, 409, "[1].external_id")
    assert set(body["errors"]) == {"[1].external_id"}
    assert "another order" in body["errors"]["[1].external_id"][0]
    assert not ChatMessage.objects.filter(order=order).exists()


def test_the_same_id_resent_to_its_own_order_is_still_a_duplicate(service_api, order):
    OrderFactory(external_id="ORD-OTHER")
    service_api.post(f"{API}/orders/ORD-OTHER/chat/", [message("M-SHARED")], format="json")
    service_api.post(URL, [message("M-1")], format="json")

    response = service_api.post(URL, [message("M-1")], format="json")

    assert response.json() == {"created": 0, "duplicates": 1}
