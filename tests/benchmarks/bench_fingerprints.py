"""Near-copy lookup in the voucher fingerprint index at 2,000,000 rows (PostgreSQL).

    DATABASE_URL=postgres://... .venv/bin/python tests/benchmarks/bench_fingerprints.py

Fills a throwaway table with the same columns and indexes as VoucherFingerprint (the
abstract FingerprintColumns) by COPY: random hashes plus clusters of near-copies (a
popular template), ANALYZE, then times evidence.fingerprints.nearest_candidates (the
scorer's query) for 200 hashes near stored ones, p50/p95, and the candidates examined.
The table is dropped at the end."""

from __future__ import annotations

import io
import os
import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "arbitration.settings")

import django  # noqa: E402

django.setup()

from django.db import connection  # noqa: E402

from evidence import fingerprints  # noqa: E402
from evidence.models import FingerprintColumns  # noqa: E402

ROWS = int(os.environ.get("BENCH_ROWS", 2_000_000))
CLUSTERS, CLUSTER_SIZE = 200, 50  # 10,000 rows of near-copies of 200 pictures
QUERIES = 200


class BenchFingerprint(FingerprintColumns):
    class Meta(FingerprintColumns.Meta):
        app_label = "evidence"
        db_table = "bench_voucher_fingerprint"


def _near(phash: int, rng: random.Random, bits: int) -> int:
    for bit in rng.sample(range(fingerprints.HASH_BITS), bits):
        phash ^= 1 << bit
    return phash


def _hex(value: int) -> str:
    return f"{value:0{fingerprints.HASH_BITS // 4}x}"


def _fill(rng: random.Random) -> list[str]:
    centres = [rng.getrandbits(fingerprints.HASH_BITS) for _ in range(CLUSTERS)]
    columns = ["phash", *(f"s{i}" for i in range(fingerprints.SEGMENTS))]
    with connection.cursor() as cursor:
        for start in range(0, ROWS, 200_000):
            out = io.StringIO()
            for n in range(start, min(ROWS, start + 200_000)):
                if n < CLUSTERS * CLUSTER_SIZE:
                    value = _near(centres[n % CLUSTERS], rng, rng.randint(0, 12))
                else:
                    value = rng.getrandbits(fingerprints.HASH_BITS)
                text = _hex(value)
                out.write("\t".join([text, *map(str, fingerprints.segments_of(text))]) + "\n")
            out.seek(0)
            cursor.cursor.copy_expert(
                f"COPY {BenchFingerprint._meta.db_table} ({', '.join(columns)}) FROM STDIN", out
            )
        cursor.execute(f"ANALYZE {BenchFingerprint._meta.db_table}")
    return [_hex(c) for c in centres]


def main() -> None:
    if connection.vendor != "postgresql":
        raise SystemExit("run on PostgreSQL (DATABASE_URL=postgres://...)")
    rng = random.Random(12)
    with connection.schema_editor() as editor:
        editor.create_model(BenchFingerprint)
    try:
        started = time.perf_counter()
        centres = _fill(rng)
        print(f"filled {ROWS:,} rows in {time.perf_counter() - started:.1f} s")
        timings, examined, found = [], [], 0
        for i in range(QUERIES):
            # Half near a cluster (a recycled popular picture), half near a random row.
            if i % 2:
                target = rng.choice(centres)
            else:
                target = BenchFingerprint.objects.order_by("?").values_list("phash", flat=True)[0]
            query = _hex(_near(int(target, 16), rng, rng.randint(1, fingerprints.NEAR_BITS)))
            t0 = time.perf_counter()
            closest, n = fingerprints.nearest_candidates(query, model=BenchFingerprint)
            timings.append((time.perf_counter() - t0) * 1000)
            examined.append(n)
            found += bool(closest)
        timings.sort()
        print(
            f"{QUERIES} lookups: p50 {statistics.median(timings):.1f} ms, "
            f"p95 {timings[int(QUERIES * 0.95) - 1]:.1f} ms, max {timings[-1]:.1f} ms; "
            f"candidates examined median {statistics.median(examined):.0f}, max {max(examined)}; "
            f"found the planted near hash in {found}/{QUERIES}"
        )
    finally:
        with connection.schema_editor() as editor:
            editor.delete_model(BenchFingerprint)


if __name__ == "__main__":
    main()
