"""Risk on an appeal: a 0-100 score and the signals that explain it (the contract's
risk_score and risk_signals). Read-only over the case: it writes only the two derived
columns. Recomputed (cases.tasks.assess_risk) after anything that can change it, which
marks the appeal stale (cases.derived): the appeal opening, evidence, chat, account
signals."""

from __future__ import annotations

from typing import Any

from django.db.models import Count, Q
from django.utils import translation
from django.utils.translation import gettext, gettext_lazy, gettext_noop

from cases.chat_signals import CONTACT_KINDS, Kind, findings
from cases.models import (
    AccountSignal,
    Appeal,
    ChatMessage,
    Party,
    Verdict,
    WatchKeyword,
    appellant_won,
)

from .models import Evidence
from .names import same_person

# What each finding adds to the score; the score is capped at 100.
WEIGHTS = {
    "duplicate_voucher": 40,
    "linked_accounts": 30,
    "payer_name_mismatch": 25,
    "multiple_payer_names": 20,
    "off_platform_contact": 15,
    "pressure_tactics": 10,
    "repeat_appellant": 15,
}
# What each code is called on a page.
LABELS = {
    "duplicate_voucher": gettext_lazy("Duplicate voucher"),
    "linked_accounts": gettext_lazy("Linked accounts"),
    "payer_name_mismatch": gettext_lazy("Payer name mismatch"),
    "multiple_payer_names": gettext_lazy("Multiple payer names"),
    "off_platform_contact": gettext_lazy("Off-platform contact"),
    "pressure_tactics": gettext_lazy("Pressure tactics"),
    "repeat_appellant": gettext_lazy("Repeat appellant"),
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
    "payers": gettext_noop(
        "The buyer's vouchers name %(n)s different payers on %(orders)s order(s)."
    ),
    "off_platform": gettext_noop(
        "The %(sender)s pushes to move off the platform (%(n)s message(s))."
    ),
    "pressure": gettext_noop("The %(sender)s presses for haste or threatens (%(n)s message(s))."),
    "repeat": gettext_noop("The appellant opened %(n)s earlier appeal(s) and lost %(lost)s."),
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


# Payer names on a buyer's vouchers looked at, newest first: enough for a pattern, and a
# bound on the names compared pairwise.
PAYER_HISTORY = 200
# A buyer paying from this many people other than themselves is hopping between payers
# (one other payer is a single third-party payment: payer_name_mismatch says that).
OTHER_PAYERS = 2
# Pressure is a pattern, not one impatient line: this many phrases from one sender.
PRESSURE_PHRASES = 2


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


def _payer_mismatch(appeal: Appeal) -> list[dict[str, Any]]:
    kyc = appeal.order.buyer.kyc_name
    if not kyc:
        return []
    names = (
        Evidence.objects.filter(appeal=appeal, party=Party.BUYER)
        .exclude(payer_name="")
        .values_list("payer_name", flat=True)
        .distinct()
    )
    return [
        _signal("payer_name_mismatch", "payer_name", payer=name, kyc=kyc)
        for name in names
        if not same_person(name, kyc)
    ][:3]


def buyer_payer_names(trader_id: int) -> list[tuple[str, str]]:
    """(payer name, order reference) on the vouchers a trader uploaded as the buyer, on
    any case, newest first (at most PAYER_HISTORY). The one place the payer names of a
    buyer are gathered, so names read from the vouchers can join the typed ones."""
    return list(
        Evidence.objects.filter(appeal__order__buyer_id=trader_id, party=Party.BUYER)
        .exclude(payer_name="")
        .order_by("-uploaded_at", "-id")
        .values_list("payer_name", "appeal__order__external_id")[:PAYER_HISTORY]
    )


def payer_groups(names: list[str]) -> list[list[str]]:
    """The names grouped by person: each joins the first group whose first name is
    `same_person` of it (so 张伟 and ZHANG WEI are one payer)."""
    groups: list[list[str]] = []
    for name in dict.fromkeys(" ".join(n.split()) for n in names):
        for group in groups:
            if same_person(group[0], name):
                group.append(name)
                break
        else:
            groups.append([name])
    return groups


def _multiple_payers(appeal: Appeal) -> list[dict[str, Any]]:
    buyer = appeal.order.buyer
    rows = buyer_payer_names(buyer.pk)
    groups = payer_groups([name for name, _ in rows])
    others = [g for g in groups if not (buyer.kyc_name and same_person(g[0], buyer.kyc_name))]
    if len(others) < OTHER_PAYERS:
        return []
    orders = {order for _, order in rows}
    return [_signal("multiple_payer_names", "payers", n=len(groups), orders=len(orders))]


def _off_platform(appeal: Appeal) -> list[dict[str, Any]]:
    """Contact details or invitations off the platform (a phone number, a messenger, a
    listed keyword), per sender; and pressure, per sender with PRESSURE_PHRASES phrases."""
    pattern = WatchKeyword.pattern(WatchKeyword.Category.OFF_PLATFORM)
    order = appeal.order
    regions = [c for c in (order.buyer.country, order.seller.country) if c]
    contact: dict[str, int] = {}
    pressure: dict[str, list[int]] = {}
    for sender, text in (
        ChatMessage.objects.filter(order_id=appeal.order_id)
        .exclude(sender=ChatMessage.Sender.SYSTEM)
        .values_list("sender", "text")
        .iterator()
    ):
        found = [f.kind for f in findings(text, regions=regions)]
        if CONTACT_KINDS & set(found) or (pattern is not None and pattern.search(text)):
            contact[sender] = contact.get(sender, 0) + 1
        if Kind.PRESSURE in found:
            counts = pressure.setdefault(sender, [0, 0])
            counts[0] += 1
            counts[1] += found.count(Kind.PRESSURE)
    return [
        *(
            _signal("off_platform_contact", "off_platform", sender=sender, n=n)
            for sender, n in sorted(contact.items())
        ),
        *(
            _signal("pressure_tactics", "pressure", sender=sender, n=messages)
            for sender, (messages, phrases) in sorted(pressure.items())
            if phrases >= PRESSURE_PHRASES
        ),
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
    signals = [
        *_duplicate_vouchers(appeal),
        *_linked_accounts(appeal),
        *_payer_mismatch(appeal),
        *_multiple_payers(appeal),
        *_off_platform(appeal),
        *_repeat_appellant(appeal),
    ]
    score = min(100, sum(WEIGHTS[code] for code in {s["code"] for s in signals}))
    Appeal.objects.filter(pk=appeal_id, risk_stale_at=stale_since).update(
        risk_score=score, risk_signals=signals, risk_stale_at=None
    )
    return score, signals
