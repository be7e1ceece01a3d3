"""The risk analysts' pages: who sees them, what they count on planted data, the CSV,
and a bounded number of queries each."""

from __future__ import annotations

import csv
import io
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from cases import lifecycle
from cases.models import AccountSignal, Appeal, VerdictReview
from cases.services import signals_ingest
from evidence.analysis import Weeks, zone
from evidence.graph import recluster
from evidence.models import RiskFinding
from evidence.risk import WEIGHTS, risk_assess, risk_findings_backfill
from tests.factories import (
    OrderFactory,
    TraderFactory,
    open_appeal,
    propose,
    staff_user,
)

pytestmark = pytest.mark.django_db

PAGES = ["overview", "accounts", "trends", "losses", "loopholes"]


def monday(weeks_ago: int) -> datetime:
    """Tuesday noon of the week `weeks_ago` weeks before this one, operations time zone."""
    first = Weeks.ending_now(weeks_ago + 1).first
    return datetime.combine(first + timedelta(days=1), datetime.min.time(), tzinfo=zone()).replace(
        hour=12
    )


def with_signals(appeal: Appeal, *codes: str, **params: Any) -> Appeal:
    """Plant stored signals on an appeal and write their rows the way the backfill does."""
    signals = [{"code": c, "detail": c, "sentence": "", "params": params} for c in codes]
    Appeal.objects.filter(pk=appeal.pk).update(risk_signals=signals)
    risk_findings_backfill(after_id=appeal.pk - 1, batch=1)
    return appeal


def opened(when: datetime | None = None, **order: Any) -> Appeal:
    with time_machine.travel(when or timezone.now(), tick=False):
        return open_appeal(order=OrderFactory(**order), opened_by="seller", reason="fraud_scam")


def decide(
    reason: str,
    worker,
    *,
    outcome: str = "return_to_seller",
    responsible: str = "buyer",
    rule: str = "P2P-2.2",
    **order: Any,
) -> Appeal:
    """A seller's appeal decided now (its verdict effective this week)."""
    appeal = open_appeal(order=OrderFactory(**order), opened_by="seller", reason=reason)
    lifecycle.appeal_claim(appeal_id=appeal.pk, actor=worker)
    propose(appeal, worker, outcome=outcome, responsible_party=responsible, rule_code=rule)
    return Appeal.objects.select_related("order").get(pk=appeal.pk)


def reverse_review(appeal: Appeal, reviewer) -> None:
    service = staff_user("service_account")
    review = lifecycle.review_request(
        appeal_id=appeal.pk, party="seller", reason="I was not paid.", actor=service
    )
    VerdictReview.objects.filter(pk=review.pk).update(reviewer=reviewer)
    lifecycle.review_decide(
        review_id=review.pk,
        actor=reviewer,
        uphold=False,
        rationale="The buyer's voucher was forged.",
        outcome="return_to_seller",
        responsible_party="buyer",
    )


# --- who sees what ------------------------------------------------------------------------


@pytest.mark.parametrize("page", PAGES)
@pytest.mark.parametrize("role", ["risk_analyst", "team_lead", "auditor"])
def test_analysts_leads_and_auditors_read_every_page(client, page, role):
    client.force_login(staff_user(role))
    response = client.get(reverse(f"evidence:{page}"))
    assert response.status_code == 200
    assert reverse("evidence:overview").encode() in response.content  # the nav link


@pytest.mark.parametrize("page", [*PAGES, "cases"])
@pytest.mark.parametrize("role", ["arbitrator", "senior_arbitrator", None])
def test_arbitrators_and_people_without_a_role_are_refused(client, page, role):
    client.force_login(staff_user(role))
    assert client.get(reverse(f"evidence:{page}"), {"code": "linked_accounts"}).status_code == 403


def test_the_navigation_links_the_pages_only_for_their_readers(client):
    client.force_login(staff_user("arbitrator"))
    assert reverse("evidence:overview").encode() not in client.get(reverse("cases:home")).content
    client.force_login(staff_user("risk_analyst"))
    assert reverse("evidence:overview").encode() in client.get(reverse("cases:home")).content


def test_signed_out_visitors_go_to_the_login_page(client):
    response = client.get(reverse("evidence:accounts"))
    assert response.status_code == 302 and reverse("login") in response["Location"]


@pytest.mark.parametrize(
    "page,query",
    [
        ("accounts", {"weeks": "0"}),
        ("accounts", {"weeks": "abc"}),
        ("trends", {"weeks": "999"}),
        ("accounts", {"code": "no_such_code"}),
        ("loopholes", {"min_sample": "1"}),
        ("cases", {}),
        ("cases", {"measure": "bogus"}),
        ("cases", {"code": "linked_accounts", "measure": "loss"}),
    ],
)
def test_bad_parameters_get_a_400_with_the_error(client, risk_analyst, page, query):
    client.force_login(risk_analyst)
    response = client.get(reverse(f"evidence:{page}"), query)
    assert response.status_code == 400
    assert b'role="alert"' in response.content


def test_the_overview_documents_every_weight(client, auditor):
    client.force_login(auditor)
    content = client.get(reverse("evidence:overview")).content.decode()
    for code, weight in WEIGHTS.items():
        assert f'data-code="{code}"' in content
        row = content.split(f'data-code="{code}"')[1].split("</tr>")[0]
        assert f'<td class="num">{weight}</td>' in row


# --- findings as rows ---------------------------------------------------------------------


def test_risk_assess_writes_the_findings_rows_with_the_score(django_capture_on_commit_callbacks):
    buyer, seller = TraderFactory(), TraderFactory()
    now = timezone.now()
    reporter = staff_user("service_account")
    for trader in (buyer, seller):
        signals_ingest(
            trader=trader,
            signals=[{"kind": "device", "value": "dev-1", "seen_at": now}],
            actor=reporter,
        )
    appeal = open_appeal(order=OrderFactory(buyer=buyer, seller=seller))
    risk_assess(appeal_id=appeal.pk)
    rows = set(RiskFinding.objects.filter(appeal=appeal).values_list("code", "trader_id", "side"))
    assert rows == {
        ("linked_accounts", buyer.pk, "buyer"),
        ("linked_accounts", seller.pk, "seller"),
    }
    assert RiskFinding.objects.get(appeal=appeal, side="buyer").opened_at == appeal.created_at
    # Nothing found any more: the rows go with the signals.
    AccountSignal.objects.filter(trader=seller).delete()
    recluster()
    risk_assess(appeal_id=appeal.pk)
    assert not RiskFinding.objects.filter(appeal=appeal).exists()


def test_a_lost_compare_and_swap_leaves_the_findings_alone(monkeypatch):
    appeal = with_signals(open_appeal(), "repeat_appellant")
    before = list(RiskFinding.objects.filter(appeal=appeal).values_list("code", "trader_id"))
    import evidence.risk as risk

    # A change marked while the assessment read: the swap finds a newer stale mark.
    real = risk._linked_accounts

    def newer_change(a):
        Appeal.objects.filter(pk=a.pk).update(risk_stale_at=timezone.now())
        return real(a)

    monkeypatch.setattr(risk, "_linked_accounts", newer_change)
    risk_assess(appeal_id=appeal.pk)
    after = list(RiskFinding.objects.filter(appeal=appeal).values_list("code", "trader_id"))
    assert after == before and before


def test_the_backfill_writes_each_signal_for_the_party_it_concerns():
    appeal = open_appeal(opened_by="seller")
    signals = [
        {"code": "repeat_appellant", "params": {"n": 3, "lost": 2}},
        {"code": "off_platform_contact", "params": {"sender": "buyer", "n": 1}},
        {"code": "duplicate_voucher", "params": {}},
        {"code": "a_new_code_from_elsewhere", "params": {"party": "seller"}},
    ]
    Appeal.objects.filter(pk=appeal.pk).update(risk_signals=signals)
    assert risk_findings_backfill(batch=1) >= 1
    rows = set(RiskFinding.objects.filter(appeal=appeal).values_list("code", "side"))
    assert rows == {
        ("repeat_appellant", "seller"),
        ("off_platform_contact", "buyer"),
        ("duplicate_voucher", "buyer"),
        ("duplicate_voucher", "seller"),
        ("a_new_code_from_elsewhere", "seller"),
    }
    risk_findings_backfill()  # again: the same rows, not twice as many
    assert RiskFinding.objects.filter(appeal=appeal).count() == 5


# --- suspicious accounts ------------------------------------------------------------------


@pytest.fixture
def suspects():
    """Three traders as buyers with different signals; the seller side is clean."""
    worst, middle, light = TraderFactory(), TraderFactory(), TraderFactory()
    for code in ("duplicate_voucher", "linked_accounts"):
        with_signals(opened(buyer=worst), code, party="buyer")
    with_signals(opened(buyer=middle), "duplicate_voucher", party="buyer")
    with_signals(opened(buyer=middle), "duplicate_voucher", party="buyer")
    with_signals(opened(buyer=light), "off_platform_contact", sender="buyer")
    # Long ago: outside the default 12 weeks.
    with_signals(opened(monday(20), buyer=light), "duplicate_voucher", party="buyer")
    return worst, middle, light


def test_accounts_are_ranked_by_the_weights_of_their_distinct_signals(client, suspects, lead):
    worst, middle, light = suspects
    client.force_login(lead)
    response = client.get(reverse("evidence:accounts"))
    ranked = [a["trader__external_id"] for a in response.context["accounts"]]
    assert ranked == [worst.external_id, middle.external_id, light.external_id]
    scores = [a["score"] for a in response.context["accounts"]]
    w = WEIGHTS
    assert scores == [
        w["duplicate_voucher"] + w["linked_accounts"],
        w["duplicate_voucher"],  # twice, counted once
        w["off_platform_contact"],  # the old voucher is outside the range
    ]
    middle_row = response.context["accounts"][1]
    assert middle_row["flagged"] == 2 and middle_row["appeals"] == 2
    assert len(middle_row["cases"]) == 2
    assert reverse("cases:case", args=[middle_row["cases"][0]["appeal_id"]]).encode() in (
        response.content
    )


def test_a_wider_range_and_a_code_filter_change_the_ranking(client, suspects, risk_analyst):
    worst, middle, light = suspects
    client.force_login(risk_analyst)
    response = client.get(reverse("evidence:accounts"), {"weeks": 30})
    light_row = next(
        a for a in response.context["accounts"] if a["trader__external_id"] == light.external_id
    )
    assert light_row["score"] == WEIGHTS["duplicate_voucher"] + WEIGHTS["off_platform_contact"]
    only = client.get(reverse("evidence:accounts"), {"code": "linked_accounts"})
    assert [a["trader__external_id"] for a in only.context["accounts"]] == [worst.external_id]


def test_an_account_shows_the_accounts_sharing_its_signals(client, suspects, risk_analyst):
    worst, *_ = suspects
    twin = TraderFactory()
    now = timezone.now()
    for trader in (worst, twin):
        AccountSignal.objects.create(
            trader=trader, kind="ip", value="10.0.0.9", first_seen_at=now, last_seen_at=now
        )
    client.force_login(risk_analyst)
    row = client.get(reverse("evidence:accounts")).context["accounts"][0]
    assert row["linked"] == [(twin.external_id, "IP address")]
    assert row["linked_count"] == 1


def test_a_held_responsible_verdict_ranks_an_equal_score_first(client, risk_analyst):
    a, b = TraderFactory(), TraderFactory()
    with_signals(opened(buyer=a), "linked_accounts", party="buyer")
    worker = staff_user("arbitrator")
    lost = decide("fraud_scam", worker, buyer=b)
    with_signals(lost, "linked_accounts", party="buyer")
    client.force_login(risk_analyst)
    rows = client.get(reverse("evidence:accounts")).context["accounts"]
    assert [(r["trader__external_id"], r["held"]) for r in rows] == [
        (b.external_id, 1),
        (a.external_id, 0),
    ]


def test_the_csv_has_the_whole_ranking_and_defuses_formulas(client, suspects, risk_analyst):
    worst, middle, light = suspects
    worst.display_name = '=HYPERLINK("http://evil")'
    worst.save()
    middle.display_name = "@SUM(1+1)"
    middle.save()
    client.force_login(risk_analyst)
    response = client.get(reverse("evidence:accounts"), {"format": "csv"})
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert rows[0][:2] == ["Rank", "Trader"]
    assert [r[1] for r in rows[1:]] == [worst.external_id, middle.external_id, light.external_id]
    assert rows[1][2] == '\'=HYPERLINK("http://evil")' and rows[2][2] == "'@SUM(1+1)"
    assert set(rows[1][8].split()) == {"duplicate_voucher", "linked_accounts"}
    assert rows[1][5] == str(WEIGHTS["duplicate_voucher"] + WEIGHTS["linked_accounts"])


def test_the_csv_keeps_the_filters(client, suspects, risk_analyst):
    worst, *_ = suspects
    client.force_login(risk_analyst)
    response = client.get(
        reverse("evidence:accounts"), {"format": "csv", "code": "linked_accounts"}
    )
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert [r[1] for r in rows[1:]] == [worst.external_id]


def test_accounts_page_and_csv_cost_a_bounded_number_of_queries(
    client, risk_analyst, django_assert_max_num_queries
):
    for i in range(30):
        trader = TraderFactory()
        with_signals(opened(buyer=trader), list(WEIGHTS)[i % len(WEIGHTS)], party="buyer")
    client.force_login(risk_analyst)
    client.get(reverse("evidence:accounts"))  # warm the session
    with django_assert_max_num_queries(14):
        response = client.get(reverse("evidence:accounts"))
    assert len(response.context["accounts"]) == 25 and response.context["pager"].has_next()
    with django_assert_max_num_queries(4):
        response = client.get(reverse("evidence:accounts"), {"format": "csv"})
        lines = b"".join(response.streaming_content).decode().splitlines()
    assert len(lines) == 31


# --- trends -------------------------------------------------------------------------------


def test_trends_count_each_code_in_the_week_its_appeals_opened(client, auditor):
    for _ in range(3):
        with_signals(opened(monday(2)), "duplicate_voucher")
    with_signals(opened(monday(0)), "duplicate_voucher", "repeat_appellant")
    with_signals(opened(monday(20)), "repeat_appellant")  # outside the range
    client.force_login(auditor)
    response = client.get(reverse("evidence:trends"))
    view = response.context["trends"]
    codes = [c["code"] for c in view["codes"]]
    by_week = {row["week"]: [cell["n"] for cell in row["cells"]] for row in view["rows"]}
    weeks = Weeks.ending_now(12).mondays()
    dup, rep = codes.index("duplicate_voucher"), codes.index("repeat_appellant")
    assert by_week[weeks[-3]][dup] == 3 and by_week[weeks[-1]][dup] == 1
    assert by_week[weeks[-1]][rep] == 1 and sum(v[rep] for v in by_week.values()) == 1
    assert len(view["rows"]) == 12
    chart = response.context["charts"]["charts"]["trends"]
    assert chart["datasets"][dup]["data"][-3] == 3
    assert b'id="dashboard-data"' in response.content


def test_a_trend_figure_links_to_its_cases(client, auditor, django_assert_max_num_queries):
    planted = [with_signals(opened(monday(2)), "duplicate_voucher") for _ in range(3)]
    with_signals(opened(monday(1)), "duplicate_voucher")
    client.force_login(auditor)
    view = client.get(reverse("evidence:trends")).context["trends"]
    cell = view["rows"][-3]["cells"][0]
    with django_assert_max_num_queries(8):
        response = client.get(cell["url"])
    assert {i["appeal"].pk for i in response.context["items"]} == {a.pk for a in planted}


def test_trends_cost_a_bounded_number_of_queries(client, auditor, django_assert_max_num_queries):
    for i in range(10):
        with_signals(opened(monday(i)), *list(WEIGHTS)[: 1 + i % 3])
    client.force_login(auditor)
    client.get(reverse("evidence:trends"))
    with django_assert_max_num_queries(6):
        client.get(reverse("evidence:trends"), {"weeks": 52})


# --- losses and loopholes -----------------------------------------------------------------


@pytest.fixture
def decided_cases():
    """This week: four frauds lost on Wise in EUR (buyers in GB), one chargeback on Alipay
    in CNY (a buyer in CN), a non-fraud case and a fraud with nobody responsible."""
    worker = staff_user("arbitrator")
    wise = [
        decide(
            "fraud_scam",
            worker,
            payment_method="wise",
            fiat_currency="EUR",
            fiat_amount=Decimal("100.50"),
            buyer=TraderFactory(country="GB"),
        )
        for _ in range(4)
    ]
    alipay = decide(
        "chargeback",
        worker,
        outcome="no_action",
        rule="P2P-5.1",
        payment_method="alipay",
        fiat_amount=Decimal("3600.00"),
    )
    honest = decide(
        "crypto_not_released",
        worker,
        outcome="release_to_buyer",
        responsible="seller",
        rule="P2P-1.1",
        payment_method="alipay",
    )
    cleared = decide(
        "fraud_scam", worker, responsible="none", rule="P2P-2.1", payment_method="wise"
    )
    return wise, alipay, honest, cleared


def test_losses_sum_per_method_and_country_in_their_own_currency(
    client, decided_cases, risk_analyst
):
    client.force_login(risk_analyst)
    response = client.get(reverse("evidence:losses"))
    view = response.context["losses"]
    assert view["currencies"] == ["CNY", "EUR"]
    methods = {r["label"]: (r["n"], r["amounts"]) for r in view["methods"]}
    assert methods == {"wise": (4, ["—", "402.00"]), "alipay": (1, ["3,600.00", "—"])}
    countries = {r["label"]: r["n"] for r in view["countries"]}
    assert countries == {"GB": 4, "CN": 1}
    assert view["weeks"][-1]["n"] == 5
    assert b'id="loss-definition"' in response.content


def test_a_reversal_to_nobody_responsible_is_no_loss(client, decided_cases, risk_analyst):
    wise, *_ = decided_cases
    service = staff_user("service_account")
    review = lifecycle.review_request(
        appeal_id=wise[0].pk, party="buyer", reason="It was paid.", actor=service
    )
    reviewer = staff_user("senior_arbitrator")
    VerdictReview.objects.filter(pk=review.pk).update(reviewer=reviewer)
    lifecycle.review_decide(
        review_id=review.pk,
        actor=reviewer,
        uphold=False,
        rationale="The bank confirmed the payment.",
        outcome="release_to_buyer",
        responsible_party="none",
    )
    client.force_login(risk_analyst)
    methods = {
        r["label"]: r["n"]
        for r in client.get(reverse("evidence:losses")).context["losses"]["methods"]
    }
    assert methods["wise"] == 3


def test_the_loss_figure_lists_its_cases(client, decided_cases, risk_analyst):
    wise, *_ = decided_cases
    client.force_login(risk_analyst)
    row = next(
        r
        for r in client.get(reverse("evidence:losses")).context["losses"]["methods"]
        if r["label"] == "wise"
    )
    listed = client.get(row["url"]).context["items"]
    assert {i["appeal"].pk for i in listed} == {a.pk for a in wise}


def test_loss_page_costs_a_bounded_number_of_queries(
    client, decided_cases, risk_analyst, django_assert_max_num_queries
):
    client.force_login(risk_analyst)
    client.get(reverse("evidence:losses"))
    with django_assert_max_num_queries(6):
        client.get(reverse("evidence:losses"))


def test_the_loophole_finder_flags_the_outlier_and_not_the_average(client, lead):
    """Ten cases on Alipay, ten on Wise, ten on SEPA; four Wise verdicts reversed, one
    Alipay verdict reversed: Wise is 5/30 average -> 4/10 = 2.4 times; Alipay 0.6 times."""
    worker, reviewer = staff_user("arbitrator"), staff_user("senior_arbitrator")
    cases = {
        m: [
            decide(
                "crypto_not_released",
                worker,
                outcome="release_to_buyer",
                responsible="seller",
                rule="P2P-1.1",
                payment_method=m,
            )
            for _ in range(10)
        ]
        for m in ("alipay", "wise", "sepa")
    }
    for appeal in cases["wise"][:4] + cases["alipay"][:1]:
        reverse_review(appeal, reviewer)
    client.force_login(lead)
    response = client.get(reverse("evidence:loopholes"), {"min_sample": 10})
    rows = {(r["dimension"], r["value"], r["measure"]): r for r in response.context["rows"]}
    wise = rows[("method", "wise", "reversal")]
    assert wise["flagged"] and wise["n"] == 10 and wise["hits"] == 4
    assert wise["ratio_text"] == "2.4× the average"
    assert not rows[("method", "alipay", "reversal")]["flagged"]
    assert not rows[("method", "sepa", "reversal")]["flagged"]
    # The reason and rule are the whole desk: exactly the average.
    assert rows[("reason", "crypto_not_released", "reversal")]["ratio"] == pytest.approx(1.0)
    listed = client.get(wise["url"]).context["items"]
    assert {i["appeal"].pk for i in listed} == {a.pk for a in cases["wise"][:4]}
    # Below the minimum sample a group is not compared: the methods have 10 cases each.
    few = client.get(reverse("evidence:loopholes"), {"min_sample": 11}).context["rows"]
    assert few and not [r for r in few if r["dimension"] == "method"]


def test_the_repeat_rate_counts_appellants_who_appealed_before(client, lead):
    worker = staff_user("arbitrator")
    habitual = TraderFactory()
    first = decide(
        "crypto_not_released",
        worker,
        outcome="release_to_buyer",
        responsible="seller",
        rule="P2P-1.1",
        seller=habitual,
    )
    again = decide("fraud_scam", worker, seller=habitual)
    other = decide("fraud_scam", worker)
    client.force_login(lead)
    rows = client.get(reverse("evidence:loopholes"), {"min_sample": 2}).context["rows"]
    repeat = {
        r["value"]: r["hits"]
        for r in rows
        if r["measure"] == "repeat" and r["dimension"] == "reason"
    }
    assert repeat == {"fraud_scam": 1}
    average = client.get(reverse("evidence:loopholes"), {"min_sample": 2}).context["average"]
    assert average["repeat"] == round(100 / 3, 1)
    listed = client.get(
        reverse("evidence:cases"),
        {"measure": "repeat", "dimension": "reason", "value": "fraud_scam"},
    ).context["items"]
    assert [i["appeal"].pk for i in listed] == [again.pk] and first and other


def test_loophole_page_costs_a_bounded_number_of_queries(
    client, decided_cases, lead, django_assert_max_num_queries
):
    client.force_login(lead)
    client.get(reverse("evidence:loopholes"))
    # The session, the user and the navigation (6), then five for the page.
    with django_assert_max_num_queries(11):
        client.get(reverse("evidence:loopholes"), {"min_sample": 2})


def test_overview_costs_a_bounded_number_of_queries(client, lead, django_assert_max_num_queries):
    client.force_login(lead)
    client.get(reverse("evidence:overview"))
    with django_assert_max_num_queries(6):
        client.get(reverse("evidence:overview"))


# --- reporting an account -----------------------------------------------------------------


@pytest.mark.parametrize("role", ["risk_analyst", "team_lead"])
def test_analysts_and_leads_report_an_account_in_one_click(client, suspects, role):
    from cases.models import AccountRestriction

    worst, *_ = suspects
    client.force_login(staff_user(role))
    page = client.get(reverse("evidence:accounts"))
    url = reverse("evidence:report", args=[worst.pk])
    assert url.encode() in page.content
    response = client.post(url, {"weeks": 12, "next": reverse("evidence:accounts")})
    assert response.status_code == 302 and response["Location"] == reverse("evidence:accounts")
    proposal = AccountRestriction.objects.get(trader=worst)
    assert proposal.state == AccountRestriction.State.PROPOSED and proposal.p2p
    assert not proposal.withdrawal and not proposal.login
    assert "Duplicate voucher (1)" in proposal.reason and "Linked accounts (1)" in proposal.reason
    worst.refresh_from_db()
    assert not worst.is_restricted()  # nothing switched off until a lead approves


def test_auditors_get_no_report_button_and_their_post_is_refused(client, suspects, auditor):
    from cases.models import AccountRestriction

    worst, *_ = suspects
    client.force_login(auditor)
    url = reverse("evidence:report", args=[worst.pk])
    assert url.encode() not in client.get(reverse("evidence:accounts")).content
    assert client.post(url, {"weeks": 12}).status_code == 403
    assert not AccountRestriction.objects.exists()


def test_a_report_is_post_only_refuses_arbitrators_and_bad_input(client, suspects, risk_analyst):
    from cases.models import AccountRestriction

    worst, *_ = suspects
    url = reverse("evidence:report", args=[worst.pk])
    client.force_login(staff_user("arbitrator"))
    assert client.post(url, {"weeks": 12}).status_code == 403
    client.force_login(risk_analyst)
    assert client.get(url).status_code == 405
    assert client.post(reverse("evidence:report", args=[999_999])).status_code == 404
    response = client.post(url, {"weeks": "0", "next": "https://evil.example/"})
    assert response.status_code == 302 and response["Location"] == reverse("evidence:accounts")
    assert not AccountRestriction.objects.exists()


def test_the_report_needs_the_csrf_token(suspects, risk_analyst):
    from django.test import Client

    worst, *_ = suspects
    client = Client(enforce_csrf_checks=True)
    client.force_login(risk_analyst)
    assert client.post(reverse("evidence:report", args=[worst.pk])).status_code == 403
