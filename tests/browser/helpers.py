"""What the browser tests share besides fixtures (tests/browser/conftest.py): people with
a known password, and the watch on the console."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from tests.factories import staff_user

if TYPE_CHECKING:
    from playwright.sync_api import Page

PASSWORD = "browser-test-pass-2026"

# The console line Chromium writes for a 4xx answer: tests that provoke a refusal on
# purpose (a 403, a stale page's 409) set CONSOLE_EXPECTED = REFUSALS in their module.
REFUSALS = re.compile(r"Failed to load resource: the server responded with a status of 4")


def person(role: str, username: str) -> Any:
    """A real user in the migration-created role group, with PASSWORD."""
    user = staff_user(role, username=username)
    user.set_password(PASSWORD)
    user.save(update_fields=["password"])
    return user


def watch_console(page: Page, errors: list[str], expected: re.Pattern[str] | None = None) -> None:
    """Collect the page's JavaScript errors and console errors (CSP violations among
    them) into `errors`, but for the `expected` ones."""
    page.on(
        "console",
        lambda m: (
            errors.append(m.text)
            if m.type == "error" and not (expected and expected.search(m.text))
            else None
        ),
    )
    page.on("pageerror", lambda e: errors.append(str(e)))
