"""Links from a figure to the cases behind it in the queue, and between the analytics pages."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from urllib.parse import quote, urlencode

from django.http import QueryDict
from django.urls import reverse

from analytics.forms import PRESETS
from analytics.selectors import Period
from cases.models import Appeal

ALL_STATUSES = [status.value for status in Appeal.Status]

# Which timestamp a link's time window filters on, as the queue's GET parameters, and the
# statuses it shows. `status` is always explicit, so the queue's default (the active
# statuses) never hides a closed case behind a figure.
WINDOWS = {
    "created": ("created_after={after}&created_before={before}", ALL_STATUSES),
    "resolved": ("resolved_after={after}&resolved_before={before}", [Appeal.Status.RESOLVED.value]),
    # Neither resolved nor cancelled at `before`: created before it, closed (if ever) after.
    "open_at": ("open_at={before}", ALL_STATUSES),
}


def _iso(moment: datetime) -> str:
    # 2026-11-20T00:00+08:00: a day boundary of the operations time zone, as people read it.
    return moment.isoformat(timespec="minutes")


def link_template(window: str, **filters: Any) -> str:
    """A queue URL with {after} and {before} left to fill: one reverse() and one urlencode
    for a whole series of days. The charts send these, not one URL per bar."""
    times, statuses = WINDOWS[window]
    query = urlencode([*filters.items(), ("status", statuses)], doseq=True)
    return f"{reverse('cases:home')}?{query}&{times}"


def encoded_bounds(start: datetime, end: datetime) -> list[str]:
    """[start, end) as the URL-encoded values a link template's {after} and {before} take."""
    return [quote(_iso(start), safe=""), quote(_iso(end), safe="")]


def fill(template: str, start: datetime, end: datetime) -> str:
    """A link template with its time window filled in."""
    after, before = encoded_bounds(start, end)
    return template.replace("{after}", after).replace("{before}", before)


def opened_url(start: datetime, end: datetime, **filters: Any) -> str:
    """The queue filtered to the appeals opened in [start, end), in any status."""
    return fill(link_template("created", **filters), start, end)


def resolved_url(start: datetime, end: datetime, **filters: Any) -> str:
    """The queue filtered to the appeals resolved in [start, end)."""
    return fill(link_template("resolved", **filters), start, end)


# --- between the analytics pages ----------------------------------------------------------


def dashboard_url(period: Period) -> str:
    """The dashboard over the same days (the report's way back)."""
    return f"{reverse('analytics:dashboard')}?from={period.first}&to={period.last}"


def csv_base(period: Period) -> str:
    """The CSV export of the range, but for the table's key that the template appends."""
    query = QueryDict(mutable=True)
    query["from"], query["to"], query["format"] = str(period.first), str(period.last), "csv"
    return f"{reverse('analytics:dashboard')}?{query.urlencode()}&table="


def report_url(kind: str, start: date | None = None) -> str:
    """The weekly or monthly report; without `start`, the last complete one."""
    url = f"{reverse('analytics:report')}?period={kind}"
    return url if start is None else f"{url}&start={start}"


def preset_pills(selected: str) -> list[dict[str, Any]]:
    """The dashboard's preset ranges, each a link (?preset=key), the chosen one marked."""
    return [{"key": key, "label": label, "selected": key == selected} for key, label in PRESETS]
