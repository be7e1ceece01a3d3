"""The floor in a real Chromium: a team lead gives an arbitrator a shift and a language
on the staff page, reassigns three cases at once from the queue, looks at the floor
view, and sees a notification arrive (an escalation to the lead's role made in the
background) without reloading: the bell's count changes by itself.

Screenshots go to test-artifacts/screenshots/floor-*.png.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.db import transaction
from django.utils import timezone
from playwright.sync_api import Page, expect

from cases.floor.escalation import escalation_sweep
from cases.models import Appeal, EscalationRule, Notification
from tests.factories import OrderFactory, TraderFactory, open_appeal, staff_user

PASSWORD = "floor-test-pass-2026"


@pytest.fixture
def desk(transactional_db: None) -> dict[str, Any]:
    lead = staff_user("team_lead", username="lead-floor")
    lead.set_password(PASSWORD)
    lead.save(update_fields=["password"])
    ann = staff_user("arbitrator", username="ann")
    appeals = [
        open_appeal(order=OrderFactory(buyer=TraderFactory(language="ru"))) for _ in range(3)
    ]
    scam = open_appeal(reason=Appeal.Reason.FRAUD_SCAM)
    return {"lead": lead, "ann": ann, "appeals": appeals, "scam": scam}


def sign_in(page: Page, base: str, username: str) -> None:
    page.goto(base + "/accounts/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("main button[type=submit]")
    expect(page.locator(".topbar .usermenu summary")).to_have_text(username)


def test_a_lead_runs_the_floor(live_server, page: Page, screenshot, desk, console_errors):
    base = live_server.url
    sign_in(page, base, "lead-floor")

    # 1. The staff page: ann speaks en and ru, and works all day today (UTC).
    page.goto(f"{base}/floor/staff/ann/")
    page.fill("input[name=languages]", "en, ru")
    page.fill("input[name=time_zone]", "UTC")
    row = page.locator("#shift-rows tr").first
    row.locator("select").select_option(str(timezone.now().weekday()))
    row.locator("input[name$=-start]").fill("00:00")
    row.locator("input[name$=-end]").fill("00:00")
    screenshot(page, "floor-staff-edit")
    page.click("#staff-form button[type=submit]")
    expect(page.locator("ul.messages")).to_contain_text("Saved the changes to ann.")

    # 2. The queue: three appeals ticked, assigned to ann in one go.
    page.goto(base + "/")
    expect(page.locator("#bulk-assign")).to_be_visible()
    option = page.locator("#bulk-assign select option", has_text=re.compile(r"^ann · "))
    expect(option).to_contain_text("on shift")
    expect(option).to_contain_text("EN RU")
    for appeal in desk["appeals"]:
        page.check(f'input.js-pick[value^="{appeal.pk}|"]')
    expect(page.locator(".js-picked")).to_have_text("3 ticked")
    page.select_option("#bulk-assign select", "ann")
    screenshot(page, "floor-queue-ticked")
    page.click("[data-test=bulk-submit]")
    expect(page.locator("ul.messages")).to_contain_text("3 assigned to ann")
    assert set(
        Appeal.objects.filter(pk__in=[a.pk for a in desk["appeals"]]).values_list(
            "assignee__username", flat=True
        )
    ) == {"ann"}
    # Select all ticks every box on the page.
    page.check("input.js-pick-all")
    assert page.locator("input.js-pick:checked").count() == page.locator("input.js-pick").count()
    page.uncheck("input.js-pick-all")
    # The deadlines count down.
    timer = page.locator("td.col-sla [data-due]").first
    expect(timer).to_have_text(re.compile(r"(left|overdue)"))
    screenshot(page, "floor-queue-assigned")

    # 3. The floor view.
    page.goto(base + "/floor/")
    expect(page.locator("main")).to_contain_text("ann")
    screenshot(page, "floor-view")

    # 4. A notification arrives while the page is open: the bell updates by itself.
    count = page.locator("[data-test=bell-count]")
    expect(count).to_be_hidden()
    EscalationRule.objects.create(
        name="Scams to the leads",
        conditions={"reasons": [Appeal.Reason.FRAUD_SCAM]},
        target_role=EscalationRule.Target.TEAM_LEAD,
    )
    with transaction.atomic():
        assert escalation_sweep() >= 1
    assert Notification.objects.filter(
        user=desk["lead"], kind=Notification.Kind.ESCALATED_TO_YOU
    ).exists()
    expect(count).to_have_text("1", timeout=30_000)  # the poll runs every 20 s
    screenshot(page, "floor-bell")

    page.click("[data-test=bell]")
    item = page.locator("[data-test=notification]").first
    expect(item).to_contain_text(f"Appeal #{desk['scam'].pk} was escalated to you")
    screenshot(page, "floor-notifications")
    item.locator("button", has_text="Mark read").click()
    expect(count).to_be_hidden()
    assert console_errors == []
