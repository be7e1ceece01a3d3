"""Reading a voucher's facts from its text: pure functions, no I/O.

OCR (evidence.ocr) and a PDF's text layer give lines; this module turns them into the
contract's `extracted` fields: amount, currency, payer_name, paid_at, reference and text.
The input is what machines read, not what people type: OCR drops the spaces between CJK
and digits ("付款时间2026-12-0114:32:10", "TransactionID2026..."), a label and its value
come as separate boxes on one row, and amounts use every thousands separator there is.
A field nothing matched is None; a guess is never made up from other fields.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal, InvalidOperation
from typing import Any

FIELDS = ("amount", "currency", "payer_name", "paid_at", "reference", "text")

# The text kept with a reading: enough for a person to check it, bounded for the row.
TEXT_MAX = 4000

# --- currencies and amounts -------------------------------------------------------------

# Markers an app writes next to an amount, longest first so "US$" wins over "$". "¥" is
# yuan here: the desk's yen trades are rare, and a JPY receipt says "JPY" or "円".
CURRENCY_MARKERS: tuple[tuple[str, str], ...] = (
    ("人民币", "CNY"),
    ("RMB", "CNY"),
    ("CNY", "CNY"),
    ("US$", "USD"),
    ("USD", "USD"),
    ("EUR", "EUR"),
    ("GBP", "GBP"),
    ("RUB", "RUB"),
    ("руб", "RUB"),
    ("BRL", "BRL"),
    ("R$", "BRL"),
    ("JPY", "JPY"),
    ("HKD", "HKD"),
    ("HK$", "HKD"),
    ("USDT", ""),  # a crypto amount on a receipt is not the fiat payment
    ("¥", "CNY"),
    ("￥", "CNY"),
    ("元", "CNY"),
    ("円", "JPY"),
    ("$", "USD"),
    ("€", "EUR"),
    ("£", "GBP"),
    ("₽", "RUB"),
)
CURRENCY_CODES = frozenset(code for _, code in CURRENCY_MARKERS if code)

# A number as apps print money: 1,234.56 / 1.234,56 / 12 500,00 / 1'234.50 / 3600 / 3600.5
NUMBER = re.compile(
    r"\d{1,3}(?:[,.\u00a0\u202f' ]\d{3})+(?:[.,]\d{1,2})?(?!\d)|\d+(?:[.,]\d{1,2})?(?!\d)"
)


def parse_amount(text: str) -> Decimal | None:
    """The money amount in `text` (its sign dropped: a debit shows as -¥3,600.00), or
    None. The last separator is the decimal one when one or two digits follow it; every
    other separator groups thousands."""
    match = NUMBER.search(text)
    if match is None:
        return None
    raw = match.group(0)
    decimals = re.search(r"[.,](\d{1,2})$", raw)
    whole = raw[: decimals.start()] if decimals else raw
    digits = re.sub(r"\D", "", whole)
    try:
        value = Decimal(f"{digits}.{decimals.group(1)}" if decimals else digits)
    except InvalidOperation:
        return None
    return value.quantize(Decimal("0.01"))


def parse_currency(text: str) -> str | None:
    """The ISO code of the first currency marker in `text`, or None. "USDT" is a crypto
    amount, which names no fiat currency."""
    found: tuple[int, str] | None = None
    upper = text.upper()
    # The longest marker at the earliest position: "USDT" is not "USD", "US$" not "$".
    for marker, code in sorted(CURRENCY_MARKERS, key=lambda item: -len(item[0])):
        at = upper.find(marker.upper())
        if at >= 0 and (found is None or at < found[0]):
            found = (at, code)
    if found is None or not found[1]:
        return None
    return found[1]


def _money(text: str) -> tuple[Decimal | None, str | None]:
    return parse_amount(text), parse_currency(text)


# --- dates and times ----------------------------------------------------------------------

MONTHS = {
    name: n
    for n, names in enumerate(
        (
            ("jan", "january"),
            ("feb", "february"),
            ("mar", "march"),
            ("apr", "april"),
            ("may",),
            ("jun", "june"),
            ("jul", "july"),
            ("aug", "august"),
            ("sep", "sept", "september"),
            ("oct", "october"),
            ("nov", "november"),
            ("dec", "december"),
        ),
        start=1,
    )
    for name in names
}
_TIME = r"(?P<h>\d{1,2})[:：](?P<mi>\d{2})(?:[:：](?P<s>\d{2}))?\s*(?P<ap>[AaPp]\.?[Mm]\.?)?"
_ZONE = r"(?:\s*\(?\s*(?P<z>Z\b|(?:UTC|GMT)?\s*[+-]\s*\d{1,2}(?::?\d{2})?|UTC\b|GMT\b)\s*\)?)?"
DATE_PATTERNS = (
    # 2026-12-01 14:32:10, 2026/12/01, 2026.12.01, 2026年12月01日 14:32 (OCR may glue
    # the day and the hour: "2026-12-0114:32:10").
    re.compile(
        r"(?P<y>\d{4})\s*[-/.年]\s*(?P<m>\d{1,2})\s*[-/.月]\s*(?P<d>\d{1,2})(?!\d{2}[-/.])\s*日?"
        rf"(?:[\sT,]*{_TIME})?{_ZONE}"
    ),
    # 01.12.2026 14:32 (day first, as Europe and Russia write it) and 12/01/2026 (month
    # first, as US apps do, unless the first number cannot be a month).
    re.compile(
        r"(?<!\d)(?P<a>\d{1,2})(?P<sep>[./])(?P<b>\d{1,2})(?P=sep)(?P<y>\d{4})"
        rf"(?:[\s,]*{_TIME})?{_ZONE}"
    ),
    # Dec 1, 2026 2:32 PM / 1 Dec 2026 14:32
    re.compile(
        r"(?:(?P<mon1>[A-Za-z]{3,9})\.?\s*(?P<d1>\d{1,2})(?:st|nd|rd|th)?,?|(?P<d2>\d{1,2})(?:st|nd|rd|th)?\s*(?P<mon2>[A-Za-z]{3,9})\.?,?)"
        rf"\s*(?P<y>\d{{4}})(?:[\s,]*(?:at\s*)?{_TIME})?{_ZONE}"
    ),
)


def _zone(text: str | None) -> timezone | None:
    if not text:
        return None
    text = text.upper().replace(" ", "")
    if text in ("Z", "UTC", "GMT"):
        return UTC
    match = re.search(r"([+-])(\d{1,2})(?::?(\d{2}))?$", text)
    if match is None:
        return None
    hours, minutes = int(match.group(2)), int(match.group(3) or 0)
    if hours > 14 or minutes >= 60:
        return None
    delta = timedelta(hours=hours, minutes=minutes)
    return timezone(delta if match.group(1) == "+" else -delta)


def _ymd(match: re.Match[str]) -> tuple[int, int, int] | None:
    groups = match.groupdict()
    year = int(groups["y"])
    if groups.get("m"):
        return year, int(groups["m"]), int(groups["d"])
    if groups.get("a"):
        a, b = int(groups["a"]), int(groups["b"])
        if groups["sep"] == "." or a > 12:
            return year, b, a
        return year, a, b
    name = (groups.get("mon1") or groups.get("mon2") or "").lower()
    if name not in MONTHS:
        return None
    return year, MONTHS[name], int(groups.get("d1") or groups.get("d2"))


def parse_datetime(text: str) -> str | None:
    """The first date (and time, when shown) in `text` as ISO 8601: "2026-12-01T14:32:10",
    with its offset when the receipt names one ("+08:00"), a bare "2026-12-01" when it
    shows no time. A receipt's time is the payer's local time; without an offset the
    reader (evidence.risk) decides how far to trust it."""
    for pattern in DATE_PATTERNS:
        for match in pattern.finditer(text):
            ymd = _ymd(match)
            if ymd is None:
                continue
            try:
                day = date(*ymd)
            except ValueError:
                continue
            if not 2000 <= day.year <= 2100:
                continue
            if match.group("h") is None:
                return day.isoformat()
            hour, minute = int(match.group("h")), int(match.group("mi"))
            second = int(match.group("s") or 0)
            meridiem = (match.group("ap") or "").lower().replace(".", "")
            if meridiem == "pm" and hour < 12:
                hour += 12
            elif meridiem == "am" and hour == 12:
                hour = 0
            try:
                moment = datetime(*ymd, hour, minute, second, tzinfo=_zone(match.group("z")))
            except ValueError:
                return day.isoformat()
            return moment.isoformat()
    return None


# --- labels -------------------------------------------------------------------------------


def _label(*words: str) -> str:
    """A label as OCR reads it: the spaces between its words may be gone."""
    return "|".join(r"\s*".join(map(re.escape, w.split())) for w in words)


# Each field's labels, best first: a transaction id names the payment better than a
# free-text "Reference" the payer typed.
LABELS = {
    "amount": (
        _label("付款金额", "转账金额", "交易金额", "支付金额", "实付金额", "金额", "实付"),
        _label("Amount paid", "Amount", "Total amount", "Total", "Sum", "Сумма"),
    ),
    "currency": (_label("币种", "货币", "Currency", "Валюта"),),
    "payer_name": (
        _label("付款人", "付款方", "转账人", "付款户名", "付款账户名", "汇款人"),
        _label("Payer name", "Payer", "Paid by", "Sender", "From", "Отправитель", "Плательщик"),
    ),
    "paid_at": (
        _label("付款时间", "交易时间", "转账时间", "支付时间", "创建时间"),
        _label(
            "Date and time",
            "Transaction date",
            "Payment date",
            "Paid on",
            "Date",
            "Time",
            "Дата и время",
            "Дата",
        ),
    ),
    "reference": (
        _label("交易单号", "订单号", "流水号", "参考号", "交易号", "订单编号", "商户单号"),
        _label(
            "Transaction ID",
            "Transaction No",
            "Transaction number",
            "Txn ID",
            "Номер операции",
        ),
        _label("Reference number", "Reference", "Ref No", "Ref"),
    ),
}
_COMPILED = {
    field: tuple(
        re.compile(rf"^\s*(?:{words})(?![A-Za-z])\s*[:：.]?\s*(?P<v>.*)$", re.I) for words in groups
    )
    for field, groups in LABELS.items()
}
ANY_LABEL = re.compile(
    rf"^\s*(?:{'|'.join(w for groups in LABELS.values() for w in groups)})(?![A-Za-z])", re.I
)
# A masked or full account number after a payer's name: "张伟(****1234)", "John 6222 **** 1234".
ACCOUNT_TAIL = re.compile(r"[\s(（]*[*＊xX•·]*[\d*＊•·][\d*＊•·\s-]{3,}[)）]?\s*$")
REFERENCE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_/-]{3,}")


def _labelled(field: str, lines: Sequence[str]) -> list[str]:
    """The values of `field`'s labels, best label first, each label's rows in order. A
    label alone on its row takes the next row as its value (apps that stack them)."""
    found: list[str] = []
    for pattern in _COMPILED[field]:
        for n, line in enumerate(lines):
            match = pattern.match(line)
            if match is None:
                continue
            value = match.group("v").strip()
            if not value and n + 1 < len(lines) and not ANY_LABEL.match(lines[n + 1]):
                value = lines[n + 1].strip()
            if value:
                found.append(value)
    return found


# OCR drops the space between Latin words: "JohnSmith" is "John Smith".
GLUED_WORDS = re.compile(r"(?<=[a-z])(?=[A-Z])")


def _payer(value: str) -> str | None:
    name = GLUED_WORDS.sub(" ", ACCOUNT_TAIL.sub("", value)).strip(" :：-*")
    if not name or not re.search(r"[^\W\d_]", name):
        return None
    return name[:256]


def _reference(value: str) -> str | None:
    for token in REFERENCE.findall(value.replace(" ", "")):
        if re.search(r"\d", token):
            return token[:128]
    return None


# A row that is nothing but money: "12 500,00", "-3,600.00".
BARE_AMOUNT = re.compile(r"[-+]?\s*\d{1,3}(?:[,.\u00a0\u202f' ]\d{3})*[.,]\d{2}")


def _amount_lines(lines: Sequence[str]) -> Iterable[str]:
    """Where an amount may be: labelled rows first, then rows with a currency marker (the
    big figure a bank app shows without a label), last a row that is only a sum with
    cents (the same figure when OCR lost its symbol, as with "₽")."""
    yield from _labelled("amount", lines)
    for line in lines:
        if parse_currency(line) and parse_amount(line) is not None and not ANY_LABEL.match(line):
            yield line
    for line in lines:
        if BARE_AMOUNT.fullmatch(line.strip()):
            yield line


def extract_fields(lines: Sequence[str]) -> dict[str, Any]:
    """The contract's fields from a file's text lines; None where nothing was found.
    `amount` is a decimal string ("1234.50"), `currency` an ISO code, `paid_at` ISO 8601."""
    lines = [line.strip() for line in lines if line and line.strip()]
    result: dict[str, Any] = dict.fromkeys(FIELDS)
    for line in _amount_lines(lines):
        amount, currency = _money(line)
        if amount is not None and amount > 0:
            result["amount"] = str(amount)
            result["currency"] = currency
            break
    if result["currency"] is None:
        for value in _labelled("currency", lines):
            code = value.strip().upper()[:3]
            if code in CURRENCY_CODES:
                result["currency"] = code
                break
            if found := parse_currency(value):
                result["currency"] = found
                break
    result["payer_name"] = next(filter(None, map(_payer, _labelled("payer_name", lines))), None)
    result["paid_at"] = next(
        filter(None, map(parse_datetime, _labelled("paid_at", lines))), None
    ) or next(filter(None, map(parse_datetime, lines)), None)
    result["reference"] = next(filter(None, map(_reference, _labelled("reference", lines))), None)
    text = "\n".join(lines)
    result["text"] = text[:TEXT_MAX] if text else None
    return result


# --- OCR boxes into rows -----------------------------------------------------------------

Box = Sequence[Sequence[float]]


def rows_from_boxes(boxes: Iterable[tuple[Box, str]]) -> list[str]:
    """OCR's text boxes as the rows a person reads: boxes whose vertical centres lie
    within half a line of each other are one row, left to right, joined by a space (a
    receipt draws a label at the left and its value at the right of one row)."""
    items = []
    for box, text in boxes:
        if not text or not text.strip():
            continue
        ys = [point[1] for point in box]
        xs = [point[0] for point in box]
        items.append(((min(ys) + max(ys)) / 2, max(ys) - min(ys), min(xs), text.strip()))
    items.sort()
    rows: list[list[tuple[float, float, float, str]]] = []
    for item in items:
        if rows:
            last = rows[-1]
            centre = sum(i[0] for i in last) / len(last)
            height = max(i[1] for i in last)
            if abs(item[0] - centre) <= max(height, item[1]) / 2:
                last.append(item)
                continue
        rows.append([item])
    return [" ".join(i[3] for i in sorted(row, key=lambda i: i[2])) for row in rows]
