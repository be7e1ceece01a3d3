"""POST and GET /api/v1/appeals/ and GET /api/v1/appeals/{id}/."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from cases.models import Appeal
from tests.factories import OrderFactory, appeal_in, open_appeal

from .payloads import API, ISO_WITH_OFFSET, VERDICT_BODY, appeal_payload, assert_error, walk

pytestmark = pytest.mark.django_db

APPEAL_FIELDS = {
    "id",
    "order",
    "opened_by",
    "reason",
    "status",
    "assignee",
    "created_at",
    "resolved_at",
    "verdict",
    "risk_score",
    "risk_signals",
}


# --- opening ------------------------------------------------------------------------------


def test_it_opens_an_appeal_with_201(service_api):
    OrderFactory(external_id="ORD-1")

    response = service_api.post(
        f"{API}/appeals/", appeal_payload("ORD-1", channel="live_chat"), format="json"
    )

    assert response.status_code == 201, response.json()
    body = response.json()
    assert isinstance(body["id"], int)
    assert body["status"] == "open"
    assert body["order"] == "ORD-1"
    assert body["opened_by"] == "buyer"
    assert body["reason"] == "crypto_not_released"
    assert body["verdict"] is None
    assert body["assignee"] is None
    appeal = Appeal.objects.get(pk=body["id"])
    assert (appeal.status, appeal.channel, appeal.order.external_id) == (
        "open",
        "live_chat",
        "ORD-1",
    )


def test_a_second_unresolved_appeal_on_the_same_order_is_409(service_api):
    OrderFactory(external_id="ORD-1")
    service_api.post(f"{API}/appeals/", appeal_payload("ORD-1"), format="json")

    response = service_api.post(
        f"{API}/appeals/", appeal_payload("ORD-1", opened_by="seller"), format="json"
    )

    assert_error(response, 409)
    assert Appeal.objects.count() == 1


@pytest.mark.parametrize(
    "status", ["in_review", "awaiting_evidence", "escalated", "pending_approval"]
)
def test_an_appeal_still_being_worked_blocks_a_new_one(service_api, status):
    appeal = appeal_in(status)

    response = service_api.post(
        f"{API}/appeals/", appeal_payload(appeal.order.external_id), format="json"
    )

    assert_error(response, 409)
    assert Appeal.objects.count() == 1


def test_a_new_appeal_is_allowed_after_the_last_one_was_cancelled(service_api):
    OrderFactory(external_id="ORD-1")
    first = service_api.post(f"{API}/appeals/", appeal_payload("ORD-1"), format="json").json()
    assert service_api.post(f"{API}/appeals/{first['id']}/cancel/", {}).status_code == 200

    response = service_api.post(f"{API}/appeals/", appeal_payload("ORD-1"), format="json")

    assert response.status_code == 201
    assert response.json()["id"] != first["id"]
    assert Appeal.objects.filter(order__external_id="ORD-1").count() == 2


def test_a_new_appeal_is_allowed_after_the_last_one_was_resolved(service_api):
    appeal = appeal_in("resolved")

    response = service_api.post(
        f"{API}/appeals/", appeal_payload(appeal.order.external_id), format="json"
    )

    assert response.status_code == 201


def test_an_unknown_order_is_named(service_api):
    assert_error(
        service_api.post(f"{API}/appeals/", appeal_payload("NOPE"), format="json"), 400, "order"
    )
    assert not Appeal.objects.exists()


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("opened_by", "system"),
        ("reason", "bored"),
        ("channel", "carrier_pigeon"),
        ("description", None),
    ],
)
def test_bad_input_is_refused_naming_the_field(service_api, field, value):
    OrderFactory(external_id="ORD-1")

    response = service_api.post(
        f"{API}/appeals/", appeal_payload("ORD-1", **{field: value}), format="json"
    )

    assert_error(response, 400, field)
    assert not Appeal.objects.exists()


@pytest.mark.parametrize("field", ["order", "opened_by", "reason"])
def test_a_missing_field_is_named(service_api, field):
    OrderFactory(external_id="ORD-1")
    payload = appeal_payload("ORD-1")
    del payload[field]

    assert_error(service_api.post(f"{API}/appeals/", payload, format="json"), 400, field)


# --- detail -------------------------------------------------------------------------------


def test_the_detail_shows_the_contract_fields(service_api):
    appeal = open_appeal(order=OrderFactory(external_id="ORD-1"))

    response = service_api.get(f"{API}/appeals/{appeal.pk}/")

    assert response.status_code == 200
    body = response.json()
    assert set(body) >= APPEAL_FIELDS
    assert body["id"] == appeal.pk
    assert body["order"] == "ORD-1"
    assert body["status"] == "open"
    assert body["assignee"] is None
    assert body["resolved_at"] is None
    assert body["verdict"] is None
    assert ISO_WITH_OFFSET.match(body["created_at"]), body["created_at"]
    for key, value in body.items():
        if key.endswith("_at") and value is not None:
            assert ISO_WITH_OFFSET.match(value), (key, value)
    assert body["risk_score"] is None or 0 <= body["risk_score"] <= 100
    assert isinstance(body["risk_signals"], list)
    for signal in body["risk_signals"]:
        assert set(signal) >= {"code", "detail"}


def test_the_detail_carries_the_verdict_once_decided(arbitrator_api, arbitrator):
    appeal = open_appeal()
    arbitrator_api.post(f"{API}/appeals/{appeal.pk}/verdict/", VERDICT_BODY, format="json")

    body = arbitrator_api.get(f"{API}/appeals/{appeal.pk}/").json()

    assert body["status"] == "resolved"
    assert body["assignee"] == arbitrator.username
    assert ISO_WITH_OFFSET.match(body["resolved_at"])
    assert body["verdict"]["outcome"] == "release_to_buyer"
    assert body["verdict"]["responsible_party"] == "seller"
    assert body["verdict"]["rule"] == "P2P-1.1"
    assert body["verdict"]["decided_by"] == arbitrator.username
    for key in ("created_at", "effective_at"):
        assert ISO_WITH_OFFSET.match(body["verdict"][key]), (key, body["verdict"][key])


def test_the_detail_of_an_unknown_appeal_is_404(service_api):
    assert_error(service_api.get(f"{API}/appeals/999999/"), 404)


# --- list, filters, pagination ------------------------------------------------------------

NOV = datetime(2026, 11, 1, tzinfo=UTC)


@pytest.fixture
def queue(arbitrator, arbitrator2):
    """Five appeals, each a different status, reason, side, assignee and day."""
    return {
        "open": open_appeal(reason="crypto_not_released", opened_by="buyer", at=NOV),
        "in_review": appeal_in(
            "in_review",
            worker=arbitrator,
            reason="payment_not_received",
            opened_by="seller",
            at=NOV + timedelta(days=2),
        ),
        "resolved": appeal_in(
            "resolved",
            worker=arbitrator2,
            reason="wrong_amount",
            opened_by="buyer",
            at=NOV + timedelta(days=4),
        ),
        "cancelled": appeal_in(
            "cancelled", reason="chargeback", opened_by="seller", at=NOV + timedelta(days=6)
        ),
        "escalated": appeal_in(
            "escalated",
            worker=arbitrator,
            reason="fraud_scam",
            opened_by="buyer",
            at=NOV + timedelta(days=8),
        ),
    }


def ids(response) -> set[int]:
    assert response.status_code == 200, response.content[:500]
    body = response.json()
    assert set(body) == {"next", "previous", "results"}
    return {a["id"] for a in body["results"]}


def pks(queue, *names: str) -> set[int]:
    return {queue[name].pk for name in names}


def test_the_list_shows_every_appeal_newest_first(service_api, queue):
    body = service_api.get(f"{API}/appeals/").json()

    assert [a["id"] for a in body["results"]] == [
        queue[n].pk for n in ("escalated", "cancelled", "resolved", "in_review", "open")
    ]
    for appeal in body["results"]:
        assert set(appeal) >= APPEAL_FIELDS


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("status=open", ["open"]),
        ("status=resolved&status=cancelled", ["resolved", "cancelled"]),
        ("reason=fraud_scam", ["escalated"]),
        ("reason=wrong_amount&reason=chargeback", ["resolved", "cancelled"]),
        ("opened_by=seller", ["in_review", "cancelled"]),
        ("opened_by=buyer&status=open", ["open"]),
        ("assignee=arbitrator", ["in_review"]),
        ("assignee=arbitrator2", ["resolved"]),
        ("assignee=none", ["open", "cancelled", "escalated"]),
        ("assignee=nobody-by-that-name", []),
        ("created_after=2026-11-04T00:00:00Z", ["resolved", "cancelled", "escalated"]),
        ("created_before=2026-11-04T00:00:00Z", ["open", "in_review"]),
        (
            "created_after=2026-11-02T00:00:00%2B00:00&created_before=2026-11-08T00:00:00Z",
            ["in_review", "resolved", "cancelled"],
        ),
        # 2026-11-05 08:00 in Shanghai is midnight UTC of the resolved appeal's day.
        ("created_after=2026-11-05T08:00:00%2B08:00", ["resolved", "cancelled", "escalated"]),
    ],
)
def test_the_list_filters(service_api, queue, query, expected):
    assert ids(service_api.get(f"{API}/appeals/?{query}")) == pks(queue, *expected)


def test_assignee_me_is_the_caller(login, arbitrator, arbitrator2, queue):
    assert ids(login(arbitrator).get(f"{API}/appeals/?assignee=me")) == pks(queue, "in_review")
    assert ids(login(arbitrator2).get(f"{API}/appeals/?assignee=me")) == pks(queue, "resolved")


def test_assignee_me_for_a_service_account_is_nothing(service_api, queue):
    assert ids(service_api.get(f"{API}/appeals/?assignee=me")) == set()


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("status=lost", "status"),
        ("reason=bored", "reason"),
        ("opened_by=system", "opened_by"),
        ("created_after=last-week", "created_after"),
        ("created_before=2026-13-45T00:00:00Z", "created_before"),
    ],
)
def test_a_bad_filter_is_refused_naming_it(service_api, queue, query, field):
    assert_error(service_api.get(f"{API}/appeals/?{query}"), 400, field)


def test_the_list_pages_by_cursor_without_repeats_or_gaps(service_api):
    base = datetime(2026, 11, 1, tzinfo=UTC)
    created = [open_appeal(at=base + timedelta(hours=i)).pk for i in range(8)]
    # Three more in the same instant: the cursor must not drop or repeat ties.
    created += [open_appeal(at=base + timedelta(hours=3, minutes=30)).pk for _ in range(3)]

    first = service_api.get(f"{API}/appeals/?page_size=3").json()
    assert first["previous"] is None and first["next"]
    second = service_api.get(first["next"]).json()
    assert second["previous"]
    results = walk(service_api, f"{API}/appeals/?page_size=3")

    seen = [a["id"] for a in results]
    assert len(seen) == len(set(seen)) == len(created) == 11
    assert set(seen) == set(created)
    stamps = [a["created_at"] for a in results]
    assert stamps == sorted(stamps, reverse=True)


def test_pages_keep_the_filter(service_api, queue):
    more = [open_appeal(reason="other").pk for _ in range(4)]

    results = walk(service_api, f"{API}/appeals/?reason=other&page_size=2")

    assert {a["id"] for a in results} == set(more)


def test_the_page_size_is_capped(service_api):
    for _ in range(3):
        open_appeal()

    body = service_api.get(f"{API}/appeals/?page_size=100000").json()

    assert len(body["results"]) == 3


def test_a_bad_cursor_is_a_404_not_a_500(service_api, queue):
    response = service_api.get(f"{API}/appeals/?cursor=o%3Dnot-a-number")

    assert_error(response, 404)
