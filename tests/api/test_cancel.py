"""POST /api/v1/appeals/{id}/cancel/: the appellant withdraws."""

from __future__ import annotations

import pytest

from cases.models import SHORT_TEXT_MAX, Appeal, Verdict
from tests.factories import appeal_in, open_appeal

from .payloads import API, ISO_WITH_OFFSET, assert_error

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("status", ["open", "in_review", "awaiting_evidence", "escalated"])
def test_it_cancels_an_appeal_before_a_verdict(service_api, trail, status):
    appeal = appeal_in(status)
    t = trail()

    response = service_api.post(
        f"{API}/appeals/{appeal.pk}/cancel/", {"reason": "Settled in chat."}, format="json"
    )

    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["id"] == appeal.pk
    assert body["status"] == "cancelled"
    assert ISO_WITH_OFFSET.match(body["resolved_at"])
    assert Appeal.objects.get(pk=appeal.pk).status == "cancelled"
    assert t.status_changes == [(status, "cancelled")]
    assert [e.data["status"] for e in t.events("appeal.status_changed")] == ["cancelled"]


def test_the_body_is_optional(service_api):
    appeal = open_appeal()

    assert service_api.post(f"{API}/appeals/{appeal.pk}/cancel/").status_code == 200


def test_a_verdict_waiting_for_approval_is_withdrawn_with_the_appeal(service_api):
    # Before a verdict takes effect the appellant may still withdraw (lifecycle docstring);
    # the proposal goes with the appeal and no funds ever move.
    appeal = appeal_in("pending_approval")

    response = service_api.post(f"{API}/appeals/{appeal.pk}/cancel/")

    assert response.status_code == 200
    assert response.json()["verdict"] is None
    assert Verdict.objects.get(appeal=appeal).state == Verdict.State.WITHDRAWN


def test_cancelling_after_the_verdict_is_409(service_api, nothing_written):
    appeal = appeal_in("resolved")

    with nothing_written():
        response = service_api.post(f"{API}/appeals/{appeal.pk}/cancel/")

    assert_error(response, 409)
    assert Appeal.objects.get(pk=appeal.pk).status == "resolved"


def test_cancelling_twice_is_409(service_api):
    appeal = appeal_in("cancelled")

    assert_error(service_api.post(f"{API}/appeals/{appeal.pk}/cancel/"), 409)


def test_an_unknown_appeal_is_404(service_api):
    assert_error(service_api.post(f"{API}/appeals/999999/cancel/"), 404)


def test_an_overlong_reason_is_refused(service_api, nothing_written):
    appeal = open_appeal()

    with nothing_written():
        response = service_api.post(
            f"{API}/appeals/{appeal.pk}/cancel/",
            {"reason": "x" * (SHORT_TEXT_MAX + 1)},
            format="json",
        )

    assert_error(response, 400, "reason")
