"""From the queue to a decided case in two page loads, in a real Chromium (issue 11):
claim next opens the case, the verdict form is confirmed in an in-page dialog (the money
movement and both parties' explanations), confirming lands on the next case. And the
page is live: countdowns tick by themselves, the queue refreshes, and a banner says when
someone else acted on the open case.

Screenshots go to test-artifacts/screenshots/decide-*.png.
"""

from __future__ import annotations

import re
from datetime import timedelta

from django.utils import timezone
from playwright.sync_api import Page, expect

from cases import lifecycle
from cases.models import Appeal, OutboxEvent, StaffProfile, Verdict
from tests.browser.conftest import SCREENSHOT_DIR
from tests.browser.helpers import PASSWORD, REFUSALS, person
from tests.factories import OrderFactory, appeal_in, open_appeal

S = Appeal.Status
# Refusals this file provokes on purpose (a stale page's 409) are checked on the page.
CONSOLE_EXPECTED = REFUSALS


def log_in(page: Page, base: str, username: str, *, next_path: str = "") -> None:
    page.goto(f"{base}/accounts/login/" + (f"?next={next_path}" if next_path else ""))
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    with page.expect_navigation():
        page.get_by_role("button", name="Log in").click()


def viewport_shot(page: Page, name: str) -> None:
    SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOT_DIR / f"{name}.png"))


def fill_verdict(page: Page, rationale: str) -> None:
    page.locator("#id_verdict_outcome").select_option("release_to_buyer")
    page.locator("#id_verdict_responsible_party").select_option("seller")
    page.locator("#id_verdict_rule").select_option("P2P-1.1")
    page.locator("#id_verdict_rationale").fill(rationale)


def test_from_the_queue_to_a_decided_case_in_two_navigations(
    live_server, page: Page, screenshot, console_errors
):
    ana = person("arbitrator", "ana")
    now = timezone.now()
    first = open_appeal(order=OrderFactory(created_at=now - timedelta(hours=5)))
    Appeal.objects.filter(pk=first.pk).update(priority=9)
    second = open_appeal()
    order = first.order
    rationale = "The buyer's bank statement shows 3600 CNY paid to the seller in time."

    log_in(page, live_server.url, "ana")
    expect(page.locator("h1")).to_have_text("Queue")
    navigations: list[str] = []
    page.on(
        "framenavigated",
        lambda frame: navigations.append(frame.url) if frame == page.main_frame else None,
    )

    # 1: claim next opens the claimed case.
    page.get_by_role("button", name="Claim next").click()
    expect(page.locator("h1")).to_contain_text(f"#{first.pk}")
    assert page.url == f"{live_server.url}/cases/{first.pk}/"

    # The verdict form is confirmed in the page: no navigation.
    fill_verdict(page, rationale)
    page.get_by_role("button", name="Review and confirm…").click()
    dialog = page.locator("[data-test=verdict-dialog]")
    expect(dialog).to_be_visible()
    expect(dialog.locator("[data-test=verdict-question]")).to_have_text(
        f"Release 500 USDT to the buyer {order.buyer.display_name} ({order.buyer.external_id})?"
    )
    flow = dialog.locator("[data-test=money-flow]")
    expect(flow).to_contain_text("Escrow")
    expect(flow).to_contain_text("500 USDT")
    expect(flow).to_contain_text(order.buyer.display_name)
    told = dialog.locator("[data-test=verdict-explanations] .explain")
    expect(told).to_have_count(2)
    expect(told.nth(0)).to_contain_text(order.buyer.display_name)
    expect(told.nth(1)).to_contain_text(order.seller.display_name)
    viewport_shot(page, "decide-dialog")
    assert len(navigations) == 1
    assert not Verdict.objects.filter(appeal=first).exists()

    # "Go back and change" closes it, nothing decided, the form as typed.
    dialog.get_by_role("button", name="Go back and change").click()
    expect(dialog).to_be_hidden()
    expect(page.locator("#id_verdict_rationale")).to_have_value(rationale)
    page.get_by_role("button", name="Review and confirm…").click()
    expect(dialog).to_be_visible()

    # 2: confirming decides and lands on the next case.
    dialog.get_by_role("button", name="Confirm: Release to buyer").click()
    expect(page.locator("h1")).to_contain_text(f"#{second.pk}")
    assert page.url == f"{live_server.url}/cases/{second.pk}/"
    messages = page.locator("ul.messages li")
    expect(messages.nth(0)).to_have_text(
        f"Appeal #{first.pk}: Verdict issued: release to buyer. It has taken effect."
    )
    expect(messages.nth(1)).to_contain_text(f"You claimed appeal #{second.pk}")
    screenshot(page, "decide-next-case")

    assert len(navigations) == 2, navigations  # after the queue: exactly two page loads
    first.refresh_from_db()
    second.refresh_from_db()
    assert first.status == S.RESOLVED
    assert (second.status, second.assignee_id) == (S.IN_REVIEW, ana.pk)
    assert OutboxEvent.objects.filter(appeal=first, type="verdict.issued").count() == 1
    assert console_errors == []


def test_the_dialog_shows_what_is_wrong_and_decides_nothing(
    live_server, page: Page, console_errors
):
    ana = person("arbitrator", "ana")
    appeal = appeal_in(S.IN_REVIEW, worker=ana)

    log_in(page, live_server.url, "ana", next_path=f"/cases/{appeal.pk}/")
    page.locator("#id_verdict_outcome").select_option("release_to_buyer")
    page.get_by_role("button", name="Review and confirm…").click()

    errors = page.locator("[data-test=verdict-dialog] [data-test=verdict-check-errors]")
    expect(errors).to_contain_text("Rationale")
    expect(errors).to_contain_text("Rule")
    expect(page.locator("[data-test=verdict-confirm]")).to_have_count(0)
    viewport_shot(page, "decide-dialog-errors")
    page.keyboard.press("Escape")
    expect(page.locator("[data-test=verdict-dialog]")).to_be_hidden()
    assert not Verdict.objects.filter(appeal=appeal).exists()
    assert Appeal.objects.get(pk=appeal.pk).status == S.IN_REVIEW
    assert console_errors == []


def test_above_four_eyes_the_dialog_sends_for_approval(live_server, page: Page, console_errors):
    ana = person("arbitrator", "ana")
    appeal = appeal_in(S.IN_REVIEW, worker=ana, order=OrderFactory(large=True))

    log_in(page, live_server.url, "ana", next_path=f"/cases/{appeal.pk}/")
    fill_verdict(page, "Bank statement and chat agree.")
    page.locator("#id_verdict_action_kind").select_option("")
    page.get_by_role("button", name="Review and confirm…").click()
    dialog = page.locator("[data-test=verdict-dialog]")
    expect(dialog.locator(".case-flag.four-eyes")).to_be_visible()
    with page.expect_navigation():
        dialog.get_by_role("button", name="Send for approval").click()

    assert page.url == f"{live_server.url}/"  # nothing else to claim: the queue
    expect(page.locator("ul.messages li").first).to_contain_text(
        f"Appeal #{appeal.pk}: Verdict proposed. It is above the four-eyes threshold"
    )
    appeal.refresh_from_db()
    assert appeal.status == S.PENDING_APPROVAL
    assert not OutboxEvent.objects.filter(appeal=appeal, type="verdict.issued").exists()
    assert console_errors == []


def test_countdowns_tick_by_themselves_on_the_case_page_and_the_queue(
    live_server, page: Page, console_errors
):
    person("arbitrator", "ana")
    appeal = open_appeal()
    Appeal.objects.filter(pk=appeal.pk).update(
        resolution_due_at=timezone.now() + timedelta(minutes=40)
    )

    log_in(page, live_server.url, "ana")
    for where in ("queue", "case"):
        if where == "case":
            page.goto(f"{live_server.url}/cases/{appeal.pk}/")
        countdown = page.locator("[data-test=sla-countdown]").first
        expect(countdown).to_be_visible()
        before = countdown.inner_text()
        expect(countdown).not_to_have_text(before, timeout=2_000)
        assert re.search(r"\d+s left", countdown.inner_text()), countdown.inner_text()
        viewport_shot(page, f"decide-countdown-{where}")
    assert console_errors == []


def test_the_queue_refreshes_itself_with_its_filters(live_server, page: Page, console_errors):
    person("arbitrator", "ana")
    open_appeal(reason=Appeal.Reason.CHARGEBACK)
    open_appeal(reason=Appeal.Reason.CRYPTO_NOT_RELEASED)

    log_in(page, live_server.url, "ana", next_path="/?reason=chargeback")
    rows = page.locator("#queue-results tbody tr[data-href]")
    expect(rows).to_have_count(1)
    newcomer = open_appeal(reason=Appeal.Reason.CHARGEBACK)
    open_appeal(reason=Appeal.Reason.FRAUD_SCAM)  # filtered out, on arrival too

    # The poll (every 15 s) asks with the filters as they are, and swaps the rows in.
    with page.expect_response(lambda r: "reason=chargeback" in r.url, timeout=20_000):
        pass
    expect(rows).to_have_count(2)
    expect(page.locator("#queue-results")).to_contain_text(newcomer.order.external_id)
    assert "reason=chargeback" in page.url
    assert console_errors == []


def test_a_banner_says_when_someone_else_acted_on_the_open_case(
    live_server, page: Page, screenshot, console_errors
):
    ana = person("arbitrator", "ana")
    bob = person("senior_arbitrator", "bob")
    appeal = appeal_in(S.IN_REVIEW, worker=ana)

    log_in(page, live_server.url, "ana", next_path=f"/cases/{appeal.pk}/")
    banner = page.locator("[data-test=case-changed]")
    expect(banner).to_have_count(0)
    # At another desk, a senior writes a note on it.
    lifecycle.note_add(appeal_id=appeal.pk, actor=bob, text="I know these traders.")

    expect(banner).to_be_visible(timeout=15_000)
    expect(banner).to_contain_text(re.compile(r"bob added a note \d+s ago — reload to see\."))
    viewport_shot(page, "decide-banner")
    with page.expect_navigation():
        banner.get_by_role("link", name="Reload").click()
    page.locator("#audit summary").click()
    trail = page.locator("[data-test=audit-trail]")
    expect(trail).to_contain_text("bob added a note")
    expect(trail).to_contain_text("claimed the case")
    expect(banner).to_have_count(0)
    trail.scroll_into_view_if_needed()
    viewport_shot(page, "decide-audit")
    assert console_errors == []


def test_the_queue_holds_still_while_rows_are_ticked(live_server, page: Page, console_errors):
    person("team_lead", "lea")
    open_appeal()
    open_appeal()

    log_in(page, live_server.url, "lea")
    rows = page.locator("#queue-results tbody tr[data-href]")
    expect(rows).to_have_count(2)
    polls: list[str] = []
    page.on(
        "request",
        lambda r: polls.append(r.url) if r.headers.get("hx-request") == "true" else None,
    )
    rows.first.locator("input.js-pick").check()
    page.locator("h1").click()  # the focus leaves the rows; only the tick holds the poll
    open_appeal()

    page.wait_for_timeout(16_500)  # past one poll interval
    assert polls == []
    expect(rows).to_have_count(2)
    expect(rows.first.locator("input.js-pick")).to_be_checked()

    rows.first.locator("input.js-pick").uncheck()
    page.locator("h1").click()
    expect(rows).to_have_count(3, timeout=17_000)
    assert console_errors == []


def test_the_bell_counts_a_new_notification_without_a_reload(
    live_server, page: Page, console_errors
):
    ana = person("arbitrator", "ana")
    lea = person("team_lead", "lea")
    waiting = open_appeal()

    log_in(page, live_server.url, "ana")
    count = page.locator("[data-test=bell-count]")
    expect(count).to_be_hidden()
    # A lead, elsewhere, gives ana a case: she is told.
    lifecycle.appeal_assign(appeal_id=waiting.pk, assignee=ana, actor=lea)

    expect(count).to_have_text("1", timeout=25_000)  # the header polls every 20 s
    expect(page.locator("[data-test=bell]")).to_have_attribute(
        "aria-label", "Notifications: 1 unread"
    )
    assert console_errors == []


def test_without_javascript_the_confirmation_page_decides(live_server, browser, screenshot):
    ana = person("arbitrator", "ana")
    appeal = appeal_in(S.IN_REVIEW, worker=ana)
    order = appeal.order
    context = browser.new_context(
        viewport={"width": 1440, "height": 900}, locale="en-US", java_script_enabled=False
    )
    try:
        page = context.new_page()
        log_in(page, live_server.url, "ana", next_path=f"/cases/{appeal.pk}/")
        fill_verdict(page, "Paid in time, from the buyer's own account.")
        with page.expect_navigation():
            page.get_by_role("button", name="Review and confirm…").click()
        expect(page.locator("h1.question")).to_have_text(
            f"Release 500 USDT to the buyer {order.buyer.display_name} ({order.buyer.external_id})?"
        )
        expect(page.locator("[data-test=money-flow]")).to_contain_text("Escrow")
        expect(page.locator("[data-test=verdict-explanations] .explain")).to_have_count(2)
        screenshot(page, "decide-nojs-confirm")
        with page.expect_navigation():
            page.get_by_role("button", name="Confirm: Release to buyer").click()
        assert page.url == f"{live_server.url}/cases/{appeal.pk}/"
        expect(page.locator("ul.messages li")).to_have_text(
            "Verdict issued: release to buyer. It has taken effect."
        )
    finally:
        context.close()
    assert Appeal.objects.get(pk=appeal.pk).status == S.RESOLVED


def test_the_dialog_and_the_banner_speak_chinese(live_server, page: Page, console_errors):
    ana = person("arbitrator", "ana")
    bob = person("senior_arbitrator", "bob")
    appeal = appeal_in(S.IN_REVIEW, worker=ana)
    StaffProfile.objects.update_or_create(user=ana, defaults={"language": "zh-hans"})

    log_in(page, live_server.url, "ana", next_path=f"/cases/{appeal.pk}/")
    expect(page.locator("html")).to_have_attribute("lang", "zh-hans")
    fill_verdict(page, "买家按时付款。")
    page.locator(".js-verdict-form button[type=submit]").click()
    dialog = page.locator("[data-test=verdict-dialog]")
    expect(dialog.locator("[data-test=money-flow]")).to_contain_text("托管")
    expect(dialog.locator(".confirm-actions .hint")).to_have_text(
        "确认后将进入下一件待处理案件；没有时返回队列。"
    )
    viewport_shot(page, "decide-dialog-zh")
    page.keyboard.press("Escape")

    lifecycle.note_add(appeal_id=appeal.pk, actor=bob, text="看一下")
    banner = page.locator("[data-test=case-changed]")
    expect(banner).to_contain_text("bob 添加了备注", timeout=15_000)
    expect(banner).to_contain_text("重新加载查看")
    page.locator("#audit summary").click()
    expect(page.locator("[data-test=audit-trail]")).to_contain_text("ana 认领了此案件")
    viewport_shot(page, "decide-banner-zh")
    assert console_errors == []
