"""Linked-account clusters, kept as signals arrive: traders who share a device, IP, e-mail
or payment account are one cluster (Trader.cluster_id names its representative).

This is the incremental half of the graph; the nightly rebuild and the reads are in
evidence.graph. It lives in the core, not in evidence/, because it must run inside
signals_ingest's transaction, under its locks: the risk assessment that the ingest
schedules on commit then reads clusters that already include the new signals, and a
rolled-back ingest leaves no merge behind. A task enqueued by name would run after the
commit, racing that assessment. Both halves share `links` and `partition`, so the same
signals give the same clusters either way (tests/cases/test_clusters.py).

The rule: a (kind, value) links every trader carrying it, unless more than its kind's
SIGNAL_LINK_CAPS traders do (a hub: a carrier's NAT address, a public Wi-Fi), in which
case it links nobody. A value crosses its cap once, and then the cluster it had formed is
split again (`_split`), so the incremental clusters never depend on arrival order.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterable
from itertools import groupby

from django.conf import settings
from django.db import connection
from django.db.models import Count, Exists, OuterRef, Q

from .models import AccountSignal, Trader


def link_cap(kind: str) -> int:
    """How many traders a value of `kind` may link; more make it a hub (settings)."""
    return settings.SIGNAL_LINK_CAPS[kind]


def links(kind: str, holders: int) -> bool:
    """Whether a value of `kind` carried by `holders` traders links them."""
    return 2 <= holders <= link_cap(kind)


class DisjointSets:
    """Union-find over the integers 0..n-1 in two flat lists (union by size, path
    halving): a million signals are a few seconds of Python, not minutes of objects."""

    def __init__(self, n: int) -> None:
        self.parent = list(range(n))
        self.size = [1] * n

    def find(self, x: int) -> int:
        parent = self.parent
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    def union(self, a: int, b: int) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra == rb:
            return
        if self.size[ra] < self.size[rb]:
            ra, rb = rb, ra
        self.parent[rb] = ra
        self.size[ra] += self.size[rb]


def partition(groups: Iterable[Iterable[int]]) -> dict[int, int]:
    """{trader id: the smallest id of its cluster} for every trader in a cluster of two or
    more, from groups of trader ids that are each linked (each a value's holders)."""
    index: dict[int, int] = {}
    ids: list[int] = []
    pairs: list[tuple[int, int]] = []
    for group in groups:
        first = -1
        for trader_id in group:
            i = index.get(trader_id)
            if i is None:
                i = index[trader_id] = len(ids)
                ids.append(trader_id)
            if first < 0:
                first = i
            elif i != first:
                pairs.append((first, i))
    sets = DisjointSets(len(ids))
    for a, b in pairs:
        sets.union(a, b)
    smallest: dict[int, int] = {}
    roots = [sets.find(i) for i in range(len(ids))]
    for i, root in enumerate(roots):
        if sets.size[root] > 1 and (root not in smallest or ids[i] < smallest[root]):
            smallest[root] = ids[i]
    return {ids[i]: smallest[root] for i, root in enumerate(roots) if root in smallest}


def grouped(rows: Iterable[tuple[str, str, int]]) -> Iterable[tuple[str, list[int]]]:
    """(kind, holders) per value from (kind, value, trader id) rows ordered by kind, value."""
    for (kind, _value), holders in groupby(rows, key=lambda row: (row[0], row[1])):
        yield kind, [row[2] for row in holders]


# --- on ingest ----------------------------------------------------------------------------


def _lock_values(values: list[tuple[str, str]]) -> None:
    """Serialise ingests of the same value: two traders reporting one new device at once
    would each miss the other's uncommitted row and never merge. A transaction-scoped
    advisory lock per value, taken in a fixed order; SQLite runs one writer at a time."""
    if connection.vendor != "postgresql":
        return
    keys = sorted({zlib.crc32(f"{kind}\0{value}".encode()) for kind, value in values})
    with connection.cursor() as cursor:
        for key in keys:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [key])


def clusters_link(*, trader_id: int, new: list[tuple[str, str]]) -> set[int]:
    """Update the clusters for the (kind, value)s just recorded on a trader for the first
    time. Call inside the ingest's transaction, after the rows are written. Returns the
    clusters that changed, by label (a trader left alone by a split: its own id), whose
    members' appeals may read differently now (linked_accounts)."""
    changed: set[int] = set()
    if not new:
        return changed
    _lock_values(new)
    for kind, value in sorted(set(new)):
        cap = link_cap(kind)
        holders = list(
            AccountSignal.objects.filter(kind=kind, value=value)
            .exclude(trader_id=trader_id)
            .order_by("trader_id")
            .values_list("trader_id", flat=True)[: cap + 1]
        )
        if not holders:
            continue
        if len(holders) + 1 <= cap:
            # The other holders are one cluster already: joining one joins them all.
            changed |= _merge(trader_id, holders[0])
        elif len(holders) == cap:
            # This trader made the value a hub: it no longer links its earlier holders.
            changed |= _split(holders[0])
    return changed


def _reps(a: int, b: int) -> tuple[int, int]:
    found = dict(Trader.objects.filter(pk__in=[a, b]).values_list("pk", "cluster_id"))
    return found[a] or a, found[b] or b


def _merge(a: int, b: int) -> set[int]:
    """Join a's and b's clusters under row locks on both representatives (in id order,
    so two merges cannot wait on each other in opposite orders); the smaller cluster is
    relabelled, so a merge costs the size of the smaller side."""
    while True:
        ra, rb = _reps(a, b)
        if ra == rb:
            return set()
        list(Trader.objects.select_for_update().filter(pk__in=[ra, rb]).order_by("pk"))
        if _reps(a, b) == (ra, rb):  # nobody relabelled them while we waited
            break
    sizes = dict(
        Trader.objects.filter(cluster_id__in=[ra, rb])
        .values("cluster_id")
        .annotate(n=Count("pk"))
        .values_list("cluster_id", "n")
    )
    keep, gone = sorted((ra, rb), key=lambda r: (-sizes.get(r, 1), r))
    Trader.objects.filter(Q(cluster_id=gone) | Q(pk=gone) | Q(pk=keep)).update(cluster_id=keep)
    return {keep}


def _split(member: int) -> set[int]:
    """Rebuild the cluster of `member` from its members' signals, hubs left out: what a
    value that just became a hub held together may fall apart."""
    rep = Trader.objects.filter(pk=member).values_list("cluster_id", flat=True).first()
    if rep is None:
        return set()
    list(Trader.objects.select_for_update().filter(pk=rep))
    members = Trader.objects.filter(cluster_id=rep)
    inside = AccountSignal.objects.filter(
        trader__cluster_id=rep, kind=OuterRef("kind"), value=OuterRef("value")
    )
    counts = {
        (row["kind"], row["value"]): row["n"]
        for row in AccountSignal.objects.filter(Exists(inside))
        .values("kind", "value")
        .annotate(n=Count("trader_id", distinct=True))
    }
    rows = (
        AccountSignal.objects.filter(trader__cluster_id=rep)
        .order_by("kind", "value", "trader_id")
        .values_list("kind", "value", "trader_id")
    )
    linking = [
        (kind, value, trader_id)
        for kind, value, trader_id in rows
        if links(kind, counts[(kind, value)])
    ]
    labels = partition(holders for _kind, holders in grouped(linking))
    ids = list(members.values_list("pk", flat=True))
    by_label: dict[int | None, list[int]] = {}
    for pk in ids:
        by_label.setdefault(labels.get(pk), []).append(pk)
    for label, pks in by_label.items():
        Trader.objects.filter(pk__in=pks).update(cluster_id=label)
    return {label for label in by_label if label is not None} | set(by_label.get(None, []))
