"""Template helpers of the shared layout and the queue: short durations ("3h 20m"),
amounts, risk levels, language tags, and the navigation's per-user facts.

`{% load desk_ui %}`. Every filter returns plain text (auto-escaped by the template).
"""

from __future__ import annotations

import html
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from django import template
from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from arbitration.formatting import compact_duration, under_a_minute
from cases import notifications, roles
from cases.floor.assignment import note_shown
from cases.floor.schedule import my_shift
from cases.models import Appeal, VerdictReview

register = template.Library()


def short_duration(delta: timedelta) -> str:
    """A duration in its two largest units: "2d 4h", "3h 20m", "12m", "<1m"."""
    return compact_duration(int(abs(delta.total_seconds())), under_a_minute=under_a_minute())


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
    if appeal.is_late(now):
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
def money(value: Decimal | None) -> str:
    """A fiat amount with its cents and thousands separated: 5400 -> "5,400.00"."""
    if value is None:
        return ""
    return f"{Decimal(value):,.2f}"


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
        # The risk analysts' pages (evidence.views) have the dashboards' readers.
        "risk": roles.has(user, roles.VIEW_METRICS),
        "floor": roles.has(user, roles.MANAGE_FLOOR),
        # Team leads decide proposed restrictions (no count: the bell tells of new ones).
        "proposals": roles.has(user, roles.DECIDE_RESTRICTION),
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


# --- the queue's rows -----------------------------------------------------------------------


@register.simple_tag(takes_context=True)
def queue_rows(context: template.Context, rows: list[Any]) -> SafeString:
    """The queue's table rows, built in Python: fifty rows through the template engine
    (an include, a dozen filters and translations each) cost most of the page's time.
    Each row: the case link and order, reason with priority and the appellant's first
    words, amount and payment method, both languages, status, assignee (or why the floor
    left it unassigned), age, the SLA clock (live in static/js/timers.js), risk, and
    how long since the last party message."""
    now, user, can_bulk = context["now"], context["request"].user, context.get("can_bulk")
    words = {
        "urgent": _("Urgent"),
        "high": _("High"),
        "buyer": _("Buyer"),
        "seller": _("Seller"),
        "you": _("you"),
        "unassigned": _("unassigned"),
        "closed": _("closed"),
        "paused": _("paused"),
        "risk": _("Risk score"),
        "select": _("Select appeal #%(id)s"),
        "overdue": _("overdue %(d)s"),
        "first_reply": _("1st reply"),
        "left": _("%(d)s left"),
        # One reverse() for the page, not one per row.
        "url": reverse("cases:case", args=[URL_MARK]),
        # get_FOO_display() rebuilds (and hashes) the whole choices dict on every call.
        **{f"reason:{value}": str(label) for value, label in Appeal.Reason.choices},
        **{f"status:{value}": str(label) for value, label in Appeal.Status.choices},
    }
    return mark_safe("".join(_queue_row(a, now, user.pk, can_bulk, words) for a in rows))


# A case id no real case has, replaced by each row's id in the one reversed URL.
URL_MARK = 987654321987


def _iso(moment: datetime | None) -> str:
    return timezone.localtime(moment).isoformat() if moment is not None else ""


def _local(moment: datetime | None, fmt: str) -> str:
    return timezone.localtime(moment).strftime(fmt) if moment is not None else ""


def _queue_row(a: Any, now: datetime, me: int, can_bulk: bool, words: dict[str, str]) -> str:
    """One <tr>: f-strings with html.escape on every value (see _chat_line)."""
    e = _esc
    sla = sla_state(a, now)
    url = e(words["url"].replace(str(URL_MARK), str(a.pk)))
    cells = []
    if can_bulk:
        label = e(words["select"] % {"id": a.pk})
        cells.append(
            '<td class="col-pick"><label class="pick"><input type="checkbox" name="appeal"'
            f' value="{a.pk}|{e(a.updated_at.isoformat())}" form="bulk-assign" class="js-pick"'
            f' aria-label="{label}"{" disabled" if a.is_closed else ""}></label></td>'
        )
    cells.append(
        f'<td class="col-id"><a class="case-link" href="{url}">#{a.pk}</a>'
        f'<div class="sub mono">{e(a.order.external_id)}</div></td>'
    )
    pill = ""
    if a.priority == 3:
        pill = f'<span class="pill pill-urgent">{e(words["urgent"])}</span>'
    elif a.priority == 2:
        pill = f'<span class="pill pill-high">{e(words["high"])}</span>'
    start = a.description_start
    first_words = f'<div class="sub clip" title="{e(start)}">{e(start)}</div>' if start else ""
    reason = e(words.get(f"reason:{a.reason}", a.reason))
    cells.append(f'<td class="col-reason"><span>{reason}</span> {pill}{first_words}</td>')
    cells.append(
        f'<td class="num col-amount"><span class="amount">{e(amount(a.crypto_amount))}</span>'
        f' <span class="asset">{e(a.asset)}</span> <span class="sub">{e(a.payment_method)}'
        "</span></td>"
    )
    buyer, seller = a.buyer_language, a.seller_language
    cells.append(
        f'<td class="col-lang"><span title="{e(words["buyer"])}: {e(buyer)}">'
        f'{e(lang_tag(buyer) or "–")}</span><span class="muted"> / </span>'
        f'<span title="{e(words["seller"])}: {e(seller)}">{e(lang_tag(seller) or "–")}</span></td>'
    )
    status = e(words.get(f"status:{a.status}", a.status))
    cells.append(f'<td><span class="badge badge-{e(a.status)}">{status}</span></td>')
    if a.assignee_id == me:
        who = f"<strong>{e(words['you'])}</strong>"
    elif a.assignee_id:
        who = e(a.assignee.username)
    else:
        who = f'<span class="muted">{e(words["unassigned"])}</span>'
        if a.assignment_note:
            note = e(note_shown(a.assignment_note))
            who += f'<div class="sub muted assignment-note clip" title="{note}">{note}</div>'
    cells.append(f'<td class="col-assignee">{who}</td>')
    cells.append(
        f'<td class="num col-age" title="{e(_local(a.created_at, "%Y-%m-%d %H:%M"))}">'
        f"{e(since(a.created_at, now))}</td>"
    )
    due = e(_iso(a.resolution_due_at))
    countdown = 'data-test="sla-countdown"'
    if sla == "closed":
        clock = f'<span class="muted">{e(words["closed"])}</span>'
    elif a.paused:
        clock = (
            f'<span class="due paused" data-due="{due}" data-paused {countdown}>'
            f"{e(words['paused'])}</span>"
        )
    elif a.is_overdue(now):
        late = e(words["overdue"] % {"d": since(a.resolution_due_at, now)})
        clock = f'<span class="overdue" data-due="{due}" {countdown}>{late}</span>'
    else:
        left = e(words["left"] % {"d": until(a.resolution_due_at, now)})
        soon = " due-soon" if a.resolution_due_at - now < DUE_SOON else ""
        clock = f'<span class="due{soon}" data-due="{due}" {countdown}>{left}</span>'
    # The first response while the desk owes it: the deadline a new case misses first.
    first = ""
    if sla != "closed" and a.first_response_at is None and not a.paused:
        first_due = e(_iso(a.first_response_due_at))
        if a.first_response_missed(now):
            said = words["overdue"] % {"d": since(a.first_response_due_at, now)}
            state = "overdue"
        else:
            said = words["left"] % {"d": until(a.first_response_due_at, now)}
            state = "due due-soon"
        first = (
            f'<div class="sub sla-first">{e(words["first_reply"])}: <span class="{state}"'
            f' data-due="{first_due}" {countdown}>{e(said)}</span></div>'
        )
    cells.append(
        f'<td class="col-sla">{clock} <time class="sub" datetime="{due}">'
        f"{e(_local(a.resolution_due_at, '%m-%d %H:%M'))}</time>{first}</td>"
    )
    if a.risk_score is not None:
        risk = (
            f'<span class="badge risk-{risk_level(a.risk_score)}" title="{e(words["risk"])}">'
            f"{a.risk_score}</span>"
        )
    else:
        risk = '<span class="muted">–</span>'
    cells.append(f'<td class="num col-risk">{risk}</td>')
    waited = a.last_party_message_at
    since_message = e(since(waited, now)) if waited else '<span class="muted">–</span>'
    cells.append(f'<td class="num col-msg">{since_message}</td>')
    mine = " is-mine" if a.assignee_id == me else ""
    return f'<tr class="sla-{sla}{mine}" data-href="{url}">{"".join(cells)}</tr>\n'


# --- the case's chat thread -----------------------------------------------------------------


def chat_html(lines: list[Any]) -> SafeString:
    """The chat log's lines (cases.selectors.case.ChatLine), built in Python like the
    queue's rows: a few hundred lines through the template engine were most of the case
    page's time. Each line: who (and who delivered it), when, a flag for watchlist hits
    and contact details, the escaped and highlighted text; desk messages carry
    data-sender="staff" and data-to (the party)."""
    words = {
        "desk": _esc(_("Sent by the desk through the exchange app")),
        "service": _esc(_("Delivered by this service account")),
        "flag": _esc(_("Watchlist keyword, contact details or pressure")),
        "via": _("via %(who)s"),
    }
    who: dict[tuple[str, str], str] = {}  # "Buyer", "Desk to the seller": one per kind
    # Which service account delivered the lines is said on the first of them and again
    # when it changes, not on every line (it is nearly always the one chat service).
    delivered_by = {"last": None}
    return mark_safe("".join(_chat_line(line, words, who, delivered_by) for line in lines))


def _chat_line(
    line: Any,
    words: dict[str, str],
    who: dict[tuple[str, str], str],
    delivered_by: dict[str, str | None],
) -> str:
    """One <li>. Plain f-strings with html.escape on every value that is not already safe
    markup (line.html is the escaped, highlighted text): format_html's per-argument checks
    were a third of the chat's cost at 200 lines."""
    key = (line.sender, line.to)
    if key not in who:
        who[key] = _esc(line.who)
    local = timezone.localtime(line.sent_at)
    via = line.via
    if line.desk is not None:
        by = _esc(_("by %(who)s") % {"who": via}) + " · " if via else ""
        source = (
            f'<span class="chat-via" title="{words["desk"]}">{by}'
            f"{_esc(line.desk.get_kind_display())}</span>"
        )
    elif via and via != delivered_by["last"]:
        delivered_by["last"] = via
        source = (
            f'<span class="chat-via" title="{words["service"]}">'
            f"{_esc(words['via'] % {'who': via})}</span>"
        )
    else:
        source = ""
    flag = f'<span class="flag" title="{words["flag"]}">⚑</span>' if line.flagged else ""
    to = f' data-to="{_esc(line.to)}"' if line.to else ""
    return (
        f'<li class="chat-msg {_esc(line.css)}{" flagged" if line.flagged else ""}"'
        f' id="{_esc(line.anchor)}" data-test="chat-message" data-sender="{_esc(line.sender)}"'
        f'{to} tabindex="-1"><div class="chat-meta"><span class="chat-who">{who[key]}</span> '
        f'<time datetime="{local.isoformat()}" title="{local:%Y-%m-%d %H:%M:%S %Z}">'
        f"{local:%m-%d %H:%M:%S}</time> {source}{flag}</div>"
        f'<div class="chat-text">{line.html}</div></li>\n'
    )


def _esc(value: Any) -> str:
    return html.escape(str(value), quote=True)
