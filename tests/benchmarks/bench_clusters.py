"""The linked-account graph on a big database: the full rebuild (`recluster`) and the
incremental merges of signals_ingest, timed. A script, not a test (PostgreSQL):

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/arb_bench \\
        .venv/bin/python tests/benchmarks/bench_clusters.py [--traders 300000] \\
        [--signals 1000000] [--batches 200] [--no-setup]

Setup (skipped with --no-setup; otherwise replaces the previous run's rows): `--traders`
traders `bench-cl-NNNNNNN` and `--signals` account signals COPYed in: one e-mail each
(a few shared by two accounts), a device each (one in twenty shared by a family of 2-4),
IPs from a pool where most are personal, some shared by an office of up to 20 and a few
are carrier NAT hubs of hundreds of accounts, and payment accounts (one in fifty shared).

Then: the full rebuild from nothing (every cluster_id cleared), the rebuild again (it
should change nothing), and `--batches` ingests of 5 signals on random traders, half of
them values already held by someone (merges), each in its own transaction as the API
runs it; the target is seconds for the rebuild and milliseconds per batch.
"""

from __future__ import annotations

import argparse
import io
import os
import random
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "arbitration.settings")

import django  # noqa: E402

django.setup()

from django.db import connection  # noqa: E402

from cases.models import AccountSignal, Trader  # noqa: E402
from cases.services import signals_ingest  # noqa: E402
from evidence.graph import recluster  # noqa: E402

PREFIX = "bench-cl-"
NOW = datetime(2026, 11, 1, tzinfo=UTC)


def _copy(table: str, columns: str, lines: list[str]) -> None:
    with connection.cursor() as cursor:
        cursor.copy_expert(f"COPY {table} ({columns}) FROM STDIN", io.StringIO("".join(lines)))


def setup(traders: int, signals: int, rng: random.Random) -> None:
    trader_table, signal_table = Trader._meta.db_table, AccountSignal._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"DELETE FROM {signal_table} WHERE trader_id IN "
            f"(SELECT id FROM {trader_table} WHERE external_id LIKE %s)",
            [PREFIX + "%"],
        )
        cursor.execute(f"DELETE FROM {trader_table} WHERE external_id LIKE %s", [PREFIX + "%"])
    stamp = NOW.isoformat()
    _copy(
        trader_table,
        "external_id, display_name, kyc_name, country, language, frozen, created_at, updated_at",
        [f"{PREFIX}{i:07d}\tb{i}\tB {i}\tCN\tzh\tf\t{stamp}\t{stamp}\n" for i in range(traders)],
    )
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT id FROM {trader_table} WHERE external_id LIKE %s ORDER BY id", [PREFIX + "%"]
        )
        ids = [row[0] for row in cursor.fetchall()]
    rows: set[tuple[int, str, str]] = set()
    for i, pk in enumerate(ids):
        rows.add((pk, "email", f"e{i if rng.random() > 0.01 else i // 2}@example.com"))
        rows.add((pk, "device", f"d{i if rng.random() > 0.05 else i // 3}"))
    ip_pool = max(1, traders // 2)
    while len(rows) < signals:
        pk = rng.choice(ids)
        roll = rng.random()
        if roll < 0.55:
            ip = f"ip{rng.randrange(ip_pool)}"  # personal, sometimes shared by chance
        elif roll < 0.70:
            ip = f"office{rng.randrange(traders // 15)}"
        elif roll < 0.72:
            ip = f"nat{rng.randrange(20)}"  # carrier NAT: hundreds of accounts, a hub
        else:
            rows.add((pk, "payment_account", f"pa{rng.randrange(traders * 2)}"))
            continue
        rows.add((pk, "ip", ip))
    seen = (NOW - timedelta(days=30)).isoformat()
    _copy(
        signal_table,
        "trader_id, kind, value, first_seen_at, last_seen_at",
        [f"{pk}\t{kind}\t{value}\t{seen}\t{seen}\n" for pk, kind, value in rows],
    )
    with connection.cursor() as cursor:
        cursor.execute(f"ANALYZE {trader_table}")
        cursor.execute(f"ANALYZE {signal_table}")
    print(f"setup: {traders:,} traders, {len(rows):,} signals")


def incremental(batches: int, rng: random.Random) -> list[float]:
    ids = list(Trader.objects.filter(external_id__startswith=PREFIX).values_list("pk", flat=True))
    known = list(
        AccountSignal.objects.filter(kind__in=["device", "payment_account"])
        .order_by("?")
        .values_list("kind", "value")[: batches * 5]
    )
    timings = []
    for n in range(batches):
        trader = Trader.objects.get(pk=rng.choice(ids))
        items = [
            {"kind": "ip", "value": f"new-ip-{n}-{i}", "seen_at": NOW, "country": "CN"}
            for i in range(2)
        ]
        items += [
            {"kind": kind, "value": value, "seen_at": NOW, "event": "login"}
            for kind, value in rng.sample(known, 3)
        ]
        started = time.perf_counter()
        signals_ingest(trader=trader, signals=items)
        timings.append(time.perf_counter() - started)
    return timings


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--traders", type=int, default=300_000)
    parser.add_argument("--signals", type=int, default=1_000_000)
    parser.add_argument("--batches", type=int, default=200)
    parser.add_argument("--no-setup", action="store_true")
    args = parser.parse_args()
    if connection.vendor != "postgresql":
        sys.exit("Run this on PostgreSQL (DATABASE_URL=postgres://...).")
    rng = random.Random(12)
    if not args.no_setup:
        started = time.perf_counter()
        setup(args.traders, args.signals, rng)
        print(f"setup took {time.perf_counter() - started:.1f} s")
    Trader.objects.exclude(cluster_id=None).update(cluster_id=None)
    print("recluster from nothing:", recluster())
    print("recluster again:       ", recluster())
    timings = incremental(args.batches, rng)
    ms = sorted(t * 1000 for t in timings)
    print(
        f"ingest of 5 signals ({len(ms)} batches): median {statistics.median(ms):.1f} ms, "
        f"p95 {ms[int(len(ms) * 0.95) - 1]:.1f} ms, max {ms[-1]:.1f} ms"
    )
    print("recluster after ingest:", recluster(), "(changed should be 0)")


if __name__ == "__main__":
    main()
