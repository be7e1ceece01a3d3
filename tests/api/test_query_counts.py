"""A page costs a fixed number of queries, whatever its size: no N+1 anywhere."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from cases.models import Rule
from evidence.services import evidence_add
from tests.factories import OrderFactory, appeal_in, open_appeal, pdf_bytes, upload

from .payloads import API, message

pytestmark = pytest.mark.django_db

# Session, user, service-group and role lookups (4), the page (1) and its prefetch (1).
MAX_QUERIES = 6


def queries_for(client, url: str) -> tuple[int, dict]:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200, response.content[:300]
    return len(ctx.captured_queries), response.json()


def assert_flat(client, url: str, small: int = 5, large: int = 100) -> int:
    sep = "&" if "?" in url else "?"
    few, small_page = queries_for(client, f"{url}{sep}page_size={small}")
    many, large_page = queries_for(client, f"{url}{sep}page_size={large}")
    assert len(small_page["results"]) == small
    assert len(large_page["results"]) == large
    assert few == many, f"{url}: {few} queries for {small} rows, {many} for {large}"
    assert many <= MAX_QUERIES, f"{url}: {many} queries"
    return many


@pytest.fixture
def busy_desk(arbitrator, arbitrator2, senior):
    """110 appeals: open, claimed, decided and waiting for approval, on different orders."""
    appeals = [open_appeal() for _ in range(60)]
    appeals += [appeal_in("in_review", worker=arbitrator) for _ in range(25)]
    appeals += [appeal_in("resolved", worker=arbitrator2) for _ in range(20)]
    appeals += [appeal_in("pending_approval", worker=senior) for _ in range(5)]
    return appeals


@pytest.mark.parametrize("caller", ["session", "token"])
def test_the_appeal_list_costs_the_same_for_5_or_100_rows(
    busy_desk, arbitrator_api, service_api, caller
):
    client = arbitrator_api if caller == "session" else service_api

    assert_flat(client, f"{API}/appeals/")
    assert_flat(client, f"{API}/appeals/?status=open&status=in_review&status=resolved")


def test_a_deep_page_costs_the_same_as_the_first(busy_desk, service_api):
    first, body = queries_for(service_api, f"{API}/appeals/?page_size=5")
    for _ in range(10):
        body = service_api.get(body["next"]).json()
    deep, _ = queries_for(service_api, body["next"])

    assert deep == first


def test_the_appeal_detail_costs_the_same_with_or_without_a_verdict(
    arbitrator, service_api, senior
):
    plain = open_appeal()
    decided = appeal_in("resolved", worker=arbitrator)
    pending = appeal_in("pending_approval", worker=senior)

    counts = {
        name: queries_for(service_api, f"{API}/appeals/{appeal.pk}/")[0]
        for name, appeal in {"plain": plain, "decided": decided, "pending": pending}.items()
    }

    assert len(set(counts.values())) == 1, counts
    assert counts["plain"] <= MAX_QUERIES


def test_the_chat_costs_the_same_for_5_or_100_messages(service_api):
    OrderFactory(external_id="ORD-Q")
    batch = [
        message(f"M-{i:03d}", sent_at=f"2026-11-21T1{i // 60}:{i % 60:02d}:00+08:00")
        for i in range(110)
    ]
    assert service_api.post(f"{API}/orders/ORD-Q/chat/", batch, format="json").status_code == 201

    assert_flat(service_api, f"{API}/orders/ORD-Q/chat/")


def test_the_evidence_list_costs_the_same_for_5_or_100_files(arbitrator, service_api):
    appeal = open_appeal()
    content = pdf_bytes()
    for i in range(105):
        # Alternate uploaders, so a per-row lookup of `uploaded_by` would show.
        evidence_add(
            appeal_id=appeal.pk,
            upload=upload(content, f"s{i}.pdf"),
            party="buyer",
            kind="bank_statement",
            actor=arbitrator if i % 2 else None,
            note=str(i),
        )

    assert_flat(service_api, f"{API}/appeals/{appeal.pk}/evidence/")


def test_the_rulebook_costs_the_same_for_5_or_100_rules(service_api):
    Rule.objects.bulk_create(
        Rule(code=f"X-{i:03d}", title=f"Rule {i}", text="...", reasons=["other"])
        for i in range(100)
    )

    assert_flat(service_api, f"{API}/rules/")
