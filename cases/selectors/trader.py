"""What the trader page and `GET /api/v1/traders/{external_id}/` read: the profile, the
account's restrictions (and proposals), its most recent signals, the accounts linked to
it, and its appeals. No writes.

`trader_linked` is the one place that says which accounts are linked to a trader; today
it reads shared AccountSignal values, and the linked-account cluster replaces its body
without changing what callers get.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db.models import Count, Exists, OuterRef, Q, QuerySet
from django.utils import timezone

from cases.models import AccountRestriction, AccountSignal, Appeal, Party, Trader, Verdict

# How many of the trader's signals the page and the API show (the most recent first).
RECENT_SIGNALS = 20
# How many linked accounts the page and the API list (the most connected first).
LINKED_MAX = 50
# How many of the trader's appeals the page lists (the newest first).
APPEALS_MAX = 50
# How many waiting proposals the team leads' list shows (the oldest first).
PROPOSALS_MAX = 200


def restrictions_of(trader: Trader) -> QuerySet[AccountRestriction]:
    """Every restriction of the trader that was, is or may be in force: imposed ones and
    waiting proposals, newest first (rejected proposals are history, not restrictions)."""
    return (
        trader.restrictions.exclude(state=AccountRestriction.State.REJECTED)
        .select_related("created_by", "decided_by", "lifted_by")
        .order_by("-created_at", "-id")
    )


def recent_signals(trader: Trader, limit: int = RECENT_SIGNALS) -> list[dict[str, Any]]:
    """The trader's signals, the most recently seen first. `country` and `event` are
    null until signals carry them (the sighting history)."""
    rows = trader.signals.order_by("-last_seen_at", "-id").values(
        "kind", "value", "first_seen_at", "last_seen_at"
    )[:limit]
    return [
        {
            "kind": row["kind"],
            "value": row["value"],
            "seen_at": row["last_seen_at"],
            "first_seen_at": row["first_seen_at"],
            "country": None,
            "event": None,
        }
        for row in rows
    ]


def trader_linked(trader: Trader, limit: int = LINKED_MAX) -> list[dict[str, Any]]:
    """The accounts linked to this trader: `[{"external_id", "via": [signal kinds]}]`,
    those sharing the most kinds first. Two queries whatever the number (the
    (kind, value) index serves the join)."""
    own = AccountSignal.objects.filter(
        trader=trader, kind=OuterRef("kind"), value=OuterRef("value")
    )
    shared = (
        AccountSignal.objects.filter(Exists(own))
        .exclude(trader=trader)
        .values("trader_id", "trader__external_id", "kind")
        .distinct()
    )
    via: dict[str, set[str]] = {}
    for row in shared:
        via.setdefault(row["trader__external_id"], set()).add(row["kind"])
    kinds = AccountSignal.Kind.values
    linked = [
        {"external_id": ext, "via": [k for k in kinds if k in found]} for ext, found in via.items()
    ]
    linked.sort(key=lambda row: (-len(row["via"]), row["external_id"]))
    return linked[:limit]


def _party_q(trader: Trader) -> Q:
    return Q(order__buyer=trader) | Q(order__seller=trader)


def _lost_q(trader: Trader) -> Q:
    """The effective verdict went to the other side: the buyer's crypto returned to the
    seller, or the seller's released to the buyer."""
    won = Verdict.Outcome
    effective = Verdict.State.EFFECTIVE
    return Q(
        order__buyer=trader,
        verdicts__state=effective,
        verdicts__outcome=won.RETURN_TO_SELLER,
    ) | Q(
        order__seller=trader,
        verdicts__state=effective,
        verdicts__outcome=won.RELEASE_TO_BUYER,
    )


def appeal_counts(trader: Trader) -> dict[str, int]:
    """`{"opened", "lost"}`: appeals the trader opened, and appeals (either side) whose
    effective verdict went against them. One aggregate query."""
    opened_q = Q(order__buyer=trader, opened_by=Party.BUYER) | Q(
        order__seller=trader, opened_by=Party.SELLER
    )
    lost_ids = Appeal.objects.filter(_lost_q(trader)).values("pk")
    counts = Appeal.objects.filter(_party_q(trader)).aggregate(
        opened=Count("pk", filter=opened_q, distinct=True),
        lost=Count("pk", filter=Q(pk__in=lost_ids), distinct=True),
    )
    return {"opened": counts["opened"] or 0, "lost": counts["lost"] or 0}


def trader_appeals(trader: Trader, limit: int = APPEALS_MAX) -> list[Appeal]:
    """The trader's appeals as either party, newest first, with the order (its parties)
    for the page's side and counterpart."""
    return list(
        Appeal.objects.filter(_party_q(trader))
        .select_related("order__buyer", "order__seller")
        .order_by("-created_at", "-id")[:limit]
    )


@dataclass
class TraderFacts:
    """Everything the trader page shows about one trader."""

    trader: Trader
    restrictions: list[AccountRestriction]
    signals: list[dict[str, Any]]
    linked: list[dict[str, Any]]
    appeals: list[Appeal]
    counts: dict[str, int]
    now: datetime = field(default_factory=timezone.now)

    @property
    def active(self) -> list[AccountRestriction]:
        return [r for r in self.restrictions if r.is_active(self.now)]

    @property
    def waiting(self) -> list[AccountRestriction]:
        return [r for r in self.restrictions if r.is_waiting]

    @property
    def past(self) -> list[AccountRestriction]:
        return [r for r in self.restrictions if not r.is_waiting and not r.is_active(self.now)]


def trader_facts(trader: Trader) -> TraderFacts:
    return TraderFacts(
        trader=trader,
        restrictions=list(restrictions_of(trader)),
        signals=recent_signals(trader),
        linked=trader_linked(trader),
        appeals=trader_appeals(trader),
        counts=appeal_counts(trader),
    )


def waiting_proposals() -> QuerySet[AccountRestriction]:
    """Proposals waiting for a team lead, oldest first (the partial index
    restriction_waiting)."""
    return (
        AccountRestriction.objects.filter(state=AccountRestriction.State.PROPOSED)
        .select_related("trader", "created_by", "appeal")
        .order_by("created_at", "id")
    )
