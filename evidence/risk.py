"""Risk on an appeal: a 0-100 score and the signals that explain it (the contract's
risk_score and risk_signals). Read-only over the case: it writes only the two derived
columns. Recomputed (cases.tasks.assess_risk) after anything that can change it, which
marks the appeal stale (cases.derived): the appeal opening, evidence, chat, account
signals."""

from __future__ import annotations

import re
import unicodedata
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

from . import fingerprints
from .models import Evidence, VoucherFingerprint

# What each finding adds to the score; the score is capped at 100.
WEIGHTS = {
    "duplicate_voucher": 40,
    "linked_accounts": 30,
    "payer_name_mismatch": 25,
    "off_platform_contact": 15,
    "repeat_appellant": 15,
    "voucher_edited": 25,
}
# What each code is called on a page.
LABELS = {
    "duplicate_voucher": gettext_lazy("Duplicate voucher"),
    "linked_accounts": gettext_lazy("Linked accounts"),
    "payer_name_mismatch": gettext_lazy("Payer name mismatch"),
    "off_platform_contact": gettext_lazy("Off-platform contact"),
    "repeat_appellant": gettext_lazy("Repeat appellant"),
    "voucher_edited": gettext_lazy("Edited voucher"),
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
    "edited": gettext_noop("A file from the %(party)s shows edit traces (%(traces)s)."),
}


def _sentence(key: str, params: dict[str, Any]) -> str:
    """The sentence in the active language, its coded values (a signal kind, a sender)
    named in that language too."""
    values = dict(params)
    if "kind" in values:
        values["kind"] = str(AccountSignal.Kind(values["kind"]).label).lower()
    if "party" in values:
        values["party"] = str(Party(values["party"]).label).lower()
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


# A pattern, not bad luck: this many earlier appeals, or this many lost.
REPEAT_APPEALS = 3
REPEAT_LOSSES = 2


def _norm(name: str) -> str:
    """Names compared without case, accents, punctuation or word order."""
    text = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode() or name
    words = re.findall(r"\w+", text.lower())
    return " ".join(sorted(words))


def _duplicate_vouchers(appeal: Appeal) -> list[dict[str, Any]]:
    """The same file on another order (sha256), and near-copies of an image (the
    fingerprint index's candidates, each verified against the stored thumbnail, so
    honest receipts from one bank app's template do not match each other)."""
    mine = list(
        Evidence.objects.filter(appeal=appeal).values(
            "sha256", "fingerprint__thumbnail", "fingerprint__phash"
        )
    )
    if not mine:
        return []
    others = Evidence.objects.exclude(appeal__order_id=appeal.order_id)
    found: list[dict[str, Any]] = []
    shas = {e["sha256"] for e in mine}
    same = (
        others.filter(sha256__in=shas)
        .values_list("appeal__order__external_id", flat=True)
        .distinct()[:5]
    )
    if same:
        found.append(_signal("duplicate_voucher", "same_file", orders=", ".join(same)))
    pool = VoucherFingerprint.objects.exclude(evidence__appeal__order_id=appeal.order_id).exclude(
        evidence__sha256__in=shas
    )
    near: set[str] = set()
    for e in mine:
        if not e["fingerprint__phash"]:
            continue
        closest, _examined = fingerprints.nearest_candidates(e["fingerprint__phash"], queryset=pool)
        rows = VoucherFingerprint.objects.filter(pk__in=[pk for _d, pk in closest]).values_list(
            "evidence__appeal__order__external_id", "thumbnail"
        )
        near.update(
            order_ref
            for order_ref, thumbnail in rows
            if order_ref not in near
            and fingerprints.is_near_copy(bytes(e["fingerprint__thumbnail"]), bytes(thumbnail))
        )
    if near:
        found.append(_signal("duplicate_voucher", "near_image", orders=", ".join(sorted(near)[:5])))
    return found


def _edited_vouchers(appeal: Appeal) -> list[dict[str, Any]]:
    """Files whose own metadata shows an editing program or a re-save (edit_traces)."""
    found = []
    for party, traces in (
        Evidence.objects.filter(appeal=appeal)
        .exclude(edit_traces__isnull=True)
        .values_list("party", "edit_traces")
    ):
        if traces:
            found.append(
                _signal(
                    "voucher_edited",
                    "edited",
                    party=party,
                    traces=", ".join(sorted({t["code"] for t in traces})),
                )
            )
    return found[:3]


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
        if _norm(name) != _norm(kyc)
    ][:3]


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
    signals = [
        *_duplicate_vouchers(appeal),
        *_linked_accounts(appeal),
        *_payer_mismatch(appeal),
        *_off_platform(appeal),
        *_repeat_appellant(appeal),
        *_edited_vouchers(appeal),
    ]
    score = min(100, sum(WEIGHTS[code] for code in {s["code"] for s in signals}))
    Appeal.objects.filter(pk=appeal_id, risk_stale_at=stale_since).update(
        risk_score=score, risk_signals=signals, risk_stale_at=None
    )
    return score, signals
