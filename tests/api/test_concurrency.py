"""Concurrent requests against one row: exactly one wins, the rest get 409, nothing doubles.

Real threads, real transactions (transactional test; tests/conftest.py gives it a
serialized rollback), one database connection per thread. They pass on PostgreSQL (row
locks) and on SQLite too, where settings open every transaction IMMEDIATE so writers queue
on the database lock instead of failing half-way.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable
from typing import Any

import pytest
from django.core.management import call_command
from django.db import connection

from cases.models import Appeal, ChatMessage, Order, OutboxEvent, Trader, Verdict
from tests.factories import OrderFactory, open_appeal

from .conftest import session_client, token_client
from .payloads import API, VERDICT_BODY, appeal_payload, message, order_payload

pytestmark = pytest.mark.django_db(transaction=True)


def at_once(n: int, call: Callable[[int], Any]) -> list[Any]:
    """Run call(0..n-1) in n threads released together; returns results or exceptions."""
    barrier = threading.Barrier(n)
    results: list[Any] = [None] * n

    def worker(i: int) -> None:
        try:
            barrier.wait(timeout=30)
            results[i] = call(i)
        except BaseException as exc:  # reported by the test, not lost in the thread
            results[i] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(n)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads), "a request hung"
    errors = [r for r in results if isinstance(r, BaseException)]
    assert not errors, errors
    return results


def codes(responses: list[Any]) -> Counter:
    return Counter(r.status_code for r in responses)


def assert_audit_intact() -> None:
    call_command("verify_audit", stdout=open("/dev/null", "w"))  # noqa: SIM115


@pytest.mark.parametrize(("large", "winner"), [(False, 201), (True, 202)])
def test_sixteen_concurrent_verdicts_give_exactly_one(make_user, large, winner):
    appeal = open_appeal(order=OrderFactory(large=large))  # open and unclaimed
    clients = [session_client(make_user("arbitrator")) for _ in range(16)]

    responses = at_once(
        16,
        lambda i: clients[i].post(
            f"{API}/appeals/{appeal.pk}/verdict/", VERDICT_BODY, format="json"
        ),
    )

    assert codes(responses) == {winner: 1, 409: 15}, [r.content[:200] for r in responses]
    for response in responses:
        if response.status_code == 409:
            assert response.json()["code"] in ("conflict", "invalid_transition")
    [verdict] = Verdict.objects.filter(appeal=appeal)
    [won] = [r for r in responses if r.status_code == winner]
    assert won.json()["id"] == verdict.pk
    appeal.refresh_from_db()
    assert appeal.assignee_id == verdict.decided_by_id
    issued = OutboxEvent.objects.filter(appeal=appeal, type="verdict.issued").count()
    assert issued == (0 if large else 1)
    # One claim and one decision: no duplicate status rows.
    assert list(appeal.status_changes.values_list("to_status", flat=True)) == [
        "open",
        "in_review",
        "pending_approval" if large else "resolved",
    ]
    assert_audit_intact()


def test_sixteen_concurrent_verdicts_by_the_same_arbitrator_give_exactly_one(arbitrator):
    appeal = open_appeal()
    clients = [session_client(arbitrator) for _ in range(16)]

    responses = at_once(
        16,
        lambda i: clients[i].post(
            f"{API}/appeals/{appeal.pk}/verdict/", VERDICT_BODY, format="json"
        ),
    )

    assert codes(responses) == {201: 1, 409: 15}
    assert Verdict.objects.filter(appeal=appeal).count() == 1
    assert OutboxEvent.objects.filter(appeal=appeal, type="verdict.issued").count() == 1
    assert_audit_intact()


def test_eight_concurrent_appeals_on_one_order_give_exactly_one(service_key):
    order = OrderFactory(external_id="ORD-RACE")
    clients = [token_client(service_key) for _ in range(8)]

    responses = at_once(
        8, lambda i: clients[i].post(f"{API}/appeals/", appeal_payload("ORD-RACE"), format="json")
    )

    assert codes(responses) == {201: 1, 409: 7}, [r.content[:200] for r in responses]
    [appeal] = Appeal.objects.filter(order=order)
    [won] = [r for r in responses if r.status_code == 201]
    assert won.json()["id"] == appeal.pk
    assert OutboxEvent.objects.filter(appeal=appeal, type="appeal.status_changed").count() == 1
    assert_audit_intact()


def test_concurrent_resends_of_a_chat_batch_store_each_message_once(service_key):
    OrderFactory(external_id="ORD-CHAT")
    batch = [
        message(f"M-{i:03d}", sent_at=f"2026-11-21T10:{i % 60:02d}:00+08:00") for i in range(50)
    ]
    clients = [token_client(service_key) for _ in range(8)]

    responses = at_once(
        8, lambda i: clients[i].post(f"{API}/orders/ORD-CHAT/chat/", batch, format="json")
    )

    assert all(r.status_code in (200, 201) for r in responses), [r.content for r in responses]
    assert ChatMessage.objects.count() == 50
    assert sorted(ChatMessage.objects.values_list("external_id", flat=True)) == [
        m["external_id"] for m in batch
    ]
    for response in responses:
        assert response.json()["created"] + response.json()["duplicates"] == 50


def test_concurrent_resends_of_a_chat_batch_count_each_message_created_once(service_key):
    OrderFactory(external_id="ORD-CHAT")
    batch = [message(f"M-{i:03d}") for i in range(50)]
    clients = [token_client(service_key) for _ in range(8)]

    responses = at_once(
        8, lambda i: clients[i].post(f"{API}/orders/ORD-CHAT/chat/", batch, format="json")
    )

    # The answer is what this request stored: the 50 were stored once, so reported once.
    assert sum(r.json()["created"] for r in responses) == 50, [r.json() for r in responses]


def test_concurrent_upserts_of_one_order_create_it_once(service_key):
    clients = [token_client(service_key) for _ in range(8)]

    responses = at_once(
        8, lambda i: clients[i].post(f"{API}/orders/", order_payload("ORD-UP"), format="json")
    )

    assert codes(responses) == {201: 1, 200: 7}, [r.content[:200] for r in responses]
    assert Order.objects.filter(external_id="ORD-UP").count() == 1
    assert Trader.objects.count() == 2
    assert_audit_intact()
