"""The arbitrator's working tools: canned replies, the penalty matrix, plain-language
verdict explanations, the chat keyword watchlist, and messages to parties."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from string import Formatter
from zoneinfo import ZoneInfo

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from arbitration.exceptions import InvalidInput

from . import roles
from .lifecycle import _lock, _require, _require_handler, desk_message_send
from .models import (
    AccountAction,
    Appeal,
    CannedReply,
    DeskMessage,
    Party,
    PenaltyRule,
    Verdict,
    WatchKeyword,
)

# --- canned replies -----------------------------------------------------------------------

VARIABLES = ("party_name", "order", "amount", "asset", "fiat_amount", "deadline", "what")


class _Blank(dict):
    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


def reply_variables(
    appeal: Appeal, party: str, *, deadline: datetime | None = None, what: str = ""
) -> dict[str, str]:
    order = appeal.order
    trader = order.party(party)
    zone = ZoneInfo(settings.OPERATIONS_TIME_ZONE)
    return {
        "party_name": trader.display_name,
        "order": order.external_id,
        "amount": format(order.crypto_amount.normalize(), "f"),
        "asset": order.asset,
        "fiat_amount": f"{order.fiat_amount} {order.fiat_currency}",
        "deadline": deadline.astimezone(zone).strftime("%Y-%m-%d %H:%M %Z") if deadline else "",
        "what": what,
    }


def reply_render(text: str, variables: dict[str, str]) -> str:
    """Fill {variables}; unknown ones stay visible so the arbitrator sees what is missing."""
    names = {name for _lit, name, _spec, _conv in Formatter().parse(text) if name}
    unknown = names - set(VARIABLES)
    if unknown:
        raise InvalidInput(
            _("Unknown variables: %(names)s.") % {"names": ", ".join(sorted(unknown))},
            field="text",
        )
    return text.format_map(_Blank(variables))


def language_key(code: str) -> str:
    """The desk's key for a party's language as the exchange sends it: "zh", "zh-CN",
    "zh_Hans" -> "zh-hans"; "ru-RU" -> "ru"; "" stays ""."""
    code = (code or "").strip().lower().replace("_", "-")
    if code == "zh" or code.startswith(("zh-hans", "zh-cn", "zh-sg")):
        return "zh-hans"
    if code.startswith("zh-"):
        return code
    return code.split("-", 1)[0]


def replies_for(language: str) -> list[CannedReply]:
    """Active replies in the party's language, falling back to English per reply."""
    language = language_key(language)
    replies = {r.key: r for r in CannedReply.objects.filter(active=True, language="en")}
    if language and language != "en":
        for r in CannedReply.objects.filter(active=True, language=language):
            replies[r.key] = r
    return sorted(replies.values(), key=lambda r: r.key)


def party_message_send(
    *, appeal_id: int, actor: AbstractBaseUser | None, party: str, text: str, language: str = ""
) -> DeskMessage:
    """Send a message to a party through the exchange's app: a desk message (shown in the
    case's chat as the desk's), its party.message event and its audit entry."""
    actor = _require(actor, roles.WORK, _("message parties"))
    if party not in Party.values:
        raise InvalidInput(_("party must be 'buyer' or 'seller'."), field="party")
    if not text.strip():
        raise InvalidInput(_("The message is empty."), field="text")
    with transaction.atomic():
        appeal = _lock(appeal_id)
        if appeal.assignee_id or appeal.is_closed:
            # The desk speaks to a party through whoever handles the case (a colleague's,
            # or a closed one: the assignee, seniors and leads), never from any desk.
            _require_handler(appeal, actor, _("message the parties of this appeal"))
        return desk_message_send(
            appeal=appeal,
            actor=actor,
            party=party,
            kind=DeskMessage.Kind.NOTICE,
            text=text,
            language=language,
        )


# --- penalty matrix -----------------------------------------------------------------------


@dataclass(frozen=True)
class Penalty:
    kind: str
    days: int | None
    repeat: bool
    note: str

    @property
    def label(self) -> str:
        label = AccountAction.Kind(self.kind).label if self.kind else _("no action")
        if self.days:
            return _("%(action)s %(days)d d") % {"action": label, "days": self.days}
        return str(label)


def penalty_suggest(appeal: Appeal, responsible_party: str) -> list[tuple[str, Penalty]]:
    """The action the matrix suggests for each responsible trader; a trader with an
    earlier account action gets the repeat-offence action."""
    rule = PenaltyRule.objects.filter(reason=appeal.reason).first()
    if rule is None or responsible_party == Verdict.ResponsibleParty.NONE:
        return []
    sides = [Party.BUYER, Party.SELLER] if responsible_party == "both" else [responsible_party]
    suggestions = []
    for side in sides:
        trader = appeal.order.party(side)
        repeat = AccountAction.objects.filter(trader=trader).exists()
        kind, days = (
            (rule.repeat_action, rule.repeat_days)
            if repeat
            else (rule.first_action, rule.first_days)
        )
        suggestions.append((side, Penalty(kind=kind, days=days, repeat=repeat, note=rule.note)))
    return suggestions


# --- verdict explanations -----------------------------------------------------------------

EXPLANATIONS = {
    "en": {
        "release_to_buyer": "The {amount} {asset} held in escrow for order {order} are released "
        "to the buyer.",
        "return_to_seller": "Order {order} is cancelled and the {amount} {asset} held in escrow "
        "return to the seller.",
        "no_action": "The appeal on order {order} is closed; no funds move.",
        "why": "Decided under rule {rule} ({title}): {rule_text}",
        "you_won": "Your appeal was upheld.",
        "you_lost": "Your appeal was not upheld.",
    },
    "zh-hans": {
        "release_to_buyer": "订单 {order} 托管中的 {amount} {asset} 已放行给买家。",
        "return_to_seller": "订单 {order} 已取消，托管中的 {amount} {asset} 已退回卖家。",
        "no_action": "订单 {order} 的申诉已关闭，资金不作变动。",
        "why": "依据规则 {rule}（{title}）裁决：{rule_text}",
        "you_won": "您的申诉已获支持。",
        "you_lost": "您的申诉未获支持。",
    },
    "ru": {
        "release_to_buyer": "{amount} {asset} из эскроу по ордеру {order} переданы покупателю.",
        "return_to_seller": "Ордер {order} отменён, {amount} {asset} из эскроу возвращены "
        "продавцу.",
        "no_action": "Апелляция по ордеру {order} закрыта, средства не перемещаются.",
        "why": "Решение по правилу {rule} ({title}): {rule_text}",
        "you_won": "Ваша апелляция удовлетворена.",
        "you_lost": "Ваша апелляция не удовлетворена.",
    },
}


def verdict_explain(verdict: Verdict, party: str, language: str = "") -> str:
    """A plain-language explanation of a verdict for one party, in their language."""
    texts = EXPLANATIONS.get(language_key(language)) or EXPLANATIONS["en"]
    appeal, order = verdict.appeal, verdict.appeal.order
    # The amount frozen on the appeal and the rule as the verdict cited it: an explanation
    # read a year later says what the parties were told then.
    values = {
        "amount": format(appeal.crypto_amount.normalize(), "f"),
        "asset": appeal.asset,
        "order": order.external_id,
        "rule": verdict.rule_code,
        "title": verdict.rule_title,
        "rule_text": verdict.rule_text,
    }
    lines = []
    if party == appeal.opened_by:
        lines.append(texts["you_won"] if verdict.appellant_won else texts["you_lost"])
    lines.append(texts[verdict.outcome].format(**values))
    lines.append(texts["why"].format(**values))
    return " ".join(lines)


# --- keyword watchlist --------------------------------------------------------------------


def watch_pattern() -> re.Pattern[str] | None:
    terms = sorted(
        WatchKeyword.objects.filter(active=True).values_list("term", flat=True),
        key=len,
        reverse=True,
    )
    if not terms:
        return None
    return re.compile("|".join(re.escape(t) for t in terms), re.IGNORECASE)


# Phone numbers and messenger handles count as off-platform contact even when no listed
# keyword is there.
# Only shapes that are phone numbers: an international "+" prefix, a Chinese mobile
# (1[3-9] and nine digits) or a Russian one (8 9xx ...). Order numbers and bank
# references, plain runs of digits, are not flagged.
CONTACT = re.compile(
    r"(?<![\w@])@[A-Za-z]\w{3,31}"
    r"|\+\d{1,3}[\s-]?\(?\d{2,4}\)?(?:[\s-]?\d{2,4}){2,4}(?!\d)"
    r"|(?<!\d)1[3-9]\d(?:[\s-]?\d{4}){2}(?!\d)"
    r"|(?<!\d)8[\s-]?\(?9\d{2}\)?[\s-]?\d{3}(?:[\s-]?\d{2}){2}(?!\d)"
)


def highlight(text: str, pattern: re.Pattern[str] | None) -> tuple[SafeString, bool]:
    """Escape a (hostile) chat text, then mark watchlist hits and contact details."""
    spans: list[tuple[int, int]] = []
    for regex in (pattern, CONTACT):
        if regex is not None:
            spans.extend(m.span() for m in regex.finditer(text))
    if not spans:
        return SafeString(escape(text)), False
    # At one start, the longest match wins ("+86 138..." over the keyword "+86").
    spans.sort(key=lambda span: (span[0], -span[1]))
    out, pos = [], 0
    for start, end in spans:
        if start < pos:
            continue
        out.append(escape(text[pos:start]))
        out.append(f'<mark class="watch">{escape(text[start:end])}</mark>')
        pos = end
    out.append(escape(text[pos:]))
    return mark_safe("".join(out)), True  # noqa: S308 - every piece is escaped above
