"""The desk in each of its languages, in a real Chromium: switched to Chinese, a case
shows the rulebook in Chinese and what a Chinese party is told entirely in Chinese (the
rule's title included), and a canned reply goes in without a literal {what}; switched to
Russian, the queue is Russian.

Set up like tests/browser/test_workspace.py: data through the factories and services,
real users signing in through the login form. Screenshots go to
test-artifacts/screenshots/languages-*.png.
"""

from __future__ import annotations

import re

from django.utils import translation
from django.utils.translation import gettext
from playwright.sync_api import Page, expect

from cases.models import Appeal, Rule, StaffProfile
from cases.services import chat_ingest
from tests.browser.conftest import SCREENSHOT_DIR
from tests.browser.helpers import PASSWORD, person
from tests.factories import ChatMessageDataFactory, OrderFactory, appeal_in

S = Appeal.Status
RULE_EN = "Release after confirmed payment"
RULE_ZH = "确认付款后放币"


def log_in(page: Page, base: str, username: str) -> None:
    page.goto(f"{base}/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    with page.expect_navigation():
        page.get_by_role("button", name="Log in").click()


def switch_to(page: Page, language: str) -> None:
    with page.expect_navigation():
        page.locator("#language-switch").select_option(language)  # submits on change
    expect(page.locator("html")).to_have_attribute("lang", language)


def translated(language: str, text: str) -> str:
    with translation.override(language):
        result = gettext(text)
    assert result != text, f"{text!r} has no {language} translation"
    return result


def test_the_chinese_ui_shows_the_rulebook_and_the_partys_messages_in_chinese(
    live_server, page: Page, screenshot, console_errors
):
    ana = person("arbitrator", "ana")
    order = OrderFactory(buyer__language="zh-CN", seller__language="en")
    working = appeal_in(S.IN_REVIEW, worker=ana, order=order)
    chat_ingest(
        order=working.order,
        messages=[ChatMessageDataFactory(sender="buyer", text="我已经付款了，请放币。")],
    )
    decided = appeal_in(S.RESOLVED, worker=ana, order=OrderFactory(buyer__language="zh-hans"))

    log_in(page, live_server.url, "ana")
    switch_to(page, "zh-hans")
    assert StaffProfile.objects.get(user=ana).language == "zh-hans"

    # The rulebook in the verdict form: every rule's title in Chinese.
    page.goto(f"{live_server.url}/cases/{working.pk}/")
    rules = page.locator("select[name=rule] option[value^='P2P-']")
    labels = rules.all_inner_texts()
    assert labels, "the verdict form lists the rulebook"
    for rule in Rule.objects.filter(active=True):
        assert f"{rule.code} {rule.title_zh_hans}" in labels
    assert not any(RULE_EN in label for label in labels)

    # A canned reply to the Chinese buyer: listed once, in Chinese, no literal {what},
    # and the blank to type over is selected.
    page.locator("#replies summary").click()
    page.locator("#id_message_party").select_option("buyer")
    picker = page.locator("#message-reply")
    buyer_options = picker.locator("optgroup[data-party=buyer] option")
    titles = buyer_options.all_inner_texts()
    assert len(titles) == len(set(titles)) == 3
    assert "补充证据请求" in titles
    # Only the buyer's replies are in the list at all; choosing the seller swaps them.
    expect(picker.locator("option")).to_have_count(1 + 3)
    expect(picker.locator("optgroup[data-party=seller]")).to_have_count(0)
    page.locator("#id_message_party").select_option("seller")
    expect(picker.locator("optgroup[data-party=buyer]")).to_have_count(0)
    expect(picker.locator("optgroup[data-party=seller] option")).to_have_count(3)
    page.locator("#id_message_party").select_option("buyer")
    picker.select_option(label="补充证据请求")
    text = page.locator("#id_message_text")
    value = text.input_value()
    assert "{" not in value and "}" not in value
    assert working.order.buyer.display_name in value and "请提供" in value
    selected = page.evaluate(
        "() => { const t = document.getElementById('id_message_text');"
        " return t.value.slice(t.selectionStart, t.selectionEnd); }"
    )
    assert selected == "[请填写所需材料]"
    page.locator("#replies").scroll_into_view_if_needed()
    screenshot(page, "languages-zh-case-reply")
    page.locator("#replies").screenshot(path=str(SCREENSHOT_DIR / "languages-zh-reply-form.png"))

    # Sending the blank as it is is refused, and nothing is sent.
    page.get_by_role("button", name=translated("zh-hans", "Send"), exact=True).click()
    expect(page.locator("#replies")).to_contain_text("[请填写所需材料]")

    # What the Chinese party is told about a verdict: Chinese, the rule's title in Chinese.
    page.goto(f"{live_server.url}/cases/{decided.pk}/")
    told = page.locator(".explain").first
    told.scroll_into_view_if_needed()
    expect(told).to_contain_text(RULE_ZH)
    expect(told).to_contain_text("已放行给买家")
    assert RULE_EN not in told.locator(":scope > p").inner_text()
    screenshot(page, "languages-zh-case-verdict")
    told.screenshot(path=str(SCREENSHOT_DIR / "languages-zh-party-told.png"))
    assert console_errors == [] or all("status of 400" in e for e in console_errors)


def test_the_russian_ui_shows_russian_on_the_queue(
    live_server, page: Page, screenshot, console_errors
):
    person("arbitrator", "ivan")
    appeal_in(S.OPEN)

    log_in(page, live_server.url, "ivan")
    switch_to(page, "ru")

    expect(page.locator("h1")).to_have_text(translated("ru", "Queue"))
    expect(page.get_by_role("button", name=translated("ru", "Claim next"))).to_be_visible()
    expect(page.locator("#queue-results thead")).to_contain_text(translated("ru", "Reason"))
    body = page.locator("body").inner_text()
    assert re.search(r"[А-Яа-яЁё]{4,}", body)
    screenshot(page, "languages-ru-queue")
    assert console_errors == []


def test_a_team_lead_edits_each_language_of_a_rule_in_the_admin(
    live_server, page: Page, screenshot, console_errors
):
    person("team_lead", "lena")
    rule = Rule.objects.get(code="P2P-1.1")
    log_in(page, live_server.url, "lena")

    page.goto(f"{live_server.url}/admin/cases/rule/{rule.pk}/change/")
    for field in ("title_en", "title_zh_hans", "title_ru", "text_en", "text_zh_hans", "text_ru"):
        expect(page.locator(f"[name={field}]")).to_be_visible()
    expect(page.locator("[name=title_zh_hans]")).to_have_value(RULE_ZH)
    screenshot(page, "languages-admin-rule")
    page.locator("[name=title_zh_hans]").fill("确认收款后放币")
    with page.expect_navigation():
        page.locator("[name=_save]").click()

    rule.refresh_from_db()
    assert rule.title_zh_hans == "确认收款后放币"
    assert rule.title_en == RULE_EN
    # Django's own admin pages link no icon: Chromium's favicon.ico guess is a 404.
    assert [e for e in console_errors if "404" not in e] == []
