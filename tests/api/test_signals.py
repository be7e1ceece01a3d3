"""POST /api/v1/traders/{external_id}/signals/."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from cases.models import AccountSignal, SignalEvent
from tests.factories import TraderFactory

from .payloads import API, assert_error

pytestmark = pytest.mark.django_db

URL = f"{API}/traders/T-1/signals/"


@pytest.fixture
def trader():
    return TraderFactory(external_id="T-1")


def signal(kind: str, value: str, seen_at: str = "2026-11-21T10:00:00+08:00") -> dict:
    return {"kind": kind, "value": value, "seen_at": seen_at}


BATCH = [
    signal("ip", "203.0.113.7"),
    signal("device", "dev-abc"),
    signal("email", "li@example.com"),
    signal("payment_account", "ICBC 6222 0000 1111"),
]


def test_it_records_signals(service_api, trader):
    response = service_api.post(URL, BATCH, format="json")

    assert response.status_code == 200, response.json()
    assert response.json() == {"created": 4, "updated": 0}
    assert set(trader.signals.values_list("kind", "value")) == {
        (s["kind"], s["value"]) for s in BATCH
    }


def test_resending_signals_is_idempotent(service_api, trader):
    service_api.post(URL, BATCH, format="json")

    response = service_api.post(URL, BATCH, format="json")

    assert response.status_code == 200
    assert response.json() == {"created": 0, "updated": 0}
    assert AccountSignal.objects.count() == 4


def test_a_known_signal_seen_again_widens_its_window(service_api, trader):
    service_api.post(URL, [signal("ip", "203.0.113.7")], format="json")

    response = service_api.post(
        URL,
        [
            signal("ip", "203.0.113.7", "2026-11-22T10:00:00+08:00"),
            signal("ip", "203.0.113.7", "2026-11-20T10:00:00+08:00"),
        ],
        format="json",
    )

    assert response.json() == {"created": 0, "updated": 2}
    stored = AccountSignal.objects.get()
    assert stored.first_seen_at == datetime(2026, 11, 20, 2, tzinfo=UTC)
    assert stored.last_seen_at == datetime(2026, 11, 22, 2, tzinfo=UTC)


def test_an_unknown_trader_is_404(service_api):
    assert_error(service_api.post(f"{API}/traders/NOPE/signals/", BATCH, format="json"), 404)
    assert not AccountSignal.objects.exists()


@pytest.mark.parametrize(
    "bad",
    [
        {"kind": "phone"},
        {"value": ""},
        {"seen_at": "2026-11-21T10:00:00"},  # naive
        {"seen_at": None},
    ],
)
def test_a_batch_with_a_bad_signal_records_none(service_api, trader, bad):
    batch = [signal("ip", "203.0.113.7"), {**signal("device", "dev-1"), **bad}]

    assert_error(service_api.post(URL, batch, format="json"), 400)
    assert not AccountSignal.objects.exists()


def test_the_body_must_be_a_list(service_api, trader):
    assert_error(service_api.post(URL, BATCH[0], format="json"), 400, "non_field_errors")


def test_sightings_keep_their_country_and_event_once(service_api, trader):
    batch = [
        {**signal("device", "dev-abc"), "country": "cn", "event": "login"},
        {**signal("device", "dev-abc", "2026-11-22T10:00:00+08:00"), "event": "2fa_change"},
    ]

    first = service_api.post(URL, batch, format="json")
    again = service_api.post(URL, batch, format="json")

    assert first.json() == {"created": 1, "updated": 1}
    assert again.json() == {"created": 0, "updated": 0}
    assert sorted(SignalEvent.objects.values_list("country", "event", "seen_at")) == [
        ("", "2fa_change", datetime(2026, 11, 22, 2, tzinfo=UTC)),
        ("CN", "login", datetime(2026, 11, 21, 2, tzinfo=UTC)),
    ]
    assert AccountSignal.objects.count() == 1


@pytest.mark.parametrize(
    "bad",
    [{"country": "XZ"}, {"country": "CHN"}, {"event": "logout"}, {"event": None}],
)
def test_a_bad_country_or_event_records_nothing(service_api, trader, bad):
    batch = [signal("ip", "203.0.113.7"), {**signal("device", "dev-1"), **bad}]

    response = service_api.post(URL, batch, format="json")

    assert_error(response, 400, f"[1].{next(iter(bad))}")
    assert not AccountSignal.objects.exists()
    assert not SignalEvent.objects.exists()
