"""POST /api/v1/appeals/{id}/review/: a party contests an effective verdict, once."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from cases.models import Appeal, OutboxEvent, VerdictReview
from tests.api.payloads import assert_error
from tests.factories import appeal_in

pytestmark = pytest.mark.django_db
S = Appeal.Status


def url(appeal: Appeal) -> str:
    return f"/api/v1/appeals/{appeal.pk}/review/"


def test_a_party_contests_an_effective_verdict(service_api, arbitrator, senior2):
    appeal = appeal_in(S.RESOLVED, worker=arbitrator)

    response = service_api.post(
        url(appeal), {"party": "seller", "reason": "The payment was reversed."}, format="json"
    )

    assert response.status_code == 201, response.content
    body = response.json()
    assert body["state"] == "pending"
    assert body["requested_by"] == "seller"
    assert body["reviewer"] is not None and body["reviewer"] != arbitrator.username
    review = VerdictReview.objects.get(appeal=appeal)
    assert review.verdict.appeal_id == appeal.pk
    # No money moves on a contest: no new verdict.issued.
    assert OutboxEvent.objects.filter(appeal=appeal, type="verdict.issued").count() == 1


def test_a_verdict_is_contested_only_once(service_api, arbitrator, senior2):
    appeal = appeal_in(S.RESOLVED, worker=arbitrator)
    body = {"party": "seller", "reason": "Unfair."}
    assert service_api.post(url(appeal), body, format="json").status_code == 201

    assert_error(service_api.post(url(appeal), body, format="json"), 409)
    assert VerdictReview.objects.filter(appeal=appeal).count() == 1


def test_a_contest_after_the_window_is_refused(service_api, arbitrator, senior2, settings):
    appeal = appeal_in(S.RESOLVED, worker=arbitrator)
    # The verdict's effective time never changes (PostgreSQL refuses it): time moves on.
    later = timezone.now() + timedelta(days=settings.REVIEW_WINDOW_DAYS + 1)

    with time_machine.travel(later, tick=False):
        response = service_api.post(
            url(appeal), {"party": "buyer", "reason": "Late."}, format="json"
        )

    assert_error(response, 409)
    assert not VerdictReview.objects.exists()


@pytest.mark.parametrize("status", [S.OPEN, S.IN_REVIEW, S.CANCELLED])
def test_only_a_decided_appeal_can_be_contested(service_api, status):
    appeal = appeal_in(status)
    response = service_api.post(url(appeal), {"party": "buyer", "reason": "?"}, format="json")
    assert_error(response, 409)


def test_bad_input_names_the_field(service_api, arbitrator):
    appeal = appeal_in(S.RESOLVED, worker=arbitrator)
    response = service_api.post(url(appeal), {"party": "judge", "reason": ""}, format="json")
    assert_error(response, 400, "party", "reason")
    assert not VerdictReview.objects.exists()


def test_read_only_staff_cannot_contest(login, auditor, arbitrator):
    appeal = appeal_in(S.RESOLVED, worker=arbitrator)
    response = login(auditor).post(url(appeal), {"party": "buyer", "reason": "x"}, format="json")
    assert response.status_code == 403
    assert not VerdictReview.objects.exists()
