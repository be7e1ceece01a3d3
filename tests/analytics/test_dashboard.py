"""The KPI dashboard (/dashboard/), its CSV exports and the management report.

The pages read the precomputed rows only, so most tests lay out DailyMetric and
ArbitratorDailyMetric rows with known figures (`history`) and check what the pages make of
them; one test runs the whole way from hand-made appeals (test_metrics.build_desk).
"""

from __future__ import annotations

import csv
import io
import json
import re
from datetime import date, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from analytics.models import ArbitratorDailyMetric, DailyMetric
from cases.models import Appeal
from tests.factories import staff_user

pytestmark = pytest.mark.django_db

SHANGHAI = ZoneInfo("Asia/Shanghai")
# "Now" for every test: 00:30 on 22 November in Shanghai, still the 21st in UTC.
NOW = datetime(2026, 11, 22, 0, 30, tzinfo=SHANGHAI)
TODAY = date(2026, 11, 22)
FIRST_DAY = date(2026, 7, 1)
URL = "/dashboard/"
ALL_STATUSES = [s.value for s in Appeal.Status]


@pytest.fixture(autouse=True)
def frozen_now(time_machine: Any) -> None:
    time_machine.move_to(NOW, tick=False)


def figures(day: date) -> dict[str, Any]:
    """The figures of one day of `history`: simple functions of the day's number."""
    i = (day - FIRST_DAY).days
    opened = 10 + i % 7 + (i // 7) % 3
    resolved = 8 + i % 5
    wins = resolved // 2 + i % 2
    return {
        "appeals_opened": opened,
        "appeals_resolved": resolved,
        "appeals_cancelled": i % 2,
        "verdicts": resolved,
        "appellant_wins": wins,
        "appellant_success_rate": wins / resolved,
        "median_first_response_seconds": 600.0 + 10 * (i % 9),
        "p90_first_response_seconds": 1800.0 + 10 * (i % 9),
        "median_resolution_seconds": 3600.0 * (5 + i % 4),
        "p90_resolution_seconds": 3600.0 * (20 + i % 4),
        "sla_breaches": i % 4,
        "backlog": 30 + i % 11,
        "escalations": i % 3,
        "sent_back": i % 2,
        "reversals": 1 if i % 10 == 0 else 0,
        "by_reason": {"fraud_scam": opened - 4, "chargeback": 3, "wrong_amount": 1},
        "by_outcome": {"release_to_buyer": wins, "return_to_seller": resolved - wins},
        "by_responsible_party": {"seller": wins, "buyer": resolved - wins},
        "by_payment_method": {
            "alipay": {
                "opened": opened - 2,
                "resolved": resolved - 1,
                "verdicts": resolved - 1,
                "appellant_wins": wins - 1,
            },
            "wise": {"opened": 2, "resolved": 1, "verdicts": 1, "appellant_wins": 1},
        },  # fmt: skip
        "by_channel": {
            "in_app": {
                "opened": opened - 1,
                "resolved": resolved,
                "verdicts": resolved,
                "appellant_wins": wins,
            },
            "email": {"opened": 1, "resolved": 0, "verdicts": 0, "appellant_wins": 0},
        },  # fmt: skip
        "frozen_amounts": {"USDT": str(10000 + 100 * i), "BTC": "0.5"},
        "decided_amounts": {
            "release_to_buyer": {"USDT": str(500 * wins)},
            "return_to_seller": {"USDT": str(250 * (resolved - wins))},
        },
    }


def days(first: date, last: date) -> list[date]:
    return [first + timedelta(days=n) for n in range((last - first).days + 1)]


@pytest.fixture
def arbitrators() -> list[Any]:
    return [staff_user("arbitrator", username=name) for name in ("ann", "bob")]


@pytest.fixture
def history(arbitrators: list[Any]) -> None:
    """Computed days from 1 July to today (today partial); arbitrator rows for each."""
    computed = datetime(2026, 11, 22, 0, 25, tzinfo=SHANGHAI)
    DailyMetric.objects.bulk_create(
        DailyMetric(date=d, computed_at=computed, is_partial=d == TODAY, **figures(d))
        for d in days(FIRST_DAY, TODAY)
    )
    ann, bob = arbitrators
    rows = []
    for d in days(FIRST_DAY, TODAY):
        i = (d - FIRST_DAY).days
        rows.append(
            ArbitratorDailyMetric(
                date=d,
                user=ann,
                resolved=1 + i % 3,
                median_handling_seconds=1000.0 * (1 + i % 3),
                escalations=i % 2,
                sent_back=1 if i % 5 == 0 else 0,
                sla_breaches=i % 2,
                reversals=0,
            )
        )
        if i % 2 == 0:
            rows.append(
                ArbitratorDailyMetric(
                    date=d, user=bob, resolved=4, median_handling_seconds=None, reversals=1
                )
            )
    ArbitratorDailyMetric.objects.bulk_create(rows)


@pytest.fixture
def lead_client(client: Any, lead: Any) -> Any:
    client.force_login(lead)
    return client


def tiles(response: Any) -> dict[str, dict[str, Any]]:
    return {t["key"]: t for t in response.context["tiles"]}


def chart_json(response: Any) -> dict[str, Any]:
    """The page's #dashboard-data block: {"bounds": [...], "charts": {...}}."""
    match = re.search(
        r'<script id="dashboard-data" type="application/json">(.*?)</script>',
        response.content.decode(),
        re.S,
    )
    assert match, "no chart data block"
    return json.loads(match.group(1))


def link(data: dict[str, Any], chart: str, dataset: int, index: int) -> str:
    """The URL behind one element, resolved as dashboard.js's linkFor does."""
    row = data["charts"][chart]["links"][dataset]
    if isinstance(row, str):
        after, before = data["bounds"][index]
        return row.replace("{after}", after).replace("{before}", before)
    return row[index]


def csv_rows(response: Any) -> list[dict[str, str]]:
    assert response.status_code == 200, response.content[:500]
    assert response["Content-Type"].startswith("text/csv")
    return list(csv.DictReader(io.StringIO(response.content.decode())))


def total(period: list[date], name: str) -> int:
    return sum(figures(d)[name] for d in period)


def weighted(period: list[date], name: str) -> float:
    pairs = [(figures(d)[name], figures(d)["appeals_resolved"]) for d in period]
    return sum(v * w for v, w in pairs) / sum(w for _v, w in pairs)


def query(url: str) -> dict[str, list[str]]:
    return parse_qs(urlsplit(url).query)


# --- who may look ---------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["team_lead", "auditor", "risk_analyst"])
@pytest.mark.parametrize("path", [URL, "/dashboard/report/", URL + "?format=csv&table=daily"])
def test_leads_auditors_and_risk_analysts_see_the_dashboards(client, role, path):
    client.force_login(staff_user(role))

    assert client.get(path).status_code == 200


@pytest.mark.parametrize("role", ["arbitrator", "senior_arbitrator", None])
@pytest.mark.parametrize("path", [URL, "/dashboard/report/", URL + "?format=csv&table=daily"])
def test_others_are_refused(client, role, path):
    client.force_login(staff_user(role))

    assert client.get(path).status_code == 403


@pytest.mark.parametrize("path", [URL, "/dashboard/report/?period=week"])
def test_anonymous_visitors_are_sent_to_the_login_page(client, path):
    response = client.get(path)

    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/?next=/dashboard/")


def test_it_only_answers_get(lead_client):
    assert lead_client.post(URL).status_code == 405


# --- the range ------------------------------------------------------------------------------


def test_the_default_range_is_the_last_28_days_of_the_operations_time_zone(lead_client, history):
    response = lead_client.get(URL)

    period = response.context["period"]
    # 00:30 in Shanghai is still 21 November in UTC: the range ends on the 22nd.
    assert (period.first, period.last) == (date(2026, 10, 26), TODAY)
    assert response.context["preset"] == "last_28"
    assert (
        tiles(response)["opened"]["value"]
        == f"{total(days(period.first, TODAY), 'appeals_opened'):,}"
    )


@pytest.mark.parametrize(
    ("preset", "first", "last"),
    [
        ("last_7", date(2026, 11, 16), TODAY),
        ("last_28", date(2026, 10, 26), TODAY),
        ("this_month", date(2026, 11, 1), TODAY),
        ("last_month", date(2026, 10, 1), date(2026, 10, 31)),
    ],
)
def test_presets(lead_client, preset, first, last):
    response = lead_client.get(f"{URL}?preset={preset}")

    period = response.context["period"]
    assert (period.first, period.last) == (first, last)
    assert response.context["preset"] == preset


def test_a_chosen_range_that_equals_a_preset_selects_it(lead_client):
    response = lead_client.get(f"{URL}?from=2026-11-16&to=2026-11-22")

    assert response.context["preset"] == "last_7"


def test_the_range_changes_the_figures(lead_client, history):
    week = days(date(2026, 11, 1), date(2026, 11, 7))
    fortnight = days(date(2026, 9, 1), date(2026, 9, 14))

    one = tiles(lead_client.get(f"{URL}?from=2026-11-01&to=2026-11-07"))
    two = tiles(lead_client.get(f"{URL}?from=2026-09-01&to=2026-09-14"))

    assert one["opened"]["value"] == str(total(week, "appeals_opened"))
    assert two["opened"]["value"] == str(total(fortnight, "appeals_opened"))
    assert one["opened"]["value"] != two["opened"]["value"]
    assert one["resolved"]["value"] == str(total(week, "appeals_resolved"))
    assert one["sla"]["value"] == str(total(week, "sla_breaches"))
    assert one["backlog"]["value"] == str(figures(date(2026, 11, 7))["backlog"])
    assert one["frozen"]["value"] == f"{10000 + 100 * (date(2026, 11, 7) - FIRST_DAY).days:,}"


def test_kpis_are_summed_and_weighted_over_the_range(lead_client, history):
    week = days(date(2026, 11, 1), date(2026, 11, 7))

    response = lead_client.get(f"{URL}?from=2026-11-01&to=2026-11-07")

    current = response.context["current"]
    # The success rate is wins / verdicts over the range, not a mean of daily rates.
    assert current.appellant_success_rate == pytest.approx(
        total(week, "appellant_wins") / total(week, "verdicts")
    )
    # A median over the range: the daily medians weighted by the day's resolved appeals.
    assert current.median_resolution_seconds == pytest.approx(
        weighted(week, "median_resolution_seconds"), abs=0.001
    )
    assert current.median_first_response_seconds == pytest.approx(
        weighted(week, "median_first_response_seconds"), abs=0.001
    )


def test_kpi_tiles_compare_with_the_previous_period_of_equal_length(lead_client, history):
    week = days(date(2026, 11, 1), date(2026, 11, 7))
    before = days(date(2026, 10, 25), date(2026, 10, 31))

    response = lead_client.get(f"{URL}?from=2026-11-01&to=2026-11-07")

    previous = response.context["previous_period"]
    assert (previous.first, previous.last) == (date(2026, 10, 25), date(2026, 10, 31))
    opened = tiles(response)["opened"]
    now, then = total(week, "appeals_opened"), total(before, "appeals_opened")
    assert opened["previous"] == str(then)
    assert opened["delta"] == f"{(now - then) / then * 100:+.0f}%".replace("+0%", "0%")
    assert opened["arrow"] == ("▲" if now > then else "▼" if now < then else "■")
    # More appeals is bad news; more resolved is good news.
    assert opened["tone"] == ("bad" if now > then else "good" if now < then else "neutral")
    success = tiles(response)["success"]
    rate_now = total(week, "appellant_wins") / total(week, "verdicts")
    rate_then = total(before, "appellant_wins") / total(before, "verdicts")
    assert success["delta"] == f"{(rate_now - rate_then) * 100:+.1f} pp"
    assert success["tone"] == "neutral"  # neither direction is good news in itself


def test_a_range_without_computed_days_says_so(lead_client, history):
    response = lead_client.get(f"{URL}?from=2026-01-01&to=2026-01-07")

    assert response.status_code == 200
    assert response.context["missing_days"] == 7
    assert "7 days of this range have no computed figures yet" in response.content.decode()
    assert tiles(response)["opened"]["value"] == "0"
    assert tiles(response)["backlog"]["value"] == "—"
    assert tiles(response)["resolution"]["value"] == "—"


@pytest.mark.parametrize(
    "query_string",
    ["from=2026-11-08&to=2026-11-01", "from=2025-01-01&to=2026-11-01", "from=2026-11-01",
     "from=yesterday&to=2026-11-01"],
)  # fmt: skip
def test_a_bad_range_shows_the_error_and_the_default_range(lead_client, query_string):
    response = lead_client.get(f"{URL}?{query_string}")

    assert response.status_code == 200
    assert response.context["form"].errors
    assert response.context["period"].days == 28


def test_today_is_marked_partial(lead_client, history):
    response = lead_client.get(f"{URL}?preset=last_7")

    assert response.context["partial"] is True
    daily = response.context["tables"]["daily"]
    assert daily.rows[0]["date"] == TODAY and daily.rows[0]["is_partial"] == "yes"


# --- CSV ------------------------------------------------------------------------------------

CSV = f"{URL}?from=2026-11-01&to=2026-11-07&format=csv&table="
WEEK = days(date(2026, 11, 1), date(2026, 11, 7))
WEEK_BEFORE = days(date(2026, 10, 25), date(2026, 10, 31))


@pytest.mark.parametrize(
    "table",
    ["daily", "reasons", "outcomes", "responsible_parties", "arbitrators", "payment_methods",
     "channels", "amounts"],
)  # fmt: skip
def test_every_table_downloads_as_csv_with_a_filename(lead_client, history, table):
    response = lead_client.get(CSV + table)

    assert csv_rows(response)
    assert response["Content-Disposition"] == (
        f'attachment; filename="appeal-metrics-{table}-2026-11-01-to-2026-11-07.csv"'
    )


def test_the_daily_csv_matches_the_computed_days(lead_client, history):
    rows = csv_rows(lead_client.get(CSV + "daily"))

    assert [r["date"] for r in rows] == [d.isoformat() for d in reversed(WEEK)]
    for row in rows:
        expected = figures(date.fromisoformat(row["date"]))
        for name in ("appeals_opened", "appeals_resolved", "sla_breaches", "backlog", "reversals"):
            assert int(row[name]) == expected[name], name
        assert float(row["median_resolution_seconds"]) == expected["median_resolution_seconds"]
        assert float(row["appellant_success_rate"]) == pytest.approx(
            expected["appellant_success_rate"], abs=0.0001
        )
        assert int(row["opened_fraud_scam"]) == expected["by_reason"]["fraud_scam"]
        assert row["frozen_USDT"] == expected["frozen_amounts"]["USDT"]


def test_the_arbitrators_csv_sums_their_days(lead_client, history):
    rows = {r["username"]: r for r in csv_rows(lead_client.get(CSV + "arbitrators"))}

    index = [(d - FIRST_DAY).days for d in WEEK]
    ann_resolved = [1 + i % 3 for i in index]
    assert int(rows["ann"]["resolved"]) == sum(ann_resolved)
    assert int(rows["ann"]["escalations"]) == sum(i % 2 for i in index)
    assert int(rows["ann"]["sent_back"]) == sum(1 for i in index if i % 5 == 0)
    # Weighted by the cases resolved each day, not a median of medians.
    handling = sum(r * 1000.0 * r for r in ann_resolved) / sum(ann_resolved)
    assert float(rows["ann"]["median_handling_seconds"]) == pytest.approx(handling, abs=0.001)
    bob_days = sum(1 for i in index if i % 2 == 0)
    assert int(rows["bob"]["resolved"]) == 4 * bob_days
    assert int(rows["bob"]["reversals"]) == bob_days
    assert rows["bob"]["median_handling_seconds"] == ""


def test_the_payment_method_and_channel_csvs_sum_the_breakdowns(lead_client, history):
    methods = {r["key"]: r for r in csv_rows(lead_client.get(CSV + "payment_methods"))}
    channels = {r["key"]: r for r in csv_rows(lead_client.get(CSV + "channels"))}

    def summed(field: str, key: str, name: str, period: list[date] = WEEK) -> int:
        return sum(figures(d)[field][key][name] for d in period)

    assert int(methods["alipay"]["opened"]) == summed("by_payment_method", "alipay", "opened")
    assert int(methods["alipay"]["previous_opened"]) == summed(
        "by_payment_method", "alipay", "opened", WEEK_BEFORE
    )
    assert int(methods["wise"]["opened"]) == 14
    assert float(methods["wise"]["appellant_success_rate"]) == 1.0
    assert int(channels["in_app"]["resolved"]) == summed("by_channel", "in_app", "resolved")
    assert int(channels["email"]["opened"]) == 7
    assert channels["email"]["appellant_success_rate"] == ""


def test_the_reason_outcome_and_amount_csvs(lead_client, history):
    reasons = {r["key"]: r for r in csv_rows(lead_client.get(CSV + "reasons"))}
    outcomes = {r["key"]: r for r in csv_rows(lead_client.get(CSV + "outcomes"))}
    amounts = {r["asset"]: r for r in csv_rows(lead_client.get(CSV + "amounts"))}

    fraud = sum(figures(d)["by_reason"]["fraud_scam"] for d in WEEK)
    assert int(reasons["fraud_scam"]["count"]) == fraud
    assert int(reasons["chargeback"]["count"]) == 21
    assert float(reasons["chargeback"]["share"]) == pytest.approx(
        21 / total(WEEK, "appeals_opened"), abs=0.0001
    )
    assert int(outcomes["release_to_buyer"]["count"]) == total(WEEK, "appellant_wins")
    assert amounts["USDT"]["frozen"] == figures(date(2026, 11, 7))["frozen_amounts"]["USDT"]
    assert amounts["USDT"]["release_to_buyer"] == str(500 * total(WEEK, "appellant_wins"))
    assert amounts["BTC"]["frozen"] == "0.5" and amounts["BTC"]["release_to_buyer"] == ""


def test_a_csv_cell_never_starts_a_formula(lead_client):
    hostile = '=HYPERLINK("http://evil")'
    DailyMetric.objects.create(
        date=date(2026, 11, 20),
        computed_at=NOW,
        by_payment_method={hostile: {"opened": 1, "resolved": 0, "verdicts": 0,
                                     "appellant_wins": 0}},
    )  # fmt: skip

    rows = csv_rows(
        lead_client.get(f"{URL}?from=2026-11-20&to=2026-11-20&format=csv&table=payment_methods")
    )

    assert rows[0]["label"] == "'" + hostile and rows[0]["key"] == "'" + hostile


@pytest.mark.parametrize("query_string", ["format=csv", "format=csv&table=appeals", "format=xml"])
def test_a_bad_export_is_refused(lead_client, query_string):
    response = lead_client.get(f"{URL}?{query_string}")

    assert response.status_code == 400


def test_the_page_links_each_table_to_its_csv(lead_client, history):
    content = lead_client.get(f"{URL}?from=2026-11-01&to=2026-11-07").content.decode()

    for table in ("daily", "reasons", "arbitrators", "payment_methods", "channels", "amounts"):
        assert (
            f'href="/dashboard/?from=2026-11-01&amp;to=2026-11-07&amp;format=csv&amp;table={table}"'
            in content
        )


# --- charts and their links -----------------------------------------------------------------


def test_the_chart_data_is_in_the_page(lead_client, history):
    data = chart_json(lead_client.get(f"{URL}?from=2026-11-01&to=2026-11-07"))
    charts = data["charts"]

    assert set(charts) == {
        "reasons",
        "success",
        "first_response",
        "resolution",
        "sla_backlog",
        "payment_methods",
        "channels",
    }
    reasons = charts["reasons"]
    assert reasons["labels"] == [d.isoformat() for d in WEEK]
    assert [d["key"] for d in reasons["datasets"]] == ["wrong_amount", "chargeback", "fraud_scam"]
    fraud = next(d for d in reasons["datasets"] if d["key"] == "fraud_scam")
    assert fraud["data"] == [figures(d)["by_reason"]["fraud_scam"] for d in WEEK]
    assert charts["success"]["datasets"][0]["data"][0] == pytest.approx(
        figures(WEEK[0])["appellant_success_rate"] * 100, abs=0.005
    )
    assert charts["resolution"]["datasets"][0]["data"] == [
        figures(d)["median_resolution_seconds"] / 3600 for d in WEEK
    ]
    backlog = charts["sla_backlog"]["datasets"][1]
    assert backlog["data"] == [figures(d)["backlog"] for d in WEEK]
    # Every element has a link: one URL each, or a template filled with the day's bounds.
    assert len(data["bounds"]) == len(WEEK)
    for key, spec in charts.items():
        assert len(spec["links"]) == len(spec["datasets"])
        for d, (links, dataset) in enumerate(zip(spec["links"], spec["datasets"], strict=True)):
            assert isinstance(links, str) or len(links) == len(dataset["data"])
            for i in range(len(dataset["data"])):
                assert urlsplit(link(data, key, d, i)).path == "/"


def test_a_day_not_computed_is_a_gap_in_the_charts(lead_client, history):
    DailyMetric.objects.filter(date=date(2026, 11, 3)).delete()

    charts = chart_json(lead_client.get(f"{URL}?from=2026-11-01&to=2026-11-07"))["charts"]

    assert charts["resolution"]["datasets"][0]["data"][2] is None
    assert charts["reasons"]["datasets"][0]["data"][2] is None


def test_a_reason_bar_links_to_that_reason_opened_that_day_in_any_status(lead_client, history):
    data = chart_json(lead_client.get(f"{URL}?from=2026-11-14&to=2026-11-20"))
    reasons = data["charts"]["reasons"]
    fraud = [d["key"] for d in reasons["datasets"]].index("fraud_scam")

    url = link(data, "reasons", fraud, 6)  # 2026-11-20

    assert urlsplit(url).path == "/"
    assert query(url) == {
        "reason": ["fraud_scam"],
        "created_after": ["2026-11-20T00:00+08:00"],
        "created_before": ["2026-11-21T00:00+08:00"],
        "status": ALL_STATUSES,
    }


def test_the_other_charts_link_to_the_cases_behind_them(lead_client, history):
    data = chart_json(lead_client.get(f"{URL}?from=2026-11-14&to=2026-11-20"))
    charts = data["charts"]
    day = {
        "resolved_after": ["2026-11-20T00:00+08:00"],
        "resolved_before": ["2026-11-21T00:00+08:00"],
    }

    assert query(link(data, "success", 0, 6)) == {**day, "status": ["resolved"]}
    assert query(link(data, "resolution", 1, 6)) == {**day, "status": ["resolved"]}
    assert query(link(data, "first_response", 0, 6)) == {**day, "status": ["resolved"]}
    assert query(link(data, "sla_backlog", 0, 6)) == {
        **day,
        "status": ["resolved"],
        "breached": ["1"],
    }
    assert query(link(data, "sla_backlog", 1, 6)) == {
        "open_at": ["2026-11-21T00:00+08:00"],
        "status": ALL_STATUSES,
    }
    week = {
        "created_after": ["2026-11-14T00:00+08:00"],
        "created_before": ["2026-11-21T00:00+08:00"],
    }
    methods = charts["payment_methods"]
    assert methods["labels"][0] == "alipay"
    assert query(link(data, "payment_methods", 0, 0)) == {
        "payment_method": ["alipay"],
        **week,
        "status": ALL_STATUSES,
    }
    channels = charts["channels"]
    assert query(link(data, "channels", 0, channels["labels"].index("E-mail"))) == {
        "channel": ["email"],
        **week,
        "status": ALL_STATUSES,
    }


def test_the_queue_answers_the_chart_links(lead_client, history):
    data = chart_json(lead_client.get(f"{URL}?from=2026-11-14&to=2026-11-20"))

    for key in data["charts"]:
        assert lead_client.get(link(data, key, 0, 0)).status_code == 200


def test_a_year_of_days_stays_a_small_page(lead_client, history):
    """A link template per series, not a URL per bar: 365 days must not mean megabytes."""
    response = lead_client.get(f"{URL}?from=2025-11-23&to=2026-11-22")

    assert response.status_code == 200
    assert len(response.content) < 600_000


def test_the_page_has_no_inline_script(lead_client, history):
    response = lead_client.get(f"{URL}?preset=last_7")
    content = response.content.decode()

    scripts = re.findall(r"<script([^>]*)>", content)
    assert scripts, "no scripts at all"
    for attributes in scripts:
        assert "src=" in attributes or 'type="application/json"' in attributes, attributes
    assert not re.search(r"\son[a-z]+=", content), "inline event handler"
    assert " style=" not in content
    assert "/static/vendor/chart-4.6.1.umd.min.js" in content
    assert "script-src 'self'" in response["Content-Security-Policy"]


# --- queries --------------------------------------------------------------------------------


def count_queries(client: Any, url: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


def test_the_page_costs_the_same_few_queries_for_a_week_and_for_a_quarter(lead_client, history):
    lead_client.get(URL)  # warm the session and the content types

    week = count_queries(lead_client, f"{URL}?from=2026-11-16&to=2026-11-22")
    quarter = count_queries(lead_client, f"{URL}?from=2026-08-25&to=2026-11-22")
    year = count_queries(lead_client, f"{URL}?from=2025-11-22&to=2026-11-22")

    assert week == quarter == year
    # Session, user, roles and permissions, profile and the navigation's counts, the
    # header's unread notifications and own shift (the person, their shifts, absences),
    # then the dashboard's own two: the days of both periods, and the arbitrators' GROUP BY.
    assert week <= 13


def test_a_csv_export_costs_a_query_or_two(lead_client, history):
    lead_client.get(URL)

    daily = count_queries(lead_client, CSV + "daily")
    arbitrators = count_queries(lead_client, CSV + "arbitrators")

    assert arbitrators == daily + 1


# --- from appeals to the page ---------------------------------------------------------------


def test_a_hand_made_day_reaches_the_page(lead_client):
    from analytics.services import metrics_compute_day

    from .test_metrics import DAY, EXPECTED_ARBITRATORS, EXPECTED_DAY, build_desk

    build_desk()
    for offset in range(-3, 2):
        metrics_compute_day(day=DAY + timedelta(days=offset))

    response = lead_client.get(f"{URL}?from={DAY}&to={DAY}")

    kpi = tiles(response)
    assert kpi["opened"]["value"] == "6"
    assert kpi["resolved"]["value"] == "6"
    assert kpi["success"]["value"] == "50.0%"
    assert kpi["first_response"]["value"] == "12m"  # 750 s
    assert kpi["resolution"]["value"] == "4h 15m"  # 15300 s
    assert kpi["sla"]["value"] == "2"
    assert kpi["backlog"]["value"] == "2"
    assert kpi["frozen"]["value"] == "100"
    rows = {
        r["username"]: r
        for r in csv_rows(
            lead_client.get(f"{URL}?from={DAY}&to={DAY}&format=csv&table=arbitrators")
        )
    }
    for name, expected in EXPECTED_ARBITRATORS.items():
        assert int(rows[name]["resolved"]) == expected["resolved"]
        assert float(rows[name]["median_handling_seconds"]) == expected["median_handling_seconds"]
        assert int(rows[name]["reversals"]) == expected["reversals"]
    (daily,) = csv_rows(lead_client.get(f"{URL}?from={DAY}&to={DAY}&format=csv&table=daily"))
    assert float(daily["p90_resolution_seconds"]) == EXPECTED_DAY["p90_resolution_seconds"]


# --- languages ------------------------------------------------------------------------------


def test_the_dashboard_renders_in_chinese(lead_client, history):
    response = lead_client.get(URL, HTTP_ACCEPT_LANGUAGE="zh-hans")

    assert response.status_code == 200
    assert '<html lang="zh-hans">' in response.content.decode()


# --- the management report ------------------------------------------------------------------

REPORT = "/dashboard/report/"


def test_the_weekly_report_compares_with_the_week_before(lead_client, history):
    response = lead_client.get(f"{REPORT}?period=week&start=2026-11-09")

    assert response.status_code == 200
    period, previous = response.context["period"], response.context["previous_period"]
    assert (period.first, period.last) == (date(2026, 11, 9), date(2026, 11, 15))
    assert (previous.first, previous.last) == (date(2026, 11, 2), date(2026, 11, 8))
    week = days(date(2026, 11, 9), date(2026, 11, 15))
    before = days(date(2026, 11, 2), date(2026, 11, 8))
    now, then = total(week, "appeals_opened"), total(before, "appeals_opened")
    summary = response.context["summary"]
    word = "up" if now > then else "down"
    assert summary[0].startswith(f"Appeals {word} {abs(now - then) / then * 100:.0f}% vs last week")
    content = response.content.decode()
    for heading in ("Summary", "Headline figures", "Top reasons", "Responsible party",
                    "SLA performance", "Arbitrators", "Payment-method hot spots",
                    "Money frozen and decided"):  # fmt: skip
        assert heading in content, heading
    assert "Fraud or scam" in content


def test_the_summary_names_the_reason_behind_the_change(lead_client):
    def day(d: date, **reasons: int) -> None:
        DailyMetric.objects.create(
            date=d, computed_at=NOW, appeals_opened=sum(reasons.values()), by_reason=reasons
        )

    day(date(2026, 11, 3), third_party_payment=10, chargeback=40)
    day(date(2026, 11, 10), third_party_payment=13, chargeback=41)

    response = lead_client.get(f"{REPORT}?period=week&start=2026-11-09")

    assert response.context["summary"][0] == (
        "Appeals up 8% vs last week (50 → 54), driven by Third-party payment (+30%)."
    )


def test_the_monthly_report_takes_the_whole_calendar_month(lead_client, history):
    response = lead_client.get(f"{REPORT}?period=month&start=2026-10-17")

    period, previous = response.context["period"], response.context["previous_period"]
    assert (period.first, period.last) == (date(2026, 10, 1), date(2026, 10, 31))
    assert (previous.first, previous.last) == (date(2026, 9, 1), date(2026, 9, 30))
    october = days(date(2026, 10, 1), date(2026, 10, 31))
    assert tiles(response)["opened"]["value"] == f"{total(october, 'appeals_opened'):,}"
    assert "Appeal desk: monthly report" in response.content.decode()


def test_the_report_defaults_to_the_last_complete_week(lead_client, history):
    response = lead_client.get(REPORT)

    period = response.context["period"]
    # Today is Sunday 22 November: the last complete week is Monday 9 to Sunday 15.
    assert (period.first, period.last) == (date(2026, 11, 9), date(2026, 11, 15))


def test_the_report_prints_on_a4_without_the_navigation(lead_client, history):
    from django.contrib.staticfiles import finders

    css = open(finders.find("css/dashboard.css"), encoding="utf-8").read()
    assert "@page { size: A4" in css
    assert re.search(r"@media print \{[^@]*\.topbar[^{]*\{ display: none", css)
    content = lead_client.get(REPORT).content.decode()
    assert "data-print" in content


@pytest.mark.parametrize(
    "query_string", ["period=year", "period=week&start=2027-01-04", "start=someday"]
)
def test_a_bad_report_period_is_refused(lead_client, query_string):
    assert lead_client.get(f"{REPORT}?{query_string}").status_code == 400


@pytest.mark.parametrize(
    "query",
    [
        "from=0001-01-01&to=0001-01-02",
        "from=9999-12-30&to=9999-12-31",
        "period=week&start=0001-01-01",
        "period=month&start=9999-12-01",
    ],
)
def test_days_at_the_ends_of_the_calendar_are_a_form_error_not_a_500(client, query):
    """As reported: year 1 and year 9999 overflowed the previous-period arithmetic."""
    client.force_login(staff_user("team_lead"))
    path = "/dashboard/report/" if "period=" in query else "/dashboard/"

    response = client.get(f"{path}?{query}")

    assert response.status_code in (200, 400)
    assert "between 1970 and 2999" in response.content.decode()


def test_the_report_links_to_the_reports_before_and_after(lead_client, history):
    """The page's own links, not the header's navigation (which once hid them: both were
    called `nav`, and the header's won)."""
    content = lead_client.get(f"{REPORT}?period=week&start=2026-11-02").content.decode()

    assert f'href="{REPORT}?period=week&amp;start=2026-10-26"' in content
    assert f'href="{REPORT}?period=week&amp;start=2026-11-09"' in content
    assert 'href=""' not in content


def test_a_report_that_cannot_be_drawn_links_to_the_latest(lead_client, history):
    response = lead_client.get(f"{REPORT}?period=week&start=2030-01-01")

    assert response.status_code == 400
    assert f'href="{REPORT}?period=week"' in response.content.decode()
