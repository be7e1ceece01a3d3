"""The linked-account graph: the nightly rebuild of the clusters and the reads on them
(who is in a party's cluster, through which kinds of signal, who among them lost cases),
and each trader's sightings around an order (logins, devices, IPs, countries).

cases.clusters keeps the clusters as signals arrive; `recluster` rebuilds them from every
signal with the same rule (`cases.clusters.links` and `partition`), so it changes nothing
when the incremental merges were right, and repairs whatever they were not.
"""

from __future__ import annotations

import io
import time
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Count, Min, OuterRef, Q, Subquery

from cases.clusters import grouped, links, partition
from cases.models import AccountSignal, Party, SignalEvent, Trader, Verdict

FETCH = 50_000


def _linking_sql() -> str:
    """Every signal whose value links its holders (two to its kind's cap of them), ordered
    by value: the hubs and the values nobody shares stay in the database. The caps are
    integers from the settings, never input."""
    caps = " ".join(
        f"WHEN '{kind}' THEN {int(cap)}" for kind, cap in sorted(settings.SIGNAL_LINK_CAPS.items())
    )
    table = AccountSignal._meta.db_table
    return f"""
        SELECT s.kind, s.value, s.trader_id FROM {table} s
        JOIN (
            SELECT kind, value FROM {table} GROUP BY kind, value
            HAVING COUNT(*) >= 2 AND COUNT(*) <= CASE kind {caps} ELSE 0 END
        ) v ON v.kind = s.kind AND v.value = s.value
        ORDER BY s.kind, s.value, s.trader_id
    """


def _linking_rows() -> Iterator[tuple[str, str, int]]:
    # A server-side cursor on PostgreSQL: the rows stream in, never all in memory at once.
    with connection.chunked_cursor() as cursor:
        cursor.execute(_linking_sql())
        while rows := cursor.fetchmany(FETCH):
            yield from rows


def _keep_labels(labels: dict[int, int]) -> dict[int, int]:
    """Relabel each rebuilt cluster with the label most of its members already carry,
    when that representative is still one of them: a rebuild that agrees with the
    incremental clusters then writes nothing, and one that repairs writes only the fix."""
    current = dict(
        Trader.objects.exclude(cluster_id=None).values_list("pk", "cluster_id").iterator(FETCH)
    )
    votes: dict[int, Counter[int]] = {}
    for pk, label in labels.items():
        if pk in current:
            votes.setdefault(label, Counter())[current[pk]] += 1
    keep: dict[int, int] = {}
    for label, counter in votes.items():
        for old, _n in counter.most_common():
            if labels.get(old) == label:
                keep[label] = old
                break
    return {pk: keep.get(label, label) for pk, label in labels.items()}


def _write_back(labels: dict[int, int]) -> int:
    """Store the clusters with two set-based UPDATEs from a temporary table (COPY on
    PostgreSQL); only rows whose label changes are written. Returns how many changed."""
    trader = Trader._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE IF EXISTS recluster_labels")
        cursor.execute(
            "CREATE TEMPORARY TABLE recluster_labels "
            "(trader_id bigint PRIMARY KEY, cluster_id bigint NOT NULL)"
        )
        if connection.vendor == "postgresql":
            data = io.StringIO("".join(f"{t}\t{c}\n" for t, c in labels.items()))
            cursor.copy_expert("COPY recluster_labels FROM STDIN", data)
            cursor.execute("ANALYZE recluster_labels")
        else:
            cursor.executemany("INSERT INTO recluster_labels VALUES (%s, %s)", labels.items())
        cursor.execute(
            f"UPDATE {trader} SET cluster_id = n.cluster_id FROM recluster_labels n "
            f"WHERE {trader}.id = n.trader_id "
            f"AND {trader}.cluster_id IS DISTINCT FROM n.cluster_id"
        )
        changed = cursor.rowcount
        cursor.execute(
            f"UPDATE {trader} SET cluster_id = NULL WHERE cluster_id IS NOT NULL AND NOT "
            f"EXISTS (SELECT 1 FROM recluster_labels n WHERE n.trader_id = {trader}.id)"
        )
        changed += cursor.rowcount
        cursor.execute("DROP TABLE recluster_labels")
    return changed


def recluster() -> dict[str, float]:
    """Rebuild every cluster from the signals (`manage.py recluster`, the nightly task).

    Steps: 1. hold signal inserts (SHARE lock: reads go on, an ingest waits, so no merge
    happens between the read and the write); 2. read the linking signals in one ordered
    query; 3. union-find in Python; 4. write back the changed labels. Safe to run twice
    or at once (the second waits for the first's lock, then finds nothing to change).
    Returns the figures: traders in clusters, clusters, rows changed, seconds taken.
    """
    started = time.monotonic()
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute(f"LOCK TABLE {AccountSignal._meta.db_table} IN SHARE MODE")
        labels = _keep_labels(partition(h for _kind, h in grouped(_linking_rows())))
        changed = _write_back(labels)
    return {
        "clustered": len(labels),
        "clusters": len(set(labels.values())),
        "changed": changed,
        "seconds": round(time.monotonic() - started, 3),
    }


# --- reading the clusters -----------------------------------------------------------------


def cluster_members(cluster_ids: Iterable[int | None], *, limit: int) -> dict[int, list[Trader]]:
    """The members of these clusters (at most `limit` in all), by cluster, in one query."""
    ids = {c for c in cluster_ids if c is not None}
    found: dict[int, list[Trader]] = {c: [] for c in ids}
    if ids:
        for trader in Trader.objects.filter(cluster_id__in=ids).order_by("cluster_id", "pk")[
            :limit
        ]:
            found[trader.cluster_id].append(trader)
    return found


def link_kinds(member_ids: list[int]) -> dict[int, list[str]]:
    """For each of these traders, the kinds of signal that link them to another of them
    (a value two of them carry that is no hub), in one query."""
    if not member_ids:
        return {}
    holders = Subquery(
        AccountSignal.objects.filter(kind=OuterRef("kind"), value=OuterRef("value"))
        .order_by()
        .values("kind")
        .annotate(n=Count("pk"))
        .values("n")
    )
    rows = (
        AccountSignal.objects.filter(trader_id__in=member_ids)
        .annotate(holders=holders)
        .order_by("kind", "value", "trader_id")
        .values_list("kind", "value", "trader_id", "holders")
    )
    inside: dict[tuple[str, str], list[int]] = {}
    for kind, value, trader_id, n in rows:
        if links(kind, n):
            inside.setdefault((kind, value), []).append(trader_id)
    kinds: dict[int, set[str]] = {pk: set() for pk in member_ids}
    for (kind, _value), traders in inside.items():
        if len(traders) > 1:
            for trader_id in traders:
                kinds[trader_id].add(kind)
    order = list(AccountSignal.Kind.values)
    return {pk: sorted(found, key=order.index) for pk, found in kinds.items()}


def verdicts_against(
    trader_ids: list[int], *, exclude_order_id: int | None = None
) -> dict[int, int]:
    """{trader id: effective verdicts against them}: the verdict named them responsible,
    or moved the funds to the other side. One query."""
    if not trader_ids:
        return {}
    verdicts = Verdict.objects.filter(state=Verdict.State.EFFECTIVE).filter(
        Q(appeal__order__buyer_id__in=trader_ids) | Q(appeal__order__seller_id__in=trader_ids)
    )
    if exclude_order_id is not None:
        verdicts = verdicts.exclude(appeal__order_id=exclude_order_id)
    counts = dict.fromkeys(trader_ids, 0)
    for buyer, seller, responsible, outcome in verdicts.values_list(
        "appeal__order__buyer_id", "appeal__order__seller_id", "responsible_party", "outcome"
    ):
        for side, trader_id in ((Party.BUYER, buyer), (Party.SELLER, seller)):
            lost = Verdict.went_against(side, outcome=outcome, responsible_party=responsible)
            if trader_id in counts and lost:
                counts[trader_id] += 1
    return counts


def linked(trader: Trader, *, limit: int = 50) -> list[dict[str, object]]:
    """The trader's cluster as the traders API gives it: `[{"external_id", "via"}]`, the
    other members and the kinds of signal that link each (two queries, none if alone)."""
    if trader.cluster_id is None:
        return []
    members = [
        m
        for m in cluster_members([trader.cluster_id], limit=limit + 1)[trader.cluster_id]
        if m.pk != trader.pk
    ][:limit]
    kinds = link_kinds([trader.pk, *(m.pk for m in members)])
    return [{"external_id": m.external_id, "via": kinds[m.pk]} for m in members]


# --- sightings around an order ------------------------------------------------------------

COUNTRY = "country"


@dataclass(frozen=True)
class Sighting:
    """One reported sighting on a party's timeline; `new` marks a device, IP or country
    seen there for the first time on an account that had history before."""

    trader_id: int
    seen_at: datetime
    kind: str
    value: str
    country: str
    event: str
    new_value: bool
    new_country: bool

    @property
    def kind_label(self) -> str:
        return str(AccountSignal.Kind(self.kind).label)

    @property
    def event_label(self) -> str:
        return str(SignalEvent.Event(self.event).label) if self.event else ""


def _firsts(trader_ids: list[int]) -> tuple[dict, dict, dict[int, datetime]]:
    """When each (trader, kind, value) and each (trader, country) was first seen, and
    each trader's earliest sighting of anything: two queries."""
    values: dict[tuple[int, str, str], datetime] = {}
    earliest: dict[int, datetime] = {}
    for trader_id, kind, value, first in AccountSignal.objects.filter(
        trader_id__in=trader_ids
    ).values_list("trader_id", "kind", "value", "first_seen_at"):
        values[(trader_id, kind, value)] = first
        earliest[trader_id] = min(first, earliest.get(trader_id, first))
    countries = {
        (row["trader_id"], row["country"]): row["first"]
        for row in SignalEvent.objects.filter(trader_id__in=trader_ids)
        .exclude(country="")
        .values("trader_id", "country")
        .annotate(first=Min("seen_at"))
    }
    return values, countries, earliest


def new_before(
    trader_ids: list[int], *, at: datetime, window: timedelta
) -> dict[int, list[tuple[str, str, datetime]]]:
    """{trader id: [(what, value, first seen)]}: the devices, IPs (what = the kind) and
    countries (what = "country") first seen within `window` before `at`, for traders seen
    before that window too. A brand-new account has only new things: its first device is
    no sign of a takeover, so an account with no older sighting yields nothing."""
    values, countries, earliest = _firsts(trader_ids)
    start = at - window
    found: dict[int, list[tuple[str, str, datetime]]] = {pk: [] for pk in trader_ids}
    for (trader_id, kind, value), first in values.items():
        if kind in (AccountSignal.Kind.DEVICE, AccountSignal.Kind.IP) and start <= first <= at:
            found[trader_id].append((kind, value, first))
    for (trader_id, country), first in countries.items():
        if start <= first <= at:
            found[trader_id].append((COUNTRY, country, first))
    return {
        pk: sorted(items, key=lambda item: item[2])
        for pk, items in found.items()
        if items and earliest.get(pk, at) < start
    }


def sightings_around(
    trader_ids: list[int], *, at: datetime, before: timedelta, after: timedelta, limit: int
) -> dict[int, list[Sighting]]:
    """Each trader's sightings from `before` ahead of `at` to `after` it (at most `limit`
    each), oldest first, the first sightings of a value or country marked: three queries."""
    values, countries, earliest = _firsts(trader_ids)
    found: dict[int, list[Sighting]] = {pk: [] for pk in trader_ids}
    events = SignalEvent.objects.filter(
        trader_id__in=trader_ids, seen_at__gte=at - before, seen_at__lte=at + after
    ).order_by("trader_id", "seen_at", "pk")
    for event in events.iterator():
        mine = found[event.trader_id]
        if len(mine) >= limit:
            continue
        had_history = earliest.get(event.trader_id, event.seen_at) < event.seen_at
        first_value = values.get((event.trader_id, event.kind, event.value))
        first_country = countries.get((event.trader_id, event.country))
        mine.append(
            Sighting(
                trader_id=event.trader_id,
                seen_at=event.seen_at,
                kind=event.kind,
                value=event.value,
                country=event.country,
                event=event.event,
                new_value=had_history and first_value == event.seen_at,
                new_country=had_history and bool(event.country) and first_country == event.seen_at,
            )
        )
    return found
