"""Stored texts per language (cases/translation.py): the rulebook, canned replies,
penalty notes, account-action reasons and risk signals read in the viewer's language;
what a party is told is entirely in the party's language."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import translation

from cases import lifecycle
from cases.explanations import verdict_explain
from cases.models import AccountAction, CannedReply, PenaltyRule, Rule, Verdict
from cases.models import AppealStatus as S
from cases.penalties import penalty_suggest
from cases.replies import replies_rendered, reply_gap
from evidence.risk import risk_assess, signal_text
from tests.factories import OrderFactory, appeal_in, staff_user

pytestmark = pytest.mark.django_db

RULE_EN = "Release after confirmed payment"
RULE_ZH = "确认付款后放币"
RULE_RU = "Передача после подтверждённой оплаты"


def _resolved(buyer: str, seller: str) -> Verdict:
    order = OrderFactory(buyer__language=buyer, seller__language=seller)
    appeal = appeal_in(S.RESOLVED, worker=staff_user("arbitrator"), order=order)
    return Verdict.objects.get(appeal=appeal, state=Verdict.State.EFFECTIVE)


def test_a_chinese_partys_verdict_explanation_has_the_chinese_rule_title():
    verdict = _resolved(buyer="zh-CN", seller="en")

    text = verdict_explain(verdict, "buyer", "zh-CN")

    assert RULE_ZH in text
    assert RULE_EN not in text
    assert Rule.objects.get(code="P2P-1.1").text_zh_hans in text
    assert "已放行给买家" in text


def test_a_russian_partys_explanation_is_russian_and_an_english_one_english():
    verdict = _resolved(buyer="ru-RU", seller="en")

    russian = verdict_explain(verdict, "buyer", "ru-RU")
    english = verdict_explain(verdict, "seller", "en")

    assert RULE_RU in russian and RULE_EN not in russian
    assert RULE_EN in english and RULE_ZH not in english


def test_the_verdict_keeps_the_english_rule_it_cited_whatever_the_ui_language():
    order = OrderFactory()
    with translation.override("zh-hans"):
        appeal = appeal_in(S.RESOLVED, worker=staff_user("arbitrator"), order=order)
    verdict = Verdict.objects.get(appeal=appeal, state=Verdict.State.EFFECTIVE)
    assert verdict.rule_title == RULE_EN
    assert verdict.rule_text.startswith("When the buyer proves a payment")


def test_a_rule_without_a_translation_reads_in_english_in_a_partys_message():
    rule = Rule.objects.get(code="P2P-1.1")
    Rule.objects.filter(pk=rule.pk).update(title_zh_hans=None, text_zh_hans="")
    verdict = _resolved(buyer="zh-hans", seller="zh-hans")

    text = verdict_explain(verdict, "buyer", "zh-hans")

    assert RULE_EN in text and "已放行给买家" in text


def test_the_rulebook_reads_in_the_active_language():
    rule = Rule.objects.get(code="P2P-1.1")
    with translation.override("zh-hans"):
        assert rule.title == RULE_ZH
    with translation.override("ru"):
        assert rule.title == RULE_RU
    with translation.override("en"):
        assert rule.title == RULE_EN


def test_each_canned_reply_is_one_row_with_every_language():
    keys = list(CannedReply.objects.values_list("key", flat=True))
    assert len(keys) == len(set(keys)) == 3
    for reply in CannedReply.objects.all():
        assert reply.text_en and reply.text_zh_hans and reply.text_ru


def test_the_case_page_lists_each_reply_once_per_party_in_the_partys_language(client, arbitrator):
    order = OrderFactory(buyer__language="zh-CN", seller__language="ru")
    appeal = appeal_in(S.IN_REVIEW, worker=arbitrator, order=order)
    client.force_login(arbitrator)

    response = client.get(reverse("cases:case", args=[appeal.pk]))

    replies = response.context["replies"]
    keys = sorted(CannedReply.objects.filter(active=True).values_list("key", flat=True))
    for side, language, title in (
        ("buyer", "zh-hans", "补充证据请求"),
        ("seller", "ru", "Запрос доказательств"),
    ):
        assert [r["key"] for r in replies[side]] == keys
        assert {r["language"] for r in replies[side]} == {language}
        assert title in {r["title"] for r in replies[side]}
    # Each picker offers each reply once per party.
    page = response.content.decode()
    pickers = page.count('class="js-reply-pick"')
    assert pickers >= 1
    for side in ("buyer", "seller"):
        assert page.count(f'value="{side}:') == pickers * len(keys)


def test_inserting_a_reply_leaves_no_brace_and_selects_a_blank_in_the_partys_language():
    order = OrderFactory(buyer__language="zh-hans", seller__language="en")
    appeal = appeal_in(S.IN_REVIEW, worker=staff_user("arbitrator"), order=order)

    replies = replies_rendered(appeal, deadline=None)

    for side, blank in (("buyer", "[请填写所需材料]"), ("seller", "[describe what is needed]")):
        for reply in replies[side]:
            assert "{" not in reply["text"] and "}" not in reply["text"], reply
        request = next(r for r in replies[side] if r["key"] == "evidence_request")
        start, end = request["blank"]
        assert request["text"][start:end] == blank
        # Sending the blank as it is is refused, in any of the desk's languages.
        assert reply_gap(request["text"]) == blank
    assert reply_gap("Please send your bank statement.") == ""


def test_the_blank_is_selected_where_the_browser_counts_it():
    # A text area counts UTF-16 units: an emoji in the party's name counts two.
    order = OrderFactory(buyer__display_name="\N{ROCKET}rocket", buyer__language="en")
    appeal = appeal_in(S.IN_REVIEW, worker=staff_user("arbitrator"), order=order)
    request = next(
        r
        for r in replies_rendered(appeal, deadline=None)["buyer"]
        if r["key"] == "evidence_request"
    )
    start, end = request["blank"]
    units = request["text"].encode("utf-16-le")
    assert units[start * 2 : end * 2].decode("utf-16-le") == "[describe what is needed]"


def test_a_reply_with_only_english_reads_in_english_for_every_party():
    CannedReply.objects.create(key="en_only", title="English only", text="Dear {party_name}.")
    order = OrderFactory(buyer__language="zh-hans")
    appeal = appeal_in(S.IN_REVIEW, worker=staff_user("arbitrator"), order=order)
    reply = next(
        r for r in replies_rendered(appeal, deadline=None)["buyer"] if r["key"] == "en_only"
    )
    assert reply["language"] == "en"
    assert reply["text"] == f"Dear {order.buyer.display_name}."


def test_penalty_notes_read_in_the_viewers_language():
    appeal = appeal_in(S.IN_REVIEW, worker=staff_user("arbitrator"))
    assert PenaltyRule.objects.get(reason=appeal.reason).note_zh_hans
    with translation.override("zh-hans"):
        [(_side, penalty)] = penalty_suggest(appeal, "seller")
    assert penalty.note == PenaltyRule.objects.get(reason=appeal.reason).note_zh_hans


def test_a_verdicts_account_action_reason_reads_in_the_viewers_language():
    verdict = _resolved(buyer="en", seller="en")
    lifecycle_reason = AccountAction.verdict_reason(verdict.appeal_id, verdict.rule_code)
    action = AccountAction(reason=lifecycle_reason)
    typed = AccountAction(reason="Verdict on appeal #12 under rule X, and more I typed")

    assert lifecycle_reason == f"Verdict on appeal #{verdict.appeal_id} under rule P2P-1.1"
    with translation.override("zh-hans"):
        assert action.reason_display == f"依据规则 P2P-1.1 对申诉 #{verdict.appeal_id} 作出的裁决"
        assert typed.reason_display == typed.reason
    with translation.override("en"):
        assert action.reason_display == lifecycle_reason


def test_the_verdict_records_its_account_action_with_the_shipped_reason():
    arbitrator = staff_user("arbitrator")
    appeal = appeal_in(S.IN_REVIEW, worker=arbitrator)
    with translation.override("zh-hans"):
        lifecycle.verdict_propose(
            appeal_id=appeal.pk,
            actor=arbitrator,
            outcome=Verdict.Outcome.RELEASE_TO_BUYER,
            responsible_party=Verdict.ResponsibleParty.SELLER,
            rule_code="P2P-1.1",
            rationale="Paid in full, in time.",
            account_action=lifecycle.ProposedAction(kind="warning"),
        )
    action = AccountAction.objects.get(trader=appeal.order.seller)
    assert action.reason == AccountAction.verdict_reason(appeal.pk, "P2P-1.1")


def test_a_risk_signal_reads_in_the_viewers_language_and_the_api_keeps_english(
    service_account,
):
    from rest_framework.test import APIClient

    from cases import services
    from tests.factories import ChatMessageDataFactory, open_appeal, service_token

    appeal = open_appeal()
    services.chat_ingest(
        order=appeal.order,
        messages=[ChatMessageDataFactory(text="add me on telegram @otc_fast", sender="seller")],
    )
    risk_assess(appeal_id=appeal.pk)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {service_token(service_account)}")
    [signal] = client.get(f"/api/v1/appeals/{appeal.pk}/").json()["risk_signals"]
    [stored] = type(appeal).objects.get(pk=appeal.pk).risk_signals

    assert signal == {
        "code": "off_platform_contact",
        "detail": "The seller pushes to move off the platform (1 message(s)).",
    }
    with translation.override("zh-hans"):
        assert signal_text(stored) == "卖方诱导转到平台外沟通（1 条消息）。"
    with translation.override("en"):
        assert signal_text(stored) == signal["detail"]
    # Stored before sentences had keys: its English detail.
    assert signal_text({"code": "x", "detail": "Old text."}) == "Old text."


def test_the_rules_api_stays_english_for_a_chinese_caller(client, arbitrator):
    client.force_login(arbitrator)
    body = client.get("/api/v1/rules/", HTTP_ACCEPT_LANGUAGE="zh-hans").json()
    rule = next(r for r in body["results"] if r["code"] == "P2P-1.1")
    assert rule["title"] == RULE_EN
    assert rule["text"].startswith("When the buyer proves a payment")


def test_a_rule_reworded_after_the_verdict_is_told_as_it_was_cited():
    verdict = _resolved(buyer="zh-hans", seller="zh-hans")
    Rule.objects.filter(code="P2P-1.1").update(title_en="Reworded", title_zh_hans="改写后的标题")

    verdict = Verdict.objects.get(pk=verdict.pk)
    text = verdict_explain(verdict, "buyer", "zh-hans")

    # The translation is of another wording now: the party reads what was cited.
    assert RULE_EN in text and "改写后的标题" not in text


def test_the_case_page_shows_the_cited_rule_in_the_viewers_language(client, arbitrator):
    verdict = _resolved(buyer="en", seller="en")
    client.force_login(arbitrator)
    url = reverse("cases:case", args=[verdict.appeal_id])

    chinese = client.get(url, HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    english = client.get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode()

    assert f"P2P-1.1</span> {RULE_ZH}" in chinese
    assert f"P2P-1.1</span> {RULE_EN}" in english
