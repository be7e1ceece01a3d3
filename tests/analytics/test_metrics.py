"""Daily metrics against figures computed by hand.

`build_desk()` lays out a few days of hand-made appeals around DAY (2026-11-20 in the
operations time zone, Asia/Shanghai, UTC+8): each one opened at a chosen minute with
`lifecycle.appeal_open(at=...)` and worked under `time_machine.travel(...)`, so every
timestamp is known. EXPECTED_DAY is what a person with a pencil gets for DAY from the
timeline below; every field of metrics_compute_day is compared with it.

    Timeline (operations time, DAY = 0)          first response  resolution  handling
    A11 -3 08:00 open   -3 08:10 arb1 claims     (decided on day -2; reversed on DAY 15:00)
    A9  -3 10:00 open   -3 10:08 arb1 claims     480 s           273600 s    273120 s
    A10 -2 12:00 open   -2 12:05 arb1 claims     (still in review: backlog, 0.2 BTC)
    A8  -1 20:00 open   -1 20:15 arb1 claims     900 s            61200 s     60300 s
    A1   0 01:00 open    0 01:10 arb1 claims     600 s             7200 s      6600 s
    A2   0 02:00 open    0 02:45 arb1 (late!)   2700 s            16200 s     13500 s
    A3   0 04:00 open    0 04:05 arb2 claims     300 s            14400 s     14100 s
         (25000 USDT, four-eyes: proposed 05:00, sent back 05:30, again 07:00, approved 08:00)
    A4   0 09:00 open    0 09:20 arb2 escalates 1200 s            10800 s      9600 s
    A5   0 10:00 open    0 11:00 cancelled by the appellant
    A6   0 23:59 open    (open: backlog)
    A7  +1 00:01 open    (the next day)
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.management import CommandError, call_command
from django.db import connection
from rest_framework.test import APIClient

from analytics.models import ArbitratorDailyMetric, DailyMetric
from analytics.services import metrics_compute_day
from cases import lifecycle
from cases.models import Appeal
from tests.factories import OrderFactory, propose, staff_user

pytestmark = pytest.mark.django_db

SHANGHAI = ZoneInfo("Asia/Shanghai")
DAY = date(2026, 11, 20)


def ops(offset: int, hh: int, mm: int) -> datetime:
    """hh:mm on DAY + offset days, operations time."""
    return datetime.combine(DAY + timedelta(days=offset), time(hh, mm), tzinfo=SHANGHAI)


@contextmanager
def at(moment: datetime) -> Iterator[None]:
    with time_machine.travel(moment, tick=False):
        yield


def percentile_cont(values: list[float], fraction: float) -> float:
    """PostgreSQL's percentile_cont, by hand: linear between the two nearest ranks."""
    ordered = sorted(values)
    position = fraction * (len(ordered) - 1)
    low = int(position)
    if low + 1 >= len(ordered):
        return float(ordered[low])
    return ordered[low] + (ordered[low + 1] - ordered[low]) * (position - low)


def open_at(
    moment: datetime,
    *,
    opened_by: str,
    reason: str,
    method: str,
    channel: str = "in_app",
    amount: str = "500",
    asset: str = "USDT",
) -> Appeal:
    order = OrderFactory(
        payment_method=method,
        crypto_amount=Decimal(amount),
        asset=asset,
        created_at=moment - timedelta(hours=1),
    )
    with at(moment):
        return lifecycle.appeal_open(
            order=order, opened_by=opened_by, reason=reason, channel=channel, at=moment
        )


@dataclass
class Desk:
    arb1: Any
    arb2: Any
    senior: Any
    appeals: dict[str, Appeal] = field(default_factory=dict)


def build_desk() -> Desk:
    """The timeline of the module docstring, step by step in time order."""
    desk = Desk(
        arb1=staff_user("arbitrator", username="arb-one"),
        arb2=staff_user("arbitrator", username="arb-two"),
        senior=staff_user("senior_arbitrator", username="senior-one"),
    )
    a = desk.appeals
    arb1, arb2, senior = desk.arb1, desk.arb2, desk.senior

    def claim(name: str, actor: Any) -> None:
        lifecycle.appeal_claim(appeal_id=a[name].pk, actor=actor)

    a["A11"] = open_at(ops(-3, 8, 0), opened_by="buyer", reason="other", method="alipay")
    with at(ops(-3, 8, 10)):
        claim("A11", arb1)
    a["A9"] = open_at(
        ops(-3, 10, 0), opened_by="buyer", reason="chargeback", method="alipay", amount="700"
    )
    with at(ops(-3, 10, 8)):
        claim("A9", arb1)
    with at(ops(-2, 10, 0)):
        propose(a["A11"], arb1, outcome="release_to_buyer", responsible_party="seller")
    a["A10"] = open_at(
        ops(-2, 12, 0),
        opened_by="buyer",
        reason="fraud_scam",
        method="alipay",
        amount="0.2",
        asset="BTC",
    )
    with at(ops(-2, 12, 5)):
        claim("A10", arb1)
    with at(ops(-1, 9, 0)):
        review = lifecycle.review_request(
            appeal_id=a["A11"].pk, party="seller", reason="The buyer never paid.", actor=None
        )
    a["A8"] = open_at(
        ops(-1, 20, 0),
        opened_by="seller",
        reason="chargeback",
        method="sepa",
        channel="email",
        amount="1000",
    )
    with at(ops(-1, 20, 15)):
        claim("A8", arb1)
    # DAY
    a["A1"] = open_at(
        ops(0, 1, 0), opened_by="buyer", reason="crypto_not_released", method="alipay"
    )
    with at(ops(0, 1, 10)):
        claim("A1", arb1)
    a["A2"] = open_at(
        ops(0, 2, 0),
        opened_by="seller",
        reason="payment_not_received",
        method="wise",
        channel="email",
        amount="300",
    )
    with at(ops(0, 2, 45)):
        claim("A2", arb1)  # 45 minutes: past the 30-minute first-response SLA
    with at(ops(0, 3, 0)):
        propose(a["A1"], arb1, outcome="release_to_buyer", responsible_party="seller")
    a["A3"] = open_at(
        ops(0, 4, 0),
        opened_by="seller",
        reason="third_party_payment",
        method="wise",
        amount="25000",
    )
    with at(ops(0, 4, 5)):
        claim("A3", arb2)
    with at(ops(0, 5, 0)):
        first = propose(a["A3"], arb2, outcome="return_to_seller", responsible_party="buyer")
    with at(ops(0, 5, 30)):
        lifecycle.verdict_send_back(verdict_id=first.pk, actor=senior, comment="Cite the rule.")
    with at(ops(0, 6, 30)):
        propose(a["A2"], arb1, outcome="no_action", responsible_party="none")
    with at(ops(0, 7, 0)):
        second = propose(a["A3"], arb2, outcome="return_to_seller", responsible_party="buyer")
    with at(ops(0, 8, 0)):
        lifecycle.verdict_approve(verdict_id=second.pk, actor=senior)
    a["A4"] = open_at(
        ops(0, 9, 0),
        opened_by="buyer",
        reason="fraud_scam",
        method="alipay",
        channel="live_chat",
        amount="0.05",
        asset="BTC",
    )
    with at(ops(0, 9, 20)):
        lifecycle.appeal_escalate(appeal_id=a["A4"].pk, actor=arb2, reason="Fake receipt.")
    a["A5"] = open_at(ops(0, 10, 0), opened_by="buyer", reason="wrong_amount", method="alipay")
    with at(ops(0, 11, 0)):
        lifecycle.appeal_cancel(appeal_id=a["A5"].pk, actor=None, reason="Settled in chat.")
    with at(ops(0, 12, 0)):
        propose(a["A4"], senior, outcome="return_to_seller", responsible_party="buyer")
    with at(ops(0, 13, 0)):
        propose(a["A8"], arb1, outcome="release_to_buyer", responsible_party="none")
    with at(ops(0, 14, 0)):
        propose(a["A9"], arb1, outcome="release_to_buyer", responsible_party="seller")
    with at(ops(0, 15, 0)):
        review.refresh_from_db()
        lifecycle.review_decide(
            review_id=review.pk,
            actor=review.reviewer,
            uphold=False,
            rationale="The bank confirms no payment arrived.",
            outcome="return_to_seller",
            responsible_party="buyer",
        )
    a["A6"] = open_at(
        ops(0, 23, 59), opened_by="buyer", reason="other", method="wise", amount="100"
    )
    a["A7"] = open_at(
        ops(1, 0, 1), opened_by="seller", reason="chargeback", method="sepa", amount="400"
    )
    for appeal in a.values():
        appeal.refresh_from_db()
    return desk


# The six appeals decided on DAY: A1, A2, A3, A4, A8, A9.
FIRST_RESPONSES = [600, 2700, 300, 1200, 900, 480]
RESOLUTIONS = [7200, 16200, 14400, 10800, 61200, 273600]

EXPECTED_DAY: dict[str, Any] = {
    "appeals_opened": 6,  # A1-A6; A6 at 23:59 is DAY's, A7 at 00:01 the next day's
    "appeals_resolved": 6,
    "appeals_cancelled": 1,
    "by_reason": {
        "crypto_not_released": 1,
        "payment_not_received": 1,
        "third_party_payment": 1,
        "fraud_scam": 1,
        "wrong_amount": 1,
        "other": 1,
    },
    "by_outcome": {"release_to_buyer": 3, "no_action": 1, "return_to_seller": 2},
    "by_responsible_party": {"seller": 2, "none": 2, "buyer": 2},
    "verdicts": 6,
    # Won: A1 (buyer, released), A3 (seller, returned), A9 (buyer, released). Not won:
    # A2 (no_action), A4 (buyer, returned), A8 (seller, released).
    "appellant_wins": 3,
    "appellant_success_rate": 0.5,
    # Sorted 300 480 600 900 1200 2700: the median sits half-way between 600 and 900,
    # the p90 (position 4.5) half-way between 1200 and 2700.
    "median_first_response_seconds": 750.0,
    "p90_first_response_seconds": 1950.0,
    # Sorted 7200 10800 14400 16200 61200 273600.
    "median_resolution_seconds": 15300.0,
    "p90_resolution_seconds": 167400.0,
    "sla_breaches": 2,  # A2 (first response 45 min > 30) and A9 (76 h > 48 h)
    "backlog": 2,  # A6 (open) and A10 (in review); A7 opens after the day's end
    "escalations": 1,  # A4
    "sent_back": 1,  # A3's first proposal
    "reversals": 1,  # A11
    "frozen_amounts": {"USDT": "100", "BTC": "0.2"},
    "decided_amounts": {
        "release_to_buyer": {"USDT": "2200"},  # A1 500 + A8 1000 + A9 700
        "no_action": {"USDT": "300"},
        "return_to_seller": {"USDT": "25000", "BTC": "0.05"},
    },
    "by_payment_method": {
        "alipay": {"opened": 3, "resolved": 3, "verdicts": 3, "appellant_wins": 2},
        "sepa": {"opened": 0, "resolved": 1, "verdicts": 1, "appellant_wins": 0},
        "wise": {"opened": 3, "resolved": 2, "verdicts": 2, "appellant_wins": 1},
    },
    "by_channel": {
        "email": {"opened": 1, "resolved": 2, "verdicts": 2, "appellant_wins": 0},
        "in_app": {"opened": 4, "resolved": 3, "verdicts": 3, "appellant_wins": 3},
        "live_chat": {"opened": 1, "resolved": 1, "verdicts": 1, "appellant_wins": 0},
    },
}

# Per arbitrator: verdicts they proposed that took effect on DAY. Handling runs from the
# first response to the verdict; arb-one's are 6600 13500 60300 273120.
EXPECTED_ARBITRATORS: dict[str, dict[str, Any]] = {
    "arb-one": {
        "resolved": 4,
        "median_handling_seconds": 36900.0,
        "escalations": 0,
        "sent_back": 0,
        "sla_breaches": 2,
        "reversals": 1,
    },
    "arb-two": {
        "resolved": 1,
        "median_handling_seconds": 14100.0,
        "escalations": 1,
        "sent_back": 1,
        "sla_breaches": 0,
        "reversals": 0,
    },
    "senior-one": {
        "resolved": 1,
        "median_handling_seconds": 9600.0,
        "escalations": 0,
        "sent_back": 0,
        "sla_breaches": 0,
        "reversals": 0,
    },
}


def compute(day: date, now: datetime | None = None) -> DailyMetric:
    with at(now or ops(3, 10, 0)):
        return metrics_compute_day(day=day)


def metric_values(metric: DailyMetric) -> dict[str, Any]:
    return {name: getattr(metric, name) for name in EXPECTED_DAY}


def arbitrator_rows(day: date) -> dict[str, dict[str, Any]]:
    return {
        row.user.username: {name: getattr(row, name) for name in EXPECTED_ARBITRATORS["arb-one"]}
        for row in ArbitratorDailyMetric.objects.filter(date=day).select_related("user")
    }


@pytest.fixture
def desk() -> Desk:
    return build_desk()


# --- every metric, by hand ----------------------------------------------------------------


def test_the_hand_computed_percentiles_are_percentile_cont():
    assert percentile_cont(FIRST_RESPONSES, 0.5) == EXPECTED_DAY["median_first_response_seconds"]
    assert percentile_cont(FIRST_RESPONSES, 0.9) == EXPECTED_DAY["p90_first_response_seconds"]
    assert percentile_cont(RESOLUTIONS, 0.5) == EXPECTED_DAY["median_resolution_seconds"]
    assert percentile_cont(RESOLUTIONS, 0.9) == EXPECTED_DAY["p90_resolution_seconds"]
    assert percentile_cont([6600, 13500, 60300, 273120], 0.5) == 36900.0


def test_every_metric_of_the_day_matches_the_hand_computation(desk):
    metric = compute(DAY)

    assert metric.date == DAY
    assert metric.is_partial is False
    assert metric_values(metric) == EXPECTED_DAY


def test_the_timeline_is_what_the_docstring_says(desk):
    """The hand computation rests on these timestamps; check them, not just the result."""
    a = desk.appeals

    def seconds(appeal: Appeal, later: str, earlier: str) -> float:
        return (getattr(appeal, later) - getattr(appeal, earlier)).total_seconds()

    decided = [a[n] for n in ("A1", "A2", "A3", "A4", "A8", "A9")]
    assert [seconds(x, "first_response_at", "created_at") for x in decided] == FIRST_RESPONSES
    assert [seconds(x, "resolved_at", "created_at") for x in decided] == RESOLUTIONS
    assert {n: a[n].status for n in ("A5", "A6", "A7", "A10")} == {
        "A5": "cancelled",
        "A6": "open",
        "A7": "open",
        "A10": "in_review",
    }


def test_per_arbitrator_rows_match_the_hand_computation(desk):
    compute(DAY)

    assert arbitrator_rows(DAY) == EXPECTED_ARBITRATORS


def test_2359_and_0001_operations_time_fall_on_different_days(desk):
    """A6 opened at 23:59 on DAY (15:59 UTC), A7 at 00:01 the next day (16:01 UTC)."""
    assert desk.appeals["A6"].created_at.astimezone(SHANGHAI).date() == DAY
    compute(DAY)
    compute(DAY + timedelta(days=1))

    day, next_day = (
        DailyMetric.objects.get(date=DAY),
        DailyMetric.objects.get(date=DAY + timedelta(days=1)),
    )
    assert day.by_reason["other"] == 1 and "chargeback" not in day.by_reason
    assert next_day.appeals_opened == 1
    assert next_day.by_reason == {"chargeback": 1}
    assert next_day.backlog == 3  # A6, A10 and A7
    assert next_day.frozen_amounts == {"USDT": "500", "BTC": "0.2"}


def test_a_day_without_appeals_gives_zeros_and_carries_the_backlog(desk):
    quiet = DAY + timedelta(days=2)

    metric = compute(quiet)

    assert metric_values(metric) == {
        **{name: 0 for name in EXPECTED_DAY if isinstance(EXPECTED_DAY[name], int)},
        **{name: {} for name in EXPECTED_DAY if isinstance(EXPECTED_DAY[name], dict)},
        "appellant_success_rate": None,
        "median_first_response_seconds": None,
        "p90_first_response_seconds": None,
        "median_resolution_seconds": None,
        "p90_resolution_seconds": None,
        "backlog": 3,
        "frozen_amounts": {"USDT": "500", "BTC": "0.2"},
    }
    assert not ArbitratorDailyMetric.objects.filter(date=quiet).exists()


def test_an_empty_desk_gives_an_empty_day():
    metric = compute(DAY)

    assert (metric.appeals_opened, metric.backlog, metric.verdicts) == (0, 0, 0)
    assert metric.appellant_success_rate is None
    assert metric.median_resolution_seconds is None
    assert metric.frozen_amounts == {} and metric.by_payment_method == {}


def test_today_is_marked_partial(desk):
    assert compute(DAY, now=ops(0, 16, 0)).is_partial is True
    assert compute(DAY, now=ops(1, 0, 5)).is_partial is False


def test_the_days_before_are_computed_by_the_same_rules(desk):
    """Day -2: A10 opened, A11 decided by arb-one (won: the buyer appealed, released)."""
    metric = compute(DAY - timedelta(days=2))

    assert (metric.appeals_opened, metric.appeals_resolved) == (1, 1)
    assert metric.by_reason == {"fraud_scam": 1}
    assert metric.appellant_success_rate == 1.0
    assert metric.median_resolution_seconds == 26 * 3600  # -3 08:00 to -2 10:00
    assert metric.backlog == 2  # A9 and A10
    assert metric.frozen_amounts == {"USDT": "700", "BTC": "0.2"}
    assert metric.reversals == 0  # the reversal happens on DAY


# --- idempotent, transactional, locked ------------------------------------------------------


def test_rerunning_a_day_replaces_its_rows(desk):
    compute(DAY)
    DailyMetric.objects.filter(date=DAY).update(appeals_opened=99, by_reason={"x": 1})
    ArbitratorDailyMetric.objects.filter(date=DAY, user=desk.arb1).update(resolved=42)
    ArbitratorDailyMetric.objects.create(date=DAY, user=staff_user("arbitrator"), resolved=7)

    compute(DAY)
    compute(DAY)

    assert DailyMetric.objects.filter(date=DAY).count() == 1
    assert metric_values(DailyMetric.objects.get(date=DAY)) == EXPECTED_DAY
    assert ArbitratorDailyMetric.objects.filter(date=DAY).count() == 3
    assert arbitrator_rows(DAY) == EXPECTED_ARBITRATORS


def test_a_run_that_fails_midway_leaves_the_previous_figures(desk, monkeypatch):
    compute(DAY)
    before = metric_values(DailyMetric.objects.get(date=DAY))
    # A new appeal on DAY: a run that got through would count 7.
    open_at(ops(0, 18, 0), opened_by="buyer", reason="other", method="wise")

    def crash(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("worker killed")

    # bulk_create runs inside the transaction, after the day's row was updated and its
    # arbitrator rows deleted.
    monkeypatch.setattr(ArbitratorDailyMetric.objects, "bulk_create", crash)
    with pytest.raises(RuntimeError, match="worker killed"):
        compute(DAY)

    assert metric_values(DailyMetric.objects.get(date=DAY)) == before
    assert before["appeals_opened"] == 6
    assert arbitrator_rows(DAY) == EXPECTED_ARBITRATORS


# --- the management command -----------------------------------------------------------------


def run_command(*args: str) -> str:
    out, err = io.StringIO(), io.StringIO()
    with at(ops(3, 10, 0)):
        call_command("compute_daily_metrics", *args, stdout=out, stderr=err)
    return out.getvalue()


def test_the_command_computes_one_day(desk):
    output = run_command("--date", DAY.isoformat())

    assert "Computed 1 day(s)" in output
    assert list(DailyMetric.objects.values_list("date", flat=True)) == [DAY]
    assert metric_values(DailyMetric.objects.get(date=DAY)) == EXPECTED_DAY


def test_the_command_defaults_to_yesterday(desk):
    run_command()

    yesterday = date(2026, 11, 22)  # the command runs at 2026-11-23 10:00
    assert list(DailyMetric.objects.values_list("date", flat=True)) == [yesterday]


def test_the_command_backfills_a_range(desk):
    output = run_command("--from", "2026-11-17", "--to", "2026-11-22")

    assert "Computed 6 day(s): 2026-11-17 to 2026-11-22." in output
    days = list(DailyMetric.objects.order_by("date").values_list("date", "appeals_opened"))
    assert days == [
        (date(2026, 11, 17), 2),
        (date(2026, 11, 18), 1),
        (date(2026, 11, 19), 1),
        (DAY, 6),
        (date(2026, 11, 21), 1),
        (date(2026, 11, 22), 0),
    ]
    assert metric_values(DailyMetric.objects.get(date=DAY)) == EXPECTED_DAY
    # Backfilling again replaces, never duplicates.
    run_command("--from", "2026-11-17", "--to", "2026-11-22")
    assert DailyMetric.objects.count() == 6
    assert ArbitratorDailyMetric.objects.filter(date=DAY).count() == 3


@pytest.mark.parametrize(
    "args",
    [
        ("--date", "yesterday"),
        ("--date", "2026-02-30"),
        ("--from", "2026-11-01"),
        ("--to", "2026-11-01"),
        ("--from", "2026-11-08", "--to", "2026-11-01"),
        ("--from", "2026-11-01", "--to", "soon"),
        ("--date", "2026-11-01", "--from", "2026-11-01", "--to", "2026-11-02"),
    ],
)
def test_the_command_refuses_bad_input(args):
    with pytest.raises(CommandError):
        run_command(*args)
    assert not DailyMetric.objects.exists()


# --- the API serves the contract ------------------------------------------------------------

CONTRACT_FIELDS = (
    "date",
    "appeals_opened",
    "appeals_resolved",
    "by_reason",
    "by_outcome",
    "by_responsible_party",
    "appellant_success_rate",
    "median_first_response_seconds",
    "median_resolution_seconds",
    "sla_breaches",
    "backlog",
)


def test_the_api_serves_the_contract_fields_with_the_hand_computed_values(desk, lead):
    compute(DAY)
    compute(DAY + timedelta(days=2))
    client = APIClient()
    client.force_login(lead)

    response = client.get("/api/v1/metrics/daily/?from=2026-11-19&to=2026-11-22")

    assert response.status_code == 200
    body = response.json()
    assert body["next"] is None and body["previous"] is None
    assert [d["date"] for d in body["results"]] == ["2026-11-20", "2026-11-22"]
    served = body["results"][0]
    assert set(served) >= set(CONTRACT_FIELDS)
    assert {name: served[name] for name in CONTRACT_FIELDS} == {
        "date": "2026-11-20",
        **{name: EXPECTED_DAY[name] for name in CONTRACT_FIELDS if name != "date"},
    }
    assert isinstance(served["appellant_success_rate"], float)
    quiet = body["results"][1]
    assert quiet["appellant_success_rate"] is None
    assert quiet["median_first_response_seconds"] is None
    assert quiet["backlog"] == 3


# --- two runs at once -----------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_two_runs_at_once_leave_one_set_of_rows():
    from tests.cases.test_concurrency import run_together

    if connection.vendor == "sqlite" and connection.is_in_memory_db():
        pytest.skip("threads need PostgreSQL or a file-based SQLite")
    desk = build_desk()
    with at(ops(3, 10, 0)):
        outcomes = run_together(
            lambda: metrics_compute_day(day=DAY),
            lambda: metrics_compute_day(day=DAY),
            lambda: metrics_compute_day(day=DAY),
        )

    assert all(o.ok for o in outcomes), [o.error for o in outcomes]
    assert DailyMetric.objects.filter(date=DAY).count() == 1
    assert metric_values(DailyMetric.objects.get(date=DAY)) == EXPECTED_DAY
    assert ArbitratorDailyMetric.objects.filter(date=DAY).count() == 3
    assert arbitrator_rows(DAY) == EXPECTED_ARBITRATORS
    assert desk.arb1.pk in ArbitratorDailyMetric.objects.values_list("user_id", flat=True)
