"""The case page's linked-account panel and, for account-security cases, each party's
sightings around the order: what they show, and a query count that does not grow with
the cluster or the history."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import NoReverseMatch, reverse

from cases import services
from cases.models import Appeal, Trader
from tests.factories import OrderFactory, TraderFactory, appeal_in, open_appeal

pytestmark = pytest.mark.django_db

# The case page's own bound (tests/views/test_case_page.py), with both panels showing.
MAX_QUERIES = 40


def case_url(appeal: Appeal) -> str:
    return reverse("cases:case", args=[appeal.pk])


def member_url(trader: Trader) -> str:
    """The member's account page once there is one, else the queue searched for it."""
    try:
        return reverse("cases:trader", args=[trader.external_id])
    except NoReverseMatch:
        return f"{reverse('cases:queue')}?q={trader.external_id}"


def see(trader: Trader, *sightings: tuple) -> None:
    services.signals_ingest(
        trader=trader,
        signals=[
            dict(zip(("kind", "value", "seen_at", "country", "event"), s, strict=False))
            for s in sightings
        ],
    )


def queries(client, url: str) -> int:
    cache.clear()
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200
    return len(ctx.captured_queries)


def test_the_cluster_panel_links_each_member_and_shows_its_cases(client, arbitrator):
    appeal = appeal_in("in_review", worker=arbitrator)
    seller = appeal.order.seller
    alt = TraderFactory(display_name="alt-account")
    lost = appeal_in("resolved", order=OrderFactory(seller=alt))  # released to the buyer
    at = appeal.order.created_at - timedelta(days=10)
    see(seller, ("device", "dev-9", at))
    see(alt, ("device", "dev-9", at), ("payment_account", "ICBC 7", at))

    client.force_login(arbitrator)
    page = client.get(case_url(appeal)).content.decode()

    assert 'data-test="cluster"' in page
    assert page.count('data-test="cluster-member"') == 2
    assert f'href="{member_url(alt)}"' in page
    assert f'href="{member_url(seller)}"' in page
    assert "via device" in page
    assert f'href="{case_url(lost)}"' in page
    assert "1 verdict against" in page


def test_a_party_linked_to_nobody_shows_no_cluster(client, arbitrator):
    appeal = appeal_in("in_review", worker=arbitrator)
    see(appeal.order.buyer, ("device", "dev-alone", appeal.order.created_at))
    client.force_login(arbitrator)
    assert 'data-test="cluster"' not in client.get(case_url(appeal)).content.decode()


def test_an_account_compromised_case_shows_the_sightings_with_the_new_ones_marked(
    client, arbitrator
):
    appeal = open_appeal(reason=Appeal.Reason.ACCOUNT_COMPROMISED, opened_by="seller")
    seller, created = appeal.order.seller, appeal.order.created_at
    see(
        seller,
        ("device", "dev-home", created - timedelta(days=40), "CN", "login"),
        ("device", "dev-home", created - timedelta(days=5), "CN", "login"),
        ("device", "dev-strange", created - timedelta(hours=1), "BR", "login"),
        ("device", "dev-home", created - timedelta(days=30), "CN", "login"),  # out of range
    )
    client.force_login(arbitrator)

    page = client.get(case_url(appeal)).content.decode()

    assert 'data-test="sightings"' in page
    assert page.count('data-test="sighting"') == 2  # 5 days and 1 hour before the order
    assert "dev-strange" in page and "BR" in page
    assert page.count('data-test="new"') == 2  # the new device and the new country


def test_an_ordinary_case_shows_no_sightings(client, arbitrator):
    appeal = appeal_in("in_review", worker=arbitrator)
    see(appeal.order.buyer, ("device", "dev-home", appeal.order.created_at, "CN", "login"))
    client.force_login(arbitrator)
    assert 'data-test="sightings"' not in client.get(case_url(appeal)).content.decode()


def test_the_panels_cost_the_same_for_a_small_or_large_cluster(client, arbitrator):
    appeal = open_appeal(reason=Appeal.Reason.ACCOUNT_COMPROMISED)
    buyer, created = appeal.order.buyer, appeal.order.created_at
    see(buyer, ("device", "dev-x", created - timedelta(days=20), "CN", "login"))
    see(TraderFactory(), ("device", "dev-x", created - timedelta(days=20)))
    client.force_login(arbitrator)
    client.get(case_url(appeal))  # warm up: content types, the session
    few = queries(client, case_url(appeal))

    for i in range(6):
        member = TraderFactory()
        see(member, ("payment_account", f"acct-{i}", created), ("device", "dev-x", created))
        see(buyer, ("payment_account", f"acct-{i}", created), ("ip", f"10.0.0.{i}", created))
        appeal_in("resolved", order=OrderFactory(seller=member))
    many = queries(client, case_url(appeal))

    buyer.refresh_from_db()
    assert Trader.objects.filter(cluster_id=buyer.cluster_id).count() == 8
    assert few == many, (few, many)
    assert many <= MAX_QUERIES, many
