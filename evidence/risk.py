"""Risk on an appeal: a 0-100 score and the signals that explain it (the contract's
risk_score and risk_signals). Read-only over the case: it writes only the two derived
columns. Recomputed (cases.tasks.assess_risk) after anything that can change it, which
marks the appeal stale (cases.derived): the appeal opening, evidence, chat, account
signals."""

from __future__ import annotations

import math
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from django.conf import settings
from django.db import transaction
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

from . import fingerprints
from .graph import COUNTRY, cluster_members, link_kinds, new_before, verdicts_against
from .models import Evidence, RiskFinding, VoucherFingerprint, merged_facts
from .names import same_person

# What each finding adds to the score; the score is capped at 100. A code counts once
# per appeal however often it is found: the score says how many kinds of evidence point
# at fraud, not how loud one of them is. The weights, and why (the analysts' overview page
# shows the same, from MEANINGS):
#
# duplicate_voucher 40: the same file, or a near-identical image, on another order. A
#   voucher is proof of one payment; shown twice, one of the two payments did not happen.
#   The strongest single sign of a fake receipt, so alone it nearly reaches the senior
#   threshold (SENIOR_RISK_SCORE 70) with one more finding.
# linked_accounts 30: the parties, or a party and other accounts, share a device, IP,
#   e-mail or payment account. One person behind many accounts is the pattern behind
#   wash trades and recycled disputes; households and shared Wi-Fi make it weaker than
#   a recycled voucher.
# payer_name_mismatch 25: the voucher's payer is not the buyer's KYC name: triangulation
#   fraud (a third party's money), or a family member paying, which the rules refuse too.
# off_platform_contact 15: the chat pushes to move off the platform (phone numbers,
#   messenger handles). Common in scams, but also in honest impatience: weak alone.
# repeat_appellant 15: the appellant opened REPEAT_APPEALS earlier appeals or lost
#   REPEAT_LOSSES: a habit, not proof about this case.
# new_device_before_trade 30: a party's device, IP or country first seen within
#   settings.NEW_DEVICE_WINDOW_HOURS before the order, on an account with older history: how an
#   account takeover looks from the desk (a thief logs in from elsewhere, then trades).
# voucher_amount_mismatch 30: the amount or currency read from (or corrected on) the
#   buyer's voucher is not the order's: a fake or recycled receipt, or a short payment.
# voucher_time_mismatch 20: the voucher's payment time is before the order existed or a
#   day after it was marked paid (whatever the receipt's unstated time zone): weaker,
#   since banks print times oddly, but a receipt dated before its order is recycled.
# voucher_edited 25: edit traces in the file (an editing program, a re-saved file, a PDF
#   producer that is an editor, dates that contradict the order): screenshots are not
#   edited; phones re-save photos, so it is weaker than a recycled voucher.
# multiple_payer_names 20: a buyer whose vouchers across cases show OTHER_PAYERS or more
#   payers who are not the buyer (names compared by evidence.names.same_person, so
#   张伟 and ZHANG WEI are one person): a money mule or triangulation, over many cases.
# pressure_tactics 10: one sender rushes or threatens in two or more messages; common in
#   scams, also in honest anger: the weakest sign, it only tips a score.
#
# A code added by another finder adds its weight here, its label to LABELS and its
# meaning to MEANINGS; the analysts' pages read all three and list no code themselves.
WEIGHTS = {
    "duplicate_voucher": 40,
    "linked_accounts": 30,
    "payer_name_mismatch": 25,
    "multiple_payer_names": 20,
    "off_platform_contact": 15,
    "pressure_tactics": 10,
    "repeat_appellant": 15,
    "new_device_before_trade": 30,
    "voucher_amount_mismatch": 30,
    "voucher_time_mismatch": 20,
    "voucher_edited": 25,
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
    "new_device_before_trade": gettext_lazy("New device before trade"),
    "voucher_amount_mismatch": gettext_lazy("Voucher amount mismatch"),
    "voucher_time_mismatch": gettext_lazy("Voucher time mismatch"),
    "voucher_edited": gettext_lazy("Edited voucher"),
}
# What each code means, for the weights table on the analysts' overview.
MEANINGS = {
    "duplicate_voucher": gettext_lazy(
        "The same voucher file, or a near-identical image, was shown on another order."
    ),
    "linked_accounts": gettext_lazy(
        "The parties, or a party and other accounts, share a device, IP, e-mail or payment account."
    ),
    "payer_name_mismatch": gettext_lazy(
        "The payer on the buyer's voucher is not the buyer's KYC name."
    ),
    "off_platform_contact": gettext_lazy("The chat pushes to move off the platform."),
    "repeat_appellant": gettext_lazy("The appellant has opened or lost several appeals before."),
    "new_device_before_trade": gettext_lazy(
        "A party's device, IP or country was first seen shortly before the order, on an"
        " account with older history: the pattern of a taken-over account."
    ),
    "voucher_amount_mismatch": gettext_lazy(
        "The amount or currency read from a voucher is not the order's fiat amount."
    ),
    "voucher_time_mismatch": gettext_lazy(
        "The payment time read from a voucher is outside the order's window."
    ),
    "voucher_edited": gettext_lazy(
        "A voucher file carries traces of editing: an editing program in its metadata, a"
        " re-saved or incrementally updated file, or dates that contradict the order."
    ),
    "multiple_payer_names": gettext_lazy(
        "The buyer's vouchers across cases name several different payers, none of them the"
        " buyer: an account paying with other people's money."
    ),
    "pressure_tactics": gettext_lazy(
        "A party rushes or threatens the other in the chat (in English, Chinese or Russian)."
    ),
}
# The party a finding points at, when its params name none ("party" or "sender"):
# "appellant", a side, or absent for both parties (RiskFinding rows, one per party).
CONCERNS = {
    "repeat_appellant": "appellant",
    "payer_name_mismatch": Party.BUYER,
    # A payment voucher is the buyer's proof of paying: what it misstates is theirs.
    "voucher_amount_mismatch": Party.BUYER,
    "voucher_time_mismatch": Party.BUYER,
}
# Each finding's sentence. A signal is stored with its sentence's key and values and the
# sentence in English (`detail`, what the API gives); pages show it in the viewer's
# language (signal_text).
SENTENCES = {
    "same_file": gettext_noop("The same file was uploaded on order(s) %(orders)s."),
    "near_image": gettext_noop("A near-identical voucher image is on order(s) %(orders)s."),
    # Stored on signals of earlier assessments; new ones use the cluster sentences.
    "parties_share": gettext_noop("Buyer and seller share a %(kind)s."),
    "party_shares": gettext_noop("A party shares a %(kind)s with %(n)s other account(s)."),
    "parties_linked": gettext_noop(
        "Buyer and seller are linked accounts, in one cluster of %(n)s through a shared %(kinds)s."
    ),
    "cluster_lost": gettext_noop(
        "The %(party)s is linked to %(n)s other account(s) through a shared %(kinds)s; "
        "%(lost)s of them had verdicts against them."
    ),
    "new_device": gettext_noop(
        "The %(party)s's account shows a new %(news)s in the %(hours)s hour(s) before the "
        "order, after older history."
    ),
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
    "edited": gettext_noop("A file from the %(party)s shows edit traces (%(traces)s)."),
}


# What new_device_before_trade names: a kind of signal, or the country of a sighting.
_NEW_THINGS = {
    AccountSignal.Kind.DEVICE: AccountSignal.Kind.DEVICE.label,
    AccountSignal.Kind.IP: AccountSignal.Kind.IP.label,
    COUNTRY: gettext_lazy("Country"),
}


def _or_list(labels: Iterable[Any]) -> str:
    """Labels, lower case, joined for a sentence ("device, e-mail")."""
    return gettext(", ").join(str(label).lower() for label in labels)


def _sentence(key: str, params: dict[str, Any]) -> str:
    """The sentence in the active language, its coded values (a signal kind, a sender)
    named in that language too."""
    values = dict(params)
    if "kind" in values:
        values["kind"] = str(AccountSignal.Kind(values["kind"]).label).lower()
    if "kinds" in values:
        values["kinds"] = _or_list(AccountSignal.Kind(k).label for k in values["kinds"])
    if "news" in values:
        values["news"] = _or_list(_NEW_THINGS[k] for k in values["news"])
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
# The cluster members read for linked_accounts; a cluster is bounded by the hub caps.
CLUSTER_MEMBERS = 200


# Payer names on a buyer's vouchers looked at, newest first: enough for a pattern, and a
# bound on the names compared pairwise.
PAYER_HISTORY = 200
# A buyer paying from this many people other than themselves is hopping between payers
# (one other payer is a single third-party payment: payer_name_mismatch says that).
OTHER_PAYERS = 2
# Pressure is a pattern, not one impatient line: this many phrases from one sender.
PRESSURE_PHRASES = 2


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
    """The parties are one cluster (evidence.graph), or a party's cluster holds other
    accounts with verdicts against them: one person behind many accounts."""
    order = appeal.order
    buyer, seller = order.buyer, order.seller
    clusters = cluster_members([buyer.cluster_id, seller.cluster_id], limit=CLUSTER_MEMBERS)
    if not clusters:
        return []
    member_ids = sorted({m.pk for members in clusters.values() for m in members})
    kinds = link_kinds(member_ids)
    if buyer.cluster_id is not None and buyer.cluster_id == seller.cluster_id:
        via = [k for k in AccountSignal.Kind.values if k in {*kinds[buyer.pk], *kinds[seller.pk]}]
        members = clusters[buyer.cluster_id]
        return [_signal("linked_accounts", "parties_linked", n=len(members), kinds=via)]
    parties = {buyer.pk, seller.pk}
    others = [pk for pk in member_ids if pk not in parties]
    against = verdicts_against(others, exclude_order_id=order.pk)
    found = []
    for side, trader in ((Party.BUYER, buyer), (Party.SELLER, seller)):
        if trader.cluster_id is None:
            continue
        mine = [m.pk for m in clusters[trader.cluster_id] if m.pk not in parties]
        lost = sum(1 for pk in mine if against.get(pk))
        if lost:
            found.append(
                _signal(
                    "linked_accounts",
                    "cluster_lost",
                    party=side,
                    n=len(mine),
                    kinds=kinds[trader.pk],
                    lost=lost,
                )
            )
    return found


def _new_device(appeal: Appeal) -> list[dict[str, Any]]:
    """A party's device, IP or country first seen shortly before the order, on an account
    seen before that too: the sign of a taken-over account (evidence.graph.new_before)."""
    order = appeal.order
    window = timedelta(hours=settings.NEW_DEVICE_WINDOW_HOURS)
    news = new_before([order.buyer_id, order.seller_id], at=order.created_at, window=window)
    found = []
    for side, trader_id in ((Party.BUYER, order.buyer_id), (Party.SELLER, order.seller_id)):
        items = news.get(trader_id)
        if not items:
            continue
        earliest = min(first for _what, _value, first in items)
        hours = max(1, math.ceil((order.created_at - earliest).total_seconds() / 3600))
        what = [w for w in (*AccountSignal.Kind.values, COUNTRY) if w in {i[0] for i in items}]
        found.append(
            _signal("new_device_before_trade", "new_device", party=side, news=what, hours=hours)
        )
    return found


def _names_differ(payer: str, kyc: str) -> bool:
    """Whether a voucher's payer is someone other than the buyer: the one comparison the
    payer-name check makes: names compared as people write them (evidence.names)."""
    return not same_person(payer, kyc)


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


def finding_sides(signal: dict[str, Any], opened_by: str) -> list[str]:
    """The sides (buyer, seller) a signal concerns: the side its params name ("party",
    or the chat's "sender"), else the code's CONCERNS, else both parties."""
    params = signal.get("params") if isinstance(signal.get("params"), dict) else {}
    for key in ("party", "sender"):
        if params.get(key) in Party.values:
            return [params[key]]
    concern = CONCERNS.get(signal.get("code", ""))
    if concern == "appellant":
        return [opened_by]
    if concern in Party.values:
        return [concern]
    return [Party.BUYER, Party.SELLER]


def finding_rows(
    *,
    appeal_id: int,
    opened_by: str,
    opened_at: Any,
    buyer_id: int,
    seller_id: int,
    signals: list[dict[str, Any]],
) -> list[RiskFinding]:
    """An appeal's stored signals as RiskFinding rows: one per (code, trader concerned)."""
    traders = {Party.BUYER: buyer_id, Party.SELLER: seller_id}
    seen: set[tuple[str, int]] = set()
    rows = []
    for signal in signals:
        code = signal.get("code")
        if not isinstance(code, str) or not code:
            continue
        for side in finding_sides(signal, opened_by):
            key = (code, traders[side])
            if key in seen:
                continue
            seen.add(key)
            rows.append(
                RiskFinding(
                    appeal_id=appeal_id,
                    code=code,
                    side=side,
                    trader_id=traders[side],
                    opened_at=opened_at,
                )
            )
    return rows


def risk_assess(*, appeal_id: int) -> tuple[int, list[dict[str, Any]]]:
    """Compute and store the appeal's risk. Safe to run twice or at once: it reads, then
    writes the two derived columns with a compare-and-swap on `risk_stale_at`, so it
    clears the stale mark only if no change was marked after the one it read; a newer
    change keeps its mark and its own assessment (or the sweep) stores the newer score.
    The findings' rows (RiskFinding) are replaced in the same transaction, and only when
    the swap succeeded: they always match the stored signals."""
    appeal = Appeal.objects.select_related("order__buyer", "order__seller").get(pk=appeal_id)
    stale_since = appeal.risk_stale_at
    vouchers = _vouchers(appeal)
    signals = [
        *_duplicate_vouchers(appeal),
        *_linked_accounts(appeal),
        *_new_device(appeal),
        *_payer_mismatch(appeal),
        *_multiple_payers(appeal),
        *_off_platform(appeal),
        *_repeat_appellant(appeal),
        *_amount_mismatch(appeal, vouchers),
        *_time_mismatch(appeal, vouchers),
        *_edited_vouchers(appeal),
    ]
    score = min(100, sum(WEIGHTS[code] for code in {s["code"] for s in signals}))
    with transaction.atomic():
        stored = Appeal.objects.filter(pk=appeal_id, risk_stale_at=stale_since).update(
            risk_score=score, risk_signals=signals, risk_stale_at=None
        )
        if stored:
            RiskFinding.objects.filter(appeal_id=appeal_id).delete()
            RiskFinding.objects.bulk_create(
                finding_rows(
                    appeal_id=appeal_id,
                    opened_by=appeal.opened_by,
                    opened_at=appeal.created_at,
                    buyer_id=appeal.order.buyer_id,
                    seller_id=appeal.order.seller_id,
                    signals=signals,
                )
            )
    return score, signals


def risk_findings_backfill(*, batch: int = 1000, after_id: int = 0) -> int:
    """Write the RiskFinding rows of appeals assessed before the table existed, from their
    stored signals (no finder runs again). Batch by batch in id order, each batch in its
    own transaction with its appeals locked, so an assessment running meanwhile either
    waits or wins and writes its own rows; re-running it rewrites the same rows. Returns
    the number of appeals done."""
    done = 0
    while True:
        with transaction.atomic():
            appeals = list(
                Appeal.objects.select_for_update(of=("self",))
                .filter(pk__gt=after_id)
                .order_by("pk")
                .values(
                    "pk",
                    "opened_by",
                    "created_at",
                    "risk_signals",
                    "order__buyer_id",
                    "order__seller_id",
                )[:batch]
            )
            if not appeals:
                return done
            ids = [a["pk"] for a in appeals]
            RiskFinding.objects.filter(appeal_id__in=ids).delete()
            rows = [
                row
                for a in appeals
                if isinstance(a["risk_signals"], list)
                for row in finding_rows(
                    appeal_id=a["pk"],
                    opened_by=a["opened_by"],
                    opened_at=a["created_at"],
                    buyer_id=a["order__buyer_id"],
                    seller_id=a["order__seller_id"],
                    signals=[s for s in a["risk_signals"] if isinstance(s, dict)],
                )
            ]
            RiskFinding.objects.bulk_create(rows, batch_size=1000)
        done += len(appeals)
        after_id = ids[-1]
