"""The arbitrator's workspace in a real Chromium: signing in, the queue (filters, search,
"claim next"), the case page (chat, vouchers) and every action an arbitrator takes on it
(request evidence, note, escalate, verdict with its confirmation step), the four-eyes
approval by a second person and a refused self-approval, two people on one case at once,
and the Chinese UI.

Each test arranges its own data through the factories and services, signs in through the
login form as real users with known passwords, and checks both what the page shows and
what the database holds afterwards. Screenshots go to
test-artifacts/screenshots/workspace-*.png.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Generator
from datetime import timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings
from django.utils import timezone, translation
from django.utils.translation import gettext
from playwright.sync_api import Browser, Page, expect

from cases import lifecycle
from cases.models import (
    AccountAction,
    Appeal,
    AuditEntry,
    Note,
    OutboxEvent,
    StaffProfile,
    Verdict,
)
from cases.services import chat_ingest
from evidence.services import evidence_add
from tests.browser.helpers import PASSWORD, REFUSALS, person, watch_console
from tests.factories import (
    ChatMessageDataFactory,
    OrderFactory,
    TraderFactory,
    appeal_in,
    open_appeal,
    pdf_bytes,
    png_bytes,
    upload,
)

S = Appeal.Status
VIEWPORT = {"width": 1440, "height": 900}  # as tests/browser/conftest.py


# --- people and pages ---------------------------------------------------------------------


# Chromium logs every 4xx/5xx answer to a navigation as a console error; the refusals
# this file provokes on purpose are checked on the page and in the database instead.
CONSOLE_EXPECTED = REFUSALS


@pytest.fixture
def new_page(
    browser: Browser, request: pytest.FixtureRequest, console_errors: list[str], screenshot
) -> Generator[Callable[[], Page]]:
    """A second (third, ...) person at another computer: a page in a fresh context."""
    contexts = []

    def make() -> Page:
        context = browser.new_context(viewport=VIEWPORT, locale="en-US")
        context.set_default_timeout(15_000)
        contexts.append(context)
        other = context.new_page()
        watch_console(other, console_errors, CONSOLE_EXPECTED)
        return other

    yield make
    report = getattr(request.node, "_browser_report_call", None)
    for n, context in enumerate(contexts, start=2):
        if report is not None and report.failed:
            try:
                screenshot(context.pages[0], f"FAILED-{request.node.nodeid}-user{n}")
            except Exception:
                pass
        context.close()


def log_in(page: Page, base: str, username: str, *, next_path: str = "") -> None:
    page.goto(f"{base}/accounts/login/" + (f"?next={next_path}" if next_path else ""))
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    with page.expect_navigation():
        page.get_by_role("button", name="Log in").click()


def open_case(page: Page, base: str, appeal: Appeal) -> None:
    page.goto(f"{base}/cases/{appeal.pk}/")
    expect(page.locator("h1")).to_contain_text(f"#{appeal.pk}")


def status_badge(page: Page):
    return page.locator("[data-test=case-status]")


def assignee_cell(page: Page):
    return page.locator("[data-test=case-assignee]")


def flash(page: Page):
    return page.locator("ul.messages li")


def queue_rows(page: Page):
    return page.locator("#queue-results tbody tr[data-href]")


def open_action(page: Page, summary: str) -> None:
    """Open a <details> action of the case page by its summary (unless it is open)."""
    details = page.locator("details.action", has=page.locator("summary", has_text=summary))
    if details.get_attribute("open") is None:
        details.locator("summary").click()
    expect(details.locator("form")).to_be_visible()


def submit(page: Page, button) -> Any:
    """Click a submit button and wait for the page it leads to; returns the response."""
    with page.expect_navigation() as nav:
        button.click()
    return nav.value


def forge_post(page: Page, action: str) -> Any:
    """Submit a form the page does not offer: a POST to `action` carrying only the page's
    CSRF token, as a user crafting the request by hand would. Returns the response."""
    with page.expect_navigation() as nav:
        page.evaluate(
            """(action) => {
                const form = document.createElement('form');
                form.method = 'post';
                form.action = action;
                form.appendChild(
                    document.querySelector('input[name=csrfmiddlewaretoken]').cloneNode());
                document.body.appendChild(form);
                form.submit();
            }""",
            action,
        )
    return nav.value


def desk_rows() -> dict[str, list]:
    """Every row the desk's actions could write, to show a refused action wrote nothing."""
    from evidence.models import Evidence

    return {
        model.__name__: list(model.objects.order_by("pk").values())
        for model in (Appeal, Verdict, Note, OutboxEvent, AuditEntry, AccountAction, Evidence)
    }


def cjk(text: str) -> bool:
    return re.search(r"[\u4e00-\u9fff]", text) is not None


# --- 1. signing in ------------------------------------------------------------------------


def test_login_lands_on_the_queue_and_a_wrong_password_is_refused(
    live_server, page: Page, screenshot, console_errors
):
    person("arbitrator", "ana")
    mine = open_appeal()

    page.goto(live_server.url + "/")
    assert page.url.startswith(f"{live_server.url}/accounts/login/"), "anonymous -> login"

    page.get_by_label("Username").fill("ana")
    page.get_by_label("Password").fill("not-the-password")
    submit(page, page.get_by_role("button", name="Log in"))
    alert = page.get_by_role("alert")
    expect(alert).to_contain_text("Please enter a correct username and password")
    assert "/accounts/login/" in page.url
    expect(page.locator("details.usermenu")).to_have_count(0)  # not signed in
    screenshot(page, "workspace-login-refused")

    page.get_by_label("Username").fill("ana")
    page.get_by_label("Password").fill(PASSWORD)
    submit(page, page.get_by_role("button", name="Log in"))

    assert page.url == f"{live_server.url}/"
    expect(page.locator("h1")).to_have_text("Queue")
    expect(page.locator("details.usermenu summary")).to_have_text("ana")
    expect(page.get_by_role("button", name="Claim next")).to_be_visible()
    expect(queue_rows(page)).to_have_count(1)
    expect(queue_rows(page).first).to_contain_text(mine.order.external_id)
    screenshot(page, "workspace-queue")
    # The session is real: a case page opens without another log-in.
    open_case(page, live_server.url, mine)
    assert console_errors == []


# --- 2. filters and search ----------------------------------------------------------------


def test_queue_filter_narrows_the_rows_and_search_finds_one_appeal(
    live_server, page: Page, screenshot, console_errors
):
    person("arbitrator", "ana")
    seller = TraderFactory(external_id="T-SELLER-7")
    for _ in range(2):
        open_appeal()  # crypto not released
    not_received = open_appeal(
        reason=Appeal.Reason.PAYMENT_NOT_RECEIVED,
        opened_by="seller",
        order=OrderFactory(seller=seller),
    )
    chargeback = open_appeal(reason=Appeal.Reason.CHARGEBACK)
    closed = appeal_in(S.RESOLVED)  # not in the default queue; a search still finds it
    before = desk_rows()

    log_in(page, live_server.url, "ana")
    expect(queue_rows(page)).to_have_count(4)

    with page.expect_response(lambda r: "reason=payment_not_received" in r.url):
        page.get_by_label("Reason").select_option("payment_not_received")
    expect(queue_rows(page)).to_have_count(1)
    expect(queue_rows(page).first).to_contain_text(not_received.order.external_id)
    expect(queue_rows(page).first).to_contain_text("Payment not received")
    assert "reason=payment_not_received" in page.url  # the filter is in the address
    screenshot(page, "workspace-queue-filtered")

    with page.expect_response(lambda r: "reason=chargeback" in r.url):
        page.get_by_label("Reason").select_option("chargeback")
    expect(queue_rows(page)).to_have_count(1)
    expect(queue_rows(page).first).to_contain_text(chargeback.order.external_id)

    # Reload from the pushed URL: the server applies the same filter without htmx.
    page.reload()
    expect(page.get_by_label("Reason")).to_have_value("chargeback")
    expect(queue_rows(page)).to_have_count(1)

    page.get_by_role("link", name="Reset", exact=True).click()
    page.wait_for_url(f"{live_server.url}/")
    expect(queue_rows(page)).to_have_count(4)

    # Search by order number: exactly that appeal, even though it is resolved.
    search = page.get_by_role("searchbox", name="Search")
    search.fill(closed.order.external_id)
    with page.expect_response(lambda r: "q=" in r.url):
        search.press("Enter")
    expect(queue_rows(page)).to_have_count(1)
    row = queue_rows(page).first
    expect(row).to_contain_text(closed.order.external_id)
    expect(row).to_contain_text(f"#{closed.pk}")
    expect(row.locator(".badge-resolved")).to_have_text("Resolved")
    screenshot(page, "workspace-queue-search")

    # By trader id: the seller's one appeal; by an unknown id: nothing, said plainly.
    search.fill("T-SELLER-7")
    with page.expect_response(lambda r: "q=T-SELLER-7" in r.url):
        search.press("Enter")
    expect(queue_rows(page)).to_have_count(1)
    expect(queue_rows(page).first).to_contain_text(not_received.order.external_id)
    search.fill("ORD-NOPE")
    with page.expect_response(lambda r: "q=ORD-NOPE" in r.url):
        search.press("Enter")
    expect(queue_rows(page)).to_have_count(0)
    expect(page.locator("#queue-results")).to_contain_text("No appeal matches “ORD-NOPE”")

    # Reading the queue changed nothing.
    assert desk_rows() == before
    assert console_errors == []


# --- 3. claim next ------------------------------------------------------------------------


def test_claim_next_takes_the_most_urgent_unassigned_appeal(
    live_server, page: Page, screenshot, console_errors
):
    ana = person("arbitrator", "ana")
    now = timezone.now()
    # Due first, but normal priority.
    oldest = open_appeal(
        order=OrderFactory(created_at=now - timedelta(hours=41)), at=now - timedelta(hours=40)
    )
    # Urgent, and due before the other urgent one: the one to take.
    urgent = open_appeal(
        reason=Appeal.Reason.FRAUD_SCAM,
        order=OrderFactory(created_at=now - timedelta(hours=3)),
        at=now - timedelta(hours=2),
    )
    later_urgent = open_appeal(reason=Appeal.Reason.ACCOUNT_COMPROMISED, at=now)
    # More urgent still, but somebody already has it.
    taken = appeal_in(S.IN_REVIEW, reason=Appeal.Reason.FRAUD_SCAM)

    log_in(page, live_server.url, "ana")
    submit(page, page.get_by_role("button", name="Claim next"))

    assert page.url == f"{live_server.url}/cases/{urgent.pk}/"
    expect(flash(page)).to_contain_text(
        f"You claimed appeal #{urgent.pk} (order {urgent.order.external_id})."
    )
    expect(page.locator("h1")).to_contain_text(f"#{urgent.pk}")
    expect(status_badge(page)).to_have_text("In review")
    expect(assignee_cell(page)).to_have_text("ana")
    screenshot(page, "workspace-claim-next")

    urgent.refresh_from_db()
    assert urgent.assignee_id == ana.pk
    assert urgent.status == S.IN_REVIEW
    for other in (oldest, later_urgent):
        other.refresh_from_db()
        assert (other.status, other.assignee_id) == (S.OPEN, None)
    taken_before = taken.assignee_id
    taken.refresh_from_db()
    assert taken.assignee_id == taken_before

    # The queue now marks it as ana's.
    page.goto(live_server.url + "/?assignee=me")
    expect(queue_rows(page)).to_have_count(1)
    expect(queue_rows(page).first.locator(".col-assignee")).to_have_text("you")
    assert console_errors == []


# --- 4. the case page: chat and vouchers --------------------------------------------------

HOSTILE = '<script>window.__pwned = true</script><img src=x onerror="window.__pwned = 1">'


def test_a_case_shows_the_chat_and_both_parties_vouchers(
    live_server, page: Page, screenshot, console_errors
):
    person("arbitrator", "ana")
    appeal = open_appeal()
    order = appeal.order
    start = timezone.now() - timedelta(minutes=30)
    lines = [
        ("buyer", "I paid 3600 CNY by Alipay, the receipt is attached."),
        ("seller", "Nothing arrived. Add me on Telegram and we sort it out."),
        ("buyer", HOSTILE),
        ("system", "The buyer opened an appeal."),
    ]
    # Sent in order, but handed to the service newest first: the page sorts by time.
    chat_ingest(
        order=order,
        messages=reversed(
            [
                ChatMessageDataFactory(
                    sender=sender, text=text, sent_at=start + timedelta(minutes=n)
                )
                for n, (sender, text) in enumerate(lines)
            ]
        ),
    )
    voucher = evidence_add(
        appeal_id=appeal.pk,
        upload=upload(png_bytes(size=(320, 200)), "alipay-receipt.png"),
        party="buyer",
        kind="payment_voucher",
        actor=None,
        payer_name=order.buyer.kyc_name,
    )
    statement = evidence_add(
        appeal_id=appeal.pk,
        upload=upload(pdf_bytes("Statement: no incoming 3600 CNY"), "statement.pdf"),
        party="seller",
        kind="bank_statement",
        actor=None,
    )

    log_in(page, live_server.url, "ana")
    page.locator(f"a.case-link[href='/cases/{appeal.pk}/']").click()
    page.wait_for_url(f"{live_server.url}/cases/{appeal.pk}/")

    # The chat, in time order, with who said it.
    chat = page.locator("#chat-log li.chat-msg")
    expect(chat).to_have_count(4)
    assert chat.locator(".chat-who").all_inner_texts() == ["Buyer", "Seller", "Buyer", "System"]
    assert [t.strip() for t in chat.locator(".chat-text").all_inner_texts()] == [
        text for _sender, text in lines
    ]
    # Hostile text is text: no element was made of it and nothing ran.
    expect(chat.nth(2).locator(".chat-text")).to_have_text(HOSTILE)
    assert page.locator("#chat-log script, #chat-log img").count() == 0
    assert page.evaluate("() => window.__pwned") is None
    # The watchlist word is marked and the message flagged.
    # The watchlist keyword sits inside the messenger invitation, marked as one.
    expect(chat.nth(1).locator("mark.watch")).to_have_text("Add me on Telegram")
    expect(chat.nth(1)).to_have_class(re.compile(r"\bflagged\b"))
    assert page.locator("#chat-log mark.watch").count() == 1
    screenshot(page, "workspace-case-chat")

    # Both parties' vouchers, side by side.
    columns = page.locator("#evidence .voucher-col")
    expect(columns).to_have_count(2)
    expect(columns.nth(0).locator("h3")).to_contain_text("Buyer")
    expect(columns.nth(1).locator("h3")).to_contain_text("Seller")
    image = columns.nth(0).locator(f"#ev-{voucher.pk} img")
    image.scroll_into_view_if_needed()  # loading="lazy"
    page.wait_for_function(
        "(img) => img.complete && img.naturalWidth > 0", arg=image.element_handle()
    )
    assert image.evaluate("(img) => [img.naturalWidth, img.naturalHeight]") == [320, 200]
    expect(columns.nth(0)).to_contain_text(voucher.sha256[:12])
    expect(columns.nth(0)).to_contain_text(order.buyer.kyc_name)

    pdf = columns.nth(1).locator(f"#ev-{statement.pk} a.thumb.pdf")
    expect(pdf).to_have_text("PDF")
    href = pdf.get_attribute("href")
    assert href == f"/cases/{appeal.pk}/evidence/{statement.pk}/file"
    response = page.request.get(live_server.url + href)
    assert response.status == 200
    assert response.headers["content-type"] == "application/pdf"
    assert response.body().startswith(b"%PDF")
    expect(columns.nth(1)).to_contain_text(statement.sha256[:12])
    page.locator("#evidence").scroll_into_view_if_needed()
    screenshot(page, "workspace-case-evidence")
    assert console_errors == []


# --- 5-8. the arbitrator's actions --------------------------------------------------------


def test_request_evidence_from_a_party(live_server, page: Page, screenshot, console_errors):
    ana = person("arbitrator", "ana")
    appeal = appeal_in(S.IN_REVIEW, worker=ana)
    zone = ZoneInfo(settings.OPERATIONS_TIME_ZONE)  # ana has no profile: the default zone
    due = timezone.localtime(timezone.now() + timedelta(days=2), zone).replace(
        second=0, microsecond=0
    )
    what = "Please upload the bank statement of the receiving account for the order's day."

    log_in(page, live_server.url, "ana", next_path=f"/cases/{appeal.pk}/")
    # The verdict form opens by itself on one's own case; fold it to see the request.
    page.locator("details.action-verdict summary").click()
    open_action(page, "Request evidence from a party")
    page.locator("#id_request_party").select_option("seller")
    page.locator("#id_request_text").fill(what)
    page.locator("#id_request_due_at").fill(due.strftime("%Y-%m-%dT%H:%M"))
    screenshot(page, "workspace-request-evidence")
    submit(page, page.get_by_role("button", name="Send the request"))

    expect(flash(page)).to_contain_text(
        f"Evidence requested from the seller, due {due.strftime('%Y-%m-%d %H:%M')}."
    )
    expect(status_badge(page)).to_have_text("Awaiting evidence")
    expect(page.locator(".case-facts")).to_contain_text("Evidence due from the seller")
    screenshot(page, "workspace-awaiting-evidence")

    appeal.refresh_from_db()
    assert appeal.status == S.AWAITING_EVIDENCE
    assert appeal.evidence_requested_from == "seller"
    assert appeal.evidence_due_at == due
    assert appeal.assignee_id == ana.pk
    messages = list(OutboxEvent.objects.filter(appeal=appeal, type="party.message"))
    assert len(messages) == 1
    assert messages[0].data["party"] == "seller"
    assert messages[0].data["text"] == what
    assert console_errors == []


def test_add_an_internal_note(live_server, page: Page, screenshot, console_errors):
    ana = person("arbitrator", "ana")
    appeal = appeal_in(S.IN_REVIEW, worker=ana)
    text = "Receipt font looks <b>edited</b>; compare with the bank's PDF."

    log_in(page, live_server.url, "ana", next_path=f"/cases/{appeal.pk}/")
    notes = page.locator("#notes ol.notes li")
    expect(notes).to_have_text(["No notes yet."])
    page.locator("#id_note_text").fill(text)
    submit(page, page.get_by_role("button", name="Add note"))

    assert page.url.endswith(f"/cases/{appeal.pk}/#notes")
    expect(flash(page)).to_have_text("Note added.")
    expect(notes).to_have_count(1)
    expect(notes.first.locator(".prewrap")).to_have_text(text)  # escaped, not bold
    expect(notes.first).to_contain_text("ana")
    assert page.locator("#notes b").count() == 0
    expect(page.locator("#notes h2 .count")).to_have_text("1")
    page.locator("#notes").scroll_into_view_if_needed()
    screenshot(page, "workspace-note")

    rows = list(Note.objects.filter(appeal=appeal))
    assert [(n.author_id, n.text) for n in rows] == [(ana.pk, text)]
    appeal.refresh_from_db()
    assert appeal.status == S.IN_REVIEW  # a note changes nothing else
    assert console_errors == []


def test_escalate_with_a_reason(live_server, page: Page, screenshot, console_errors):
    ana = person("arbitrator", "ana")
    appeal = appeal_in(S.IN_REVIEW, worker=ana)
    reason = "Seller's account shares a device with two frozen accounts."

    log_in(page, live_server.url, "ana", next_path=f"/cases/{appeal.pk}/")
    expect(assignee_cell(page)).to_have_text("ana")
    open_action(page, "Escalate to a senior")
    page.locator("#id_escalate_reason").fill(reason)
    submit(page, page.get_by_role("button", name="Escalate", exact=True))

    expect(flash(page)).to_have_text("Escalated to the senior queue.")
    expect(status_badge(page)).to_have_text("Escalated")
    expect(assignee_cell(page)).to_have_text("unassigned")
    expect(page.locator(".case-flag.escalated")).to_contain_text(reason)
    # An arbitrator cannot decide an escalated case: the verdict form is gone.
    expect(page.locator("#id_verdict_outcome")).to_have_count(0)
    screenshot(page, "workspace-escalated")

    appeal.refresh_from_db()
    assert appeal.status == S.ESCALATED
    assert appeal.assignee_id is None
    assert appeal.escalation_reason == reason
    assert console_errors == []


def fill_verdict(page: Page, rationale: str) -> None:
    page.locator("#id_verdict_outcome").select_option("release_to_buyer")
    page.locator("#id_verdict_responsible_party").select_option("seller")
    page.locator("#id_verdict_rule").select_option("P2P-1.1")
    page.locator("#id_verdict_rationale").fill(rationale)


def verdict_dialog(page: Page):
    """The verdict form's in-page confirmation (issue 11): opened by "Review and confirm…"."""
    page.get_by_role("button", name="Review and confirm…").click()
    dialog = page.locator("[data-test=verdict-dialog]")
    expect(dialog).to_be_visible()
    return dialog


def test_issue_a_verdict_below_the_threshold(live_server, page: Page, screenshot, console_errors):
    ana = person("arbitrator", "ana")
    appeal = appeal_in(S.IN_REVIEW, worker=ana)
    order = appeal.order
    rationale = "The buyer's Alipay record shows 3600 CNY paid to the seller's account in time."

    log_in(page, live_server.url, "ana", next_path=f"/cases/{appeal.pk}/")
    expect(page.locator("details.action-verdict")).to_have_attribute("open", "")
    fill_verdict(page, rationale)
    # The penalty matrix suggests the account action for the responsible seller.
    expect(page.locator("#id_verdict_action_kind")).to_have_value("warning")
    dialog = verdict_dialog(page)

    # The confirmation step says where the money goes, and nothing happened yet.
    question = dialog.locator("[data-test=verdict-question]")
    expect(question).to_have_text(
        f"Release 500 USDT to the buyer {order.buyer.display_name} ({order.buyer.external_id})?"
    )
    expect(dialog.locator(".case-flag.money")).to_be_visible()
    expect(dialog.locator("dl.kv")).to_contain_text("P2P-1.1")
    expect(dialog.locator("dl.kv")).to_contain_text(rationale)
    expect(dialog.locator("dl.kv")).to_contain_text(f"Warning → {order.seller.display_name}")
    screenshot(page, "workspace-verdict-confirm")
    appeal.refresh_from_db()
    assert appeal.status == S.IN_REVIEW
    assert not Verdict.objects.filter(appeal=appeal).exists()

    # Confirming decides and goes on to the next case: none is left, so the queue.
    submit(page, dialog.get_by_role("button", name="Confirm: Release to buyer"))
    assert page.url == f"{live_server.url}/"
    expect(flash(page).first).to_have_text(
        f"Appeal #{appeal.pk}: Verdict issued: release to buyer. It has taken effect."
    )
    open_case(page, live_server.url, appeal)
    expect(status_badge(page)).to_have_text("Resolved")
    panel = page.locator("#verdict.effective")
    expect(panel).to_contain_text("Release to buyer")
    expect(panel).to_contain_text(rationale)
    expect(page.locator("#id_verdict_outcome")).to_have_count(0)
    screenshot(page, "workspace-verdict-issued")

    appeal.refresh_from_db()
    assert appeal.status == S.RESOLVED
    verdicts = list(Verdict.objects.filter(appeal=appeal))
    assert len(verdicts) == 1
    verdict = verdicts[0]
    assert (verdict.state, verdict.outcome, verdict.responsible_party, verdict.rule.code) == (
        Verdict.State.EFFECTIVE,
        "release_to_buyer",
        "seller",
        "P2P-1.1",
    )
    assert verdict.decided_by_id == ana.pk and verdict.approved_by_id is None
    assert verdict.rationale == rationale
    issued = OutboxEvent.objects.filter(appeal=appeal, type="verdict.issued")
    assert issued.count() == 1
    assert issued.get().data["outcome"] == "release_to_buyer"
    assert list(AccountAction.objects.values_list("trader_id", "kind")) == [
        (order.seller_id, "warning")
    ]
    assert console_errors == []


# --- 9. four eyes -------------------------------------------------------------------------


def test_four_eyes_a_second_senior_approves(
    live_server, page: Page, new_page, screenshot, console_errors
):
    ana = person("arbitrator", "ana")
    sam = person("senior_arbitrator", "sam")
    appeal = appeal_in(S.IN_REVIEW, worker=ana, order=OrderFactory(large=True))
    rationale = "Bank statement and chat agree: the buyer paid the full amount on time."

    # The arbitrator proposes; above the threshold it waits for approval.
    log_in(page, live_server.url, "ana", next_path=f"/cases/{appeal.pk}/")
    expect(page.locator(".case-head .four-eyes")).to_be_visible()
    fill_verdict(page, rationale)
    page.locator("#id_verdict_action_kind").select_option("")
    dialog = verdict_dialog(page)
    expect(dialog.locator(".case-flag.four-eyes")).to_be_visible()
    submit(page, dialog.get_by_role("button", name="Send for approval"))

    expect(flash(page).first).to_contain_text(
        "Verdict proposed. It is above the four-eyes threshold"
    )
    open_case(page, live_server.url, appeal)
    expect(status_badge(page)).to_have_text("Pending approval")
    pending_panel = page.locator("#verdict.pending")
    expect(pending_panel).to_contain_text("Verdict waiting for approval")
    expect(pending_panel.get_by_role("button", name=re.compile("^Approve"))).to_have_count(0)
    screenshot(page, "workspace-four-eyes-pending")

    appeal.refresh_from_db()
    verdict = Verdict.objects.get(appeal=appeal)
    assert appeal.status == S.PENDING_APPROVAL
    assert (verdict.state, verdict.decided_by_id) == (Verdict.State.PENDING, ana.pk)
    assert not OutboxEvent.objects.filter(appeal=appeal, type="verdict.issued").exists()

    # The proposer forging the approval: refused (an arbitrator does not approve at all).
    approve_url = f"/cases/{appeal.pk}/verdicts/{verdict.pk}/approve"
    before = desk_rows()
    response = forge_post(page, approve_url)
    assert response.status == 403
    expect(page.locator("h1")).to_have_text("Not allowed")
    assert desk_rows() == before

    # A senior, at another computer, approves.
    senior_page = new_page()
    log_in(senior_page, live_server.url, "sam", next_path=f"/cases/{appeal.pk}/")
    approve = senior_page.get_by_role("button", name="Approve: Release to buyer · 25,000 USDT")
    expect(approve).to_be_visible()
    senior_page.locator("#verdict").scroll_into_view_if_needed()
    screenshot(senior_page, "workspace-four-eyes-approve")
    asked: list[str] = []

    def accept(dialog) -> None:
        asked.append(dialog.message)
        dialog.accept()

    senior_page.once("dialog", accept)
    submit(senior_page, approve)
    assert asked and "25,000 USDT" in asked[0]

    expect(flash(senior_page)).to_have_text(
        "Verdict approved; it has taken effect: release to buyer."
    )
    expect(status_badge(senior_page)).to_have_text("Resolved")
    expect(senior_page.locator("#verdict.effective")).to_contain_text("Approved by")
    expect(senior_page.locator("#verdict.effective")).to_contain_text("sam")
    screenshot(senior_page, "workspace-four-eyes-approved")

    appeal.refresh_from_db()
    verdict.refresh_from_db()
    assert appeal.status == S.RESOLVED
    assert verdict.state == Verdict.State.EFFECTIVE
    assert (verdict.decided_by_id, verdict.approved_by_id) == (ana.pk, sam.pk)
    assert Verdict.objects.filter(appeal=appeal).count() == 1
    assert OutboxEvent.objects.filter(appeal=appeal, type="verdict.issued").count() == 1
    assert console_errors == []


def test_a_senior_cannot_approve_their_own_verdict(
    live_server, page: Page, screenshot, console_errors
):
    sam = person("senior_arbitrator", "sam")
    appeal = appeal_in(S.IN_REVIEW, worker=sam, order=OrderFactory(large=True))

    log_in(page, live_server.url, "sam", next_path=f"/cases/{appeal.pk}/")
    fill_verdict(page, "The buyer's statement shows the payment.")
    page.locator("#id_verdict_action_kind").select_option("")
    submit(page, verdict_dialog(page).get_by_role("button", name="Send for approval"))
    open_case(page, live_server.url, appeal)
    expect(status_badge(page)).to_have_text("Pending approval")

    # Sam may approve verdicts, but not this one: no button, and the page says why.
    panel = page.locator("#verdict.pending")
    expect(panel.get_by_role("button", name=re.compile("^Approve"))).to_have_count(0)
    expect(panel.get_by_role("button", name="Send back with this comment")).to_have_count(0)
    expect(panel.locator(".why-absent")).to_have_text(
        "You proposed this verdict; a different senior arbitrator or team lead must approve it."
    )
    screenshot(page, "workspace-self-approval-absent")

    verdict = Verdict.objects.get(appeal=appeal)
    assert verdict.decided_by_id == sam.pk
    before = desk_rows()
    response = forge_post(page, f"/cases/{appeal.pk}/verdicts/{verdict.pk}/approve")

    assert response.status == 403
    expect(flash(page)).to_have_text("You cannot approve your own verdict; another reviewer must.")
    expect(status_badge(page)).to_have_text("Pending approval")  # the fresh, unchanged case
    screenshot(page, "workspace-self-approval-refused")
    assert desk_rows() == before
    verdict.refresh_from_db()
    assert (verdict.state, verdict.approved_by_id) == (Verdict.State.PENDING, None)
    assert console_errors == []


# --- 10. the Chinese UI -------------------------------------------------------------------


def zh(text: str) -> str:
    """`text` as the Simplified Chinese catalog has it; it must really be translated."""
    with translation.override("zh-hans"):
        translated = gettext(text)
    assert translated != text and cjk(translated), (
        f"{text!r} has no Chinese translation in locale/zh_Hans (compiled .mo)"
    )
    return translated


def test_the_chinese_ui(live_server, page: Page, screenshot, console_errors):
    ana = person("arbitrator", "ana")
    appeal = appeal_in(S.IN_REVIEW, worker=ana)
    chat_ingest(
        order=appeal.order,
        messages=[ChatMessageDataFactory(sender="buyer", text="我已经付款了，请放币。")],
    )

    log_in(page, live_server.url, "ana")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    with page.expect_navigation():
        page.locator("#language-switch").select_option("zh-hans")  # submits on change

    expect(page.locator("html")).to_have_attribute("lang", "zh-hans")
    assert page.url.rstrip("/") == live_server.url  # back on the queue
    expect(page.locator("h1")).to_have_text(zh("Queue"))
    expect(page.get_by_role("button", name=zh("Claim next"))).to_be_visible()
    expect(page.locator("#queue-results thead")).to_contain_text(zh("Reason"))
    expect(queue_rows(page).first.locator(".badge-in_review")).to_have_text(zh("In review"))
    screenshot(page, "workspace-zh-queue")

    page.locator(f"a.case-link[href='/cases/{appeal.pk}/']").click()
    page.wait_for_url(f"{live_server.url}/cases/{appeal.pk}/")
    expect(page.locator("html")).to_have_attribute("lang", "zh-hans")
    expect(page.locator("#chat h2")).to_contain_text(zh("Chat"))
    expect(page.locator("#notes h2")).to_contain_text(zh("Internal notes"))
    expect(page.locator("details.action-verdict summary")).to_have_text(zh("Issue a verdict"))
    expect(status_badge(page)).to_have_text(zh("In review"))
    expect(page.locator("#chat-log .chat-text")).to_have_text("我已经付款了，请放币。")
    screenshot(page, "workspace-zh-case")

    # The choice is stored on the profile, so it follows ana to any browser.
    assert StaffProfile.objects.get(user=ana).language == "zh-hans"
    assert console_errors == []


# --- 11. two people on one case -----------------------------------------------------------


def test_two_people_claim_one_case_at_once(
    live_server, page: Page, new_page, screenshot, console_errors
):
    ana = person("arbitrator", "ana")
    person("arbitrator", "ben")
    appeal = open_appeal()

    log_in(page, live_server.url, "ana", next_path=f"/cases/{appeal.pk}/")
    ben_page = new_page()
    log_in(ben_page, live_server.url, "ben", next_path=f"/cases/{appeal.pk}/")
    for p in (page, ben_page):
        expect(status_badge(p)).to_have_text("Open")
        expect(p.get_by_role("button", name="Claim", exact=True)).to_be_visible()

    submit(page, page.get_by_role("button", name="Claim", exact=True))
    expect(flash(page)).to_have_text("You claimed this case.")
    expect(assignee_cell(page)).to_have_text("ana")
    appeal.refresh_from_db()
    after_ana = desk_rows()

    # Ben's page still shows the case open and unclaimed; he claims it too.
    response = submit(ben_page, ben_page.get_by_role("button", name="Claim", exact=True))
    assert response.status == 409
    expect(flash(ben_page)).to_have_text(
        "Someone else changed this case while you were looking: ana claimed the case. "
        "Nothing was done; this is the case as it is now."
    )
    # ...and sees the case as it is now: ana's, in review, nothing left to claim.
    expect(status_badge(ben_page)).to_have_text("In review")
    expect(assignee_cell(ben_page)).to_have_text("ana")
    expect(ben_page.locator("#chat")).to_be_visible()  # the whole case, not an error page
    screenshot(ben_page, "workspace-concurrent-claim")

    assert desk_rows() == after_ana  # ben's attempt wrote nothing
    appeal.refresh_from_db()
    assert (appeal.status, appeal.assignee_id) == (S.IN_REVIEW, ana.pk)
    assert AuditEntry.objects.filter(appeal=appeal, action="appeal.claimed").count() == 1
    assert console_errors == []


def test_the_loser_of_a_claim_race_is_not_offered_claim_again(
    live_server, page: Page, console_errors
):
    ana = person("arbitrator", "ana")
    person("arbitrator", "ben")
    appeal = open_appeal()

    log_in(page, live_server.url, "ben", next_path=f"/cases/{appeal.pk}/")
    lifecycle.appeal_claim(appeal_id=appeal.pk, actor=ana)  # while ben looks at the page
    response = submit(page, page.get_by_role("button", name="Claim", exact=True))

    assert response.status == 409
    expect(assignee_cell(page)).to_have_text("ana")
    expect(page.get_by_role("button", name="Claim", exact=True)).to_have_count(0, timeout=1000)
