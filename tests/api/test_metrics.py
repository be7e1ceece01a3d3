"""GET /api/v1/metrics/daily/?from=YYYY-MM-DD&to=YYYY-MM-DD."""

from __future__ import annotations

import io
from datetime import UTC, datetime

import pytest
from django.core.management import call_command

from tests.factories import open_appeal

from .payloads import API, ISO_WITH_OFFSET, assert_error

pytestmark = pytest.mark.django_db

URL = f"{API}/metrics/daily/"
METRIC_FIELDS = {
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
}


def test_it_answers_the_paginated_shape(service_api):
    response = service_api.get(f"{URL}?from=2026-11-01&to=2026-11-07")

    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"next", "previous", "results"}
    assert isinstance(body["results"], list)
    for day in body["results"]:
        assert set(day) >= METRIC_FIELDS
        assert "2026-11-01" <= day["date"] <= "2026-11-07"
        assert not ISO_WITH_OFFSET.match(day["date"])  # a day, not a timestamp


def test_a_single_day_is_a_valid_range(service_api):
    assert service_api.get(f"{URL}?from=2026-11-01&to=2026-11-01").status_code == 200


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("", "from"),
        ("to=2026-11-07", "from"),
        ("from=2026-11-01", "to"),
        ("from=yesterday&to=2026-11-07", "from"),
        ("from=2026-11-01&to=2026-02-30", "to"),
        ("from=2026-11-01T00:00:00Z&to=2026-11-07", "from"),
        ("from=2026-11-08&to=2026-11-07", "from"),
        ("from=2024-01-01&to=2026-11-07", "to"),
    ],
)
def test_a_bad_range_is_refused_naming_the_field(service_api, query, field):
    assert_error(service_api.get(f"{URL}?{query}"), 400, field)


def test_it_serves_the_days_the_daily_job_computed(service_api):
    # 11:00 in Shanghai on 2026-11-10 (the operations day), 03:00 UTC.
    at = datetime(2026, 11, 10, 3, tzinfo=UTC)
    open_appeal(at=at, reason="wrong_amount")
    open_appeal(at=at, reason="wrong_amount")
    open_appeal(at=at, reason="chargeback")
    call_command(
        "compute_daily_metrics", "--from", "2026-11-09", "--to", "2026-11-11", stdout=io.StringIO()
    )

    body = service_api.get(f"{URL}?from=2026-11-10&to=2026-11-11").json()

    assert [day["date"] for day in body["results"]] == ["2026-11-10", "2026-11-11"]
    day = body["results"][0]
    assert set(day) >= METRIC_FIELDS
    assert day["appeals_opened"] == 3
    assert day["by_reason"]["wrong_amount"] == 2
    assert day["by_reason"]["chargeback"] == 1
    assert day["backlog"] == 3
    assert day["appellant_success_rate"] is None or 0 <= day["appellant_success_rate"] <= 1
