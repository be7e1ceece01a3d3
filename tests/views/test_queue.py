"""The queue page: who sees it, what a row shows, every filter, every sort, keyset pages,
"claim next", hostile text, and a bounded number of SQL queries per page."""

from __future__ import annotations

import itertools
import re
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
import time_machine
from django.core.cache import cache
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from cases import lifecycle
from cases.models import Appeal, ChatMessage, VerdictReview
from cases.selectors import queue as queue_selectors
from tests.factories import LARGE_AMOUNT, OrderFactory, TraderFactory, appeal_in

S = Appeal.Status
R = Appeal.Reason
NOW = datetime(2026, 3, 14, 4, 0, tzinfo=UTC)  # 12:00 in Shanghai
_messages = itertools.count()


@pytest.fixture(autouse=True)
def locmem_cache(settings: Any) -> None:
    # Under CI the default cache is Redis, shared by every test: use a private one.
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    cache.clear()


@pytest.fixture
def frozen() -> Any:
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


def as_user(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def appeal(
    *,
    at: datetime | None = None,
    amount: Decimal | str = "500",
    asset: str = "USDT",
    method: str = "alipay",
    buyer_language: str = "zh-hans",
    seller_language: str = "zh-hans",
    last_message: datetime | None = None,
    reason: str = R.CRYPTO_NOT_RELEASED,
    description: str = "I paid but the seller does not release.",
    external_id: str | None = None,
    buyer: Any = None,
    seller: Any = None,
    answered: bool = True,
) -> Appeal:
    """An open appeal whose queue columns are exactly these (through appeal_open), its
    first response given unless `answered` is False."""
    fields: dict[str, Any] = {}
    if external_id:
        fields["external_id"] = external_id
    order = OrderFactory(
        buyer=buyer or TraderFactory(language=buyer_language),
        seller=seller or TraderFactory(language=seller_language),
        crypto_amount=Decimal(amount),
        asset=asset,
        payment_method=method,
        **fields,
    )
    if last_message is not None:
        ChatMessage.objects.create(
            order=order,
            external_id=f"QMSG-{next(_messages)}",
            sender="buyer",
            sent_at=last_message,
            text="Any news?",
        )
    opened = lifecycle.appeal_open(
        order=order,
        opened_by="buyer",
        reason=reason,
        description=description,
        at=at or datetime.now(UTC),
    )
    if answered:
        # The desk answered in time: the row's clock is the resolution deadline alone.
        Appeal.objects.filter(pk=opened.pk).update(first_response_at=opened.created_at)
        opened.refresh_from_db()
    return opened


def ids(response: Any) -> list[int]:
    return [row.pk for row in response.context["rows"]]


def get(client: Client, path: str = "/", **params: Any) -> Any:
    response = client.get(path, params)
    assert response.status_code == 200, response.content[:500]
    return response


# --- who may look -------------------------------------------------------------------------


@pytest.mark.django_db
def test_anonymous_is_sent_to_the_login_page():
    response = Client().get("/")

    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/?next=/"


@pytest.mark.parametrize("role", [None, "service_account"])
def test_a_user_without_a_desk_role_is_refused(role, make_user):
    client = as_user(make_user(role))

    response = client.get("/")
    assert response.status_code == 403
    assert b"Your account has no role on the arbitration desk." in response.content
    assert client.get("/escalations/").status_code == 403
    assert client.post("/queue/claim-next/").status_code == 403


@pytest.mark.parametrize(
    "role", ["arbitrator", "senior_arbitrator", "team_lead", "risk_analyst", "auditor"]
)
def test_every_staff_role_sees_the_queue(role, make_user):
    a = appeal()

    response = get(as_user(make_user(role)))

    assert ids(response) == [a.pk]


@pytest.mark.parametrize("role", ["arbitrator", "senior_arbitrator", "team_lead"])
def test_roles_that_work_appeals_get_the_claim_button(role, make_user):
    response = get(as_user(make_user(role)))

    assert b"Claim next" in response.content
    assert b'action="/queue/claim-next/"' in response.content


@pytest.mark.parametrize("role", ["risk_analyst", "auditor"])
def test_read_only_roles_get_no_claim_button_and_cannot_claim(role, make_user):
    a = appeal()
    client = as_user(make_user(role))

    page = get(client)
    response = client.post("/queue/claim-next/")

    assert b"claim-next" not in page.content
    assert b"Read-only" in page.content
    assert response.status_code == 403
    a.refresh_from_db()
    assert (a.status, a.assignee_id) == (S.OPEN, None)


def test_the_escalations_link_is_for_seniors_and_leads(arbitrator, senior, lead):
    assert b'href="/escalations/"' not in get(as_user(arbitrator)).content
    assert b'href="/escalations/"' in get(as_user(senior)).content
    assert b'href="/escalations/"' in get(as_user(lead)).content


# --- what a row shows ---------------------------------------------------------------------


def test_a_row_shows_the_facts_an_arbitrator_triages_on(frozen, arbitrator):
    a = appeal(
        at=NOW - timedelta(hours=3, minutes=20),
        amount="1234.5",
        asset="USDT",
        method="Wise",
        buyer_language="ru",
        seller_language="en",
        last_message=NOW - timedelta(minutes=45),
        reason=R.PAYMENT_NOT_RECEIVED,
        external_id="P2P-ROW-1",
    )
    Appeal.objects.filter(pk=a.pk).update(risk_score=82)

    html = get(as_user(arbitrator)).content.decode()

    assert f'href="/cases/{a.pk}/"' in html
    assert f"#{a.pk}" in html
    assert "P2P-ROW-1" in html
    assert "Payment not received" in html
    assert "1,234.5" in html and "USDT" in html
    assert "Wise" in html
    assert ">RU<" in html and ">EN<" in html
    assert 'class="badge badge-open"' in html
    assert "unassigned" in html
    assert "3h 20m" in html  # age
    assert "44h 40m" not in html and "1d 20h left" in html  # 48h SLA minus 3h20m
    assert 'class="badge risk-high"' in html and ">82<" in html
    assert "45m" in html  # last party message


def test_the_default_queue_holds_the_active_statuses_only(arbitrator):
    active = [appeal_in(status) for status in queue_selectors.ACTIVE_STATUSES]
    appeal_in(S.RESOLVED)
    appeal_in(S.CANCELLED)

    response = get(as_user(arbitrator))

    assert sorted(ids(response)) == sorted(a.pk for a in active)


def test_overdue_appeals_are_flagged_with_how_late_they_are(frozen, arbitrator):
    late = appeal(at=NOW - timedelta(hours=53))
    soon = appeal(at=NOW - timedelta(hours=46))
    fine = appeal(at=NOW - timedelta(hours=1))

    html = get(as_user(arbitrator)).content.decode()
    rows = {
        int(m.group(2)): m.group(1)
        for m in re.finditer(r'<tr class="([^"]*)" data-href="/cases/(\d+)/"', html)
    }

    assert "sla-overdue" in rows[late.pk]
    assert "overdue 5h 0m" in html
    assert "sla-soon" in rows[soon.pk]
    assert "sla-ok" in rows[fine.pk]


def test_the_deadline_is_also_shown_as_a_time(frozen, arbitrator):
    appeal(at=NOW)  # due 2026-03-16 04:00 UTC = 12:00 in Shanghai, the default zone

    html = get(as_user(arbitrator)).content.decode()

    assert "03-16 12:00" in html


def test_counts_per_status_cover_active_statuses_and_todays_closings(frozen, arbitrator):
    appeal_in(S.OPEN)
    appeal_in(S.OPEN)
    appeal_in(S.ESCALATED)
    appeal_in(S.RESOLVED)
    with time_machine.travel(NOW - timedelta(days=3), tick=False):
        appeal_in(S.CANCELLED)  # not today

    response = get(as_user(arbitrator))
    counts = {c["count"].status: c["count"].count for c in response.context["counts"]}

    assert counts == {
        S.OPEN: 2,
        S.IN_REVIEW: 0,
        S.AWAITING_EVIDENCE: 0,
        S.ESCALATED: 1,
        S.PENDING_APPROVAL: 0,
        S.RESOLVED: 1,
        S.CANCELLED: 0,
    }
    assert b'href="?status=escalated"' in response.content
    assert b'href="?status=resolved&amp;closed=today&amp;sort=-age"' in response.content


def test_the_closed_today_chip_lists_todays_closings_only(frozen, arbitrator):
    today = appeal_in(S.RESOLVED)
    with time_machine.travel(NOW - timedelta(days=2), tick=False):
        appeal_in(S.RESOLVED)

    response = get(as_user(arbitrator), status="resolved", closed="today", sort="-age")

    assert ids(response) == [today.pk]


def test_an_empty_queue_says_so(arbitrator):
    response = get(as_user(arbitrator))

    assert b"The queue is empty" in response.content


# --- filters ------------------------------------------------------------------------------


def test_status_filter_takes_several_statuses(arbitrator):
    opened = appeal_in(S.OPEN)
    escalated = appeal_in(S.ESCALATED)
    appeal_in(S.IN_REVIEW)
    resolved = appeal_in(S.RESOLVED)

    response = get(as_user(arbitrator), status=["open", "escalated", "resolved"])

    assert sorted(ids(response)) == sorted([opened.pk, escalated.pk, resolved.pk])


def test_reason_filter(arbitrator):
    chargeback = appeal(reason=R.CHARGEBACK)
    appeal(reason=R.WRONG_AMOUNT)

    assert ids(get(as_user(arbitrator), reason="chargeback")) == [chargeback.pk]


def test_assignee_filter_me_and_unassigned(arbitrator):
    mine = appeal_in(S.IN_REVIEW, worker=arbitrator)
    theirs = appeal_in(S.IN_REVIEW)
    nobodys = appeal_in(S.OPEN)
    client = as_user(arbitrator)

    assert ids(get(client, assignee="me")) == [mine.pk]
    assert ids(get(client, assignee="none")) == [nobodys.pk]
    assert sorted(ids(get(client, assignee=""))) == sorted([mine.pk, theirs.pk, nobodys.pk])


def test_a_lead_filters_by_any_arbitrator(lead, arbitrator2):
    theirs = appeal_in(S.IN_REVIEW, worker=arbitrator2)
    appeal_in(S.IN_REVIEW)

    response = get(as_user(lead), assignee=str(arbitrator2.pk))

    assert ids(response) == [theirs.pk]
    assert f'<option value="{arbitrator2.pk}"'.encode() in response.content


def test_an_arbitrator_cannot_filter_by_someone_else(arbitrator, arbitrator2):
    appeal_in(S.IN_REVIEW, worker=arbitrator2)
    other = appeal_in(S.IN_REVIEW)

    response = get(as_user(arbitrator), assignee=str(arbitrator2.pk))

    # Refused as an invalid choice: reported, and not applied.
    assert b"Some filters were not understood" in response.content
    assert other.pk in ids(response)


def test_amount_range_filter(arbitrator):
    small = appeal(amount="100")
    middle = appeal(amount="5000")
    appeal(amount="20000")

    client = as_user(arbitrator)
    assert ids(get(client, amount_min="1000", amount_max="10000")) == [middle.pk]
    assert ids(get(client, amount_max="100")) == [small.pk]


def test_asset_filter_ignores_case(arbitrator):
    btc = appeal(asset="BTC", amount="0.05")
    appeal(asset="USDT")

    assert ids(get(as_user(arbitrator), asset="btc")) == [btc.pk]


def test_payment_method_filter(arbitrator):
    sepa = appeal(method="SEPA")
    appeal(method="Alipay")

    response = get(as_user(arbitrator), payment_method="SEPA")

    assert ids(response) == [sepa.pk]
    assert b'<option value="Alipay">' in response.content  # the suggestions


def test_language_filter_matches_either_party(arbitrator):
    buyer_ru = appeal(buyer_language="ru", seller_language="en")
    seller_ru = appeal(buyer_language="en", seller_language="ru")
    appeal(buyer_language="en", seller_language="zh-hans")

    response = get(as_user(arbitrator), language="ru")

    assert sorted(ids(response)) == sorted([buyer_ru.pk, seller_ru.pk])


def test_overdue_filter(frozen, arbitrator):
    late = appeal(at=NOW - timedelta(hours=49))
    appeal(at=NOW - timedelta(hours=47))

    assert ids(get(as_user(arbitrator), overdue="on")) == [late.pk]


def test_invalid_filter_values_are_reported_not_fatal(arbitrator):
    a = appeal()

    response = get(as_user(arbitrator), amount_min="lots", reason="bogus", sort="sideways")

    assert b"Some filters were not understood" in response.content
    assert ids(response) == [a.pk]


# --- search -------------------------------------------------------------------------------


def test_search_by_order_id(arbitrator):
    wanted = appeal(external_id="P2P-77001")
    appeal(external_id="P2P-77002")

    assert ids(get(as_user(arbitrator), q=" P2P-77001 ")) == [wanted.pk]


def test_search_by_trader_id_finds_their_appeals_as_buyer_and_as_seller(arbitrator):
    trader = TraderFactory(external_id="U-4242")
    as_buyer = appeal(buyer=trader)
    as_seller = appeal(seller=trader)
    appeal()

    response = get(as_user(arbitrator), q="U-4242")

    assert sorted(ids(response)) == sorted([as_buyer.pk, as_seller.pk])


@pytest.mark.parametrize("prefix", ["", "#"])
def test_search_by_appeal_id(prefix, arbitrator):
    appeal()
    wanted = appeal()

    assert ids(get(as_user(arbitrator), q=f"{prefix}{wanted.pk}")) == [wanted.pk]


def test_search_looks_through_closed_appeals_too(arbitrator):
    resolved = appeal_in(S.RESOLVED)

    response = get(as_user(arbitrator), q=resolved.order.external_id, status=["open", "in_review"])

    assert ids(response) == [resolved.pk]
    assert b"a search looks through every status" in response.content


def test_search_takes_the_start_of_an_order_number_in_any_case(arbitrator):
    wanted = appeal(external_id="P2P-88001")
    appeal(external_id="P2P-99001")

    assert ids(get(as_user(arbitrator), q="p2p-88")) == [wanted.pk]
    response = get(as_user(arbitrator), q="P2P-77")
    assert ids(response) == []
    assert "No appeal matches “P2P-77”".encode() in response.content


def test_search_finds_a_trader_by_nickname_or_kyc_name(arbitrator):
    li = TraderFactory(display_name="LiNa_OTC", kyc_name="Wang Lina")
    as_buyer = appeal(buyer=li)
    as_seller = appeal(seller=li)
    appeal()

    for q in ("lina_", "LINA_otc", "wang li"):
        assert sorted(ids(get(as_user(arbitrator), q=q))) == sorted([as_buyer.pk, as_seller.pk])
    # Two characters are too few for a prefix: only an exact id matches.
    assert ids(get(as_user(arbitrator), q="li")) == []


def test_a_search_prefix_is_not_a_pattern(arbitrator):
    appeal(external_id="P2P-12345")
    assert ids(get(as_user(arbitrator), q="P2P_1%")) == []


def test_a_nul_character_in_the_search_is_refused_cleanly(arbitrator):
    appeal()

    response = get(as_user(arbitrator), q="P2P\x00")

    assert b"Some filters were not understood" in response.content


def test_my_reviews(senior, make_user):
    contested = appeal_in(S.RESOLVED)
    lifecycle.review_request(appeal_id=contested.pk, party="seller", reason="Unfair.", actor=None)
    review = VerdictReview.objects.get(appeal=contested)
    lifecycle.review_assign(review_id=review.pk, reviewer=senior, actor=make_user("team_lead"))
    appeal_in(S.RESOLVED)

    client = as_user(senior)
    response = get(client, review="mine")

    assert ids(response) == [contested.pk]
    # The nav leads seniors to the reviews page, with how many wait for them.
    page = get(client).content.decode()
    assert 'href="/reviews/"' in page
    assert '<span class="count">1</span>' in page


# --- sorting and keyset pages -------------------------------------------------------------


@pytest.fixture
def ties(db: None, frozen: Any) -> list[Appeal]:
    """Twelve open appeals whose sort keys repeat: every page boundary falls on a tie."""
    created = [NOW - timedelta(hours=h) for h in (30, 20, 10)]
    amounts = ["100", "250.5", "9000"]
    messages = [None, NOW - timedelta(hours=2), NOW - timedelta(minutes=5)]
    return [
        appeal(at=created[i % 3], amount=amounts[(i // 3) % 3], last_message=messages[i % 3])
        for i in range(12)
    ]


def expected_order(appeals: list[Appeal], sort: str) -> list[int]:
    key, descending = queue_selectors.sort_key(sort)
    rows = list(Appeal.objects.filter(pk__in=[a.pk for a in appeals]))
    with_value = [a for a in rows if getattr(a, key.field) is not None]
    without = [a for a in rows if getattr(a, key.field) is None]
    with_value.sort(key=lambda a: (getattr(a, key.field), a.pk), reverse=descending)
    without.sort(key=lambda a: a.pk, reverse=descending)
    return [a.pk for a in with_value + without]


SORTS = [value for value, _label in queue_selectors.SORT_CHOICES]


@pytest.mark.parametrize("sort", SORTS)
def test_each_sort_orders_the_rows(sort, ties, arbitrator):
    assert ids(get(as_user(arbitrator), sort=sort)) == expected_order(ties, sort)


@pytest.mark.parametrize("sort", SORTS)
@pytest.mark.parametrize("size", [1, 2, 5])
def test_keyset_pages_walk_every_row_exactly_once(sort, size, ties, arbitrator, monkeypatch):
    monkeypatch.setattr(queue_selectors, "PAGE_SIZE", size)
    client = as_user(arbitrator)
    seen: list[int] = []
    url = "/"
    params: dict[str, Any] = {"sort": sort}
    for _page in range(len(ties) + 2):
        response = client.get(url, params)
        assert response.status_code == 200
        assert len(response.context["rows"]) <= size
        seen += ids(response)
        next_url = response.context["next_url"]
        if not next_url:
            break
        url, params = "/" + next_url, {}
    else:
        pytest.fail("the pages never ended")

    assert seen == expected_order(ties, sort)


def test_the_default_sort_is_the_soonest_deadline(ties, arbitrator):
    assert ids(get(as_user(arbitrator))) == expected_order(ties, "due")


def test_a_next_page_link_keeps_the_filters(ties, arbitrator, monkeypatch):
    monkeypatch.setattr(queue_selectors, "PAGE_SIZE", 2)

    response = get(as_user(arbitrator), sort="-amount", reason="crypto_not_released")

    assert "sort=-amount" in response.context["next_url"]
    assert "reason=crypto_not_released" in response.context["next_url"]
    assert "after=" in response.context["next_url"]
    assert b"Next page" in response.content
    assert b"First page" not in response.content


@pytest.mark.parametrize("after", ["garbage", "eyJzIjoiZHVlIn0:forged:sig", "\x00"])
def test_a_forged_cursor_gives_the_first_page(after, ties, arbitrator):
    response = get(as_user(arbitrator), after=after)

    assert ids(response) == expected_order(ties, "due")


def test_a_cursor_of_another_sort_gives_the_first_page(ties, arbitrator, monkeypatch):
    monkeypatch.setattr(queue_selectors, "PAGE_SIZE", 3)
    client = as_user(arbitrator)
    cursor = get(client, sort="amount").context["next_url"].split("after=")[1]

    response = get(client, sort="age", after=cursor)

    assert ids(response) == expected_order(ties, "age")[:3]


def test_an_htmx_request_gets_the_results_fragment(arbitrator):
    a = appeal()

    response = as_user(arbitrator).get("/", HTTP_HX_REQUEST="true")

    assert response.status_code == 200
    html = response.content.decode()
    assert "<html" not in html
    assert f"#{a.pk}" in html
    assert 'id="queue-counts" class="chips"' in html and 'hx-swap-oob="true"' in html
    assert "HX-Request" in response["Vary"]


def test_an_htmx_history_restore_gets_the_whole_page(arbitrator):
    response = as_user(arbitrator).get(
        "/", HTTP_HX_REQUEST="true", HTTP_HX_HISTORY_RESTORE_REQUEST="true"
    )

    assert b"<html" in response.content


def test_the_escalations_page_presets_escalated(senior):
    escalated = appeal_in(S.ESCALATED)
    appeal_in(S.OPEN)

    response = get(as_user(senior), "/escalations/")

    assert ids(response) == [escalated.pk]
    assert b"<h1>Escalations</h1>" in response.content


# --- claim next ---------------------------------------------------------------------------


def test_claim_next_takes_the_most_urgent_and_opens_it(frozen, arbitrator):
    appeal(at=NOW - timedelta(hours=40))  # the earliest deadline, normal priority
    urgent = appeal(at=NOW - timedelta(hours=1), reason=R.FRAUD_SCAM)  # priority urgent
    appeal_in(S.IN_REVIEW)  # someone else's

    response = as_user(arbitrator).post("/queue/claim-next/")

    assert response.status_code == 302
    assert response["Location"] == f"/cases/{urgent.pk}/"
    urgent.refresh_from_db()
    assert (urgent.status, urgent.assignee_id) == (S.IN_REVIEW, arbitrator.pk)


def test_claim_next_among_equals_takes_the_earliest_deadline(frozen, arbitrator):
    appeal(at=NOW - timedelta(hours=2))
    earliest = appeal(at=NOW - timedelta(hours=30))
    appeal(at=NOW - timedelta(hours=10))

    response = as_user(arbitrator).post("/queue/claim-next/")

    assert response["Location"] == f"/cases/{earliest.pk}/"


def test_claim_next_on_an_empty_queue_says_so(arbitrator):
    appeal_in(S.IN_REVIEW)
    client = as_user(arbitrator)

    response = client.post("/queue/claim-next/", follow=True)

    assert response.redirect_chain == [("/", 302)]
    assert b"The queue is empty: no unassigned open appeal to claim." in response.content


def test_claim_next_is_post_only(arbitrator):
    appeal()

    response = as_user(arbitrator).get("/queue/claim-next/")

    assert response.status_code == 405
    assert Appeal.objects.filter(assignee__isnull=False).count() == 0


def test_claim_next_needs_the_csrf_token(arbitrator):
    a = appeal()
    client = Client(enforce_csrf_checks=True)
    client.force_login(arbitrator)

    response = client.post("/queue/claim-next/")

    assert response.status_code == 403
    a.refresh_from_db()
    assert a.assignee_id is None


# --- hostile text -------------------------------------------------------------------------


def test_hostile_text_is_rendered_as_text(make_user, arbitrator):
    evil = make_user("arbitrator", username="<script>alert('u')</script>")
    a = appeal(
        description="<script>alert('d')</script> <img src=x onerror=alert(1)>",
        external_id="<script>alert('o')</script>",
        method="<b>Wise</b>",
    )
    lifecycle.appeal_claim(appeal_id=a.pk, actor=evil)

    html = get(as_user(arbitrator), q="<script>alert('o')</script>").content.decode()

    assert a.pk in [int(x) for x in re.findall(r'data-href="/cases/(\d+)/"', html)]
    assert "<script>alert" not in html
    assert "<img src=x" not in html
    assert "<b>Wise</b>" not in html
    assert "&lt;script&gt;alert(&#x27;d&#x27;)&lt;/script&gt;" in html
    assert "&lt;script&gt;alert(&#x27;o&#x27;)&lt;/script&gt;" in html
    assert "&lt;script&gt;alert(&#x27;u&#x27;)&lt;/script&gt;" in html


# --- bounded queries ----------------------------------------------------------------------


def count_queries(client: Client, **params: Any) -> tuple[int, int]:
    cache.clear()
    with CaptureQueriesContext(connection) as queries:
        response = client.get("/", params)
    assert response.status_code == 200
    return len(queries), len(response.context["rows"])


@pytest.mark.parametrize(
    "params",
    [{}, {"sort": "-waiting"}, {"q": "T-"}, {"assignee": "none", "language": "ru"}],
    ids=["default", "nullable-sort", "search", "filters"],
)
def test_the_query_count_does_not_grow_with_the_rows(params, lead, make_user):
    workers = [make_user("arbitrator") for _ in range(3)]
    client = as_user(lead)

    def fill(n: int) -> None:
        for i in range(n):
            a = appeal(last_message=None if i % 2 else datetime.now(UTC), buyer_language="ru")
            if i % 3:
                lifecycle.appeal_claim(appeal_id=a.pk, actor=workers[i % 3])

    fill(5)
    few, few_rows = count_queries(client, **params)
    fill(45)
    many, many_rows = count_queries(client, **params)

    if not params.get("q") and params.get("assignee") != "none":
        assert (few_rows, many_rows) == (5, 50)
    assert few == many


def test_the_page_reads_the_rows_in_one_query(arbitrator):
    for _ in range(3):
        appeal_in(S.IN_REVIEW)
    client = as_user(arbitrator)
    client.get("/")  # warm the cached filter choices

    with CaptureQueriesContext(connection) as queries:
        client.get("/")

    appeal_reads = [q["sql"] for q in queries if 'FROM "cases_appeal"' in q["sql"]]
    # the page of rows, and the grouped counts
    assert len(appeal_reads) == 2, appeal_reads


# The arbitrator's queue: the session, the user with their profile, their roles with their
# permissions, the rows, the counts, the bell's unread count, and their shifts and
# absences for "on shift until 06:00".
ARBITRATOR_QUEUE_QUERIES = 8


@pytest.mark.parametrize(
    "params",
    [{}, {"sort": "-amount"}, {"sort": "-waiting"}, {"q": "T-"}, {"status": "escalated"}],
    ids=["default", "amount", "nullable-sort", "search", "status"],
)
def test_an_arbitrators_queue_costs_at_most_eight_queries(params, arbitrator):
    for i in range(60):
        appeal(last_message=None if i % 2 else datetime.now(UTC))
    client = as_user(arbitrator)
    client.get("/", params)  # warm the cached filter choices

    with CaptureQueriesContext(connection) as queries:
        response = client.get("/", params)

    assert response.status_code == 200
    assert len(queries) <= ARBITRATOR_QUEUE_QUERIES, "\n".join(q["sql"] for q in queries)


def test_a_large_order_is_marked_high_priority(arbitrator):
    appeal(amount=str(LARGE_AMOUNT))

    assert b"pill-high" in get(as_user(arbitrator)).content


def test_the_partial_indexes_cover_exactly_the_default_statuses():
    # The default queue's plan depends on appeal_active_* (cases/migrations/0008): the
    # planner uses them only when the query's statuses are within the index condition.
    from cases.models import ACTIVE

    ((lookup, statuses),) = ACTIVE.children
    assert lookup == "status__in"
    assert set(statuses) == set(queue_selectors.ACTIVE_STATUSES)


# --- the first response the desk owes -----------------------------------------------------


def test_a_missed_first_response_shows_on_the_row_and_in_the_overdue_filter(frozen, arbitrator):
    # Opened two hours ago and never answered: the first response (an hour at most by the
    # default policy) is late, though the resolution deadline is a day and more away.
    silent = appeal(at=NOW - timedelta(hours=2), answered=False)
    answered = appeal(at=NOW - timedelta(hours=2))
    fresh = appeal(at=NOW - timedelta(minutes=1), answered=False)

    html = get(as_user(arbitrator)).content.decode()
    rows = {
        int(m.group(2)): m.group(0)
        for m in re.finditer(r'<tr class="([^"]*)" data-href="/cases/(\d+)/".*?</tr>', html, re.S)
    }

    assert 'class="sla-overdue' in rows[silent.pk] and "1st reply" in rows[silent.pk]
    assert re.search(r'1st reply: <span class="overdue"[^>]*>overdue ', rows[silent.pk])
    assert "1st reply" not in rows[answered.pk] and "sla-ok" in rows[answered.pk]
    assert re.search(r'1st reply: <span class="due due-soon"[^>]*>\d+m left', rows[fresh.pk])
    assert ids(get(as_user(arbitrator), overdue="on")) == [silent.pk]


def test_the_floor_counts_a_missed_first_response_as_overdue(frozen, db):
    from cases.selectors.floor import floor_now

    appeal(at=NOW - timedelta(hours=2), answered=False)
    appeal(at=NOW - timedelta(hours=2))

    assert floor_now(NOW).overdue == 1


def test_why_nobody_took_a_case_is_shown_in_the_readers_language(arbitrator):
    from cases.floor.assignment import LIMIT_NOTE
    from cases.models import StaffProfile

    unassigned = appeal()
    Appeal.objects.filter(pk=unassigned.pk).update(assignment_note=LIMIT_NOTE)
    StaffProfile.objects.update_or_create(user=arbitrator, defaults={"language": "ru"})

    html = get(as_user(arbitrator)).content.decode()

    assert LIMIT_NOTE not in html
    assert "Все на смене, кто мог бы взять дело, достигли своего лимита." in html
