"""Second-level review from the case page: a contest, its reviewer, the decision, and the
reviews page."""

from __future__ import annotations

from datetime import UTC, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from cases import lifecycle
from cases.explanations import review_explain
from cases.models import Appeal, DeskMessage, OutboxEvent, StaffProfile, VerdictReview
from tests.factories import OrderFactory, TraderFactory, appeal_in, service_token
from tests.views.pages import case_actions

pytestmark = pytest.mark.django_db

S = Appeal.Status


def url(name: str, appeal: Appeal) -> str:
    return reverse(f"cases:{name}", args=[appeal.pk])


def messages_of(response) -> list[str]:
    """The error messages the response shows (a success message of an earlier redirect
    that the test did not follow may still wait in the session)."""
    if not response.context:
        return []
    return [str(m) for m in response.context["messages"] if m.level_tag == "error"]


def contest(client, user, appeal: Appeal, party: str = "seller"):
    """The party contests through the exchange's app: its service posts to the API (staff
    do not contest in a party's name). `client` and `user` are the page's viewer."""
    from rest_framework.test import APIClient

    from tests.factories import staff_user

    service = APIClient()
    service.credentials(HTTP_AUTHORIZATION=f"Token {service_token(staff_user('service_account'))}")
    client.force_login(user)
    return service.post(
        f"/api/v1/appeals/{appeal.pk}/review/",
        {"party": party, "reason": "The receipt was edited."},
        format="json",
    )


@pytest.fixture
def case(arbitrator, senior, senior2):
    """A resolved case whose buyer had an earlier case assigned to `senior`: only `senior2`
    (who handled none of the parties' cases) may review it."""
    buyer = TraderFactory()
    appeal_in(S.IN_REVIEW, worker=senior, order=OrderFactory(buyer=buyer))
    return appeal_in(S.RESOLVED, worker=arbitrator, order=OrderFactory(buyer=buyer))


def test_a_contest_within_the_window_goes_to_an_eligible_senior(client, arbitrator, senior2, case):
    response = contest(client, arbitrator, case)

    assert response.status_code == 201
    review = VerdictReview.objects.get(appeal=case)
    assert review.state == VerdictReview.State.PENDING
    assert review.requested_by == "seller"
    assert review.reviewer == senior2
    page = client.get(reverse("cases:case", args=[case.pk]))
    body = page.content.decode()
    assert "The receipt was edited." in body and "senior2" in body


def test_a_reversal_emits_verdict_reversed_and_moves_no_funds(client, arbitrator, senior2, case):
    contest(client, arbitrator, case)
    issued_before = OutboxEvent.objects.filter(appeal=case, type="verdict.issued").count()
    client.force_login(senior2)
    page = client.get(reverse("cases:case", args=[case.pk]))
    assert "review_decide" in page.context["forms"]

    response = client.post(
        url("case_review_decide", case),
        {
            "decision": "reverse",
            "outcome": "return_to_seller",
            "responsible_party": "buyer",
            "rationale": "The buyer's voucher is a recycled screenshot.",
        },
    )

    assert response.status_code == 302
    review = VerdictReview.objects.get(appeal=case)
    assert review.state == VerdictReview.State.REVERSED
    assert review.corrected_outcome == "return_to_seller"
    reversed_events = OutboxEvent.objects.filter(appeal=case, type="verdict.reversed")
    assert reversed_events.count() == 1
    assert reversed_events.get().data["corrected_outcome"] == "return_to_seller"
    assert OutboxEvent.objects.filter(appeal=case, type="verdict.issued").count() == issued_before
    assert Appeal.objects.get(pk=case.pk).status == S.RESOLVED


def test_an_upheld_verdict_emits_nothing(client, arbitrator, senior2, case):
    contest(client, arbitrator, case)
    client.force_login(senior2)
    response = client.post(
        url("case_review_decide", case),
        {"decision": "uphold", "rationale": "The statement confirms the payment."},
    )
    assert response.status_code == 302
    assert VerdictReview.objects.get(appeal=case).state == VerdictReview.State.UPHELD
    assert not OutboxEvent.objects.filter(appeal=case, type="verdict.reversed").exists()


def test_a_reversal_needs_the_corrected_outcome(client, arbitrator, senior2, case, nothing_written):
    contest(client, arbitrator, case)
    client.force_login(senior2)
    with nothing_written():
        response = client.post(
            url("case_review_decide", case), {"decision": "reverse", "rationale": "Wrong."}
        )
    assert response.status_code == 400
    assert set(response.context["forms"]["review_decide"].errors) == {
        "outcome",
        "responsible_party",
    }


def test_reversing_to_the_same_outcome_is_refused(
    client, arbitrator, senior2, case, nothing_written
):
    contest(client, arbitrator, case)
    client.force_login(senior2)
    with nothing_written():
        response = client.post(
            url("case_review_decide", case),
            {
                "decision": "reverse",
                "outcome": "release_to_buyer",
                "responsible_party": "seller",
                "rationale": "Same.",
            },
        )
    assert response.status_code == 400
    assert messages_of(response) == ["A reversal needs an outcome different from the verdict's."]


def test_an_ineligible_reviewer_is_refused(client, arbitrator, senior, lead, case, nothing_written):
    contest(client, arbitrator, case)
    client.force_login(lead)
    page = client.get(reverse("cases:case", args=[case.pk]))
    assert senior not in page.context["eligible_reviewers"]

    with nothing_written():
        response = client.post(url("case_review_assign", case), {"reviewer": senior.pk})

    assert response.status_code == 400
    assert messages_of(response) == [
        "senior cannot review this verdict: a reviewer must be a senior who has handled none "
        "of either party's cases."
    ]


def test_a_lead_assigns_an_eligible_reviewer(client, arbitrator, senior2, lead, case):
    contest(client, arbitrator, case)
    client.force_login(lead)
    response = client.post(url("case_review_assign", case), {"reviewer": lead.pk})
    assert response.status_code == 302
    assert VerdictReview.objects.get(appeal=case).reviewer == lead


def test_only_the_assigned_reviewer_decides(
    client, arbitrator, senior2, lead, case, nothing_written
):
    contest(client, arbitrator, case)
    client.force_login(lead)
    with nothing_written():
        response = client.post(
            url("case_review_decide", case), {"decision": "uphold", "rationale": "Fine."}
        )
    assert response.status_code == 403
    assert messages_of(response) == ["Only the assigned reviewer decides this review."]


def test_a_second_contest_is_refused(client, arbitrator, senior2, case, nothing_written):
    contest(client, arbitrator, case)
    with nothing_written():
        response = contest(client, arbitrator, case, party="buyer")
    assert response.status_code == 409
    assert response.json()["detail"] == (
        "This verdict has already been contested; a verdict is reviewed once."
    )


def test_a_contest_after_the_window_is_refused(client, arbitrator, senior2, case, nothing_written):
    later = timezone.now() + timedelta(days=settings.REVIEW_WINDOW_DAYS, hours=1)
    with time_machine.travel(later, tick=False):
        page_client = client
        page_client.force_login(arbitrator)
        page = page_client.get(reverse("cases:case", args=[case.pk]))
        # Notes and messages only: no form on the page contests, whatever its URL.
        assert set(page.context["forms"]) == {"note", "message"}
        assert case_actions(page) == {url("case_note", case), url("case_message", case)}
        assert "The review window closed on" in page.content.decode()
        with nothing_written():
            response = contest(client, arbitrator, case)
    assert response.status_code == 409
    assert response.json()["detail"].startswith("The review window closed on")


def test_a_contest_of_an_unresolved_case_is_refused(client, arbitrator, nothing_written):
    appeal = appeal_in(S.IN_REVIEW, worker=arbitrator)
    with nothing_written():
        response = contest(client, arbitrator, appeal)
    assert response.status_code == 409
    assert response.json()["detail"] == "Only an effective verdict can be contested."


# --- the reviews page ---------------------------------------------------------------------


def test_the_reviews_page_lists_reviews_assigned_to_me(client, arbitrator, senior2, lead, case):
    contest(client, arbitrator, case)
    client.force_login(senior2)
    response = client.get(reverse("cases:reviews"))
    assert response.status_code == 200
    assert [r.appeal_id for r in response.context["mine"]] == [case.pk]
    assert f'href="/cases/{case.pk}/#review"' in response.content.decode()

    client.force_login(lead)
    response = client.get(reverse("cases:reviews"))
    assert response.context["mine"] == []
    assert [r.appeal_id for r in response.context["others"]] == [case.pk]


@pytest.mark.parametrize(
    ("role", "status"),
    [("arbitrator", 403), ("risk_analyst", 403), ("auditor", 200), ("senior", 200), ("lead", 200)],
)
def test_the_reviews_page_is_for_seniors_leads_and_auditors(client, request, role, status):
    client.force_login(request.getfixturevalue(role))
    assert client.get(reverse("cases:reviews")).status_code == status


def test_the_reviews_page_needs_a_login(client):
    response = client.get(reverse("cases:reviews"))
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


# --- a reversal above the four-eyes threshold needs two people ------------------------------


@pytest.fixture
def big_case(arbitrator, senior, senior2, lead):
    """A resolved 25,000 USDT case (above four-eyes), approved by `senior`, whose buyer
    had another case `senior` handled: `senior2` reviews, another senior or lead approves."""
    from cases import lifecycle

    buyer = TraderFactory()
    appeal_in(S.IN_REVIEW, worker=senior, order=OrderFactory(buyer=buyer))
    appeal = appeal_in(
        S.RESOLVED, worker=arbitrator, approver=senior, order=OrderFactory(buyer=buyer, large=True)
    )
    lifecycle.review_request(appeal_id=appeal.pk, party="seller", reason="Edited.", actor=None)
    review = VerdictReview.objects.get(appeal=appeal)
    lifecycle.review_assign(review_id=review.pk, reviewer=senior2, actor=lead)
    return appeal


REVERSE = {
    "decision": "reverse",
    "outcome": "return_to_seller",
    "responsible_party": "buyer",
    "rationale": "The buyer's voucher is a recycled screenshot.",
}


def reversed_events(appeal: Appeal):
    return OutboxEvent.objects.filter(appeal=appeal, type="verdict.reversed")


def test_a_large_reversal_is_only_proposed_until_a_second_senior_approves(
    client, senior2, lead, big_case
):
    client.force_login(senior2)
    response = client.post(url("case_review_decide", big_case), REVERSE, follow=True)

    review = VerdictReview.objects.get(appeal=big_case)
    assert review.state == VerdictReview.State.PROPOSED
    assert review.corrected_outcome == "return_to_seller"
    assert not reversed_events(big_case).exists()
    assert "four-eyes" in response.content.decode()
    # The reviewer cannot approve their own reversal: not offered, and refused if posted.
    assert "reversal_approve" not in response.context["forms"]
    assert client.post(url("case_reversal_approve", big_case)).status_code == 403
    assert not reversed_events(big_case).exists()

    client.force_login(lead)
    page = client.get(reverse("cases:case", args=[big_case.pk]))
    assert "reversal_approve" in page.context["forms"]
    response = client.post(url("case_reversal_approve", big_case))

    assert response.status_code == 302
    review.refresh_from_db()
    assert (review.state, review.approved_by) == (VerdictReview.State.REVERSED, lead)
    [event] = reversed_events(big_case)
    assert event.data["corrected_outcome"] == "return_to_seller"
    assert event.data["approved_by"] == "lead"
    assert event.data["crypto_amount"] == "25000.00000000"


def test_a_proposed_reversal_can_be_sent_back_to_its_reviewer(client, senior2, lead, big_case):
    client.force_login(senior2)
    client.post(url("case_review_decide", big_case), REVERSE)
    client.force_login(lead)

    response = client.post(
        url("case_reversal_send_back", big_case), {"comment": "The voucher is genuine."}
    )

    assert response.status_code == 302
    review = VerdictReview.objects.get(appeal=big_case)
    assert review.state == VerdictReview.State.PENDING
    assert review.corrected_outcome == ""
    assert review.approval_comment == "The voucher is genuine."
    assert not reversed_events(big_case).exists()
    # Back with the reviewer, who may decide again.
    client.force_login(senior2)
    assert "review_decide" in client.get(url("case", big_case)).context["forms"]


def test_the_second_pair_of_eyes_is_any_other_senior_or_lead(client, senior, senior2, big_case):
    """Like a verdict's four-eyes: a different senior or lead, here the one who approved
    the verdict under review (the reviewer is the independent one)."""
    client.force_login(senior2)
    client.post(url("case_review_decide", big_case), REVERSE)
    client.force_login(senior)

    assert "reversal_approve" in client.get(url("case", big_case)).context["forms"]
    assert client.post(url("case_reversal_approve", big_case)).status_code == 302

    review = VerdictReview.objects.get(appeal=big_case)
    assert (review.state, review.approved_by) == (VerdictReview.State.REVERSED, senior)
    assert reversed_events(big_case).count() == 1


def test_an_arbitrator_cannot_approve_a_reversal(client, senior2, big_case, make_user):
    client.force_login(senior2)
    client.post(url("case_review_decide", big_case), REVERSE)
    client.force_login(make_user("arbitrator"))

    assert client.post(url("case_reversal_approve", big_case)).status_code == 403
    assert not reversed_events(big_case).exists()


def test_the_database_refuses_a_reviewer_approving_their_own_reversal(senior2, big_case):
    from django.db import IntegrityError, transaction

    review = VerdictReview.objects.get(appeal=big_case)
    with pytest.raises(IntegrityError), transaction.atomic():
        VerdictReview.objects.filter(pk=review.pk).update(
            state="reversed", corrected_outcome="return_to_seller", approved_by=senior2
        )


# --- staff do not contest in a party's name (issue 8) ---------------------------------------


def test_the_case_page_offers_no_contest_form_to_staff(client, senior2, case):
    client.force_login(senior2)
    page = client.get(url("case", case))

    # Notes and messages only: no form on the page contests, whatever its URL.
    assert set(page.context["forms"]) == {"note", "message"}
    assert case_actions(page) == {url("case_note", case), url("case_message", case)}
    assert "A party may contest this verdict from the exchange" in page.content.decode()
    assert client.post(f"/cases/{case.pk}/contest", {"party": "seller"}).status_code == 404


@pytest.mark.parametrize("role", ["arbitrator", "senior_arbitrator", "team_lead"])
def test_staff_cannot_contest_through_the_api(make_user, case, nothing_written, role):
    """As reported: a senior recorded a contest "by the seller", assigned it to himself
    and reversed the verdict alone."""
    from rest_framework.test import APIClient

    client = APIClient()
    client.force_login(make_user(role))
    with nothing_written():
        response = client.post(
            f"/api/v1/appeals/{case.pk}/review/",
            {"party": "seller", "reason": "Forged by staff."},
            format="json",
        )
    assert response.status_code == 403


def test_the_reviews_page_lists_reversals_waiting_for_my_approval(client, senior2, lead, big_case):
    client.force_login(senior2)
    client.post(url("case_review_decide", big_case), REVERSE)

    client.force_login(lead)
    page = client.get(reverse("cases:reviews"))

    assert [r.appeal_id for r in page.context["approvals"]] == [big_case.pk]
    assert big_case.pk not in [r.appeal_id for r in page.context["decided"]]
    client.force_login(senior2)  # the reviewer: not theirs to approve
    assert client.get(reverse("cases:reviews")).context["approvals"] == []


def test_a_reversed_verdict_says_so_on_its_panel(client, arbitrator, senior2, case):
    contest(client, arbitrator, case)
    client.force_login(senior2)
    client.post(url("case_review_decide", case), REVERSE)

    body = client.get(url("case", case)).content.decode()

    assert "Reversed on second-level review" in body


def test_a_proposed_reversal_stays_listed_for_its_reviewer_and_the_auditor(
    client, senior2, auditor, big_case
):
    client.force_login(senior2)
    client.post(url("case_review_decide", big_case), REVERSE)

    mine = client.get(reverse("cases:reviews")).context["mine"]
    client.force_login(auditor)
    others = client.get(reverse("cases:reviews")).context["others"]

    assert [r.appeal_id for r in mine] == [big_case.pk]
    assert [r.appeal_id for r in others] == [big_case.pk]


def test_the_timeline_names_who_approved_a_reversal(client, senior2, lead, big_case):
    client.force_login(senior2)
    client.post(url("case_review_decide", big_case), REVERSE)
    client.force_login(lead)
    client.post(url("case_reversal_approve", big_case))

    events = client.get(url("case", big_case)).context["timeline"]

    approved = [e for e in events if e.text == "Reversal approved (four-eyes)"]
    assert [e.actor for e in approved] == ["lead"]


def test_the_review_window_is_one_moment_written_for_each_reader(client, arbitrator, case):
    """The page and the API compute the window's end once (lifecycle.review_window_closes).
    The page writes it in the viewer's zone, which its header names; the API, whose
    callers see no header, adds the UTC offset."""
    verdict = case.verdicts.get(state="effective")
    closes = lifecycle.review_window_closes(verdict)
    StaffProfile.objects.update_or_create(user=arbitrator, defaults={"time_zone": "Asia/Shanghai"})
    later = closes + timedelta(hours=1)
    with time_machine.travel(later, tick=False):
        client.force_login(arbitrator)
        page = client.get(reverse("cases:case", args=[case.pk])).content.decode()
        response = contest(client, arbitrator, case)
    shanghai = closes.astimezone(ZoneInfo("Asia/Shanghai"))
    assert f"The review window closed on {shanghai:%Y-%m-%d %H:%M}." in page
    assert response.json()["detail"] == (
        f"The review window closed on {closes.astimezone(UTC):%Y-%m-%d %H:%M} UTC+00:00."
    )


# --- the parties are told what the review decided ---------------------------------------


def review_messages(appeal: Appeal) -> dict[str, DeskMessage]:
    """The desk's messages about the review, by party (the verdict's own came before)."""
    verdict_kind = DeskMessage.objects.filter(appeal=appeal, kind=DeskMessage.Kind.VERDICT)
    latest: dict[str, DeskMessage] = {}
    for message in verdict_kind.order_by("sent_at", "id"):
        latest[message.party] = message
    return latest


def test_a_reversal_is_explained_to_each_party_in_its_language(client, arbitrator, senior2, case):
    Trader = type(case.order.buyer)
    Trader.objects.filter(pk=case.order.buyer_id).update(language="zh-hans")
    Trader.objects.filter(pk=case.order.seller_id).update(language="ru")
    contest(client, arbitrator, case)
    before = DeskMessage.objects.filter(appeal=case).count()
    client.force_login(senior2)

    client.post(url("case_review_decide", case), REVERSE)

    said = review_messages(case)
    assert DeskMessage.objects.filter(appeal=case).count() == before + 2
    assert "撤销" in said["buyer"].text and "退回卖方" in said["buyer"].text
    assert said["buyer"].language == "zh-hans"
    assert "отменено" in said["seller"].text and said["seller"].language == "ru"
    assert all(m.sent_by == senior2 for m in said.values())
    events = OutboxEvent.objects.filter(appeal=case, type="party.message").order_by("-created_at")
    assert {e.data["text"] for e in events[:2]} == {m.text for m in said.values()}
    # They are in the case's chat, marked from the desk to each party.
    body = client.get(reverse("cases:case", args=[case.pk])).content.decode()
    assert body.count('data-sender="staff" data-to="buyer"') >= 2


def test_an_upheld_verdict_is_said_to_stand(client, arbitrator, senior2, case):
    contest(client, arbitrator, case)
    client.force_login(senior2)
    client.post(
        url("case_review_decide", case),
        {"decision": "uphold", "rationale": "The statement confirms the payment."},
    )
    said = review_messages(case)
    review = VerdictReview.objects.get(appeal=case)
    assert set(said) == {"buyer", "seller"}
    assert all(m.text == review_explain(review, m.language) for m in said.values())
    assert "the verdict stands" in review_explain(review, "en")


def test_a_proposed_reversal_tells_nobody_until_it_is_approved(client, senior2, lead, big_case):
    before = DeskMessage.objects.filter(appeal=big_case).count()
    client.force_login(senior2)
    client.post(url("case_review_decide", big_case), REVERSE)
    assert DeskMessage.objects.filter(appeal=big_case).count() == before

    client.force_login(lead)
    client.post(url("case_reversal_approve", big_case))

    assert DeskMessage.objects.filter(appeal=big_case).count() == before + 2
    review = VerdictReview.objects.get(appeal=big_case)
    said = review_messages(big_case).values()
    assert all(m.text == review_explain(review, m.language) and m.sent_by == lead for m in said)
    assert "is reversed" in review_explain(review, "en")
