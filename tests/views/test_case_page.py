"""The case page: what it shows, that hostile text stays text, the evidence file view,
and a query count that does not grow with the case."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from cases import lifecycle, services
from cases.models import AccountSignal, ChatMessage, StaffProfile, Trader, WatchKeyword
from cases.selectors.case import CHAT_PAGE
from evidence.services import evidence_add
from tests.factories import (
    OrderFactory,
    TraderFactory,
    appeal_in,
    open_appeal,
    pdf_bytes,
    png_bytes,
    propose,
    service_token,
    upload,
)

pytestmark = pytest.mark.django_db

XSS = "<script>alert(1)</script>"
XSS_ESCAPED = "&lt;script&gt;alert(1)&lt;/script&gt;"


def case_url(appeal) -> str:
    return reverse("cases:case", args=[appeal.pk])


def file_url(evidence) -> str:
    return reverse("cases:evidence_file", args=[evidence.appeal_id, evidence.pk])


def get_page(client, user, appeal, **params):
    client.force_login(user)
    response = client.get(case_url(appeal), params)
    assert response.status_code == 200, response.content[:500]
    return response


def say(order, sender: str, text: str, at: datetime, n: int = 0) -> ChatMessage:
    return ChatMessage.objects.create(
        order=order,
        external_id=f"{order.external_id}-m{n}-{at.timestamp()}",
        sender=sender,
        sent_at=at,
        text=text,
    )


def add_evidence(appeal, actor, *, content=None, name="voucher.png", party="buyer", **fields):
    return evidence_add(
        appeal_id=appeal.pk,
        upload=upload(content or png_bytes(), name),
        party=party,
        kind=fields.pop("kind", "payment_voucher"),
        actor=actor,
        original_name=name,
        **fields,
    )


# --- what the page shows ------------------------------------------------------------------


def test_it_shows_the_order_facts_and_both_parties(client, arbitrator):
    buyer = TraderFactory(
        display_name="lucky_buyer", kyc_name="Wang Fang", country="CN", language="zh-hans"
    )
    seller = TraderFactory(
        display_name="fast_seller",
        kyc_name="Ivan Petrov",
        country="RU",
        language="ru",
        registered_at=timezone.now() - timedelta(days=400),
    )
    order = OrderFactory(buyer=buyer, seller=seller, payment_method="alipay")
    appeal = appeal_in("in_review", worker=arbitrator, order=order)

    body = get_page(client, arbitrator, appeal).content.decode()

    for text in (
        order.external_id,
        "500 USDT",
        "3,600.00 CNY",  # thousands separated, cents kept
        "alipay",
        "lucky_buyer",
        "Wang Fang",
        "fast_seller",
        "Ivan Petrov",
        "zh-hans",
        "Crypto not released",
        "In review",
        "arbitrator",
    ):
        assert text in body, text
    assert body.index("lucky_buyer") < body.index("fast_seller")


def test_it_shows_previous_appeals_and_restrictions_of_each_party(client, arbitrator, lead):
    buyer = TraderFactory(display_name="repeat_buyer")
    earlier = appeal_in("resolved", worker=arbitrator, order=OrderFactory(buyer=buyer))
    lifecycle.account_action_take(trader=buyer, kind="p2p_restriction", days=30, actor=lead)
    appeal = appeal_in("in_review", worker=arbitrator, order=OrderFactory(buyer=buyer))

    response = get_page(client, arbitrator, appeal)
    body = response.content.decode()

    buyer_facts = response.context["parties"][0]
    assert buyer_facts.history["total"] == 1
    assert buyer_facts.history["favoured"] == 1  # the default verdict releases to the buyer
    assert buyer_facts.recent[0].pk == earlier.pk
    assert reverse("cases:case", args=[earlier.pk]) in body
    assert "P2P restricted until" in body
    assert response.context["parties"][1].history["total"] == 0


def test_it_shows_signals_shared_with_other_accounts(client, arbitrator):
    appeal = appeal_in("in_review", worker=arbitrator)
    now = timezone.now()
    other = TraderFactory(external_id="T-RING-1")
    for trader in (appeal.order.buyer, other):
        AccountSignal.objects.create(
            trader=trader, kind="device", value="dev-123", first_seen_at=now, last_seen_at=now
        )

    body = get_page(client, arbitrator, appeal).content.decode()

    assert "dev-123" in body
    assert "T-RING-1" in body
    assert "1 other account" in body


def test_the_chat_is_in_time_order_in_the_viewers_time_zone(client, arbitrator):
    StaffProfile.objects.create(user=arbitrator, time_zone="America/New_York")
    appeal = appeal_in("in_review", worker=arbitrator)
    base = datetime(2026, 1, 15, 12, 0, tzinfo=UTC)
    say(appeal.order, "seller", "second: please wait", base + timedelta(minutes=5), 2)
    say(appeal.order, "buyer", "first: I have paid", base, 1)
    say(appeal.order, "system", "third: appeal opened", base + timedelta(minutes=9), 3)

    body = get_page(client, arbitrator, appeal).content.decode()

    first, second, third = (body.index(t) for t in ("first: I", "second: please", "third: appeal"))
    assert first < second < third
    # 12:00 UTC is 07:00 in New York (EST).
    assert "01-15 07:00:00" in body
    assert "from-buyer" in body and "from-seller" in body and "from-system" in body


def test_the_chat_can_be_searched_server_side(client, arbitrator):
    appeal = appeal_in("in_review", worker=arbitrator)
    now = timezone.now()
    say(appeal.order, "buyer", "the receipt is attached", now, 1)
    say(appeal.order, "seller", "nothing arrived yet", now + timedelta(seconds=1), 2)

    response = get_page(client, arbitrator, appeal, q="RECEIPT")

    assert [line.message.text for line in response.context["chat"]] == ["the receipt is attached"]
    assert "nothing arrived yet" not in response.content.decode()


def test_a_watchlist_hit_and_a_phone_number_are_marked(client, arbitrator):
    WatchKeyword.objects.get_or_create(term="telegram", defaults={"category": "off_platform"})
    appeal = appeal_in("in_review", worker=arbitrator)
    say(appeal.order, "seller", "add me on Telegram, call +86 138 0013 8000", timezone.now())

    body = get_page(client, arbitrator, appeal).content.decode()

    # The invitation (a chat signal) spans the keyword; the phone says its kind.
    assert '<mark class="watch" data-kind="messenger">add me on Telegram</mark>' in body
    assert '<mark class="watch" data-kind="phone">+86 138 0013 8000</mark>' in body
    assert "chat-msg from-seller flagged" in body


def test_it_shows_evidence_previews_side_by_side(client, arbitrator):
    appeal = appeal_in("in_review", worker=arbitrator)
    image = add_evidence(appeal, arbitrator, payer_name=appeal.order.buyer.kyc_name)
    pdf = add_evidence(
        appeal, arbitrator, content=pdf_bytes(), name="statement.pdf", party="seller"
    )

    response = get_page(client, arbitrator, appeal)
    body = response.content.decode()

    assert f'<img src="{file_url(image)}"' in body
    assert f'href="{file_url(pdf)}"' in body
    assert image.sha256[:12] in body and f'title="sha256 {image.sha256}"' in body
    buyer_column, seller_column = response.context["evidence_by_party"]
    assert [i.evidence.pk for i in buyer_column[1]] == [image.pk]
    assert [i.evidence.pk for i in seller_column[1]] == [pdf.pk]
    assert "not the buyer's KYC name" not in body


def test_a_payer_name_that_is_not_the_buyers_kyc_name_is_flagged(client, arbitrator):
    appeal = appeal_in("in_review", worker=arbitrator)
    add_evidence(appeal, arbitrator, payer_name="Someone Else")

    body = get_page(client, arbitrator, appeal).content.decode()

    assert "not the buyer's KYC name" in body


def test_it_shows_notes_timeline_and_audit_trail(client, arbitrator):
    appeal = appeal_in("awaiting_evidence", worker=arbitrator)
    lifecycle.note_add(appeal_id=appeal.pk, actor=arbitrator, text="Seller is slow to answer.")

    response = get_page(client, arbitrator, appeal)
    body = response.content.decode()

    assert "Seller is slow to answer." in body
    kinds = [event.kind for event in response.context["timeline"]]
    assert kinds[0] == "order" and "status" in kinds and "note" in kinds
    times = [event.at for event in response.context["timeline"]]
    assert times == sorted(times)
    actions = [line.entry.action for line in response.context["audit"]]
    assert actions == [
        "appeal.opened",
        "appeal.claimed",
        "appeal.evidence_requested",
        # What the desk said to the party, as its own entry (a DeskMessage).
        "party.message_sent",
        "note.added",
    ]
    # The trail reads as sentences (issue 11), never as raw action keys.
    assert "arbitrator asked the seller for evidence, due" in body
    assert "appeal.evidence_requested" not in body
    assert "In review → Awaiting evidence" in body


def test_hostile_text_renders_as_text_everywhere(client, arbitrator):
    buyer = TraderFactory(display_name=XSS, kyc_name=XSS)
    appeal = appeal_in("in_review", worker=arbitrator, order=OrderFactory(buyer=buyer))
    say(appeal.order, "buyer", f"hello {XSS}", timezone.now())
    lifecycle.note_add(appeal_id=appeal.pk, actor=arbitrator, text=f"note {XSS}")
    add_evidence(appeal, arbitrator, name=f"{XSS}.png", payer_name=XSS, note=XSS)

    body = get_page(client, arbitrator, appeal).content.decode()

    assert XSS not in body
    assert body.count(XSS_ESCAPED) >= 5
    assert f"hello {XSS_ESCAPED}" in body
    assert f"note {XSS_ESCAPED}" in body


def test_a_watchlist_hit_inside_hostile_text_is_still_escaped(client, arbitrator):
    WatchKeyword.objects.get_or_create(term="whatsapp", defaults={"category": "off_platform"})
    appeal = appeal_in("in_review", worker=arbitrator)
    say(appeal.order, "seller", f"<b>WhatsApp</b>{XSS}", timezone.now())

    body = get_page(client, arbitrator, appeal).content.decode()

    assert f'&lt;b&gt;<mark class="watch">WhatsApp</mark>&lt;/b&gt;{XSS_ESCAPED}' in body
    assert XSS not in body


def test_a_phone_number_inside_hostile_text_is_marked_and_escaped(client, arbitrator):
    appeal = appeal_in("in_review", worker=arbitrator)
    say(appeal.order, "buyer", f"{XSS}13800138000<i>快点放币</i>", timezone.now())

    body = get_page(client, arbitrator, appeal).content.decode()

    assert (
        f'{XSS_ESCAPED}<mark class="watch" data-kind="phone">13800138000</mark>'
        '&lt;i&gt;<mark class="watch" data-kind="pressure">快点放币</mark>&lt;/i&gt;'
    ) in body
    assert XSS not in body
    assert "chat-msg from-buyer flagged" in body


# --- who may see it -----------------------------------------------------------------------


@pytest.mark.parametrize("role", ["arbitrator", "senior", "lead", "risk_analyst", "auditor"])
def test_every_staff_role_sees_the_case(client, request, role):
    appeal = open_appeal()
    get_page(client, request.getfixturevalue(role), appeal)


def test_a_user_without_a_staff_role_is_refused(client, make_user, service_account):
    appeal = open_appeal()
    for user in (make_user(None), service_account):
        client.force_login(user)
        assert client.get(case_url(appeal)).status_code == 403


def test_an_anonymous_visitor_is_sent_to_log_in(client):
    appeal = open_appeal()
    response = client.get(case_url(appeal))
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_a_missing_case_is_404(client, arbitrator):
    client.force_login(arbitrator)
    assert client.get(reverse("cases:case", args=[999999])).status_code == 404


def test_an_auditor_gets_no_forms(client, auditor, arbitrator):
    appeal = appeal_in("in_review", worker=arbitrator)
    response = get_page(client, auditor, appeal)
    body = response.content.decode()

    assert response.context["forms"] == {}
    assert 'method="post" action="/cases/' not in body
    assert "Read-only" in body


# --- evidence files -----------------------------------------------------------------------


def test_the_evidence_file_streams_with_safe_headers(client, arbitrator, risk_analyst):
    appeal = appeal_in("in_review", worker=arbitrator)
    content = png_bytes()
    evidence = add_evidence(appeal, arbitrator, content=content, name="../../etc/passwd.png")
    client.force_login(risk_analyst)

    response = client.get(file_url(evidence))

    assert response.status_code == 200
    assert b"".join(response.streaming_content) == content
    assert response["Content-Type"] == "image/png"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Disposition"] == f'inline; filename="evidence-{evidence.pk}.png"'
    assert "sandbox" not in response.get("Content-Security-Policy", "")


def test_a_pdf_is_served_in_a_sandbox(client, arbitrator):
    appeal = appeal_in("in_review", worker=arbitrator)
    evidence = add_evidence(appeal, arbitrator, content=pdf_bytes(), name="statement.pdf")
    client.force_login(arbitrator)

    response = client.get(file_url(evidence))

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Security-Policy"] == "sandbox"
    assert response["Content-Disposition"] == f'inline; filename="evidence-{evidence.pk}.pdf"'
    response.close()


def test_the_evidence_file_is_refused_to_non_staff(client, arbitrator, make_user):
    appeal = appeal_in("in_review", worker=arbitrator)
    evidence = add_evidence(appeal, arbitrator)

    anonymous = client.get(file_url(evidence))
    client.force_login(make_user(None))
    outsider = client.get(file_url(evidence))

    assert anonymous.status_code == 302
    assert outsider.status_code == 403


def test_the_evidence_file_must_belong_to_the_case(client, arbitrator):
    appeal = appeal_in("in_review", worker=arbitrator)
    other = appeal_in("in_review", worker=arbitrator)
    evidence = add_evidence(appeal, arbitrator)
    client.force_login(arbitrator)

    response = client.get(reverse("cases:evidence_file", args=[other.pk, evidence.pk]))

    assert response.status_code == 404


# --- query count --------------------------------------------------------------------------

# Session, user, roles, permissions, the appeal, each list of the page, the parties'
# aggregates and the working tools (rules, replies, penalties, watchlist, assignees).
MAX_QUERIES = 40


def count_queries(client, url: str) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200
    return len(ctx.captured_queries)


def cold_and_warm(client, url: str) -> tuple[int, int]:
    """The page's queries with the chat fragment rendered afresh, then from the cache."""
    cache.clear()
    cold = count_queries(client, url)
    warm = count_queries(client, url)
    assert warm < cold, (warm, cold)  # the cached thread skips its messages and desk lines
    return cold, warm


def fill(appeal, actor, *, messages: int, evidence: int, notes: int, start: int) -> None:
    now = timezone.now()
    ChatMessage.objects.bulk_create(
        ChatMessage(
            order=appeal.order,
            external_id=f"bulk-{appeal.pk}-{start + i}",
            sender=("buyer", "seller", "system")[i % 3],
            sent_at=now - timedelta(minutes=start + i),
            text=f"message {i} on telegram +7 912 345 67 89",
        )
        for i in range(messages)
    )
    for i in range(evidence):
        add_evidence(appeal, actor, content=png_bytes(color=f"#{start + i:06x}"), party="seller")
    for i in range(notes):
        lifecycle.note_add(appeal_id=appeal.pk, actor=actor, text=f"note {start + i}")


@pytest.mark.parametrize("viewer", ["arbitrator", "senior", "auditor"])
def test_the_case_page_costs_the_same_for_5_or_500_messages(client, request, arbitrator, viewer):
    WatchKeyword.objects.get_or_create(term="telegram", defaults={"category": "off_platform"})
    buyer = TraderFactory()
    for _ in range(3):
        appeal_in("resolved", worker=arbitrator, order=OrderFactory(buyer=buyer))
    appeal = appeal_in("in_review", worker=arbitrator, order=OrderFactory(buyer=buyer))
    fill(appeal, arbitrator, messages=5, evidence=1, notes=1, start=0)
    client.force_login(request.getfixturevalue(viewer))
    url = case_url(appeal)
    client.get(url)  # warm up: content types, the session

    few = cold_and_warm(client, url)
    fill(appeal, arbitrator, messages=495, evidence=6, notes=20, start=100)
    for _ in range(3):
        appeal_in("cancelled", order=OrderFactory(buyer=buyer))
    many = cold_and_warm(client, url)

    assert ChatMessage.objects.filter(order=appeal.order).count() == 500
    assert few == many, f"{few} queries (cold, warm) with 5 messages, {many} with 500"
    assert max(many) <= MAX_QUERIES, many


def test_traders_are_not_loaded_one_by_one(client, arbitrator):
    appeal = appeal_in("in_review", worker=arbitrator)
    client.force_login(arbitrator)
    with CaptureQueriesContext(connection) as ctx:
        client.get(case_url(appeal))
    trader_table = Trader._meta.db_table
    lone = [q["sql"] for q in ctx.captured_queries if q["sql"].startswith("SELECT")]
    assert sum(f'FROM "{trader_table}"' in sql for sql in lone) == 0


# --- whose voice: the desk's messages and the chat's sources (issue 8) ----------------------


def test_what_the_desk_sends_a_party_shows_in_the_chat_as_the_desks(client, arbitrator):
    from cases import lifecycle
    from cases.models import AuditEntry, DeskMessage, OutboxEvent

    appeal = appeal_in("in_review", worker=arbitrator)
    base = timezone.now() - timedelta(minutes=10)
    say(appeal.order, "seller", "I have not received anything.", base)
    lifecycle.party_message_send(
        appeal_id=appeal.pk, actor=arbitrator, party="seller", text="Please check your bank."
    )

    response = get_page(client, arbitrator, appeal)

    lines = response.context["chat"]
    assert [line.css for line in lines] == ["from-seller", "from-desk"]
    desk = lines[-1]
    assert desk.who == "Desk to the seller" and desk.via == "arbitrator"
    body = response.content.decode()
    assert 'class="chat-msg from-desk' in body and "Please check your bank." in body
    # Its own row, event and audit entry; never a chat line in a party's name.
    message = DeskMessage.objects.get()
    assert (message.party, message.kind, message.sent_by) == ("seller", "notice", arbitrator)
    assert message.event.type == OutboxEvent.Type.PARTY_MESSAGE
    assert AuditEntry.objects.filter(action="party.message_sent", object_id=str(message.pk))
    assert not ChatMessage.objects.filter(text="Please check your bank.").exists()


def test_an_evidence_request_is_a_desk_message_with_its_deadline(client, arbitrator):
    appeal = appeal_in("awaiting_evidence", worker=arbitrator)

    line = get_page(client, arbitrator, appeal).context["chat"][-1]

    assert line.desk is not None and line.desk.kind == "evidence_request"
    assert line.desk.due_at == appeal.evidence_due_at


def test_a_chat_line_names_the_service_that_delivered_it(client, arbitrator, service_account):
    appeal = appeal_in("in_review", worker=arbitrator)
    message = say(appeal.order, "buyer", "Paid.", timezone.now())
    ChatMessage.objects.filter(pk=message.pk).update(source=service_account)

    response = get_page(client, arbitrator, appeal)

    [line] = response.context["chat"]
    assert line.via == service_account.username
    assert f"via {service_account.username}" in response.content.decode()


def test_the_delivering_service_is_named_once_and_again_when_it_changes(
    client, arbitrator, service_account, make_user
):
    appeal = appeal_in("in_review", worker=arbitrator)
    other = make_user("service_account", username="svc-other")
    now = timezone.now()
    sources = [service_account, service_account, service_account, other, service_account]
    for n, source in enumerate(sources):
        message = say(appeal.order, "buyer", f"line {n}", now + timedelta(seconds=n), n=n)
        ChatMessage.objects.filter(pk=message.pk).update(source=source)

    body = get_page(client, arbitrator, appeal).content.decode()

    named = re.findall(r'<span class="chat-via"[^>]*>via ([^<]+)</span>', body)
    assert named == [service_account.username, "svc-other", service_account.username]


# --- nothing private is cached ------------------------------------------------------------


def test_case_pages_evidence_and_the_api_are_never_stored(client, arbitrator, service_account):
    from rest_framework.test import APIClient

    service_api = APIClient()
    service_api.credentials(HTTP_AUTHORIZATION=f"Token {service_token(service_account)}")
    appeal = appeal_in("in_review", worker=arbitrator)
    evidence = add_evidence(appeal, arbitrator)
    client.force_login(arbitrator)

    responses = [
        client.get(reverse("cases:case", args=[appeal.pk])),
        client.get(reverse("cases:queue")),
        client.get(reverse("cases:evidence_file", args=[appeal.pk, evidence.pk])),
        service_api.get(f"/api/v1/appeals/{appeal.pk}/"),
        service_api.get("/api/v1/appeals/"),
    ]

    for response in responses:
        assert response.status_code == 200
        assert "no-store" in response["Cache-Control"], response.request["PATH_INFO"]
        assert "private" in response["Cache-Control"]


# --- the whole conversation in the thread (issue 11) ----------------------------------------


def desk_say(appeal, actor, count: int, start: int = 0) -> None:
    for n in range(start, start + count):
        lifecycle.party_message_send(
            appeal_id=appeal.pk, actor=actor, party=("buyer", "seller")[n % 2], text=f"desk {n}"
        )


def test_the_thread_costs_the_same_with_50_or_500_lines(client, arbitrator):
    WatchKeyword.objects.get_or_create(term="telegram", defaults={"category": "off_platform"})
    appeal = appeal_in("in_review", worker=arbitrator)
    fill(appeal, arbitrator, messages=45, evidence=1, notes=1, start=0)
    desk_say(appeal, arbitrator, 5)
    client.force_login(arbitrator)
    url = case_url(appeal)
    client.get(url)  # warm up

    few = cold_and_warm(client, url)
    fill(appeal, arbitrator, messages=405, evidence=2, notes=3, start=100)
    desk_say(appeal, arbitrator, 45, start=5)
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)  # the thread changed: rendered afresh
    many = (len(ctx.captured_queries), count_queries(client, url))

    assert few == many, f"{few} queries (cold, warm) with 50 lines, {many} with 500"
    assert max(many) <= MAX_QUERIES, many
    # The page shows the latest CHAT_PAGE chat messages (and the desk's from the oldest
    # of them on); the rest are one click away, and then all 500 lines are there.
    chat = response.context["chat"]
    shown = [line for line in chat if line.sender != "staff"]
    assert len(shown) == CHAT_PAGE < 450
    assert response.context["chat_earlier"] == 450 - CHAT_PAGE
    newest = ChatMessage.objects.filter(order=appeal.order).order_by("-sent_at", "-id")
    assert [line.message for line in shown] == list(reversed(newest[:CHAT_PAGE]))
    body = response.content.decode()
    assert f"Show {450 - CHAT_PAGE} earlier messages" in body and "chat=all" in body
    everything = client.get(url, {"chat": "all"}).context["chat"]
    assert len(everything) == 500 and sum(line.sender == "staff" for line in everything) == 50


def test_every_desk_message_is_in_the_thread_in_time_order(client, arbitrator):
    """Evidence requests, notices and the verdict's explanations, each marked from the
    desk to its party (data-sender=staff, data-to)."""
    appeal = appeal_in("awaiting_evidence", worker=arbitrator)
    say(appeal.order, "seller", "Here is my statement.", timezone.now())
    lifecycle.party_message_send(
        appeal_id=appeal.pk, actor=arbitrator, party="buyer", text="We are checking."
    )
    propose(appeal, arbitrator)

    response = get_page(client, arbitrator, appeal)

    lines = response.context["chat"]
    assert [(line.sender, line.to, line.desk and line.desk.kind) for line in lines] == [
        ("staff", "seller", "evidence_request"),
        ("seller", "", None),
        ("staff", "buyer", "notice"),
        ("staff", "buyer", "verdict"),
        ("staff", "seller", "verdict"),
    ]
    assert [line.sent_at for line in lines] == sorted(line.sent_at for line in lines)
    body = response.content.decode()
    assert body.count('data-test="chat-message" data-sender="staff" data-to="buyer"') == 2
    assert body.count('data-test="chat-message" data-sender="staff" data-to="seller"') == 2
    assert body.count('data-test="chat-message" data-sender="seller" tabindex') == 1
    assert "Verdict explanation" in body
    assert lines[-1].html and appeal.order.external_id in str(lines[-1].html)


# --- the cached thread (views.case._chat) -----------------------------------------------


def deliver(appeal, n: int, text: str, *, ago: timedelta = timedelta(0)) -> None:
    services.chat_ingest(
        order=appeal.order,
        messages=[
            {
                "external_id": f"say-{appeal.pk}-{n}",
                "sender": ("buyer", "seller")[n % 2],
                "sent_at": timezone.now() - ago,
                "text": text,
            }
        ],
    )


def test_the_cached_thread_shows_every_new_line_at_once(client, arbitrator):
    appeal = appeal_in("in_review", worker=arbitrator)
    for n in range(3):
        deliver(appeal, n, f"hello {n}")
    client.force_login(arbitrator)
    url = case_url(appeal)
    client.get(url)
    assert "telegram" not in client.get(url).content.decode()  # from the cache

    # A message delivered late, dated before the others, still changes the thread.
    deliver(appeal, 3, "add me on telegram", ago=timedelta(days=30))
    body = client.get(url).content.decode()
    assert "add me on" in body
    desk_say(appeal, arbitrator, 1)
    body = client.get(url).content.decode()
    assert 'data-sender="staff" data-to="buyer"' in body and "desk 0" in body
    # A new watchlist term flags the lines it matches.
    assert '<mark class="watch">hello</mark>' not in body
    WatchKeyword.objects.create(term="hello", category="off_platform")
    assert '<mark class="watch">hello</mark> 1' in client.get(url).content.decode()


def test_the_cached_thread_is_per_language_and_time_zone(client, arbitrator):
    appeal = appeal_in("in_review", worker=arbitrator)
    for n in range(2):
        deliver(appeal, n, f"hello {n}")
    client.force_login(arbitrator)
    url = case_url(appeal)
    english = client.get(url).content.decode()
    chinese = client.get(url, HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    StaffProfile.objects.update_or_create(
        user=arbitrator, defaults={"time_zone": "America/Sao_Paulo"}
    )
    elsewhere = client.get(url).content.decode()

    assert 'class="chat-who">Buyer<' in english
    assert 'class="chat-who">Buyer<' not in chinese and 'class="chat-who">买方<' in chinese
    times = re.compile(r'<time datetime="([^"]+)"')
    assert times.findall(english) != times.findall(elsewhere)
    assert all(t.endswith("-03:00") for t in times.findall(elsewhere))


def test_a_chat_search_is_not_served_from_the_cache(client, arbitrator):
    appeal = appeal_in("in_review", worker=arbitrator)
    for n in range(5):
        deliver(appeal, n, f"hello {n}")
    client.force_login(arbitrator)
    url = case_url(appeal)
    client.get(url)
    response = client.get(url, {"q": "hello 3"})
    assert [line.message.text for line in response.context["chat"]] == ["hello 3"]


def test_a_broken_canned_reply_in_the_database_does_not_break_the_page(client, arbitrator):
    from cases.models import CannedReply

    CannedReply.objects.update(text_en="Hello {", text_zh_hans="{order:>3000000}", text_ru="{}")
    appeal = appeal_in("in_review", worker=arbitrator)

    response = get_page(client, arbitrator, appeal)

    assert response.status_code == 200
    assert len(response.content) < 1_000_000
