"""Linked-account clusters: kept on ingest (cases.clusters), rebuilt by `recluster`
(evidence.graph), the same either way, and never glued together through a hub."""

from __future__ import annotations

import random

import pytest
from django.core.management import call_command
from django.utils import timezone

from cases import services
from cases.models import Trader
from evidence.graph import link_kinds, linked, recluster
from tests.factories import TraderFactory

pytestmark = pytest.mark.django_db

CAPS = {"ip": 4, "device": 3, "email": 2, "payment_account": 3}


@pytest.fixture(autouse=True)
def small_caps(settings):
    settings.SIGNAL_LINK_CAPS = CAPS


def see(trader: Trader, *pairs: tuple[str, str]) -> None:
    at = timezone.now()
    services.signals_ingest(
        trader=trader, signals=[{"kind": k, "value": v, "seen_at": at} for k, v in pairs]
    )


def clusters() -> set[frozenset[int]]:
    """The partition the database holds, whatever the representatives' ids."""
    found: dict[int, set[int]] = {}
    for pk, cluster in Trader.objects.exclude(cluster_id=None).values_list("pk", "cluster_id"):
        found.setdefault(cluster, set()).add(pk)
    return {frozenset(members) for members in found.values()}


def expected(signals: dict[tuple[str, str], set[int]]) -> set[frozenset[int]]:
    """The clusters worked out independently: connected components (breadth first) of the
    graph whose edges are the values held by 2..cap traders."""
    neighbours: dict[int, set[int]] = {}
    for (kind, _value), holders in signals.items():
        if 2 <= len(holders) <= CAPS[kind]:
            for pk in holders:
                neighbours.setdefault(pk, set()).update(holders - {pk})
    seen: set[int] = set()
    found = set()
    for start in neighbours:
        if start in seen:
            continue
        component, todo = set(), [start]
        while todo:
            pk = todo.pop()
            if pk not in component:
                component.add(pk)
                todo.extend(neighbours[pk] - component)
        seen |= component
        found.add(frozenset(component))
    return found


def test_traders_sharing_a_device_are_one_cluster():
    a, b, c = TraderFactory(), TraderFactory(), TraderFactory()
    see(a, ("device", "d1"))
    see(b, ("device", "d1"), ("email", "b@example.com"))
    see(c, ("email", "b@example.com"))

    assert clusters() == {frozenset({a.pk, b.pk, c.pk})}
    a.refresh_from_db()
    assert {m["external_id"]: m["via"] for m in linked(a)} == {
        b.external_id: ["device", "email"],
        c.external_id: ["email"],
    }


def test_strangers_are_in_no_cluster():
    a, b = TraderFactory(), TraderFactory()
    see(a, ("device", "d1"), ("ip", "10.0.0.1"))
    see(b, ("device", "d2"), ("ip", "10.0.0.2"))

    assert clusters() == set()
    assert linked(a) == []


def test_a_value_over_its_cap_links_nobody():
    """An IP shared by more traders than its cap (a carrier's NAT) is a hub: the cluster
    it had made falls apart when one trader too many shows up on it."""
    traders = [TraderFactory() for _ in range(CAPS["ip"] + 1)]
    for trader in traders[:-1]:
        see(trader, ("ip", "100.64.0.1"))
    assert clusters() == {frozenset(t.pk for t in traders[:-1])}

    see(traders[-1], ("ip", "100.64.0.1"))

    assert clusters() == set()
    assert link_kinds([t.pk for t in traders]) == {t.pk: [] for t in traders}


def test_a_hub_keeps_the_links_made_by_other_values():
    a, b, c, d, e = (TraderFactory() for _ in range(5))
    see(a, ("device", "d1"), ("ip", "hub"))
    see(b, ("device", "d1"), ("ip", "hub"))
    see(c, ("ip", "hub"))
    see(d, ("ip", "hub"))
    assert clusters() == {frozenset({a.pk, b.pk, c.pk, d.pk})}

    see(e, ("ip", "hub"))

    assert clusters() == {frozenset({a.pk, b.pk})}


@pytest.mark.parametrize("seed", range(6))
def test_incremental_and_full_recompute_give_the_same_clusters(seed):
    rng = random.Random(seed)
    traders = [TraderFactory() for _ in range(40)]
    pools = {"ip": 12, "device": 25, "email": 30, "payment_account": 20}
    signals: dict[tuple[str, str], set[int]] = {}
    for _ in range(25):
        trader = rng.choice(traders)
        batch = []
        for _ in range(rng.randint(1, 4)):
            kind = rng.choice(list(pools))
            value = f"{kind}-{rng.randrange(pools[kind])}"
            batch.append((kind, value))
            signals.setdefault((kind, value), set()).add(trader.pk)
        see(trader, *batch)
    incremental = clusters()
    assert incremental == expected(signals)
    assert recluster()["changed"] == 0  # the merges on ingest were exact

    Trader.objects.update(cluster_id=None)
    figures = recluster()

    assert clusters() == incremental
    assert figures["clustered"] == sum(len(c) for c in incremental)


def test_recluster_repairs_a_wrong_label_and_the_command_runs(capsys):
    a, b, c = TraderFactory(), TraderFactory(), TraderFactory()
    see(a, ("device", "d1"))
    see(b, ("device", "d1"))
    Trader.objects.filter(pk=c.pk).update(cluster_id=a.pk)  # a stray hand edit

    call_command("recluster")

    assert clusters() == {frozenset({a.pk, b.pk})}
    assert "changed: " in capsys.readouterr().out


def test_a_rolled_back_ingest_merges_nothing():
    from django.db import transaction

    a, b = TraderFactory(), TraderFactory()
    see(a, ("device", "d1"))
    with pytest.raises(RuntimeError), transaction.atomic():
        see(b, ("device", "d1"))
        raise RuntimeError
    assert clusters() == set()


def test_the_nightly_rebuild_is_a_beat_task_that_rebuilds(settings):
    from arbitration.jobs import task_named

    names = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert "evidence.tasks.recluster" in names
    a, b = TraderFactory(), TraderFactory()
    see(a, ("device", "d1"))
    see(b, ("device", "d1"))
    Trader.objects.update(cluster_id=None)

    task_named("evidence.tasks.recluster").apply()

    assert clusters() == {frozenset({a.pk, b.pk})}
