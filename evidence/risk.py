"""Risk on an appeal: a 0-100 score and the signals that explain it (the contract's
risk_score and risk_signals). Read-only over the case: it writes only the two derived
columns. Recomputed (cases.tasks.assess_risk) after anything that can change it, which
marks the appeal stale (cases.derived): the appeal opening, evidence, chat, account
signals."""

from __future__ import annotations

import re
import unicodedata
from datetime import UTC, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db.models import Count, Q
from django.utils import translation
from django.utils.translation import gettext, gettext_lazy, gettext_noop

from cases.chat_text import CONTACT
from cases.models import (
    AccountSignal,
    Appeal,
    ChatMessage,
    Party,
    Verdict,
    WatchKeyword,
    appellant_won,
)

from .models import Evidence, merged_facts

# What each finding adds to the score; the score is capped at 100.
WEIGHTS = {
    "duplicate_voucher": 40,
    "linked_accounts": 30,
    "payer_name_mismatch": 25,
    "off_platform_contact": 15,
    "repeat_appellant": 15,
    "voucher_amount_mismatch": 30,
    "voucher_time_mismatch": 20,
}
# What each code is called on a page.
LABELS = {
    "duplicate_voucher": gettext_lazy("Duplicate voucher"),
    "linked_accounts": gettext_lazy("Linked accounts"),
    "payer_name_mismatch": gettext_lazy("Payer name mismatch"),
    "off_platform_contact": gettext_lazy("Off-platform contact"),
    "repeat_appellant": gettext_lazy("Repeat appellant"),
    "voucher_amount_mismatch": gettext_lazy("Voucher amount mismatch"),
    "voucher_time_mismatch": gettext_lazy("Voucher time mismatch"),
}
# Each finding's sentence. A signal is stored with its sentence's key and values and the
# sentence in English (`detail`, what the API gives); pages show it in the viewer's
# language (signal_text).
SENTENCES = {
    "same_file": gettext_noop("The same file was uploaded on order(s) %(orders)s."),
    "near_image": gettext_noop("A near-identical voucher image is on order(s) %(orders)s."),
    "parties_share": gettext_noop("Buyer and seller share a %(kind)s."),
    "party_shares": gettext_noop("A party shares a %(kind)s with %(n)s other account(s)."),
    "payer_name": gettext_noop(
        "The voucher's payer %(payer)s is not the buyer's KYC name %(kyc)s."
    ),
    "off_platform": gettext_noop(
        "The %(sender)s pushes to move off the platform (%(n)s message(s))."
    ),
    "repeat": gettext_noop("The appellant opened %(n)s earlier appeal(s) and lost %(lost)s."),
    "voucher_amount": gettext_noop(
        "Voucher #%(evidence)s shows %(amount)s %(currency)s; the order is for "
        "%(expected)s %(expected_currency)s."
    ),
    "voucher_early": gettext_noop(
        "Voucher #%(evidence)s is dated %(paid_at)s, before the order was created (%(created_at)s)."
    ),
    "voucher_late": gettext_noop(
        "Voucher #%(evidence)s is dated %(paid_at)s, more than %(hours)s hours after the "
        "order was marked paid (%(marked_paid_at)s)."
    ),
}


def _sentence(key: str, params: dict[str, Any]) -> str:
    """The sentence in the active language, its coded values (a signal kind, a sender)
    named in that language too."""
    values = dict(params)
    if "kind" in values:
        values["kind"] = str(AccountSignal.Kind(values["kind"]).label).lower()
    if "sender" in values:
        values["sender"] = str(ChatMessage.Sender(values["sender"]).label).lower()
    if "payer" in values:
        values["payer"], values["kyc"] = repr(values["payer"]), repr(values["kyc"])
    return gettext(SENTENCES[key]) % values


def _signal(code: str, key: str, **params: Any) -> dict[str, Any]:
    with translation.override("en"):
        detail = _sentence(key, params)
    return {"code": code, "detail": detail, "sentence": key, "params": params}


def signal_text(signal: dict[str, Any]) -> str:
    """A stored signal's sentence in the active language; one stored before sentences
    had keys, or with values that do not fit, reads as its English `detail`."""
    try:
        return _sentence(signal["sentence"], signal["params"])
    except (KeyError, TypeError, ValueError):
        return str(signal.get("detail", ""))


# Difference hashes this close (of 64 bits) are the same picture re-encoded or resized;
# receipts that merely share a bank app's layout differ in more bits than this.
NEAR_BITS = 3
# A pattern, not bad luck: this many earlier appeals, or this many lost.
REPEAT_APPEALS = 3
REPEAT_LOSSES = 2


def _norm(name: str) -> str:
    """Names compared without case, accents, punctuation or word order."""
    text = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode() or name
    words = re.findall(r"\w+", text.lower())
    return " ".join(sorted(words))


def _duplicate_vouchers(appeal: Appeal) -> list[dict[str, Any]]:
    mine = list(Evidence.objects.filter(appeal=appeal).values("sha256", "image_hash"))
    if not mine:
        return []
    others = Evidence.objects.exclude(appeal__order_id=appeal.order_id)
    found: list[dict[str, Any]] = []
    same = (
        others.filter(sha256__in={e["sha256"] for e in mine})
        .values_list("appeal__order__external_id", flat=True)
        .distinct()[:5]
    )
    if same:
        found.append(_signal("duplicate_voucher", "same_file", orders=", ".join(same)))
    hashes = {e["image_hash"] for e in mine if e["image_hash"]}
    if hashes:
        # Candidates share the first 16 bits (indexed prefix); the rest by bit distance.
        prefix = Q()
        for h in hashes:
            prefix |= Q(image_hash__startswith=h[:4])
        near = set()
        for order_ref, other in (
            others.filter(prefix)
            .exclude(sha256__in={e["sha256"] for e in mine})
            .values_list("appeal__order__external_id", "image_hash")[:500]
        ):
            if any(bin(int(h, 16) ^ int(other, 16)).count("1") <= NEAR_BITS for h in hashes):
                near.add(order_ref)
        if near:
            found.append(
                _signal("duplicate_voucher", "near_image", orders=", ".join(sorted(near)[:5]))
            )
    return found


def _linked_accounts(appeal: Appeal) -> list[dict[str, Any]]:
    order = appeal.order
    parties = [order.buyer_id, order.seller_id]
    values = AccountSignal.objects.filter(trader_id__in=parties).values_list("kind", "value")
    if not values:
        return []
    shared = Q()
    for kind, value in values:
        shared |= Q(kind=kind, value=value)
    rows = (
        AccountSignal.objects.filter(shared)
        .values("kind", "value")
        .annotate(traders=Count("trader", distinct=True))
        .filter(traders__gt=1)
    )
    found = []
    for row in rows[:20]:
        holders = set(
            AccountSignal.objects.filter(kind=row["kind"], value=row["value"]).values_list(
                "trader_id", flat=True
            )[:50]
        )
        if {order.buyer_id, order.seller_id} <= holders:
            found.append(_signal("linked_accounts", "parties_share", kind=row["kind"]))
        else:
            found.append(
                _signal("linked_accounts", "party_shares", kind=row["kind"], n=row["traders"] - 1)
            )
    return found[:5]


def _names_differ(payer: str, kyc: str) -> bool:
    """Whether a voucher's payer is someone other than the buyer: the one comparison the
    payer-name check makes (a better matcher replaces this call alone)."""
    return _norm(payer) != _norm(kyc)


def _payer_mismatch(appeal: Appeal) -> list[dict[str, Any]]:
    """Payer names the buyer's evidence shows, typed at upload or read from the file (as
    corrected), that are not the buyer's KYC name."""
    kyc = appeal.order.buyer.kyc_name
    if not kyc:
        return []
    names: dict[str, None] = {}
    for entered, extracted, corrections in Evidence.objects.filter(
        appeal=appeal, party=Party.BUYER
    ).values_list("payer_name", "extracted", "corrections"):
        read = merged_facts(extracted, corrections).get("payer_name")
        for name in (entered, read):
            if isinstance(name, str) and name.strip():
                names.setdefault(name.strip())
    return [
        _signal("payer_name_mismatch", "payer_name", payer=name, kyc=kyc)
        for name in names
        if _names_differ(name, kyc)
    ][:3]


# --- what the vouchers say ----------------------------------------------------------------

# A voucher's time is the payer's local time, and most show no offset. Read as local time,
# it is one of the instants from UTC-12 to UTC+14; it is out of the order's window only if
# every one of them is.
EARLIEST_OFFSET, LATEST_OFFSET = timedelta(hours=-12), timedelta(hours=14)
# Bank clocks and the exchange's drift apart a little.
CLOCK_SLACK = timedelta(minutes=5)
# A payment this long after the buyer marked the order paid is another payment.
LATE_HOURS = 24


def _vouchers(appeal: Appeal) -> list[tuple[int, dict[str, Any]]]:
    """The buyer's payment vouchers that were read or corrected: (id, facts)."""
    rows = (
        Evidence.objects.filter(
            appeal=appeal, party=Party.BUYER, kind=Evidence.Kind.PAYMENT_VOUCHER
        )
        .filter(Q(extracted__isnull=False) | ~Q(corrections={}))
        .values_list("id", "extracted", "corrections")
    )
    return [(pk, merged_facts(extracted, corrections)) for pk, extracted, corrections in rows]


def _amount_mismatch(
    appeal: Appeal, vouchers: list[tuple[int, dict[str, Any]]]
) -> list[dict[str, Any]]:
    order = appeal.order
    expected = order.fiat_amount.quantize(Decimal("0.01"))
    found = []
    for pk, facts in vouchers:
        try:
            amount = Decimal(str(facts.get("amount"))) if facts.get("amount") else None
        except InvalidOperation:
            amount = None
        currency = facts.get("currency") or ""
        wrong_sum = amount is not None and amount.quantize(Decimal("0.01")) != expected
        wrong_currency = bool(currency) and currency.upper() != order.fiat_currency.upper()
        if wrong_sum or wrong_currency:
            found.append(
                _signal(
                    "voucher_amount_mismatch",
                    "voucher_amount",
                    evidence=pk,
                    amount=str(amount) if amount is not None else "?",
                    currency=currency,
                    expected=str(expected),
                    expected_currency=order.fiat_currency,
                )
            )
    return found[:3]


def _span(paid_at: str) -> tuple[datetime, datetime] | None:
    """The instants a voucher's written time can be: exact with an offset, otherwise
    every offset a clock on Earth shows (a day's whole span for a bare date)."""
    try:
        moment = datetime.fromisoformat(paid_at)
    except (TypeError, ValueError):
        return None
    if moment.tzinfo is not None:
        return moment, moment
    end = moment + timedelta(days=1) if len(paid_at) == 10 else moment
    return (
        moment.replace(tzinfo=UTC) - LATEST_OFFSET,
        end.replace(tzinfo=UTC) - EARLIEST_OFFSET,
    )


def _time_mismatch(
    appeal: Appeal, vouchers: list[tuple[int, dict[str, Any]]]
) -> list[dict[str, Any]]:
    """A voucher dated before the order existed (a recycled one), or long after the buyer
    marked it paid (another payment)."""
    order = appeal.order
    found = []
    for pk, facts in vouchers:
        paid_at = facts.get("paid_at")
        span = _span(paid_at) if isinstance(paid_at, str) else None
        if span is None:
            continue
        earliest, latest = span
        if latest < order.created_at - CLOCK_SLACK:
            found.append(
                _signal(
                    "voucher_time_mismatch",
                    "voucher_early",
                    evidence=pk,
                    paid_at=paid_at,
                    created_at=order.created_at.isoformat(timespec="minutes"),
                )
            )
        elif order.paid_at and earliest > order.paid_at + timedelta(hours=LATE_HOURS):
            found.append(
                _signal(
                    "voucher_time_mismatch",
                    "voucher_late",
                    evidence=pk,
                    paid_at=paid_at,
                    hours=LATE_HOURS,
                    marked_paid_at=order.paid_at.isoformat(timespec="minutes"),
                )
            )
    return found[:3]


def _off_platform(appeal: Appeal) -> list[dict[str, Any]]:
    pattern = WatchKeyword.pattern(WatchKeyword.Category.OFF_PLATFORM)
    hits: dict[str, int] = {}
    for sender, text in (
        ChatMessage.objects.filter(order_id=appeal.order_id)
        .exclude(sender=ChatMessage.Sender.SYSTEM)
        .values_list("sender", "text")
        .iterator()
    ):
        if CONTACT.search(text) or (pattern is not None and pattern.search(text)):
            hits[sender] = hits.get(sender, 0) + 1
    return [
        _signal("off_platform_contact", "off_platform", sender=sender, n=n)
        for sender, n in sorted(hits.items())
    ]


def _repeat_appellant(appeal: Appeal) -> list[dict[str, Any]]:
    trader = appeal.appellant
    earlier = Appeal.objects.filter(
        Q(order__buyer=trader, opened_by=Party.BUYER)
        | Q(order__seller=trader, opened_by=Party.SELLER)
    ).exclude(pk=appeal.pk)
    stats = earlier.aggregate(
        n=Count("id"),
        lost=Count(
            "id",
            filter=Q(verdicts__state=Verdict.State.EFFECTIVE)
            & ~appellant_won(verdict="verdicts__"),
        ),
    )
    if stats["n"] < REPEAT_APPEALS and stats["lost"] < REPEAT_LOSSES:
        return []
    return [_signal("repeat_appellant", "repeat", n=stats["n"], lost=stats["lost"])]


def risk_assess(*, appeal_id: int) -> tuple[int, list[dict[str, Any]]]:
    """Compute and store the appeal's risk. Safe to run twice or at once: it reads, then
    writes the two derived columns with a compare-and-swap on `risk_stale_at`, so it
    clears the stale mark only if no change was marked after the one it read; a newer
    change keeps its mark and its own assessment (or the sweep) stores the newer score."""
    appeal = Appeal.objects.select_related("order__buyer", "order__seller").get(pk=appeal_id)
    stale_since = appeal.risk_stale_at
    vouchers = _vouchers(appeal)
    signals = [
        *_duplicate_vouchers(appeal),
        *_linked_accounts(appeal),
        *_payer_mismatch(appeal),
        *_off_platform(appeal),
        *_repeat_appellant(appeal),
        *_amount_mismatch(appeal, vouchers),
        *_time_mismatch(appeal, vouchers),
    ]
    score = min(100, sum(WEIGHTS[code] for code in {s["code"] for s in signals}))
    Appeal.objects.filter(pk=appeal_id, risk_stale_at=stale_since).update(
        risk_score=score, risk_signals=signals, risk_stale_at=None
    )
    return score, signals
