"""The case page offers exactly what the lifecycle allows.

For every staff role, every status and every kind of ownership (nobody's, the viewer's,
a colleague's), and for a contested verdict pending or proposed for reversal, each action
the page offers (cases.selectors.case: `can`) is tried for real through the lifecycle in a
rolled-back savepoint: offered means it succeeds, not offered means it is refused. Both
sides ask the same guards (cases.lifecycle.guards), so they cannot drift apart again, as
when the page offered Cancel on a colleague's case and the lifecycle answered 403.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction

from arbitration.exceptions import DomainError
from cases import lifecycle
from cases.models import Appeal, Verdict, VerdictReview
from cases.roles import Role
from cases.selectors import case as selectors
from evidence.services import evidence_add
from tests.factories import VERDICT, appeal_in, png_bytes, staff_user, upload

pytestmark = pytest.mark.django_db

S = Appeal.Status
STAFF_ROLES = (
    Role.ARBITRATOR,
    Role.SENIOR_ARBITRATOR,
    Role.TEAM_LEAD,
    Role.RISK_ANALYST,
    Role.AUDITOR,
)
WORKING_ROLES = (Role.ARBITRATOR, Role.SENIOR_ARBITRATOR, Role.TEAM_LEAD)
OWNERSHIP = ("nobody", "mine", "colleague")


class RolledBack(Exception):
    pass


def succeeds(action: Callable[[], Any]) -> bool:
    """Whether the lifecycle does it; nothing it writes is kept."""
    try:
        with transaction.atomic():
            action()
            raise RolledBack
    except RolledBack:
        return True
    except DomainError:
        return False


def attempts(appeal: Appeal, user: AbstractBaseUser) -> dict[str, Callable[[], Any]]:
    """Each action of the page, as the lifecycle call its form would make."""
    pk = appeal.pk
    pending = appeal.verdicts.filter(state=Verdict.State.PENDING).first()
    review = VerdictReview.objects.filter(appeal=appeal).first()
    tries: dict[str, Callable[[], Any]] = {
        "claim": lambda: lifecycle.appeal_claim(appeal_id=pk, actor=user),
        "assign": lambda: lifecycle.appeal_assign(appeal_id=pk, assignee=None, actor=user),
        "unassign": lambda: lifecycle.appeal_unassign(appeal_id=pk, actor=user),
        "request_evidence": lambda: lifecycle.appeal_request_evidence(
            appeal_id=pk, actor=user, party="seller", text="Your bank statement, please."
        ),
        "note": lambda: lifecycle.note_add(appeal_id=pk, actor=user, text="Checked the chat."),
        "message": lambda: lifecycle.party_message_send(
            appeal_id=pk, actor=user, party="buyer", text="We are looking at it."
        ),
        "upload": lambda: evidence_add(
            appeal_id=pk,
            upload=upload(png_bytes()),
            party="buyer",
            kind="payment_voucher",
            actor=user,
        ),
        "escalate": lambda: lifecycle.appeal_escalate(appeal_id=pk, actor=user, reason="Odd."),
        "decide": lambda: lifecycle.verdict_propose(appeal_id=pk, actor=user, **VERDICT),
        "cancel": lambda: lifecycle.appeal_cancel(appeal_id=pk, actor=user, reason="Duplicate."),
    }
    if pending is not None:
        tries["approve"] = lambda: lifecycle.verdict_approve(verdict_id=pending.pk, actor=user)
        tries["send_back"] = lambda: lifecycle.verdict_send_back(
            verdict_id=pending.pk, actor=user, comment="Ask the seller first."
        )
    if review is not None:
        tries["review_assign"] = lambda: lifecycle.review_assign(
            review_id=review.pk, reviewer=user, actor=user
        )
        tries["review_decide"] = lambda: lifecycle.review_decide(
            review_id=review.pk, actor=user, uphold=True, rationale="The verdict stands."
        )
        tries["review_approve"] = lambda: lifecycle.review_reversal_approve(
            review_id=review.pk, actor=user
        )
    return tries


def offered(appeal: Appeal, user: AbstractBaseUser) -> dict[str, bool]:
    can = selectors.case_page(selectors.case_appeal(appeal.pk), user)["can"]
    return {name: getattr(can, name) for name in attempts(appeal, user)}


def allowed(appeal: Appeal, user: AbstractBaseUser) -> dict[str, bool]:
    return {name: succeeds(action) for name, action in attempts(appeal, user).items()}


@pytest.fixture
def people() -> dict[str, AbstractBaseUser]:
    found = {role: staff_user(role) for role in STAFF_ROLES}
    # A colleague who may hold any case, escalated ones included.
    found["colleague"] = staff_user(Role.SENIOR_ARBITRATOR)
    return found


def case_for(status: str, owner: str, viewer: AbstractBaseUser, colleague) -> Appeal:
    mine = owner == "mine"
    worker = viewer if mine and status not in (S.OPEN, S.CANCELLED) else colleague
    appeal = appeal_in(status, worker=worker)
    assignee = {"nobody": None, "mine": viewer, "colleague": colleague}[owner]
    Appeal.objects.filter(pk=appeal.pk).update(assignee=assignee)
    return Appeal.objects.get(pk=appeal.pk)


@pytest.mark.parametrize("owner", OWNERSHIP)
@pytest.mark.parametrize("status", S.values)
def test_the_page_offers_what_the_lifecycle_allows(status, owner, people) -> None:
    mismatches = []
    for role in STAFF_ROLES:
        if owner == "mine" and role not in WORKING_ROLES:
            continue  # a role that works no case holds none
        viewer = people[role]
        appeal = case_for(status, owner, viewer, people["colleague"])
        page, done = offered(appeal, viewer), allowed(appeal, viewer)
        mismatches += [
            f"{role} on a {status} case of {owner}: {name} "
            f"offered={page[name]} allowed={done[name]}"
            for name in page
            if page[name] != done[name]
        ]
    assert mismatches == []


def contested(reviewer: AbstractBaseUser | None, *, proposed: bool) -> Appeal:
    """A resolved case whose verdict a party contested, assigned to `reviewer`; with
    `proposed`, the reviewer proposed its reversal (a large order: four-eyes)."""
    from tests.factories import OrderFactory

    service = staff_user("service_account")
    appeal = appeal_in(S.RESOLVED, order=OrderFactory(large=proposed))
    review = lifecycle.review_request(
        appeal_id=appeal.pk, party="seller", reason="I was not paid.", actor=service
    )
    VerdictReview.objects.filter(pk=review.pk).update(reviewer=reviewer)
    if proposed:
        lifecycle.review_decide(
            review_id=review.pk,
            actor=reviewer,
            uphold=False,
            rationale="The voucher was forged.",
            outcome="return_to_seller",
            responsible_party="buyer",
        )
    return Appeal.objects.get(pk=appeal.pk)


@pytest.mark.parametrize("reviewer", ["nobody", "viewer", "colleague"])
@pytest.mark.parametrize("proposed", [False, True], ids=["pending", "proposed"])
def test_review_actions_offered_are_those_the_lifecycle_allows(reviewer, proposed, people):
    mismatches = []
    for role in STAFF_ROLES:
        viewer = people[role]
        if proposed and reviewer == "nobody":
            continue  # a reversal is proposed by its reviewer
        if reviewer == "viewer" and role not in (Role.SENIOR_ARBITRATOR, Role.TEAM_LEAD):
            continue  # only seniors and leads review
        chosen = {"nobody": None, "viewer": viewer, "colleague": people["colleague"]}[reviewer]
        appeal = contested(chosen, proposed=proposed)
        page, done = offered(appeal, viewer), allowed(appeal, viewer)
        names = ("review_assign", "review_decide", "review_approve")
        mismatches += [
            f"{role}, reviewer {reviewer}: {n} offered={page[n]} allowed={done[n]}"
            for n in names
            if page[n] != done[n]
        ]
    assert mismatches == []


def test_an_arbitrator_is_not_offered_cancel_on_a_colleagues_case(people) -> None:
    arbitrator = people[Role.ARBITRATOR]
    appeal = case_for(S.IN_REVIEW, "colleague", arbitrator, people["colleague"])

    assert offered(appeal, arbitrator)["cancel"] is False
    permit = lifecycle.can_cancel(arbitrator, appeal)
    assert not permit and permit.reason == "Only the assigned arbitrator may cancel this appeal."
