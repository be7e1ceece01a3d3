"""The risk signals read from the account graph: linked_accounts (clusters) and
new_device_before_trade (a taken-over account), kept current as signals arrive."""

from __future__ import annotations

from datetime import timedelta

import pytest

from cases import services
from cases.models import Appeal, Trader
from evidence.risk import risk_assess
from tests.factories import TraderFactory, appeal_in, open_appeal

pytestmark = pytest.mark.django_db
S = Appeal.Status


@pytest.fixture(autouse=True)
def eager(django_capture_on_commit_callbacks):
    """Run what an ingest schedules on commit (the risk assessment) at once."""
    from arbitration.celery import app

    was = app.conf.task_always_eager
    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = was


def see(trader: Trader, *sightings: tuple) -> None:
    """Ingest sightings (kind, value, seen_at[, country[, event]])."""
    signals = []
    for kind, value, seen_at, *rest in sightings:
        item = {"kind": kind, "value": value, "seen_at": seen_at}
        if rest:
            item["country"] = rest[0]
        if len(rest) > 1:
            item["event"] = rest[1]
        signals.append(item)
    services.signals_ingest(trader=trader, signals=signals)


def risk(appeal: Appeal) -> dict[str, list[dict]]:
    appeal.refresh_from_db()
    found: dict[str, list[dict]] = {}
    for signal in appeal.risk_signals:
        found.setdefault(signal["code"], []).append(signal)
    return found


# --- linked_accounts ----------------------------------------------------------------------


def test_parties_in_a_cluster_of_three_are_linked_and_the_kinds_are_named(
    django_capture_on_commit_callbacks,
):
    appeal = open_appeal()
    buyer, seller, middle = appeal.order.buyer, appeal.order.seller, TraderFactory()
    at = appeal.order.created_at - timedelta(days=20)
    with django_capture_on_commit_callbacks(execute=True):
        see(buyer, ("device", "dev-shared", at))
        see(middle, ("device", "dev-shared", at), ("payment_account", "ICBC 1", at))
        see(seller, ("payment_account", "ICBC 1", at))

    (signal,) = risk(appeal)["linked_accounts"]
    assert signal["sentence"] == "parties_linked"
    assert signal["params"] == {"n": 3, "kinds": ["device", "payment_account"]}
    assert "device, payment account" in signal["detail"]


def test_strangers_are_not_linked(django_capture_on_commit_callbacks):
    appeal = open_appeal()
    at = appeal.order.created_at - timedelta(days=20)
    with django_capture_on_commit_callbacks(execute=True):
        see(appeal.order.buyer, ("device", "dev-b", at), ("ip", "198.51.100.1", at))
        see(appeal.order.seller, ("device", "dev-s", at), ("ip", "198.51.100.2", at))
        see(TraderFactory(), ("device", "dev-x", at))

    assert "linked_accounts" not in risk(appeal)


def test_a_cluster_of_accounts_without_verdicts_against_them_is_no_risk(
    django_capture_on_commit_callbacks,
):
    appeal = open_appeal()
    at = appeal.order.created_at - timedelta(days=20)
    with django_capture_on_commit_callbacks(execute=True):
        see(appeal.order.seller, ("device", "family-tablet", at))
        see(TraderFactory(), ("device", "family-tablet", at))

    assert "linked_accounts" not in risk(appeal)


def test_an_account_that_lost_joining_later_reassesses_the_partys_appeal(
    django_capture_on_commit_callbacks,
):
    appeal = open_appeal()
    loser = appeal_in(S.RESOLVED).order.seller  # the default verdict releases to the buyer
    at = appeal.order.created_at - timedelta(days=20)
    with django_capture_on_commit_callbacks(execute=True):
        see(appeal.order.seller, ("payment_account", "ICBC 9", at))
    assert "linked_accounts" not in risk(appeal)

    with django_capture_on_commit_callbacks(execute=True):
        see(loser, ("payment_account", "ICBC 9", at))

    (signal,) = risk(appeal)["linked_accounts"]
    assert signal["params"] == {
        "party": "seller",
        "n": 1,
        "kinds": ["payment_account"],
        "lost": 1,
    }


# --- new_device_before_trade --------------------------------------------------------------


def test_a_taken_over_account_is_flagged(django_capture_on_commit_callbacks):
    """An old account: its usual device in China for a month; then a new device in
    another country an hour before the order."""
    appeal = open_appeal(reason=Appeal.Reason.ACCOUNT_COMPROMISED)
    buyer, created = appeal.order.buyer, appeal.order.created_at
    with django_capture_on_commit_callbacks(execute=True):
        see(
            buyer,
            ("device", "dev-usual", created - timedelta(days=30), "CN", "login"),
            ("device", "dev-usual", created - timedelta(days=3), "CN", "trade"),
        )
        see(
            buyer,
            ("device", "dev-new", created - timedelta(hours=1), "RU", "login"),
            ("ip", "203.0.113.99", created - timedelta(hours=1), "RU", "password_change"),
        )

    (signal,) = risk(appeal)["new_device_before_trade"]
    assert signal["params"] == {"party": "buyer", "news": ["ip", "device", "country"], "hours": 1}
    score, _signals = risk_assess(appeal_id=appeal.pk)
    assert score >= 30


def test_a_normal_trader_on_their_usual_device_is_not_flagged(
    django_capture_on_commit_callbacks,
):
    appeal = open_appeal()
    buyer, created = appeal.order.buyer, appeal.order.created_at
    with django_capture_on_commit_callbacks(execute=True):
        see(
            buyer,
            ("device", "dev-usual", created - timedelta(days=30), "CN", "login"),
            ("ip", "198.51.100.7", created - timedelta(days=30), "CN", "login"),
            ("device", "dev-usual", created - timedelta(hours=1), "CN", "login"),
            ("ip", "198.51.100.7", created - timedelta(hours=1), "CN", "trade"),
        )

    assert "new_device_before_trade" not in risk(appeal)


def test_a_brand_new_accounts_first_device_is_not_a_takeover(django_capture_on_commit_callbacks):
    appeal = open_appeal()
    created = appeal.order.created_at
    with django_capture_on_commit_callbacks(execute=True):
        see(appeal.order.seller, ("device", "dev-first", created - timedelta(hours=2), "GB"))

    assert "new_device_before_trade" not in risk(appeal)


def test_a_device_new_long_before_the_order_is_not_flagged(
    django_capture_on_commit_callbacks, settings
):
    settings.NEW_DEVICE_WINDOW_HOURS = 48
    appeal = open_appeal()
    buyer, created = appeal.order.buyer, appeal.order.created_at
    with django_capture_on_commit_callbacks(execute=True):
        see(
            buyer,
            ("device", "dev-old", created - timedelta(days=60), "CN"),
            ("device", "dev-since-last-week", created - timedelta(days=7), "CN"),
        )

    assert "new_device_before_trade" not in risk(appeal)
