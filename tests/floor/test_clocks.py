"""The SLA clocks of an appeal: paused while the desk waits on a party, resumed by every
answer path, the missed deadline, and reminders."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from cases import lifecycle, sla
from cases.floor import deadlines
from cases.floor.tick import floor_tick
from cases.models import (
    Appeal,
    ChatMessage,
    DeskMessage,
    EvidenceRequest,
    Notification,
    OutboxEvent,
    Party,
    Verdict,
)
from cases.services import chat_ingest
from evidence.services import evidence_add
from tests.factories import ChatMessageDataFactory, open_appeal, png_bytes, upload

from .conftest import MONDAY

pytestmark = pytest.mark.django_db

S = Appeal.Status
START = MONDAY + timedelta(hours=9)
HOUR = timedelta(hours=1)


@pytest.fixture
def case(travel, arbitrator):
    """An appeal opened at START and claimed by the arbitrator."""
    travel(START)
    appeal = open_appeal()
    lifecycle.appeal_claim(appeal_id=appeal.pk, actor=arbitrator)
    return Appeal.objects.get(pk=appeal.pk)


def ask(appeal, actor, party=Party.SELLER, hours=24):
    return lifecycle.appeal_request_evidence(
        appeal_id=appeal.pk,
        actor=actor,
        party=party,
        text="Please upload your bank statement.",
        due_at=timezone.now() + timedelta(hours=hours),
    )


def fresh(appeal):
    return Appeal.objects.get(pk=appeal.pk)


def answer_by_upload(appeal, party, service_account, arbitrator):
    evidence_add(
        appeal_id=appeal.pk,
        upload=upload(png_bytes()),
        original_name="statement.png",
        party=party,
        kind="bank_statement",
        actor=service_account,
    )


def answer_by_chat(appeal, party, service_account, arbitrator):
    chat_ingest(
        order=appeal.order,
        messages=[ChatMessageDataFactory(sender=party, sent_at=timezone.now())],
        actor=service_account,
    )


def answer_by_staff(appeal, party, service_account, arbitrator):
    lifecycle.appeal_record_answer(
        appeal_id=appeal.pk, actor=arbitrator, party=party, note="Sent it by e-mail to support."
    )


ANSWERS = {"evidence": answer_by_upload, "chat": answer_by_chat, "staff": answer_by_staff}


@pytest.mark.parametrize("via", list(ANSWERS))
def test_every_answer_path_resumes_the_clock_and_moves_resolution_by_the_paused_time(
    via, case, arbitrator, service_account, travel
):
    due_before = case.resolution_due_at
    first_due = case.first_response_due_at
    travel(START + HOUR)
    ask(case, arbitrator)
    paused = fresh(case)
    assert paused.status == S.AWAITING_EVIDENCE and paused.paused
    assert paused.clock_paused_at == START + HOUR
    summary = sla.summary(paused, list(paused.evidence_requests.all()))
    assert summary["paused"] and summary["evidence_due"]["seller"] == START + 25 * HOUR

    travel(START + 4 * HOUR + timedelta(seconds=17))
    ANSWERS[via](case, Party.SELLER, service_account, arbitrator)

    after = fresh(case)
    assert after.status == S.IN_REVIEW and after.assignee == arbitrator
    assert not after.paused and after.clock_paused_at is None
    stood = 3 * 3600 + 17
    assert after.paused_seconds == stood
    assert after.resolution_due_at == due_before + timedelta(seconds=stood)
    assert after.first_response_due_at == first_due  # answered already: it stays
    request = after.evidence_requests.get()
    assert request.answered_via == via and request.answered_at == START + 4 * HOUR + timedelta(
        seconds=17
    )
    assert sla.summary(after, [request])["breaches"] == []
    notes = Notification.objects.filter(user=arbitrator, kind=Notification.Kind.EVIDENCE_ARRIVED)
    if via == "staff":
        assert not notes.exists()  # they recorded it themselves
    else:
        assert notes.get().data == {"party": Party.SELLER, "via": via}


def test_the_other_party_answering_does_not_resume(case, arbitrator, service_account, travel):
    travel(START + HOUR)
    ask(case, arbitrator, party=Party.SELLER)
    travel(START + 2 * HOUR)
    answer_by_chat(case, Party.BUYER, service_account, arbitrator)
    after = fresh(case)
    assert after.paused and after.status == S.AWAITING_EVIDENCE
    assert after.evidence_requests.get().answered_at is None


def test_a_chat_message_from_before_the_request_is_no_answer(
    case, arbitrator, service_account, travel
):
    travel(START + HOUR)
    ask(case, arbitrator)
    chat_ingest(
        order=case.order,
        messages=[ChatMessageDataFactory(sender=Party.SELLER, sent_at=START + HOUR / 2)],
        actor=service_account,
    )
    assert fresh(case).paused


def test_two_requests_stay_paused_until_both_parties_answered(
    case, arbitrator, service_account, travel
):
    due_before = case.resolution_due_at
    travel(START + HOUR)
    ask(case, arbitrator, party=Party.BUYER)
    travel(START + 2 * HOUR)
    ask(case, arbitrator, party=Party.SELLER, hours=10)
    paused = fresh(case)
    assert paused.clock_paused_at == START + HOUR  # the first request stopped it
    assert paused.evidence_due_at == START + 12 * HOUR  # the earliest waiting one

    travel(START + 3 * HOUR)
    answer_by_upload(case, Party.BUYER, service_account, arbitrator)
    mid = fresh(case)
    assert mid.paused and mid.status == S.AWAITING_EVIDENCE
    assert mid.evidence_due_at == START + 12 * HOUR

    travel(START + 5 * HOUR)
    answer_by_staff(case, Party.SELLER, service_account, arbitrator)
    after = fresh(case)
    assert not after.paused and after.status == S.IN_REVIEW
    assert after.paused_seconds == 4 * 3600
    assert after.resolution_due_at == due_before + 4 * HOUR
    assert after.evidence_due_at is None


def test_a_second_pause_adds_up(case, arbitrator, service_account, travel):
    due_before = case.resolution_due_at
    for start in (1, 5):
        travel(START + start * HOUR)
        ask(case, arbitrator)
        travel(START + (start + 2) * HOUR)
        answer_by_upload(case, Party.SELLER, service_account, arbitrator)
    after = fresh(case)
    assert after.paused_seconds == 4 * 3600
    assert after.resolution_due_at == due_before + 4 * HOUR


def test_a_verdict_while_waiting_closes_the_request_and_the_pause(case, arbitrator, travel):
    travel(START + HOUR)
    ask(case, arbitrator)
    travel(START + 2 * HOUR)
    lifecycle.verdict_propose(
        appeal_id=case.pk,
        actor=arbitrator,
        outcome=Verdict.Outcome.RELEASE_TO_BUYER,
        responsible_party=Verdict.ResponsibleParty.SELLER,
        rule_code="P2P-1.2",
        rationale="The seller stayed silent while the buyer's payment is proven.",
    )
    after = fresh(case)
    assert after.is_closed and not after.paused and after.paused_seconds == 3600
    request = after.evidence_requests.get()
    assert request.answered_via == EvidenceRequest.Via.CLOSED and not request.breached


# --- the missed deadline ---------------------------------------------------------------


def test_a_missed_deadline_returns_the_case_flagged_with_a_suggestion(case, arbitrator, travel):
    due_before = case.resolution_due_at
    travel(START + HOUR)
    ask(case, arbitrator, hours=4)  # due at START + 5h

    travel(START + 5 * HOUR - timedelta(seconds=1))
    assert deadlines.missed_sweep() == 0

    travel(START + 6 * HOUR)
    summary = floor_tick()
    assert summary["deadlines_missed"] == 1

    after = fresh(case)
    assert after.status == S.IN_REVIEW and after.assignee == arbitrator
    assert after.evidence_missed_at == START + 6 * HOUR
    assert not after.paused
    # The clock ran again from the deadline: it stood still 4 hours.
    assert after.paused_seconds == 4 * 3600
    assert after.resolution_due_at == due_before + 4 * HOUR
    requests = list(after.evidence_requests.all())
    assert requests[0].missed_at == START + 6 * HOUR
    assert "evidence_seller" in sla.breaches(after, requests)
    assert (
        Notification.objects.filter(
            user=arbitrator, kind=Notification.Kind.DEADLINE_MISSED, appeal=case
        ).count()
        == 1
    )
    suggestion = deadlines.missed_deadline_suggestion(after, requests)
    assert suggestion.outcome == Verdict.Outcome.RELEASE_TO_BUYER
    assert suggestion.rule_code == "P2P-1.2" and suggestion.rule_title
    # Suggested, never applied.
    assert not Verdict.objects.filter(appeal=case).exists()

    # Running again flags nothing twice.
    assert floor_tick()["deadlines_missed"] == 0
    assert Notification.objects.filter(kind=Notification.Kind.DEADLINE_MISSED).count() == 1


@pytest.mark.parametrize(
    ("missing", "reason", "outcome", "code"),
    [
        ({Party.BUYER}, Appeal.Reason.CRYPTO_NOT_RELEASED, "return_to_seller", "P2P-2.1"),
        ({Party.BUYER}, Appeal.Reason.WRONG_AMOUNT, "return_to_seller", "P2P-3.1"),
        ({Party.BUYER, Party.SELLER}, Appeal.Reason.OTHER, "return_to_seller", "P2P-9.1"),
    ],
)
def test_the_suggestion_follows_who_stayed_silent(missing, reason, outcome, code):
    appeal = Appeal(reason=reason)
    requests = [EvidenceRequest(party=p, missed_at=MONDAY) for p in missing]
    suggestion = deadlines.missed_deadline_suggestion(appeal, requests)
    assert (suggestion.outcome, suggestion.rule_code) == (outcome, code)
    assert deadlines.missed_deadline_suggestion(appeal, []) is None


def test_one_party_missing_while_the_other_is_still_waited_on(case, arbitrator, travel):
    travel(START + HOUR)
    ask(case, arbitrator, party=Party.BUYER, hours=2)
    ask(case, arbitrator, party=Party.SELLER, hours=10)
    travel(START + 4 * HOUR)
    deadlines.missed_sweep()
    after = fresh(case)
    assert after.status == S.AWAITING_EVIDENCE and after.paused
    assert after.evidence_missed_at == START + 4 * HOUR
    assert after.evidence_due_at == START + 11 * HOUR


# --- reminders --------------------------------------------------------------------------


def test_a_reminder_goes_out_before_the_deadline_once(case, arbitrator, travel, settings):
    assert settings.EVIDENCE_REMINDER_HOURS == 2
    travel(START + HOUR)
    ask(case, arbitrator, hours=10)  # due START + 11h

    travel(START + 9 * HOUR - timedelta(seconds=1))
    assert deadlines.send_reminders() == 0

    travel(START + 9 * HOUR)
    before = set(OutboxEvent.objects.values_list("pk", flat=True))
    assert deadlines.send_reminders() == 1
    assert deadlines.send_reminders() == 0
    travel(START + 10 * HOUR)
    assert deadlines.send_reminders() == 0

    events = OutboxEvent.objects.exclude(pk__in=before).filter(type="party.message")
    assert events.count() == 1
    event = events.get()
    assert event.data["party"] == Party.SELLER
    assert event.data["due_at"].startswith("2026-03-02T20:00")
    message = DeskMessage.objects.get(kind=DeskMessage.Kind.REMINDER)
    assert message.sent_by is None and message.language == "zh-hans"


def test_an_answered_request_is_not_reminded(case, arbitrator, service_account, travel):
    travel(START + HOUR)
    ask(case, arbitrator, hours=3)
    answer_by_chat(case, Party.SELLER, service_account, arbitrator)
    travel(START + 3 * HOUR)
    assert deadlines.send_reminders() == 0
    assert not ChatMessage.objects.filter(sender="system").exists()
