"""Fixtures for tests that drive a real Chromium through Playwright.

Every test under tests/browser is marked `browser`. Tests get a live Django server from
pytest-django's `live_server` fixture (which implies `transactional_db`), e.g.:

    def test_login_page_renders(live_server, page, screenshot):
        page.goto(live_server.url + "/accounts/login/")
        screenshot(page, "login")

Chromium is the distribution's /usr/bin/chromium (apt-get install -y chromium
fonts-noto-cjk); `playwright install` is never used. Without it, browser tests are skipped
locally and fail under CI (env CI set), so CI can never pass by silently skipping them.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Generator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

# Playwright's sync API runs an asyncio event loop in the test thread; Django's ORM would
# otherwise refuse to run there with SynchronousOnlyOperation.
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-quic",
    "--no-first-run",
]
VIEWPORT = {"width": 1440, "height": 900}
ROOT = Path(__file__).resolve().parents[2]
SCREENSHOT_DIR = ROOT / "test-artifacts" / "screenshots"
HERE = Path(__file__).resolve().parent


# The connection Django's test setup used. Once Playwright's event loop runs in the test
# thread, asgiref hands the ORM a fresh connection object that lacks the serialized copy
# of the migrated data (role groups, rulebook, audit head) that serialized_rollback
# restores; without it every browser test after the first would start on an empty
# database.
from django.db import connections  # noqa: E402

SETUP_CONNECTION = connections["default"]


@pytest.fixture(autouse=True)
def restore_serialized_data(request: pytest.FixtureRequest) -> None:
    if "transactional_db" not in request.fixturenames and "live_server" not in request.fixturenames:
        return
    request.getfixturevalue("transactional_db")
    current = connections["default"]
    contents = getattr(SETUP_CONNECTION, "_test_serialized_contents", None)
    if current is SETUP_CONNECTION or contents is None:
        return
    if not hasattr(current, "_test_serialized_contents"):
        # Django skipped the restore for this test: do it, and let it do the next ones.
        current._test_serialized_contents = contents
        current.creation.deserialize_db_from_string(contents)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        if item.path.is_relative_to(HERE):
            item.add_marker(pytest.mark.browser)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo):
    # Keep each phase's report on the item so `page` can screenshot failed tests.
    report = yield
    setattr(item, f"_browser_report_{report.when}", report)
    return report


def _unavailable(reason: str) -> None:
    if os.environ.get("CI"):
        pytest.fail(f"{reason} -- browser tests must run in CI.", pytrace=False)
    pytest.skip(reason)


@pytest.fixture(scope="session")
def browser() -> Generator[Browser]:
    if not CHROMIUM.exists():
        _unavailable("Chromium not installed: apt-get install -y chromium")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _unavailable("playwright not installed: pip install -r requirements-dev.txt")

    playwright = sync_playwright().start()
    try:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True
        )
    except Exception as exc:
        playwright.stop()
        _unavailable(f"Chromium at {CHROMIUM} failed to start: {exc}")
    try:
        yield browser
    finally:
        browser.close()
        playwright.stop()


@pytest.fixture
def page(browser: Browser, request: pytest.FixtureRequest) -> Generator[Page]:
    """A fresh page in a fresh context (no cookies shared between tests)."""
    context = browser.new_context(viewport=VIEWPORT, locale="en-US")
    context.set_default_timeout(15_000)
    page = context.new_page()
    try:
        yield page
    finally:
        report = getattr(request.node, "_browser_report_call", None)
        if report is not None and report.failed:
            try:
                _save(page, "FAILED-" + request.node.nodeid)
            except Exception:  # a failed screenshot must not mask the test failure
                pass
        context.close()


def _save(page: Page, name: str) -> Path:
    safe = re.sub(r"[^\w.-]+", "_", name).strip("_") or "screenshot"
    SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOT_DIR / f"{safe}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


@pytest.fixture
def screenshot() -> Callable[[Page, str], Path]:
    """`screenshot(page, "case-detail")` saves test-artifacts/screenshots/case-detail.png."""
    return _save


# --- shared by every browser test ---------------------------------------------------------


@pytest.fixture(autouse=True)
def fast_passwords(settings) -> None:
    # The live server runs in this process: it checks passwords with the same hasher.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def console_errors(page: Page, request: pytest.FixtureRequest) -> list[str]:
    """JavaScript errors and CSP violations of every page this test opens (must stay
    empty), but for the module's CONSOLE_EXPECTED pattern, if it sets one."""
    from tests.browser.helpers import watch_console

    errors: list[str] = []
    watch_console(page, errors, getattr(request.module, "CONSOLE_EXPECTED", None))
    return errors
