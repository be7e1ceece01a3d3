"""Canned replies: the desk's standard texts to parties, one per key with a title and text
per language (cases/translation.py), with variables."""

from __future__ import annotations

import functools
import re
from datetime import datetime
from string import Formatter
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext as _
from modeltranslation.utils import build_localized_fieldname

from arbitration.exceptions import DomainError, InvalidInput

from .languages import language_key
from .models import Appeal, CannedReply, Party

VARIABLES = ("party_name", "order", "amount", "asset", "fiat_amount", "deadline", "what")


class _Blank(dict):
    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


def reply_blank() -> str:
    """What a reply shows for {what}, in the active language, for the arbitrator to type
    over (the case page selects it): the desk cannot know what evidence is needed."""
    return "[" + _("describe what is needed") + "]"


@functools.cache
def _blanks() -> re.Pattern[str]:
    texts = []
    for code, _name in settings.LANGUAGES:
        with translation.override(code):
            texts.append(re.escape(reply_blank()))
    variables = "|".join(re.escape("{" + v + "}") for v in VARIABLES)
    return re.compile("|".join([variables, *texts]))


def reply_gap(text: str) -> str:
    """The first blank a canned reply left in `text` ("{what}", "[describe what is
    needed]" in any language), or "": the party must not read it."""
    gap = _blanks().search(text)
    return gap.group(0) if gap else ""


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


def _parts(text: str) -> list[tuple[str, str | None]]:
    """(literal, variable name or None) of a reply's text, or InvalidInput: braces that do
    not pair ("{{" and "}}" are literal braces), an unknown name, or a format spec or
    conversion ("{order:>9999999}" would pad the page to megabytes)."""
    try:
        parsed = list(Formatter().parse(text))
    except ValueError:
        raise InvalidInput(
            _('Unpaired brace: write a variable as {order}, a brace itself as "{{" or "}}".'),
            field="text",
        ) from None
    parts, unknown = [], set()
    for literal, name, spec, conversion in parsed:
        if name is not None and (spec or conversion or name not in VARIABLES):
            shown = name + (f"!{conversion}" if conversion else "") + (f":{spec}" if spec else "")
            unknown.add("{" + shown + "}")
        parts.append((literal, name))
    if unknown:
        raise InvalidInput(
            _("Unknown variables: %(names)s (known: %(known)s).")
            % {
                "names": ", ".join(sorted(unknown)),
                "known": ", ".join("{" + v + "}" for v in VARIABLES),
            },
            field="text",
        )
    return parts


def reply_check(text: str) -> None:
    """InvalidInput if the text is not a reply the desk can fill (see _parts)."""
    _parts(text)


def reply_render(text: str, variables: dict[str, str]) -> str:
    """Fill {variables}; a known one without a value stays visible ("{what}") so the
    arbitrator sees what is missing."""
    blank = _Blank(variables)
    return "".join(
        literal + (blank[name] if name is not None else "") for literal, name in _parts(text)
    )


def replies_for(language: str = "") -> list[CannedReply]:
    """The active replies, one per key; read under `translation.override(language)` their
    title and text are the party's language, or English where that is not written."""
    return list(CannedReply.objects.filter(active=True).order_by("key"))


def reply_language(reply: CannedReply, language: str) -> str:
    """The language the reply's text is written in for a party speaking `language`."""
    language = language_key(language) or "en"
    if getattr(reply, build_localized_fieldname("text", language), None):
        return language
    return "en"


def _utf16(text: str) -> int:
    # A text area's selection counts UTF-16 code units (an emoji in a name counts two).
    return len(text.encode("utf-16-le")) // 2


def replies_rendered(appeal: Appeal, *, deadline: datetime | None) -> dict[str, list[dict]]:
    """Each active reply once per party, entirely in that party's language (its title,
    its text, the blank to type over), with the variables filled. `blank` is where the
    arbitrator types: the [start, end) of the first blank left (as the browser counts
    a text area's selection), or None."""
    replies = replies_for()
    result: dict[str, list[dict[str, Any]]] = {}
    for side in Party.values:
        language = language_key(appeal.order.party(side).language) or "en"
        rendered = []
        with translation.override(language):
            variables = reply_variables(appeal, side, deadline=deadline, what=reply_blank())
            for reply in replies:
                try:
                    text = reply_render(reply.text, variables)
                except DomainError:
                    text = reply.text
                gap = _blanks().search(text)
                rendered.append(
                    {
                        "key": reply.key,
                        "title": reply.title,
                        "language": reply_language(reply, language),
                        "text": text,
                        "blank": [_utf16(text[: gap.start()]), _utf16(text[: gap.end()])]
                        if gap
                        else None,
                    }
                )
        result[side] = rendered
    return result
