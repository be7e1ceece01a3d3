"""What a chat message shows of off-platform contact and pressure, in English, Chinese
and Russian: phone numbers (the phonenumbers library), messenger handles, links and
invitations, and urgency or threats. The risk scorer counts the findings
(evidence.risk) and the case page marks them (cases.chat_text.highlight).

Phone numbers are what phonenumbers holds valid for one of the regions tried (the
parties' countries and the desk's usual markets), with what a chat about a payment is
full of left out: amounts, dates and times, order, transaction and card numbers.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

import phonenumbers
from phonenumbers import Leniency, PhoneNumberMatcher


class Kind(StrEnum):
    PHONE = "phone"
    MESSENGER = "messenger"
    PRESSURE = "pressure"


# The kinds that move a trade off the platform; pressure is its own signal.
CONTACT_KINDS = frozenset({Kind.PHONE, Kind.MESSENGER})


@dataclass(frozen=True)
class Finding:
    kind: Kind
    start: int
    end: int
    text: str


# Where the desk's traders are; the parties' own countries are tried first.
PHONE_REGIONS = ("CN", "HK", "TW", "SG", "MY", "RU", "KZ", "UA", "US", "GB", "IN", "NG", "AE")
# A valid number by the region's plan; POSSIBLE takes any digit run of the right length.
LENIENCY = Leniency.VALID
# Fewer digits than this is never a phone number worth a signal (and saves the matcher).
_DIGITS = re.compile(r"\d(?:[\s\-().]*\d){6,}")
# A number after one of these words is the order's, the transfer's or a card's.
_NOT_PHONE_BEFORE = re.compile(
    r"(?:order|ref|reference|txn|transaction|trade|card|account|acct|iban|invoice|utr|"
    r"订单|单号|编号|流水|交易号|卡号|账号|尾号|заказ|сделк|перевод|транзакц|карт|сч[её]т)"
    r"\w*\s*(?:no\.?|id|#|number|号|номер|№)?\s*[:：#№]?\s*$",
    re.IGNORECASE,
)
# ...or before one of these: an amount.
_AMOUNT_AFTER = re.compile(
    r"^\s*(?:[A-Z]{3}\b|usdt|usdc|btc|eth|元|块|руб|р\.|₽|\$|¥|€|£|%)", re.IGNORECASE
)
_AMOUNT_BEFORE = re.compile(r"(?:[$¥€£₽]|usdt|cny|rmb|usd|rub)\s*$", re.IGNORECASE)
# Dates (2026-12-01, 01.12.2026, 1/12/26, 01-12-2026) and times; not "345-67-89".
_DATE_OR_TIME = re.compile(
    r"(?<!\d)(?:\d{4}[./-]\d{1,2}[./-]\d{1,2}|\d{1,2}[./]\d{1,2}[./]\d{2,4}|\d{1,2}-\d{1,2}-\d{4})"
    r"(?!\d)|\d{1,2}:\d{2}"
)

_MESSENGERS = (
    r"telegram|телеграм\w*|телег[аеуи]|тг|电报|纸飞机|飞机|tg"
    r"|whats\s?app|вотсап\w*|ватсап\w*|вацап\w*"
    r"|we\s?chat|weixin|微信|威信|薇信|v信|vx|wx"
    r"|qq|扣扣|line|лайн|viber|вайбер\w*|signal|сигнал\w*|skype|скайп\w*"
)
# The messengers whose names are no everyday word ("line", "signal", "飞机" are).
_NAMED = r"telegram|whats\s?app|we\s?chat|weixin|viber|skype|qq"
MESSENGER = re.compile(
    # Links to a chat or profile.
    r"(?:https?://)?(?:t\.me|telegram\.me|telegram\.dog|wa\.me|api\.whatsapp\.com|"
    r"chat\.whatsapp\.com|line\.me|u\.wechat\.com|weixin\.qq\.com|invite\.viber\.com|"
    r"signal\.me|qm\.qq\.com)/[^\s]+"
    # A Telegram-style handle (not an e-mail address).
    r"|(?<![\w@.])@[A-Za-z][A-Za-z0-9_]{3,31}\b"
    r"|\bwxid_[A-Za-z0-9_]{4,}"
    # A messenger and its id or number: "微信: zhang_888", "QQ 12345678", "vx号abc".
    rf"|(?<![A-Za-z])(?:{_MESSENGERS})\s*(?:id|ID|号|號|номер|nick)?\s*[:：]\s*[@+]?[\w\-.]{{4,}}"
    rf"|(?<![A-Za-z])(?:{_MESSENGERS})\s*(?:id|ID|号|號)\s*[:：]?\s*[@+]?[\w\-.]{{4,}}"
    r"|(?<![A-Za-z])(?:qq|扣扣)\s*[:：号]?\s*\d{5,11}(?!\d)"
    # Invitations: to a messenger, or to "add me".
    rf"|\b(?:add|text|message|msg|dm|ping|contact|reach|find|call|write|talk to|chat with)"
    rf"\s+(?:me|us)\s+(?:on|at|via|in|through|over)\s+(?:{_MESSENGERS})\b"
    r"|\badd me (?:on|at|via)\b"
    rf"|\b(?:let'?s|we can|better|pls|please)\s+(?:talk|chat|continue|move|go|switch)\s+"
    rf"(?:on|in|to|over)\s+(?:{_MESSENGERS})\b"
    rf"|\bmy\s+(?:{_NAMED})\s+(?:is|id|number|handle)\b"
    rf"|加(?:我|一下|个|下|我的)?\s*(?:{_MESSENGERS})"
    rf"|(?:{_MESSENGERS})\s*(?:上)?\s*(?:联系|聊|沟通|私聊|谈)"
    rf"|(?:напиши|пиши|напишите|пишите|звони|позвони|позвоните|добавь|добавьте|свяжись|"
    rf"свяжитесь|стучи|маякни|переходи|перейди|перейд[её]м|переходим|давай|давайте|жду)"
    rf"(?:\s+мне)?(?:\s+(?:в|во|на|через))?\s+(?:{_MESSENGERS})",
    re.IGNORECASE,
)

PRESSURE = re.compile(
    # English: hurry, now, last chance; threats of a report, the police, a ban.
    r"\b(?:hurry(?:\s+up)?|asap|right now|immediately|last chance|final warning|"
    r"release (?:it |the coins? |the usdt |the crypto )?(?:now|immediately|fast|quickly)|"
    r"(?:or|otherwise|else)\s+(?:i(?:'ll| will| am going to)?\s+)?(?:report|call the police|sue|"
    r"complain|get you banned|ban|block)\w*|i(?:'ll| will) report you|"
    r"you(?:'ll| will) be (?:banned|reported)|(?:no|not much) time left|"
    r"don'?t waste my time|call the police)\b"
    # Chinese: hurry, release now; or a complaint, a report, the police, a ban.
    r"|快点?放币?|赶紧放币?|快点|赶紧|马上|立刻放|立即放|最后一次|最后机会|"
    r"不然(?:我)?(?:就)?(?:投诉|举报|报警|封号)|否则(?:我)?(?:就)?(?:投诉|举报|报警)|"
    r"投诉你|举报你|报警"
    # Russian: faster, urgently; or I will complain, report, go to the police.
    r"|(?<![а-яё])(?:быстрее|срочно|немедленно|сейчас же|последний шанс|"
    r"иначе\s+(?:я\s+)?(?:пожалуюсь|напишу жалобу|заявлю|обращусь|вызову)\w*|"
    r"пожалуюсь|полици\w+)(?![а-яё])",
    re.IGNORECASE,
)


def findings(text: str, *, regions: Iterable[str] = ()) -> list[Finding]:
    """Every phone number, messenger contact and pressure phrase in `text`, in text
    order, overlapping findings kept (the caller decides: a highlight keeps the
    longest). `regions`: ISO country codes to read national numbers in, before the
    desk's usual ones."""
    plain = _fold_width(text)
    found = [*_phones(plain, regions)]
    for kind, pattern in ((Kind.MESSENGER, MESSENGER), (Kind.PRESSURE, PRESSURE)):
        found.extend(
            Finding(kind, m.start(), m.end(), text[m.start() : m.end()])
            for m in pattern.finditer(plain)
        )
    found = [Finding(f.kind, f.start, f.end, text[f.start : f.end]) for f in found]
    return sorted(found, key=lambda f: (f.start, -f.end, f.kind))


def kinds(text: str, *, regions: Iterable[str] = ()) -> set[Kind]:
    """The kinds of finding in `text`."""
    return {f.kind for f in findings(text, regions=regions)}


def _fold_width(text: str) -> str:
    """Full-width digits, letters and signs (１３８, ＋, ：) as ASCII, one character for
    one so the positions stay the text's."""
    out = []
    for ch in text:
        folded = unicodedata.normalize("NFKC", ch)
        out.append(folded if len(folded) == 1 else ch)
    return "".join(out)


def _phones(text: str, regions: Iterable[str]) -> list[Finding]:
    if not _DIGITS.search(text):
        return []
    tried = list(dict.fromkeys(r.upper() for r in (*regions, *PHONE_REGIONS) if r))
    spans: dict[tuple[int, int], str] = {}
    for region in tried:
        if region not in phonenumbers.SUPPORTED_REGIONS:
            continue
        for match in PhoneNumberMatcher(text, region, leniency=LENIENCY):
            if (match.start, match.end) not in spans and _is_phone(text, match.start, match.end):
                spans[(match.start, match.end)] = match.raw_string
    return [Finding(Kind.PHONE, start, end, raw) for (start, end), raw in spans.items()]


def _is_phone(text: str, start: int, end: int) -> bool:
    """Not an amount, a date or time, a reference after its label, or a card number."""
    raw = text[start:end]
    if _DATE_OR_TIME.search(raw):
        return False
    if _NOT_PHONE_BEFORE.search(text[max(0, start - 24) : start]):
        return False
    if _AMOUNT_AFTER.match(text[end : end + 6]) or _AMOUNT_BEFORE.search(
        text[max(0, start - 6) : start]
    ):
        return False
    digits = re.sub(r"\D", "", raw)
    return raw.lstrip().startswith("+") or not (13 <= len(digits) <= 19 and _luhn(digits))


def _luhn(digits: str) -> bool:
    """The card-number checksum (a 16-digit card written without a "+" is not a phone)."""
    total = 0
    for i, d in enumerate(reversed(digits)):
        n = int(d) * (2 if i % 2 else 1)
        total += n - 9 if n > 9 else n
    return total % 10 == 0
