"""What the trader page and `GET /api/v1/traders/{external_id}/` read: the profile, the
account's restrictions (and proposals), its most recent signals, the accounts linked to
it, and its appeals. No writes.

`trader_linked` is the one place that says which accounts are linked to a trader: its
linked-account cluster (evidence.graph).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from cases.models import (
    AccountRestriction,
    Appeal,
    Party,
    SignalEvent,
    Trader,
    Verdict,
)
from evidence import graph

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
    """The trader's most recent sightings (SignalEvent: kind, value, when, the country and
    the event as reported), each with when that value was first seen on the account. A
    trader reported before sightings were kept shows its aggregated signals, with no
    country or event. Two queries."""
    events = list(
        SignalEvent.objects.filter(trader=trader)
        .order_by("-seen_at", "-id")
        .values("kind", "value", "seen_at", "country", "event")[:limit]
    )
    firsts = (
        {
            (row["kind"], row["value"]): row["first_seen_at"]
            for row in trader.signals.values("kind", "value", "first_seen_at", "last_seen_at")
        }
        if events
        else {}
    )
    if events:
        return [
            {
                "kind": e["kind"],
                "value": e["value"],
                "seen_at": e["seen_at"],
                "first_seen_at": firsts.get((e["kind"], e["value"]), e["seen_at"]),
                "country": e["country"] or None,
                "event": e["event"] or None,
            }
            for e in events
        ]
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
    """The accounts linked to this trader: `[{"external_id", "via": [signal kinds]}]`, the
    other members of its linked-account cluster (evidence.graph, which keeps the clusters
    as signals arrive and rebuilds them nightly)."""
    return graph.linked(trader, limit=limit)


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
