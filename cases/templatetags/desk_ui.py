"""Template helpers of the shared layout and the queue: short durations ("3h 20m"),
amounts, risk levels, language tags, and the navigation's per-user facts.

`{% load desk_ui %}`. Every filter returns plain text (auto-escaped by the template).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from django import template
from django.utils import timezone
from django.utils.translation import gettext as _

from arbitration.formatting import compact_duration
from cases import notifications, roles
from cases.floor.schedule import my_shift
from cases.models import VerdictReview

register = template.Library()


def short_duration(delta: timedelta) -> str:
    """A duration in its two largest units: "2d 4h", "3h 20m", "12m", "<1m"."""
    return compact_duration(int(abs(delta.total_seconds())), under_a_minute=_("<1m"))


@register.filter
def since(moment: datetime | None, now: datetime) -> str:
    """`{{ a.created_at|since:now }}`: how long ago, short ("3h 20m")."""
    if moment is None:
        return ""
    return short_duration(now - moment)


@register.filter
def until(moment: datetime | None, now: datetime) -> str:
    """`{{ a.resolution_due_at|until:now }}`: how long from now, short."""
    if moment is None:
        return ""
    return short_duration(moment - now)


# Less than this left to the resolution deadline: the row is flagged "due soon".
DUE_SOON = timedelta(hours=4)


@register.filter
def sla_state(appeal: Any, now: datetime) -> str:
    """ "closed", "overdue", "soon" (under four hours left) or "ok"."""
    if appeal.is_closed:
        return "closed"
    if appeal.is_overdue(now):
        return "overdue"
    if appeal.resolution_due_at - now < DUE_SOON:
        return "soon"
    return "ok"


@register.filter
def amount(value: Decimal | None) -> str:
    """500.00000000 -> "500", 25000 -> "25,000", 0.05000000 -> "0.05"."""
    if value is None:
        return ""
    value = Decimal(value)
    if value == value.to_integral_value():
        return f"{value.quantize(Decimal(1)):,}"
    return f"{value.normalize():,f}"


@register.filter
def risk_level(score: int | None) -> str:
    """The risk engine's 0-100 score in three bands, for the badge's colour."""
    if score is None:
        return ""
    if score >= 70:
        return "high"
    if score >= 40:
        return "medium"
    return "low"


@register.filter
def lang_tag(code: str) -> str:
    """ "zh-hans" -> "ZH", "en" -> "EN"; the full code goes in a title attribute."""
    return code.split("-")[0].upper() if code else ""


@register.simple_tag(takes_context=True)
def desk_nav(context: template.Context) -> dict[str, Any]:
    """What the top navigation shows for the signed-in user (computed once per page)."""
    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    staff = roles.is_staff_member(user)
    seniorish = roles.has(user, roles.HANDLE_ESCALATION)
    reviews = 0
    if staff and roles.has(user, roles.APPROVE):
        reviews = VerdictReview.objects.filter(
            reviewer=user, state=VerdictReview.State.PENDING
        ).count()
    return {
        "staff": staff,
        "escalations": staff and seniorish,
        "reviews": reviews,
        "dashboard": roles.has(user, roles.VIEW_METRICS),
        "floor": roles.has(user, roles.MANAGE_FLOOR),
        "now": timezone.localtime(),
        "zone": timezone.get_current_timezone_name(),
        # The bell's first count; the badge then polls cases:notifications_count.
        "unread": notifications.unread_count(user) if staff else 0,
        # "On shift until 06:00" / "Off shift · next 22:00": only for who takes cases.
        "shift": my_shift(user) if staff else None,
    }


@register.filter
def shift_time(moment: datetime | None) -> str:
    """A shift's edge in the reader's time zone: "06:00" within a day, else "Tue 22:00"."""
    if moment is None:
        return ""
    local = timezone.localtime(moment)
    if moment - timezone.now() < timedelta(hours=20):
        return f"{local:%H:%M}"
    from django.utils.formats import date_format

    return date_format(local, "D H:i")
