"""Only desk roles decide: a desk permission comes from the role group, never from
is_superuser. The admin account administers (users, tokens); it does not claim cases,
issue or approve verdicts, or review them, through any door."""

from __future__ import annotations

import pytest
from django.test import Client
from rest_framework.test import APIClient

from arbitration.exceptions import NotAllowed
from cases import lifecycle, roles
from cases.models import Verdict, VerdictReview
from tests.factories import VERDICT, appeal_in, open_appeal

pytestmark = pytest.mark.django_db


@pytest.fixture
def root(make_user):
    """A superuser with no desk role: everything Django's has_perm() can say yes to."""
    return make_user(None, username="root", is_staff=True, is_superuser=True)


def test_a_superuser_holds_every_django_permission_but_no_desk_one(root):
    assert root.has_perm(roles.WORK) and root.has_perm(roles.APPROVE)
    assert not roles.has(root, roles.WORK)
    assert not roles.has(root, roles.APPROVE)
    assert roles.desk_permissions(root) == frozenset()


def test_a_superuser_cannot_decide_through_the_api(root, nothing_written):
    appeal = open_appeal()
    client = APIClient()
    client.force_login(root)

    with nothing_written():
        response = client.post(
            f"/api/v1/appeals/{appeal.pk}/verdict/",
            {
                "outcome": "release_to_buyer",
                "responsible_party": "seller",
                "rule": "P2P-1.1",
                "rationale": "I am the admin.",
            },
            format="json",
        )

    assert response.status_code == 403


def test_a_superuser_cannot_decide_on_the_case_page(root, nothing_written):
    appeal = open_appeal()
    client = Client()
    client.force_login(root)

    assert client.get(f"/cases/{appeal.pk}/").status_code == 403
    with nothing_written():
        response = client.post(
            f"/cases/{appeal.pk}/verdict",
            {
                **{k: v for k, v in VERDICT.items() if k != "rule_code"},
                "rule": "P2P-1.1",
                "confirm": "on",
            },
        )
    assert response.status_code == 403


def test_a_superuser_cannot_decide_approve_or_review_in_the_lifecycle(root, nothing_written):
    open_case = open_appeal()
    pending = appeal_in("pending_approval")
    verdict = Verdict.objects.get(appeal=pending, state="pending")
    resolved = appeal_in("resolved")
    lifecycle.review_request(appeal_id=resolved.pk, party="seller", reason="No.", actor=None)
    review = VerdictReview.objects.get(appeal=resolved)

    with nothing_written():
        for call in (
            lambda: lifecycle.appeal_claim(appeal_id=open_case.pk, actor=root),
            lambda: lifecycle.verdict_propose(appeal_id=open_case.pk, actor=root, **VERDICT),
            lambda: lifecycle.verdict_approve(verdict_id=verdict.pk, actor=root),
            lambda: lifecycle.verdict_send_back(verdict_id=verdict.pk, actor=root, comment="x"),
            lambda: lifecycle.review_assign(review_id=review.pk, reviewer=root, actor=root),
            lambda: lifecycle.review_decide(
                review_id=review.pk, actor=root, uphold=True, rationale="Fine."
            ),
            lambda: lifecycle.appeal_cancel(appeal_id=open_case.pk, actor=root),
            lambda: lifecycle.note_add(appeal_id=open_case.pk, actor=root, text="hi"),
        ):
            with pytest.raises(NotAllowed):
                call()


def test_a_superuser_is_never_offered_as_an_assignee_or_reviewer(root, make_user):
    from cases.selectors.case import workers

    worker = make_user("arbitrator")
    assert list(workers()) == [worker]
    resolved = appeal_in("resolved", worker=worker)
    assert root not in lifecycle.review_eligible_reviewers(resolved)


def test_a_superuser_sees_no_dashboard(root):
    client = Client()
    client.force_login(root)
    assert client.get("/dashboard/").status_code == 403


def test_the_superuser_still_administers(root):
    client = Client()
    client.force_login(root)
    assert client.get("/admin/auth/user/").status_code == 200


def test_a_deactivated_staff_member_loses_the_role(make_user):
    user = make_user("senior_arbitrator")
    user.is_active = False
    assert not roles.has(user, roles.APPROVE)
