"""Every notification kind, how it reads, the inbox, and `manage.py floor_tick`."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from django.core.management import call_command

from cases import lifecycle, notifications
from cases.floor import deadlines
from cases.floor.escalation import escalation_sweep
from cases.models import Appeal, AuditEntry, EscalationRule, Notification, Party
from tests.factories import OrderFactory, open_appeal, propose

from .conftest import ALL_WEEK, MONDAY

pytestmark = pytest.mark.django_db

K = Notification.Kind
S = Appeal.Status
START = MONDAY + timedelta(hours=9)
HOUR = timedelta(hours=1)


@pytest.fixture(autouse=True)
def at_start(travel):
    travel(START)


def kinds(user) -> list[str]:
    return list(Notification.objects.filter(user=user).values_list("kind", flat=True))


def test_approval_waiting_goes_to_every_approver_but_the_proposer(
    arbitrator, senior, senior2, lead
):
    appeal = open_appeal(order=OrderFactory(large=True))
    lifecycle.appeal_claim(appeal_id=appeal.pk, actor=senior)
    verdict = propose(appeal, senior)
    for user in (senior2, lead):
        n = Notification.objects.get(user=user)
        assert n.kind == K.APPROVAL_WAITING and n.data["verdict"] == verdict.pk
        assert "waits for your approval" in notifications.render(n)
    assert kinds(senior) == [] and kinds(arbitrator) == []


def test_approval_waiting_stops_asking_once_the_verdict_is_approved(senior, senior2, lead):
    appeal = open_appeal(order=OrderFactory(large=True))
    lifecycle.appeal_claim(appeal_id=appeal.pk, actor=senior)
    verdict = propose(appeal, senior)
    assert Notification.objects.filter(kind=K.APPROVAL_WAITING, read_at__isnull=True).count() == 2
    lifecycle.verdict_approve(verdict_id=verdict.pk, actor=senior2)
    assert not Notification.objects.filter(kind=K.APPROVAL_WAITING, read_at__isnull=True).exists()


def test_assigned_to_you_by_a_lead_and_by_the_floor(person, lead, arbitrator):
    appeal = open_appeal()
    lifecycle.appeal_assign(appeal_id=appeal.pk, assignee=arbitrator, actor=lead)
    n = Notification.objects.get(user=arbitrator)
    assert n.kind == K.ASSIGNED_TO_YOU and n.data["by"] == "lead"
    assert notifications.render(n) == f"Appeal #{appeal.pk} was assigned to you."


def test_escalated_to_you_reads_the_reason(senior):
    appeal = open_appeal()
    EscalationRule.objects.create(name="all", conditions={}, target_role="senior_arbitrator")
    escalation_sweep()
    n = Notification.objects.get(user=senior)
    assert n.kind == K.ESCALATED_TO_YOU
    assert notifications.render(n) == (
        f"Appeal #{appeal.pk} was escalated to you: Escalation rule: all"
    )


def test_evidence_arrived_deadline_soon_and_missed(arbitrator, service_account, travel):
    appeal = open_appeal()
    lifecycle.appeal_claim(appeal_id=appeal.pk, actor=arbitrator)
    lifecycle.appeal_request_evidence(
        appeal_id=appeal.pk,
        actor=arbitrator,
        party=Party.BUYER,
        text="Receipt",
        due_at=START + 2 * HOUR,
    )
    lifecycle.appeal_request_evidence(
        appeal_id=appeal.pk,
        actor=arbitrator,
        party=Party.SELLER,
        text="Statement",
        due_at=START + 5 * HOUR,
    )
    travel(START + HOUR + timedelta(minutes=30))
    assert deadlines.deadline_soon_sweep() == 1  # the buyer's, due in 30 minutes
    assert deadlines.deadline_soon_sweep() == 0  # once
    soon = Notification.objects.get(user=arbitrator, kind=K.DEADLINE_SOON)
    assert soon.data["what"] == "evidence" and soon.data["party"] == "buyer"
    assert "buyer's evidence is due" in notifications.render(soon)

    from cases.services import chat_ingest
    from tests.factories import ChatMessageDataFactory

    chat_ingest(
        order=appeal.order,
        messages=[
            ChatMessageDataFactory(sender="buyer", sent_at=START + HOUR + timedelta(minutes=30))
        ],
        actor=service_account,
    )
    arrived = Notification.objects.get(user=arbitrator, kind=K.EVIDENCE_ARRIVED)
    assert notifications.render(arrived) == f"The buyer answered on appeal #{appeal.pk}."

    travel(START + 6 * HOUR)
    deadlines.missed_sweep()
    missed = Notification.objects.get(user=arbitrator, kind=K.DEADLINE_MISSED)
    assert missed.data["party"] == "seller"
    assert notifications.render(missed) == (
        f"The seller missed the evidence deadline on appeal #{appeal.pk}."
    )


def test_deadline_soon_for_the_resolution(arbitrator, travel):
    appeal = open_appeal()
    lifecycle.appeal_claim(appeal_id=appeal.pk, actor=arbitrator)
    travel(START + 47 * HOUR + timedelta(minutes=1))
    assert deadlines.deadline_soon_sweep() == 1
    n = Notification.objects.get(user=arbitrator)
    assert n.kind == K.DEADLINE_SOON and n.data["what"] == "resolution"
    assert "must be resolved by" in notifications.render(n)


def test_the_inbox_is_unread_first_and_marking_read(arbitrator, lead, travel):
    a, b = open_appeal(), open_appeal()
    lifecycle.appeal_assign(appeal_id=a.pk, assignee=arbitrator, actor=lead)
    travel(START + HOUR)
    lifecycle.appeal_assign(appeal_id=b.pk, assignee=arbitrator, actor=lead)
    first, second = Notification.objects.order_by("pk")
    assert notifications.unread_count(arbitrator) == 2
    assert notifications.mark_read(arbitrator, [second.pk]) == 1
    assert list(notifications.inbox(arbitrator)) == [first, second]
    assert notifications.mark_read(lead) == 0  # nobody marks another's
    assert notifications.unread_count(arbitrator) == 1


def test_notify_with_a_key_sends_once():
    from django.db import transaction

    from tests.factories import staff_user

    user = staff_user("arbitrator")
    with transaction.atomic():
        assert notifications.notify([user], K.DEADLINE_SOON, key="k") == 1
        assert notifications.notify([user], K.DEADLINE_SOON, key="k") == 0
    assert Notification.objects.count() == 1


# --- manage.py floor_tick -------------------------------------------------------------


def test_the_command_runs_one_tick_and_is_idempotent(person, arbitrator, travel):
    worker = person(shifts=ALL_WEEK)
    appeal = open_appeal()
    asked = open_appeal()
    lifecycle.appeal_claim(appeal_id=asked.pk, actor=arbitrator)
    lifecycle.appeal_request_evidence(
        appeal_id=asked.pk,
        actor=arbitrator,
        party=Party.SELLER,
        text="Statement",
        due_at=START + HOUR,
    )
    EscalationRule.objects.create(
        name="chargebacks", conditions={"reasons": ["chargeback"]}, target_role="team_lead"
    )
    travel(START + 2 * HOUR)

    out = io.StringIO()
    call_command("floor_tick", stdout=out)
    text = out.getvalue()
    assert "assigned: 1" in text and "deadlines_missed: 1" in text
    appeal.refresh_from_db()
    assert appeal.assignee == worker
    entries = AuditEntry.objects.count()
    notes = Notification.objects.count()

    again = io.StringIO()
    call_command("floor_tick", stdout=again)
    assert "assigned: 0" in again.getvalue() and "deadlines_missed: 0" in again.getvalue()
    assert AuditEntry.objects.count() == entries
    assert Notification.objects.count() == notes
