"""The KPI dashboard in a real Chromium: a team lead signs in, the charts draw, a date
range changes the figures, a click on a bar opens the queue filtered to the cases behind
it, a table downloads as CSV, and the management report prints to an A4 PDF.

Screenshots go to test-artifacts/screenshots/dashboard-*.png (and report-*.pdf/png).
"""

from __future__ import annotations

import csv
import io
import os
import shutil
import subprocess
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from playwright.sync_api import Page

from analytics.models import ArbitratorDailyMetric, DailyMetric
from analytics.selectors import ops_today
from tests.analytics.test_dashboard import figures
from tests.factories import staff_user

# Where tests/browser/conftest.py's `screenshot` fixture saves too.
SCREENSHOT_DIR = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"

PASSWORD = "dashboard-test-pass-2026"
DAYS = 70

# Starting Playwright (the session's `browser` fixture) switches the contextvars context
# that Django's `connections` lives in: from then on connections["default"] is a new
# wrapper. When the test database was set up before that (any database test ran before
# the first browser test), the new wrapper lacks the serialized contents that
# serialized_rollback restores from, so every transactional test after the first one
# starts on a flushed database: no role groups, no rulebook. This is the wrapper of the
# context the tests start in, kept so its serialized contents can be carried over.


@pytest.fixture
def lead_user(transactional_db: None) -> Any:
    user = staff_user("team_lead", username="lead-browser")
    user.set_password(PASSWORD)
    user.save(update_fields=["password"])
    return user


@pytest.fixture
def history(transactional_db: None) -> None:
    """Seventy computed days up to today (operations time zone), and two arbitrators."""
    today = ops_today()
    now = datetime.now().astimezone()
    days = [today - timedelta(days=n) for n in range(DAYS)]
    DailyMetric.objects.bulk_create(
        DailyMetric(date=d, computed_at=now, is_partial=d == today, **figures(d)) for d in days
    )
    ann = staff_user("arbitrator", username="ann")
    bob = staff_user("senior_arbitrator", username="bob")
    ArbitratorDailyMetric.objects.bulk_create(
        ArbitratorDailyMetric(
            date=d,
            user=user,
            resolved=2 + (d.toordinal() + k) % 4,
            median_handling_seconds=3600.0 * (2 + k),
            escalations=k,
            sent_back=d.toordinal() % 2,
            sla_breaches=(d.toordinal() + k) % 3 // 2,
        )
        for d in days
        for k, user in enumerate((ann, bob))
    )


def pdfinfo() -> str:
    """pdfinfo (poppler-utils) reads a PDF's page count and page size. Without it the A4
    checks cannot run: skipped locally, a failure under CI (env CI set), as for a missing
    browser (tests/browser/conftest.py), so CI never passes without them."""
    path = shutil.which("pdfinfo")
    if path is None:
        reason = "pdfinfo not installed: apt-get install -y poppler-utils"
        if os.environ.get("CI"):
            pytest.fail(f"{reason} -- the A4 checks must run in CI.", pytrace=False)
        pytest.skip(reason)
    return path


def sign_in(page: Page, base: str, next_path: str = "/dashboard/") -> None:
    page.goto(f"{base}/accounts/login/?next={next_path}")
    page.fill("input[name=username]", "lead-browser")
    page.fill("input[name=password]", PASSWORD)
    with page.expect_navigation():
        page.press("input[name=password]", "Enter")
    page.wait_for_load_state("networkidle")


def kpi(page: Page, key: str) -> str:
    return page.locator(f"[data-kpi={key}] .dash-tile-value").inner_text().strip()


CHARTS_JS = """() => [...document.querySelectorAll('canvas[data-chart]')].map(c => {
  const chart = Chart.getChart(c);
  return {key: c.dataset.chart, width: c.clientWidth, height: c.clientHeight,
          chart: !!chart, type: chart && chart.config.type,
          datasets: chart ? chart.data.datasets.length : 0,
          labels: chart ? chart.data.labels.length : 0};
})"""

# The centre of the last non-empty segment of a stacked bar, in page coordinates, and the
# link the page's JSON gives for it.
BAR_JS = """() => {
  const canvas = document.querySelector('canvas[data-chart=reasons]');
  const chart = Chart.getChart(canvas);
  const box = canvas.getBoundingClientRect();
  for (let i = chart.data.labels.length - 1; i >= 0; i--) {
    for (let d = 0; d < chart.data.datasets.length; d++) {
      if (!chart.data.datasets[d].data[i]) continue;
      const bar = chart.getDatasetMeta(d).data[i];
      return {x: box.left + bar.x, y: box.top + (bar.y + bar.base) / 2,
              day: chart.data.labels[i], reason: chart.data.datasets[d].label,
              link: window.dashboardLink('reasons', d, i)};
    }
  }
  return null;
}"""


def test_a_team_lead_reads_the_dashboard(
    live_server, page: Page, screenshot, lead_user, history, console_errors
):
    sign_in(page, live_server.url)

    assert page.url.startswith(f"{live_server.url}/dashboard/")
    assert page.locator("h1").inner_text() == "KPI dashboard"
    charts = page.evaluate(CHARTS_JS)
    assert {c["key"] for c in charts} == {
        "reasons",
        "success",
        "first_response",
        "resolution",
        "sla_backlog",
        "payment_methods",
        "channels",
    }
    for chart in charts:
        assert chart["chart"], f"{chart['key']}: no Chart.js instance"
        assert chart["width"] > 200 and chart["height"] > 100, chart
        assert chart["datasets"] > 0 and chart["labels"] > 0, chart
    reasons = next(c for c in charts if c["key"] == "reasons")
    assert reasons["labels"] == 28 and reasons["type"] == "bar"
    assert page.locator("[data-kpi]").count() == 8
    assert page.locator("#table-arbitrators tbody tr").count() == 2
    screenshot(page, "dashboard-28-days")
    assert not console_errors, console_errors


def test_a_date_range_changes_the_figures(live_server, page: Page, screenshot, lead_user, history):
    sign_in(page, live_server.url)
    today = ops_today()
    before = kpi(page, "opened")
    expected = sum(figures(today - timedelta(days=n))["appeals_opened"] for n in range(7))

    page.fill("input[name=from]", (today - timedelta(days=6)).isoformat())
    page.fill("input[name=to]", today.isoformat())
    with page.expect_navigation():
        page.click("button:has-text('Apply')")
    page.wait_for_load_state("networkidle")

    assert kpi(page, "opened") == str(expected) != before
    assert page.locator(".dash-presets .is-selected").inner_text() == "Last 7 days"
    labels = page.evaluate(
        "() => Chart.getChart(document.querySelector('canvas[data-chart=reasons]')).data.labels"
    )
    assert labels == [(today - timedelta(days=n)).isoformat() for n in range(6, -1, -1)]
    screenshot(page, "dashboard-7-days")

    with page.expect_navigation():
        page.click(".dash-presets >> text=Last month")
    first = today.replace(day=1) - timedelta(days=1)
    assert page.locator(".dash-period").get_attribute("data-period").endswith(first.isoformat())


def test_clicking_a_bar_opens_the_queue_filtered_to_its_cases(
    live_server, page: Page, screenshot, lead_user, history
):
    sign_in(page, live_server.url)
    page.locator("canvas[data-chart=reasons]").scroll_into_view_if_needed()
    bar = page.evaluate(BAR_JS)
    assert bar is not None

    with page.expect_navigation():
        page.mouse.click(bar["x"], bar["y"])
    page.wait_for_load_state("networkidle")

    target = urlsplit(page.url)
    assert target.path == "/"
    assert parse_qs(target.query) == parse_qs(urlsplit(bar["link"]).query)
    params = parse_qs(target.query)
    day = datetime.fromisoformat(params["created_after"][0])
    assert day.date().isoformat() == bar["day"] and day.utcoffset() == timedelta(hours=8)
    assert datetime.fromisoformat(params["created_before"][0]) - day == timedelta(days=1)
    assert len(params["status"]) == 7
    screenshot(page, "dashboard-click-to-queue")


def test_tables_download_as_csv(live_server, page: Page, lead_user, history):
    sign_in(page, live_server.url)
    today = ops_today()

    with page.expect_download() as info:
        page.click("[data-csv=daily]")
    download = info.value
    rows = list(csv.DictReader(io.StringIO(open(download.path(), encoding="utf-8").read())))

    first = today - timedelta(days=27)
    assert download.suggested_filename == f"appeal-metrics-daily-{first}-to-{today}.csv"
    assert len(rows) == 28
    assert rows[0]["date"] == today.isoformat() and rows[0]["is_partial"] == "yes"
    assert int(rows[1]["appeals_opened"]) == figures(today - timedelta(days=1))["appeals_opened"]

    with page.expect_download() as info:
        page.click("[data-csv=arbitrators]")
    arbitrators = list(csv.DictReader(io.StringIO(open(info.value.path()).read())))
    assert {r["username"] for r in arbitrators} == {"ann", "bob"}


def test_the_management_report_prints_to_a4(
    live_server, page: Page, screenshot, lead_user, history
):
    pdfinfo_path = pdfinfo()
    sign_in(page, live_server.url)
    page.goto(f"{live_server.url}/dashboard/report/?period=week")
    page.wait_for_load_state("networkidle")
    assert "weekly report" in page.locator("h1").inner_text()
    assert page.locator(".report-summary li").count() >= 4
    screenshot(page, "report-week")

    page.emulate_media(media="print")
    assert page.locator(".topbar").is_hidden()
    assert page.locator(".report-toolbar").is_hidden()
    SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)
    pdf = SCREENSHOT_DIR / "report-week.pdf"
    page.pdf(path=str(pdf), prefer_css_page_size=True, print_background=True)

    assert pdf.read_bytes().startswith(b"%PDF")
    info = subprocess.run([pdfinfo_path, str(pdf)], check=True, capture_output=True, text=True)
    fields = dict(line.split(":", 1) for line in info.stdout.splitlines() if ":" in line)
    assert int(fields["Pages"]) in range(1, 4), fields["Pages"]  # one to three A4 pages
    assert "(A4)" in fields["Page size"]
    if shutil.which("pdftoppm"):
        # For a person to look at: report-week-1.png, report-week-2.png...
        subprocess.run(
            ["pdftoppm", "-png", "-r", "80", str(pdf), str(SCREENSHOT_DIR / "report-week")],
            check=True,
        )

    page.emulate_media(media="screen")
    page.goto(f"{live_server.url}/dashboard/report/?period=month")
    assert "monthly report" in page.locator("h1").inner_text()
    screenshot(page, "report-month")


def test_the_dashboard_in_chinese(live_server, page: Page, screenshot, lead_user, history):
    page.context.add_cookies(
        [{"name": "django_language", "value": "zh-hans", "url": live_server.url}]
    )
    sign_in(page, live_server.url)

    assert page.locator("html").get_attribute("lang") == "zh-hans"
    assert page.evaluate(
        "() => !!Chart.getChart(document.querySelector('canvas[data-chart=reasons]'))"
    )
    screenshot(page, "dashboard-zh-hans")
