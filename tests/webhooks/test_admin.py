"""The deliveries admin: filter by status, and "Retry now" for those allowed to resend."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from cases.models import AuditEntry, WebhookDelivery, WebhookSubscriber

from .support import Receiver, delivery_of, emit

pytestmark = pytest.mark.django_db
Status = WebhookDelivery.Status
CHANGELIST = "admin:cases_webhookdelivery_changelist"


@pytest.fixture
def deliveries(subscriber: WebhookSubscriber) -> dict[str, WebhookDelivery]:
    rows = {}
    for status in (Status.PENDING, Status.FAILED, Status.DEAD, Status.DELIVERED):
        delivery = delivery_of(emit(name=status), subscriber)
        WebhookDelivery.objects.filter(pk=delivery.pk).update(
            status=status, attempts=0 if status == Status.PENDING else 12, last_error="HTTP 500"
        )
        rows[status] = delivery
    return rows


def retry(client: Client, deliveries: dict[str, WebhookDelivery], on_commit):
    with on_commit(execute=True):
        return client.post(
            reverse(CHANGELIST),
            {"action": "retry_now", "_selected_action": [d.pk for d in deliveries.values()]},
            follow=True,
        )


def test_a_team_lead_retries_failed_and_dead_deliveries_now(
    lead,
    receiver: Receiver,
    deliveries: dict[str, WebhookDelivery],
    django_capture_on_commit_callbacks,
) -> None:
    client = Client()
    client.force_login(lead)

    response = retry(client, deliveries, django_capture_on_commit_callbacks)

    assert response.status_code == 200
    assert "2 of 4 deliveries queued to send again" in response.content.decode()
    # Sent at once (eager here) and acknowledged.
    sent = sorted(r.event_id for r in receiver.received())
    assert sent == sorted(str(deliveries[s].event_id) for s in (Status.FAILED, Status.DEAD))
    for status, expected in [
        (Status.FAILED, Status.DELIVERED),
        (Status.DEAD, Status.DELIVERED),
        (Status.PENDING, Status.PENDING),
        (Status.DELIVERED, Status.DELIVERED),
    ]:
        deliveries[status].refresh_from_db()
        assert deliveries[status].status == expected
    entries = AuditEntry.objects.filter(action="webhook_delivery.retried").order_by("seq")
    assert [(e.actor, e.before["status"], e.after["status"]) for e in entries] == [
        (lead, "failed", "pending"),
        (lead, "dead", "pending"),
    ]
    assert {e.object_id for e in entries} == {
        str(deliveries[Status.FAILED].pk),
        str(deliveries[Status.DEAD].pk),
    }


def test_a_retried_delivery_gets_a_fresh_set_of_attempts(
    lead,
    receiver: Receiver,
    deliveries: dict[str, WebhookDelivery],
    django_capture_on_commit_callbacks,
) -> None:
    receiver.respond = lambda received: 500
    client = Client()
    client.force_login(lead)

    retry(client, {"dead": deliveries[Status.DEAD]}, django_capture_on_commit_callbacks)

    dead = deliveries[Status.DEAD]
    dead.refresh_from_db()
    assert dead.status == Status.FAILED
    assert dead.attempts == 1


def test_an_arbitrator_cannot_retry(
    arbitrator,
    receiver: Receiver,
    deliveries: dict[str, WebhookDelivery],
    django_capture_on_commit_callbacks,
) -> None:
    client = Client()
    client.force_login(arbitrator)
    # Deliveries name subscriber URLs and their errors: team leads only, not even shown.
    page = client.get(reverse(CHANGELIST))
    assert page.status_code == 403

    assert retry(client, deliveries, django_capture_on_commit_callbacks).status_code == 403

    assert receiver.received() == []
    assert not AuditEntry.objects.filter(action="webhook_delivery.retried").exists()
    deliveries[Status.DEAD].refresh_from_db()
    assert deliveries[Status.DEAD].status == Status.DEAD


def test_the_list_filters_by_status(lead, deliveries: dict[str, WebhookDelivery]) -> None:
    client = Client()
    client.force_login(lead)

    page = client.get(reverse(CHANGELIST), {"status__exact": "dead"})

    assert page.status_code == 200
    assert list(page.context["cl"].result_list) == [deliveries[Status.DEAD]]
    assert "retry_now" in page.content.decode()
    # Still read-only: no edit form for a delivery.
    change = reverse("admin:cases_webhookdelivery_change", args=[deliveries[Status.DEAD].pk])
    assert "Save" not in client.get(change).content.decode()
