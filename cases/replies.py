"""Canned replies: the desk's standard texts to parties, per language, with variables."""

from __future__ import annotations

from datetime import datetime
from string import Formatter
from zoneinfo import ZoneInfo

from django.conf import settings
from django.utils.translation import gettext as _

from arbitration.exceptions import InvalidInput

from .languages import language_key
from .models import Appeal, CannedReply

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


def replies_for(language: str) -> list[CannedReply]:
    """Active replies in the party's language, falling back to English per reply."""
    language = language_key(language)
    replies = {r.key: r for r in CannedReply.objects.filter(active=True, language="en")}
    if language and language != "en":
        for r in CannedReply.objects.filter(active=True, language=language):
            replies[r.key] = r
    return sorted(replies.values(), key=lambda r: r.key)
