"""The case page as one screen to decide (issue 11) in a real Chromium: at 1440x900 the
header, the chat's latest message, both parties' latest vouchers, the verdict form's
submit and "Add note" are in the first viewport without scrolling; at 1024x768 nothing
overlaps; the evidence viewer opens in the page (zoom, pan, previous/next, side by side,
a PDF drawn in the page); what the desk sends a party is in the chat; the keyboard
shortcuts. Screenshots go to test-artifacts/screenshots/case-screen-*.png.
"""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from cases.models import Appeal, DeskMessage
from cases.services import chat_ingest
from evidence.services import evidence_add
from tests.browser.helpers import REFUSALS, person
from tests.browser.test_workspace import log_in, submit
from tests.factories import (
    ChatMessageDataFactory,
    OrderFactory,
    TraderFactory,
    appeal_in,
    open_appeal,
    pdf_bytes,
    png_bytes,
    propose,
    upload,
)

S = Appeal.Status
FIRST_SCREEN = {"width": 1440, "height": 900}
# Refusals this file provokes on purpose are checked on the page instead.
CONSOLE_EXPECTED = REFUSALS


# --- a typical case -----------------------------------------------------------------------

CHAT = [
    ("system", "Order created. 500 USDT in escrow."),
    ("buyer", "Hello, I will pay by Alipay now."),
    ("seller", "OK, use the account on the order page."),
    ("buyer", "Paid 3600 CNY, the receipt is attached."),
    ("system", "The buyer marked the order as paid."),
    ("seller", "I do not see the money yet."),
    ("buyer", "Please check again, it went out at 10:02."),
    ("seller", "Still nothing. Add me on Telegram and we sort it out."),
    ("buyer", "No, let's stay here. I will appeal."),
    ("seller", "Your payer name is different from your KYC name."),
    ("buyer", "It is my wife's account, same family."),
    ("system", "The buyer opened an appeal."),
]


def a_typical_case(worker: Any, *, messages: int = 0) -> dict[str, Any]:
    """An appeal in review with a demo-like thread (plus `messages` more, older), two
    vouchers of the buyer (a phone screenshot the latest), a PDF statement of the seller."""
    buyer = TraderFactory(display_name="lucky_buyer", kyc_name="Wang Fang")
    seller = TraderFactory(display_name="fast_seller", kyc_name="Ivan Petrov", language="en")
    appeal = appeal_in(S.IN_REVIEW, worker=worker, order=OrderFactory(buyer=buyer, seller=seller))
    start = timezone.now() - timedelta(hours=2)
    older = [
        ChatMessageDataFactory(
            sender=("buyer", "seller")[n % 2],
            text=f"earlier message {n}",
            sent_at=start - timedelta(minutes=messages - n),
        )
        for n in range(messages)
    ]
    chat_ingest(
        order=appeal.order,
        messages=older
        + [
            ChatMessageDataFactory(sender=sender, text=text, sent_at=start + timedelta(minutes=n))
            for n, (sender, text) in enumerate(CHAT)
        ],
    )
    first = evidence_add(
        appeal_id=appeal.pk,
        upload=upload(png_bytes(size=(400, 300), color="#446"), "first-try.png"),
        party="buyer",
        kind="payment_voucher",
        actor=None,
        payer_name="Li Na",
    )
    voucher = evidence_add(
        appeal_id=appeal.pk,
        upload=upload(png_bytes(size=(720, 1280), color="#1677ff"), "alipay-receipt.png"),
        party="buyer",
        kind="payment_voucher",
        actor=None,
        payer_name="Li Na",
    )
    statement = evidence_add(
        appeal_id=appeal.pk,
        upload=upload(pdf_bytes("Statement: no incoming 3600 CNY"), "statement.pdf"),
        party="seller",
        kind="bank_statement",
        actor=None,
    )
    return {"appeal": appeal, "first": first, "voucher": voucher, "statement": statement}


@pytest.fixture
def ana(db: Any) -> Any:
    return person("arbitrator", "ana")


def open_case(page: Page, base: str, appeal: Appeal) -> None:
    log_in(page, base, "ana", next_path=f"/cases/{appeal.pk}/")
    expect(page.locator("h1")).to_contain_text(f"#{appeal.pk}")


def box(locator) -> dict[str, float]:
    found = locator.bounding_box()
    assert found is not None, f"{locator} is not rendered"
    return found


def in_first_viewport(page: Page, locator, name: str) -> dict[str, float]:
    """Fully inside the window, with the page not scrolled."""
    expect(locator).to_be_visible()
    b = box(locator)
    size = page.viewport_size
    assert b["x"] >= 0 and b["y"] >= 0, (name, b)
    assert b["x"] + b["width"] <= size["width"] + 0.5, (name, b)
    assert b["y"] + b["height"] <= size["height"] + 0.5, (name, b)
    return b


def inside(inner: dict[str, float], outer: dict[str, float]) -> bool:
    return (
        inner["y"] >= outer["y"] - 0.5
        and inner["y"] + inner["height"] <= outer["y"] + outer["height"] + 0.5
    )


def overlap(a: dict[str, float], b: dict[str, float]) -> bool:
    return not (
        a["x"] + a["width"] <= b["x"] + 0.5
        or b["x"] + b["width"] <= a["x"] + 0.5
        or a["y"] + a["height"] <= b["y"] + 0.5
        or b["y"] + b["height"] <= a["y"] + 0.5
    )


def chat_messages(page: Page):
    return page.locator("[data-test=chat] [data-test=chat-message]")


def latest_voucher(page: Page, party: str):
    return page.locator(f"[data-test=voucher][data-party={party}]").first


# --- 1. one screen to decide --------------------------------------------------------------


def test_everything_needed_to_decide_is_on_the_first_screen(
    live_server, page: Page, screenshot, console_errors, ana
):
    case = a_typical_case(ana, messages=40)
    page.set_viewport_size(FIRST_SCREEN)
    open_case(page, live_server.url, case["appeal"])
    page.wait_for_load_state("load")

    assert page.evaluate("() => window.scrollY") == 0
    in_first_viewport(page, page.locator("#top h1"), "header")
    for party in ("buyer", "seller"):
        in_first_viewport(page, page.locator(f"[data-test=party-{party}]"), party)
    expect(page.locator("[data-test=party-buyer]")).to_contain_text("Wang Fang")
    expect(page.locator("[data-test=party-seller]")).to_contain_text("Ivan Petrov")

    # The chat opens on its latest message, in its own scroll area.
    messages = chat_messages(page)
    expect(messages).to_have_count(40 + len(CHAT))
    last = messages.last
    expect(last).to_contain_text("The buyer opened an appeal.")
    chat = in_first_viewport(page, page.locator("[data-test=chat]"), "chat")
    assert inside(in_first_viewport(page, last, "last message"), chat)
    assert not inside(box(messages.first), chat)  # the oldest is scrolled away

    # Both parties' latest vouchers side by side, readable, next to the chat.
    buyer = in_first_viewport(page, latest_voucher(page, "buyer"), "buyer voucher")
    seller = in_first_viewport(page, latest_voucher(page, "seller"), "seller voucher")
    assert latest_voucher(page, "buyer").get_attribute("id") == f"ev-{case['voucher'].pk}"
    assert buyer["width"] >= 160 and seller["width"] >= 160, (buyer, seller)
    assert abs(buyer["y"] - seller["y"]) < 2 and buyer["x"] < seller["x"]
    assert buyer["x"] > chat["x"] + chat["width"]  # beside the chat, not under it
    image = latest_voucher(page, "buyer").locator("img")
    assert box(image)["width"] >= 160
    # The seller's PDF statement shows its first page, drawn in the page.
    preview = latest_voucher(page, "seller").locator("a.thumb.pdf canvas")
    expect(preview).to_have_count(1)
    assert box(preview)["width"] >= 160

    # The most used actions without scrolling the page.
    in_first_viewport(
        page, page.locator("[data-test=verdict-form] button[type=submit]"), "verdict submit"
    )
    in_first_viewport(page, page.get_by_role("button", name="Add note"), "add note")
    in_first_viewport(page, page.locator("details[data-shortcut=e] > summary"), "evidence request")
    screenshot(page, "case-screen-1440")
    # The timeline, audit and SLA detail are below the fold.
    assert box(page.locator("#timeline"))["y"] >= FIRST_SCREEN["height"]
    assert console_errors == []


def test_at_1024_the_columns_stack_without_overlapping(
    live_server, page: Page, screenshot, console_errors, ana
):
    case = a_typical_case(ana)
    page.set_viewport_size({"width": 1024, "height": 768})
    open_case(page, live_server.url, case["appeal"])

    columns = [box(page.locator(sel)) for sel in (".work-chat", ".work-evidence", ".work-actions")]
    for n, a in enumerate(columns):
        for b in columns[n + 1 :]:
            assert not overlap(a, b), (a, b)
    header = box(page.locator("#top"))
    assert all(c["y"] >= header["y"] + header["height"] for c in columns)
    # No horizontal scrolling.
    assert page.evaluate("() => document.documentElement.scrollWidth") <= 1024
    expect(page.locator("[data-test=verdict-form]")).to_be_visible()
    screenshot(page, "case-screen-1024")
    assert box(latest_voucher(page, "buyer"))["width"] >= 160
    assert console_errors == []


# --- 2. the evidence viewer ---------------------------------------------------------------


def test_the_viewer_opens_in_the_page_zooms_steps_and_draws_a_pdf(
    live_server, page: Page, screenshot, console_errors, ana
):
    case = a_typical_case(ana)
    open_case(page, live_server.url, case["appeal"])
    navigations: list[str] = []
    page.on(
        "framenavigated",
        lambda frame: navigations.append(frame.url) if frame == page.main_frame else None,
    )
    viewer = page.locator("[data-test=evidence-viewer]")
    expect(viewer).to_be_hidden()

    latest_voucher(page, "buyer").locator("a.thumb").click()
    expect(viewer).to_be_visible()
    expect(viewer.locator("#viewer-title")).to_contain_text(f"#{case['voucher'].pk}")
    # The side panel: the full sha256, uploader, time, payer name.
    expect(viewer.locator("[data-field=sha256]")).to_have_text(case["voucher"].sha256)
    expect(viewer.locator("[data-field=payer_name]")).to_have_text("Li Na")
    expect(viewer.locator("[data-field=uploader]")).to_have_text("system")
    expect(viewer.locator(".viewer-mismatch")).to_be_visible()  # Li Na is not Wang Fang
    stage = viewer.locator(".viewer-pane[data-pane='0'] .viewer-stage")
    page.wait_for_function(
        "() => document.querySelector('.viewer-pane .viewer-content img')?.naturalWidth === 720"
    )
    image = box(viewer.locator(".viewer-pane[data-pane='0'] img"))
    assert image["height"] > 500  # large: most of the window's height
    screenshot(page, "case-screen-viewer")

    # Zoom: buttons, the keyboard, the wheel; the image grows.
    viewer.get_by_role("button", name="Zoom in (+)").click()
    assert float(stage.get_attribute("data-scale")) > 1
    assert box(viewer.locator(".viewer-pane[data-pane='0'] img"))["width"] > image["width"]
    page.keyboard.press("+")
    zoomed = float(stage.get_attribute("data-scale"))
    stage.hover()
    page.mouse.wheel(0, 300)
    assert float(stage.get_attribute("data-scale")) < zoomed
    # Pan: drag moves it.
    before = box(viewer.locator(".viewer-pane[data-pane='0'] img"))
    center = box(stage)
    page.mouse.move(center["x"] + 200, center["y"] + 200)
    page.mouse.down()
    page.mouse.move(center["x"] + 260, center["y"] + 150, steps=4)
    page.mouse.up()
    after = box(viewer.locator(".viewer-pane[data-pane='0'] img"))
    assert after["x"] - before["x"] > 50 and before["y"] - after["y"] > 40
    page.keyboard.press("0")
    assert stage.get_attribute("data-scale") == "1.00"

    # Next: through all the case's evidence, in upload order: the seller's PDF, drawn here.
    page.keyboard.press("ArrowRight")
    expect(viewer.locator("#viewer-title")).to_contain_text(f"#{case['statement'].pk}")
    expect(viewer.locator("[data-field=sha256]")).to_have_text(case["statement"].sha256)
    rendered = viewer.locator(".viewer-pane[data-pane='0'] .viewer-content[data-rendered]")
    expect(rendered).to_have_count(1, timeout=20_000)
    canvas = viewer.locator(".viewer-pane[data-pane='0'] canvas").first
    assert box(canvas)["width"] > 300
    inked = canvas.evaluate(
        """(c) => { const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
                    let dark = 0; for (let i = 0; i < d.length; i += 4) if (d[i] < 128) dark++;
                    return dark; }"""
    )
    assert inked > 50, "the PDF's text was drawn"
    screenshot(page, "case-screen-viewer-pdf")
    viewer.get_by_role("button", name="Next evidence (→)").click()
    expect(viewer.locator("#viewer-title")).to_contain_text(f"#{case['first'].pk}")  # wraps
    viewer.get_by_role("button", name="Previous evidence (←)").click()
    expect(viewer.locator("#viewer-title")).to_contain_text(f"#{case['statement'].pk}")

    # Side by side: a buyer's and a seller's evidence together.
    viewer.get_by_role("button", name="Side by side").click()
    panes = viewer.locator(".viewer-pane:visible")
    expect(panes).to_have_count(2)
    left, right = box(panes.nth(0)), box(panes.nth(1))
    assert left["x"] + left["width"] <= right["x"] + 1 and left["width"] > 300
    picked = {
        viewer.locator("#viewer-pick-0").input_value(),
        viewer.locator("#viewer-pick-1").input_value(),
    }
    assert picked == {str(case["statement"].pk), str(case["voucher"].pk)}
    page.wait_for_function(
        "() => document.querySelector('[data-pane=\"1\"] .viewer-content img')?.complete"
    )
    expect(viewer.locator("[data-pane='0'] .viewer-content[data-rendered]")).to_have_count(1)
    screenshot(page, "case-screen-viewer-side-by-side")

    page.keyboard.press("Escape")
    expect(viewer).to_be_hidden()
    # The focus is back on the voucher that opened it; no page load happened at all.
    assert page.evaluate("() => document.activeElement.closest('[data-test=voucher]')?.id") == (
        f"ev-{case['voucher'].pk}"
    )
    assert navigations == []
    assert console_errors == []


def test_the_header_button_opens_both_parties_side_by_side(
    live_server, page: Page, console_errors, ana
):
    case = a_typical_case(ana)
    open_case(page, live_server.url, case["appeal"])

    page.locator("#evidence").get_by_role("button", name="Side by side").click()

    viewer = page.locator("[data-test=evidence-viewer]")
    expect(viewer.locator(".viewer-pane:visible")).to_have_count(2)
    assert viewer.locator("#viewer-pick-0").input_value() == str(case["voucher"].pk)
    assert viewer.locator("#viewer-pick-1").input_value() == str(case["statement"].pk)
    viewer.get_by_role("button", name="Close the viewer (Esc)").click()
    expect(viewer).to_be_hidden()
    assert console_errors == []


# --- 3. the desk's messages in the thread -------------------------------------------------


def test_a_message_to_a_party_appears_in_the_chat_as_the_desks(
    live_server, page: Page, screenshot, console_errors, ana
):
    case = a_typical_case(ana)
    appeal = case["appeal"]
    open_case(page, live_server.url, appeal)

    page.locator("#replies summary").click()
    page.locator("#id_message_party").select_option("seller")
    page.locator("#id_message_text").fill("Please upload today's bank statement.")
    submit(page, page.locator("#replies").get_by_role("button", name="Send"))

    staff = page.locator("[data-test=chat-message][data-sender=staff]")
    expect(staff).to_have_count(1)
    expect(staff).to_have_attribute("data-to", "seller")
    expect(staff).to_contain_text("Please upload today's bank statement.")
    expect(staff).to_contain_text("Desk to the seller")
    # In time order: the newest line of the thread, in view.
    expect(chat_messages(page).last).to_have_attribute("data-sender", "staff")
    assert inside(box(staff), box(page.locator("[data-test=chat]")))
    senders = set(
        page.locator("[data-test=chat-message]").evaluate_all(
            "(ms) => ms.map((m) => m.dataset.sender)"
        )
    )
    assert senders == {"buyer", "seller", "system", "staff"}
    assert DeskMessage.objects.filter(appeal=appeal, party="seller").count() == 1
    screenshot(page, "case-screen-desk-message")
    assert console_errors == []


# --- 4. the keyboard ----------------------------------------------------------------------


def test_the_keyboard_shortcuts_of_the_case_page(
    live_server, page: Page, screenshot, console_errors, ana
):
    case = a_typical_case(ana)
    open_case(page, live_server.url, case["appeal"])
    help_ = page.locator("[data-test=shortcuts]")
    expect(help_).to_be_hidden()

    page.locator("body").press("?")
    expect(help_).to_be_visible()
    expect(help_).to_contain_text("Next / previous chat message")
    screenshot(page, "case-screen-shortcuts")
    page.keyboard.press("Escape")
    expect(help_).to_be_hidden()

    # j / k: the focus moves between messages, from the latest.
    focused = "() => document.activeElement.closest('[data-test=chat-message]')?.id"
    ids = chat_messages(page).evaluate_all("(ms) => ms.map((m) => m.id)")
    page.keyboard.press("k")
    assert page.evaluate(focused) == ids[-1]
    page.keyboard.press("k")
    page.keyboard.press("k")
    assert page.evaluate(focused) == ids[-3]
    expect(page.locator(f"#{ids[-3]}")).to_have_class(re.compile(r"\bis-current\b"))
    page.keyboard.press("j")
    assert page.evaluate(focused) == ids[-2]
    assert inside(box(page.locator(f"#{ids[-2]}")), box(page.locator("[data-test=chat]")))

    # v: the verdict form; e: the evidence request. Typing in a field is just typing.
    page.keyboard.press("v")
    assert page.evaluate("() => !!document.activeElement.closest('[data-test=verdict-form]')")
    page.keyboard.press("e")  # in a field: nothing
    assert page.evaluate("() => !!document.activeElement.closest('[data-test=verdict-form]')")
    page.locator("#top h1").click()
    page.keyboard.press("e")
    assert page.evaluate("() => document.activeElement.id") == "id_request_party"
    page.locator("#id_note_text").click()
    page.keyboard.type("jk?v")
    expect(page.locator("#id_note_text")).to_have_value("jk?v")
    expect(help_).to_be_hidden()
    assert page.evaluate(focused) is None
    assert console_errors == []


def test_the_rules_that_do_not_fit_the_outcome_are_greyed_out(
    live_server, page: Page, console_errors, ana
):
    case = a_typical_case(ana)
    open_case(page, live_server.url, case["appeal"])
    form = page.locator("[data-test=verdict-form]")
    rule = form.locator("[name=rule]")

    form.locator("[name=outcome]").select_option("return_to_seller")
    assert rule.locator("option[value='P2P-1.1']").is_disabled()  # releases to the buyer
    assert rule.locator("option[value='P2P-2.1']").is_enabled()
    form.locator("[name=outcome]").select_option("release_to_buyer")
    form.locator("[name=responsible_party]").select_option("buyer")
    assert rule.locator("option[value='P2P-1.1']").is_disabled()  # blames the seller
    assert rule.locator("option[value='P2P-6.2']").is_enabled()  # any outcome
    assert console_errors == []


def test_a_shortcut_with_nothing_to_open_says_why(live_server, page: Page, console_errors, ana):
    unclaimed = open_appeal()
    open_case(page, live_server.url, unclaimed)
    hint = page.locator("[data-test=shortcut-hint]")
    expect(hint).to_be_hidden()

    page.locator("#top h1").click()
    page.keyboard.press("e")

    expect(hint).to_be_visible()
    expect(hint).to_contain_text("claim the case first")
    assert page.evaluate("() => document.activeElement.id") != "id_request_party"
    expect(hint).to_be_hidden(timeout=8_000)
    assert console_errors == []


def test_n_claims_the_next_case_from_a_case_and_from_the_queue(
    live_server, page: Page, console_errors, ana
):
    case = a_typical_case(ana)
    waiting = open_appeal(order=OrderFactory(created_at=timezone.now() - timedelta(hours=3)))
    another = open_appeal()
    open_case(page, live_server.url, case["appeal"])

    with page.expect_navigation():
        page.keyboard.press("n")
    page.wait_for_url(re.compile(r"/cases/\d+/$"))
    claimed = {waiting.pk, another.pk}
    first = int(page.url.rstrip("/").rsplit("/", 1)[1])
    assert first in claimed
    assert Appeal.objects.get(pk=first).assignee == ana

    page.goto(live_server.url + "/")
    with page.expect_navigation():
        page.keyboard.press("n")
    page.wait_for_url(re.compile(r"/cases/\d+/$"))
    second = int(page.url.rstrip("/").rsplit("/", 1)[1])
    assert {first, second} == claimed
    assert console_errors == []


def test_every_verdict_explanation_is_in_the_thread(live_server, page: Page, console_errors, ana):
    case = a_typical_case(ana)
    appeal = case["appeal"]
    propose(appeal, ana)  # below four-eyes: it takes effect at once
    open_case(page, live_server.url, appeal)

    staff = page.locator("[data-test=chat-message][data-sender=staff]")
    expect(staff).to_have_count(2)
    assert staff.evaluate_all("(ms) => ms.map((m) => m.dataset.to)") == ["buyer", "seller"]
    expect(staff.nth(1)).to_contain_text("Verdict explanation")
    assert console_errors == []


def test_the_chinese_ui_keeps_everything_on_the_first_screen(
    live_server, page: Page, screenshot, console_errors, ana
):
    from cases.models import StaffProfile

    StaffProfile.objects.update_or_create(user=ana, defaults={"language": "zh-hans"})
    case = a_typical_case(ana, messages=10)
    open_case(page, live_server.url, case["appeal"])
    expect(page.locator("html")).to_have_attribute("lang", "zh-hans")

    expect(page.locator("#evidence").get_by_role("button", name="并排对比")).to_be_visible()
    in_first_viewport(page, chat_messages(page).last, "last message")
    for party in ("buyer", "seller"):
        assert in_first_viewport(page, latest_voucher(page, party), party)["width"] >= 160
    in_first_viewport(
        page, page.locator("[data-test=verdict-form] button[type=submit]"), "verdict submit"
    )
    in_first_viewport(page, page.locator("#notes button[type=submit]"), "add note")
    page.locator("body").press("?")
    expect(page.locator("[data-test=shortcuts] h2")).to_have_text("键盘快捷键")
    page.keyboard.press("Escape")
    latest_voucher(page, "buyer").locator("a.thumb").click()
    viewer = page.locator("[data-test=evidence-viewer]")
    expect(viewer.locator("[data-field=party_label]")).to_have_text("买方")
    screenshot(page, "case-screen-zh-viewer")
    page.keyboard.press("Escape")
    screenshot(page, "case-screen-zh-1440")
    assert console_errors == []


def test_every_control_of_the_case_page_has_an_accessible_name(
    live_server, page: Page, console_errors, ana
):
    case = a_typical_case(ana)
    open_case(page, live_server.url, case["appeal"])
    page.evaluate(
        "() => document.querySelectorAll('#case details').forEach((d) => { d.open = true; })"
    )

    controls = page.locator(
        "#case :is(button, a[href], input:not([type=hidden]), select, textarea, summary,"
        " [tabindex='0'])"
    )
    nameless, checked = [], 0
    for n in range(controls.count()):
        control = controls.nth(n)
        if not control.is_visible():  # e.g. the days of a restriction not chosen
            continue
        checked += 1
        try:
            expect(control).to_have_accessible_name(re.compile(r"\S"), timeout=200)
        except AssertionError:
            nameless.append(control.evaluate("(e) => e.outerHTML.slice(0, 160)"))
    assert nameless == []
    assert checked > 40, checked
    # Each dialog is named by its heading.
    for dialog in ("evidence-viewer", "shortcuts"):
        labelled = page.locator(f"[data-test={dialog}]").get_attribute("aria-labelledby")
        assert page.locator(f"#{labelled}").count() == 1
    assert console_errors == []
