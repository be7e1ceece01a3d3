"""What the risk analysts' pages read: suspicious accounts, fraud-pattern trends, losses
and rule loopholes, over a bounded range of weeks.

Every figure is one set-based query grouped over indexed columns (RiskFinding's
(opened_at, code) and (trader, opened_at), Verdict's effective_at) inside the range: a
page costs the same few queries at a thousand appeals as at a million, and no Python loop
runs over appeals. Weeks are Monday to Sunday in the operations time zone. No signal code
is listed here: the codes are evidence.risk.WEIGHTS' keys.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from functools import reduce
from operator import add
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import (
    Case,
    Count,
    Exists,
    F,
    Max,
    OuterRef,
    Q,
    QuerySet,
    Sum,
    Value,
    When,
)
from django.db.models.functions import TruncWeek
from django.utils import timezone

from cases.models import AccountSignal, Appeal, Party, Verdict, VerdictReview

from .models import RiskFinding
from .risk import WEIGHTS

# --- the range ----------------------------------------------------------------------------

DEFAULT_WEEKS = 12
MAX_WEEKS = 104


def zone() -> ZoneInfo:
    return ZoneInfo(settings.OPERATIONS_TIME_ZONE)


@dataclass(frozen=True)
class Weeks:
    """`count` whole weeks, Monday to Sunday in the operations time zone, ending with the
    current one (partial)."""

    first: date
    count: int

    @classmethod
    def ending_now(cls, count: int) -> Weeks:
        today = timezone.now().astimezone(zone()).date()
        monday = today - timedelta(days=today.weekday())
        return cls(first=monday - timedelta(weeks=count - 1), count=count)

    def mondays(self) -> list[date]:
        return [self.first + timedelta(weeks=i) for i in range(self.count)]

    def bounds(self) -> tuple[datetime, datetime]:
        """[start, end) as moments: the first Monday's midnight to the Monday after."""
        start = datetime.combine(self.first, time.min, tzinfo=zone())
        end = datetime.combine(self.first + timedelta(weeks=self.count), time.min, tzinfo=zone())
        return start, end

    def week(self, monday: date) -> Weeks:
        return Weeks(first=monday, count=1)


def week_of(value: date | datetime) -> date:
    """The Monday a TruncWeek value stands for, in the operations time zone (PostgreSQL
    and SQLite return it as an aware moment)."""
    if isinstance(value, datetime):
        value = value.astimezone(zone()).date() if timezone.is_aware(value) else value.date()
    return value - timedelta(days=value.weekday())


def _in(field: str, weeks: Weeks) -> Q:
    start, end = weeks.bounds()
    return Q(**{f"{field}__gte": start, f"{field}__lt": end})


# --- what counts as a loss, a reversal, a repeat ------------------------------------------

# Reasons where the money of the honest party is what the fraud took.
LOSS_REASONS = (
    Appeal.Reason.CHARGEBACK,
    Appeal.Reason.FRAUD_SCAM,
    Appeal.Reason.THIRD_PARTY_PAYMENT,
)
CULPRITS = (
    Verdict.ResponsibleParty.BUYER,
    Verdict.ResponsibleParty.SELLER,
    Verdict.ResponsibleParty.BOTH,
)


def decided(weeks: Weeks) -> QuerySet[Verdict]:
    """The verdicts that took effect in the range: what losses and loopholes count."""
    return Verdict.objects.filter(_in("effective_at", weeks), state=Verdict.State.EFFECTIVE)


def reversed_q() -> Exists:
    """A second-level review reversed the verdict (cases.lifecycle.reviews). A subquery,
    not a join: a filtered count over a joined, negated relation would miscount."""
    return Exists(
        VerdictReview.objects.filter(verdict=OuterRef("pk"), state=VerdictReview.State.REVERSED)
    )


def loss_q() -> Q:
    """A loss, from a verdict: the appeal is about a chargeback, a scam or a third party's
    payment, and the verdict holds a party responsible (buyer, seller or both), that is
    the desk found that one side defrauded the other, unless a second-level review
    reversed it to nobody responsible. Its amount is the order's fiat amount, in the
    order's fiat currency."""
    cleared = Exists(
        VerdictReview.objects.filter(
            verdict=OuterRef("pk"),
            state=VerdictReview.State.REVERSED,
            corrected_responsible_party=Verdict.ResponsibleParty.NONE,
        )
    )
    return Q(appeal__reason__in=LOSS_REASONS, responsible_party__in=CULPRITS) & ~cleared


def repeat_q() -> Q:
    """The appellant had opened an appeal before this one (on a verdict queryset). Two
    subqueries on real columns, one per appellant side: an OuterRef to an annotation is
    left as a bare name inside an aggregate (and counts nothing)."""

    def earlier(side: str) -> Exists:
        return Exists(
            Appeal.objects.filter(
                created_at__lt=OuterRef("appeal__created_at"),
                opened_by=side,
                **{f"order__{side}_id": OuterRef(f"appeal__order__{side}_id")},
            )
        )

    return (Q(appeal__opened_by=Party.BUYER) & Q(earlier(Party.BUYER))) | (
        Q(appeal__opened_by=Party.SELLER) & Q(earlier(Party.SELLER))
    )


# The groups the loophole finder compares, as expressions on a verdict.
DIMENSIONS: dict[str, Any] = {
    "reason": F("appeal__reason"),
    "method": F("appeal__order__payment_method"),
    "rule": F("rule_code"),
    # The appellant's country: who brings the cases.
    "country": Case(
        When(appeal__opened_by=Party.BUYER, then=F("appeal__order__buyer__country")),
        default=F("appeal__order__seller__country"),
    ),
    # The country of the party held responsible (the buyer when both are): where the loss
    # comes from.
    "culprit_country": Case(
        When(
            responsible_party=Verdict.ResponsibleParty.SELLER,
            then=F("appeal__order__seller__country"),
        ),
        default=F("appeal__order__buyer__country"),
    ),
}
MEASURES = ("reversal", "loss", "repeat")


def measure_q(measure: str) -> Q | Exists | None:
    """The condition of a measure on a verdict queryset."""
    return {"reversal": reversed_q(), "loss": loss_q(), "repeat": repeat_q()}.get(measure)


# --- suspicious accounts ------------------------------------------------------------------


def _flag(code: str) -> Max:
    return Max(Case(When(code=code, then=Value(1)), default=Value(0)))


def suspicious_accounts(*, weeks: Weeks, code: str | None = None) -> QuerySet:
    """Traders with findings on appeals opened in the range, one row each, best suspect
    first: the score (the sum of the weights of the distinct codes found on them; one
    code counts once however many appeals show it), then how many of those appeals an
    effective verdict held them responsible for, then how many appeals were flagged.
    One GROUP BY over RiskFinding's (trader, opened_at) rows; `code` keeps the traders
    with that code."""
    codes = list(WEIGHTS)
    flags = {f"has_{i}": _flag(c) for i, c in enumerate(codes)}
    score = reduce(
        add,
        [Max(Case(When(code=c, then=Value(w)), default=Value(0))) for c, w in WEIGHTS.items()],
        Value(0),
    )
    held = Q(appeal__verdicts__state=Verdict.State.EFFECTIVE) & (
        Q(appeal__verdicts__responsible_party=F("side"))
        | Q(appeal__verdicts__responsible_party=Verdict.ResponsibleParty.BOTH)
    )
    rows = (
        RiskFinding.objects.filter(_in("opened_at", weeks))
        .values(
            "trader_id",
            "trader__external_id",
            "trader__display_name",
            "trader__country",
            "trader__frozen",
        )
        .annotate(
            **flags,
            score=score,
            flagged=Count("appeal", distinct=True),
            held=Count("appeal", distinct=True, filter=held),
        )
    )
    if code in codes:
        rows = rows.filter(**{f"has_{codes.index(code)}": 1})
    return rows.order_by("-score", "-held", "-flagged", "trader_id")


def trader_codes(*, trader_id: int, weeks: Weeks) -> dict[str, int]:
    """{code: flagged appeals} of one trader in the range (the report's reason)."""
    return dict(
        RiskFinding.objects.filter(_in("opened_at", weeks), trader_id=trader_id)
        .values("code")
        .annotate(n=Count("appeal", distinct=True))
        .values_list("code", "n")
    )


def row_codes(row: dict[str, Any]) -> list[str]:
    """The codes a ranking row carries, from its flags."""
    return [c for i, c in enumerate(WEIGHTS) if row.get(f"has_{i}")]


# How much each row of the page shows: bounded, whatever a trader's history.
CASES_PER_ACCOUNT = 5
LINKED_PER_ACCOUNT = 5
SIGNALS_READ = 500
HOLDERS_READ = 2000


def account_details(rows: list[dict[str, Any]], *, weeks: Weeks) -> list[dict[str, Any]]:
    """A page of ranking rows with what each shows: its codes (appeals per code), its
    latest flagged cases, its appeals in the range, and the accounts it shares an
    account signal with (at most LINKED_PER_ACCOUNT named; the count is of what was
    read, at most HOLDERS_READ rows). Six queries for the page."""
    ids = [r["trader_id"] for r in rows]
    if not ids:
        return []
    findings = RiskFinding.objects.filter(_in("opened_at", weeks), trader_id__in=ids)
    codes: dict[int, dict[str, int]] = defaultdict(dict)
    for f in findings.values("trader_id", "code").annotate(n=Count("appeal", distinct=True)):
        codes[f["trader_id"]][f["code"]] = f["n"]
    cases: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for f in (
        findings.values(
            "trader_id", "appeal_id", "appeal__order__external_id", "appeal__status", "opened_at"
        )
        .order_by("trader_id", "-opened_at", "-appeal_id")
        .distinct()[: len(ids) * CASES_PER_ACCOUNT * 4]
    ):
        if len(cases[f["trader_id"]]) < CASES_PER_ACCOUNT:
            cases[f["trader_id"]].append(f)
    appeals: dict[int, int] = defaultdict(int)
    in_range = Appeal.objects.filter(_in("created_at", weeks))
    for side in ("buyer", "seller"):
        for a in (
            in_range.filter(**{f"order__{side}_id__in": ids})
            .values(f"order__{side}_id")
            .annotate(n=Count("id"))
        ):
            appeals[a[f"order__{side}_id"]] += a["n"]
    linked = _linked(ids)
    out = []
    for r in rows:
        tid = r["trader_id"]
        others = linked.get(tid, {})
        out.append(
            {
                **r,
                "codes": sorted(codes.get(tid, {}).items(), key=lambda kv: -WEIGHTS.get(kv[0], 0)),
                "cases": cases.get(tid, []),
                "appeals": appeals.get(tid, 0),
                "linked": sorted(others.items())[:LINKED_PER_ACCOUNT],
                "linked_count": len(others),
            }
        )
    return out


def _linked(ids: list[int]) -> dict[int, dict[str, str]]:
    """For each trader, the other traders sharing one of its account signals
    ({external_id: kind}), from two bounded queries."""
    own = list(
        AccountSignal.objects.filter(trader_id__in=ids).values_list("trader_id", "kind", "value")[
            :SIGNALS_READ
        ]
    )
    if not own:
        return {}
    same = AccountSignal.objects.filter(
        trader_id__in=ids, kind=OuterRef("kind"), value=OuterRef("value")
    )
    holders: dict[tuple[str, str], list[tuple[int, str]]] = defaultdict(list)
    for kind, value, tid, ext in (
        AccountSignal.objects.filter(Exists(same))
        .order_by("kind", "value", "trader__external_id")
        .values_list("kind", "value", "trader_id", "trader__external_id")[:HOLDERS_READ]
    ):
        holders[(kind, value)].append((tid, ext))
    labels = dict(AccountSignal.Kind.choices)
    linked: dict[int, dict[str, str]] = defaultdict(dict)
    for tid, kind, value in own:
        for other, ext in holders.get((kind, value), []):
            if other != tid:
                linked[tid].setdefault(ext, str(labels.get(kind, kind)))
    return linked


# --- fraud-pattern trends -----------------------------------------------------------------


def signal_trends(*, weeks: Weeks) -> dict[str, dict[date, int]]:
    """{code: {monday: appeals opened that week with that finding}}, one query."""
    counts: dict[str, dict[date, int]] = defaultdict(dict)
    for row in (
        RiskFinding.objects.filter(_in("opened_at", weeks))
        .annotate(week=TruncWeek("opened_at", tzinfo=zone()))
        .values("week", "code")
        .annotate(n=Count("appeal", distinct=True))
        .order_by()
    ):
        monday = week_of(row["week"])
        counts[row["code"]][monday] = counts[row["code"]].get(monday, 0) + row["n"]
    return counts


# --- losses -------------------------------------------------------------------------------

Money = dict[str, Decimal]


@dataclass
class Losses:
    """Loss cases and their fiat amounts per currency (never added across currencies)."""

    by_week: dict[date, dict[str, Any]]
    by_method: dict[str, dict[str, Any]]
    by_country: dict[str, dict[str, Any]]
    by_week_method: dict[str, dict[date, int]]
    currencies: list[str]


def _tally(table: dict, key: Any, currency: str, n: int, amount: Decimal | None) -> None:
    entry = table.setdefault(key, {"n": 0, "amounts": {}})
    entry["n"] += n
    entry["amounts"][currency] = entry["amounts"].get(currency, Decimal(0)) + (amount or Decimal(0))


def losses(*, weeks: Weeks) -> Losses:
    """Loss cases (loss_q) per week of the verdict taking effect, by payment method and by
    the responsible party's country: two queries."""
    base = decided(weeks).filter(loss_q())
    by_week: dict[date, dict[str, Any]] = {}
    by_method: dict[str, dict[str, Any]] = {}
    by_week_method: dict[str, dict[date, int]] = defaultdict(dict)
    currencies: set[str] = set()
    for row in (
        base.annotate(week=TruncWeek("effective_at", tzinfo=zone()))
        .values("week", "appeal__order__payment_method", "appeal__order__fiat_currency")
        .annotate(n=Count("id"), amount=Sum("appeal__order__fiat_amount"))
        .order_by()
    ):
        monday, method = week_of(row["week"]), row["appeal__order__payment_method"]
        currency = row["appeal__order__fiat_currency"]
        currencies.add(currency)
        _tally(by_week, monday, currency, row["n"], row["amount"])
        _tally(by_method, method, currency, row["n"], row["amount"])
        by_week_method[method][monday] = by_week_method[method].get(monday, 0) + row["n"]
    by_country: dict[str, dict[str, Any]] = {}
    for row in (
        base.annotate(country=DIMENSIONS["culprit_country"])
        .values("country", "appeal__order__fiat_currency")
        .annotate(n=Count("id"), amount=Sum("appeal__order__fiat_amount"))
        .order_by()
    ):
        _tally(
            by_country, row["country"], row["appeal__order__fiat_currency"], row["n"], row["amount"]
        )
    return Losses(by_week, by_method, by_country, by_week_method, sorted(currencies))


# --- rule loopholes -----------------------------------------------------------------------

# Flagged when a group's rate is at least this many times the desk's average, over at
# least the minimum sample of decided cases.
LOOPHOLE_FACTOR = 2.0
DEFAULT_MIN_SAMPLE = 20
LOOPHOLE_DIMENSIONS = ("reason", "method", "rule", "country")


def _rates() -> dict[str, Any]:
    return {
        "n": Count("id"),
        "reversal": Count("id", filter=reversed_q()),
        "loss": Count("id", filter=loss_q()),
        "repeat": Count("id", filter=repeat_q()),
    }


def loopholes(*, weeks: Weeks, min_sample: int) -> dict[str, Any]:
    """The desk's average reversal, loss and repeat rates over the verdicts that took
    effect in the range, and every group (reason, payment method, cited rule, the
    appellant's country) with at least `min_sample` of them, its rates and how many
    times the average each is. Five queries."""
    base = decided(weeks)
    overall = base.aggregate(**_rates())
    average = {m: (overall[m] / overall["n"] if overall["n"] else 0.0) for m in MEASURES}
    groups: list[dict[str, Any]] = []
    for dim in LOOPHOLE_DIMENSIONS:
        for row in (
            base.annotate(group=DIMENSIONS[dim])
            .values("group")
            .annotate(**_rates())
            .filter(n__gte=min_sample)
            .order_by()
        ):
            for m in MEASURES:
                rate = row[m] / row["n"]
                ratio = rate / average[m] if average[m] else None
                groups.append(
                    {
                        "dimension": dim,
                        "value": row["group"],
                        "measure": m,
                        "n": row["n"],
                        "hits": row[m],
                        "rate": rate,
                        "ratio": ratio,
                        "flagged": ratio is not None and rate > 0 and ratio >= LOOPHOLE_FACTOR,
                    }
                )
    groups.sort(key=lambda g: (not g["flagged"], -(g["ratio"] or 0), g["dimension"]))
    return {"n": overall["n"], "average": average, "groups": groups}


# --- the cases behind a figure ------------------------------------------------------------


def cases_with_code(*, weeks: Weeks, code: str) -> QuerySet[Appeal]:
    """Appeals opened in the range with that finding, newest first."""
    found = RiskFinding.objects.filter(_in("opened_at", weeks), code=code, appeal=OuterRef("pk"))
    return (
        Appeal.objects.filter(_in("created_at", weeks))
        .filter(Exists(found))
        .select_related("order")
        .order_by("-created_at", "-id")
    )


def decided_cases(
    *, weeks: Weeks, measure: str | None, dimension: str | None, value: str | None
) -> QuerySet[Verdict]:
    """Verdicts that took effect in the range, in the group and of the measure given
    (loss, reversal, repeat), latest first, with their appeals."""
    qs = decided(weeks)
    if dimension in DIMENSIONS:
        qs = qs.annotate(group=DIMENSIONS[dimension]).filter(group=value or "")
    condition = measure_q(measure or "")
    if condition is not None:
        qs = qs.filter(condition)
    return qs.select_related("appeal__order").order_by("-effective_at", "-id")
