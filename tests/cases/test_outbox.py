"""The transactional outbox: an event lives and dies with the transaction of its cause."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from django.db import transaction

from cases.lifecycle import appeal_claim, appeal_request_evidence
from cases.models import (
    Appeal,
    AppealStatusChange,
    AuditEntry,
    OutboxEvent,
    Verdict,
    WebhookDelivery,
    WebhookSubscriber,
)
from cases.outbox import event_emit
from tests.factories import OrderFactory, appeal_in, open_appeal, propose

pytestmark = pytest.mark.django_db

S = Appeal.Status


class Boom(Exception):
    pass


def subscriber(url: str, events: list[str], active: bool = True) -> WebhookSubscriber:
    return WebhookSubscriber.objects.create(
        url=f"https://{url}.example/hooks", secret="x" * 32, events=events, active=active
    )


def test_an_event_is_written_with_its_cause(arbitrator):
    appeal = open_appeal()
    appeal_claim(appeal_id=appeal.pk, actor=arbitrator)
    assert set(OutboxEvent.objects.filter(appeal=appeal).values_list("type", "data__status")) == {
        ("appeal.status_changed", "open"),
        ("appeal.status_changed", "in_review"),
    }


def test_a_rolled_back_claim_leaves_no_event_no_audit_no_status_change(arbitrator):
    appeal = open_appeal()
    counts = (
        OutboxEvent.objects.count(),
        AuditEntry.objects.count(),
        AppealStatusChange.objects.count(),
    )

    with pytest.raises(Boom), transaction.atomic():
        appeal_claim(appeal_id=appeal.pk, actor=arbitrator)
        assert OutboxEvent.objects.count() == counts[0] + 1  # written inside ...
        raise Boom

    # ... and gone with the transaction.
    assert (
        OutboxEvent.objects.count(),
        AuditEntry.objects.count(),
        AppealStatusChange.objects.count(),
    ) == counts
    appeal.refresh_from_db()
    assert (appeal.status, appeal.assignee) == (S.OPEN, None)


def test_a_rolled_back_verdict_never_issues(arbitrator):
    appeal = appeal_in(S.IN_REVIEW, worker=arbitrator)
    subscriber("escrow", ["verdict.issued"])

    with pytest.raises(Boom), transaction.atomic():
        propose(appeal, arbitrator)
        raise Boom

    assert not Verdict.objects.exists()
    assert not OutboxEvent.objects.filter(type="verdict.issued").exists()
    assert not WebhookDelivery.objects.exists()
    appeal.refresh_from_db()
    assert appeal.status == S.IN_REVIEW


def test_one_delivery_per_active_subscriber_that_wants_the_event(arbitrator):
    everything = subscriber("everything", list(OutboxEvent.Type.values))
    escrow = subscriber("escrow", ["verdict.issued"])
    subscriber("retired", list(OutboxEvent.Type.values), active=False)
    subscriber("deaf", [])
    appeal = appeal_in(S.IN_REVIEW, worker=arbitrator)

    propose(appeal, arbitrator)

    issued = OutboxEvent.objects.get(type="verdict.issued")
    assert {d.subscriber for d in issued.deliveries.all()} == {everything, escrow}
    resolved = OutboxEvent.objects.get(type="appeal.status_changed", data__status="resolved")
    assert [d.subscriber for d in resolved.deliveries.all()] == [everything]
    for delivery in WebhookDelivery.objects.all():
        assert delivery.status == WebhookDelivery.Status.PENDING
        assert delivery.attempts == 0
        assert delivery.next_attempt_at == delivery.event.created_at


def test_no_subscriber_means_no_delivery_but_still_an_event(arbitrator):
    appeal = appeal_in(S.IN_REVIEW, worker=arbitrator)
    propose(appeal, arbitrator)
    assert OutboxEvent.objects.filter(type="verdict.issued").count() == 1
    assert not WebhookDelivery.objects.exists()


def test_event_data_is_plain_json(arbitrator):
    appeal = appeal_in(
        S.IN_REVIEW,
        worker=arbitrator,
        order=OrderFactory(crypto_amount=Decimal("0.00000001"), fiat_amount=Decimal("0.01")),
    )
    # A deadline within EVIDENCE_DEADLINE_MAX_DAYS, to the second.
    due = (datetime.now(UTC) + timedelta(days=2)).replace(microsecond=0)
    appeal_request_evidence(
        appeal_id=appeal.pk, actor=arbitrator, party="buyer", text="Receipt.", due_at=due
    )
    propose(appeal, arbitrator)

    message = OutboxEvent.objects.get(type="party.message", data__has_key="due_at")
    stamp = due.strftime("%Y-%m-%dT%H:%M:%S")
    assert message.data["due_at"] in (f"{stamp}Z", f"{stamp}+00:00")
    issued = OutboxEvent.objects.get(type="verdict.issued")
    assert issued.data["crypto_amount"] == "0.00000001"  # a decimal string, never a float


def test_the_envelope_has_the_contract_fields():
    with transaction.atomic():
        event = event_emit(type="party.message", data={"text": "hello"})
    envelope = event.envelope()
    assert envelope == {
        "id": str(event.id),
        "type": "party.message",
        "created_at": event.created_at.isoformat(),
        "data": {"text": "hello"},
    }
    uuid.UUID(envelope["id"])


@pytest.mark.django_db(transaction=True)
def test_an_event_outside_a_transaction_is_refused():
    with pytest.raises(RuntimeError):
        event_emit(type="verdict.issued", data={})
    assert not OutboxEvent.objects.exists()
