"""The notifications page: the user's own list, unread first, rendered text and the
appeal's link; marking read (one, all); the bell's polled count; a fixed query count."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from cases import notifications
from cases.models import Notification
from tests.factories import appeal_in

pytestmark = pytest.mark.django_db

K = Notification.Kind
PAGE = "/notifications/"


def send(user, kind=K.ASSIGNED_TO_YOU, *, appeal=None, data=None, ago: int = 0) -> Notification:
    with transaction.atomic():
        notifications.notify([user], kind, appeal=appeal, data=data)
    n = Notification.objects.filter(user=user).order_by("-id").first()
    if ago:
        Notification.objects.filter(pk=n.pk).update(
            created_at=timezone.now() - timedelta(minutes=ago)
        )
    return n


def test_the_page_lists_my_notifications_unread_first(client, arbitrator, arbitrator2):
    appeal = appeal_in("in_review", worker=arbitrator)
    old = send(arbitrator, appeal=appeal, ago=60)
    read = send(arbitrator, K.DEADLINE_MISSED, appeal=appeal, data={"party": "seller"}, ago=5)
    notifications.mark_read(arbitrator, [read.pk])
    new = send(arbitrator, K.EVIDENCE_ARRIVED, appeal=appeal, data={"party": "buyer"}, ago=1)
    send(arbitrator2, appeal=appeal)
    client.force_login(arbitrator)

    response = client.get(PAGE)

    assert response.status_code == 200
    items = [i["n"].pk for i in response.context["items"]]
    assert items == [new.pk, old.pk, read.pk]
    html = response.content.decode()
    assert f"The buyer answered on appeal #{appeal.pk}." in html
    assert f"Appeal #{appeal.pk} was assigned to you." in html
    assert reverse("cases:case", args=[appeal.pk]) in html
    assert response.context["unread"] == 2


def test_an_htmx_poll_gets_the_list_and_the_bell_out_of_band(client, arbitrator):
    send(arbitrator)
    client.force_login(arbitrator)

    response = client.get(PAGE, headers={"HX-Request": "true"})

    html = response.content.decode()
    assert "<html" not in html
    assert 'hx-swap-oob="innerHTML"' in html and 'data-test="bell-count"' in html


def test_mark_read_marks_only_my_own(client, arbitrator, arbitrator2):
    mine = send(arbitrator)
    theirs = send(arbitrator2)
    client.force_login(arbitrator)

    client.post(reverse("cases:notification_read", args=[mine.pk]))
    client.post(reverse("cases:notification_read", args=[theirs.pk]))

    mine.refresh_from_db()
    theirs.refresh_from_db()
    assert mine.read_at is not None
    assert theirs.read_at is None


def test_mark_all_read(client, arbitrator, arbitrator2):
    for _ in range(3):
        send(arbitrator)
    send(arbitrator2)
    client.force_login(arbitrator)

    response = client.post(reverse("cases:notifications_read_all"), headers={"HX-Request": "true"})

    assert response.status_code == 200
    assert notifications.unread_count(arbitrator) == 0
    assert notifications.unread_count(arbitrator2) == 1
    assert response.context["unread"] == 0


def test_the_bell_shows_the_unread_count_and_polls(client, arbitrator):
    send(arbitrator)
    send(arbitrator)
    client.force_login(arbitrator)

    page = client.get("/").content.decode()
    count = client.get(reverse("cases:notifications_count"))

    assert 'hx-get="/notifications/count/"' in page and 'hx-trigger="every 20s"' in page
    assert count.status_code == 200
    assert '<span class="bell-count" data-test="bell-count">2</span>' in count.content.decode()


def test_the_bell_costs_one_query_beyond_the_session(client, arbitrator):
    for _ in range(5):
        send(arbitrator)
    client.force_login(arbitrator)
    url = reverse("cases:notifications_count")
    client.get(url)

    with CaptureQueriesContext(connection) as ctx:
        client.get(url)

    notification_reads = [q for q in ctx.captured_queries if "cases_notification" in q["sql"]]
    assert len(notification_reads) == 1
    # every request's four (session, user, profile for the time zone, roles), the count
    assert len(ctx.captured_queries) <= 5, "\n".join(q["sql"][:120] for q in ctx.captured_queries)


def test_a_signed_out_poll_stops_polling(client):
    response = client.get(reverse("cases:notifications_count"))

    assert response.status_code == 286
    assert response.content == b""


def test_the_page_costs_the_same_for_2_or_60_notifications(client, arbitrator):
    appeal = appeal_in("in_review", worker=arbitrator)
    for _ in range(2):
        send(arbitrator, appeal=appeal)
    client.force_login(arbitrator)
    client.get(PAGE)

    def count() -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(PAGE).status_code == 200
        return len(ctx.captured_queries)

    few = count()
    for _ in range(58):
        send(
            arbitrator,
            K.DEADLINE_SOON,
            appeal=appeal,
            data={"what": "resolution", "due": timezone.now().isoformat()},
        )
    many = count()

    assert few == many


def test_a_person_without_a_desk_role_is_refused(client, make_user):
    client.force_login(make_user(None))

    assert client.get(PAGE).status_code == 403
