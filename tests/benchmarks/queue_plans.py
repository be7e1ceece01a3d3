"""Show PostgreSQL's plan (EXPLAIN ANALYZE) for every query the queue page runs, for the
main filter and sort combinations, on a big database. A script, not a test:

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/arb_bench \\
        .venv/bin/python tests/benchmarks/queue_plans.py [--full] [--only NAME]

It requests the real page through Django's test client (as the demo user `lead`, made by
`seed_demo`), captures the SQL, and explains each statement that reads cases_appeal. Each
line reports the execution time and the indexes the plan uses; a sequential scan or a sort
of many rows is what a missing index looks like. --full prints whole plans; --timing N
requests each page N times instead and prints p50/p95 of the whole page.
"""

from __future__ import annotations

import argparse
import math
import os
import re
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "arbitration.settings")
os.environ.setdefault("ALLOWED_HOSTS", "testserver")

import django  # noqa: E402

django.setup()

from django.contrib.auth import get_user_model  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext, setup_test_environment  # noqa: E402

from cases.models import Appeal, Order, Trader  # noqa: E402
from cases.selectors import queue as q  # noqa: E402


def cursor_at(sort: str, offset: int, **filters: Any) -> str:
    """The cursor of the row `offset` rows into the queue in `sort` order: a deep page."""
    key, descending = q.sort_key(sort)
    order = [f"-{key.field}", "-id"] if descending else [key.field, "id"]
    rows = q.queue_queryset().filter(**filters)
    if key.nullable:
        rows = rows.filter(**{f"{key.field}__isnull": False})
    row = rows.order_by(*order)[offset]
    return q.cursor_encode(sort, row)


def scenarios() -> list[tuple[str, dict[str, Any]]]:
    active = {"status__in": q.ACTIVE_STATUSES}
    order = Order.objects.order_by("-id").values_list("external_id", flat=True).first()
    trader = Trader.objects.order_by("id").values_list("external_id", flat=True).first()
    appeal_id = Appeal.objects.order_by("-id").values_list("id", flat=True).first()
    method = Appeal.objects.values_list("payment_method", flat=True).first()
    lead = get_user_model().objects.get(username="lead")
    everything = [s for s, _ in Appeal.Status.choices]
    cases: list[tuple[str, dict[str, Any]]] = [
        ("default: active, by deadline", {}),
        ("default, page 201 (10,000 rows deep)", {"after": cursor_at("due", 10_000, **active)}),
    ]
    for sort, _label in q.SORT_CHOICES:
        if sort != "due":
            cases.append((f"active, sort={sort}", {"sort": sort}))
        cases.append(
            (
                f"active, sort={sort}, 10,000 deep",
                {"sort": sort, "after": cursor_at(sort, 10_000, **active)},
            )
        )
    cases += [
        ("status=open, by deadline", {"status": "open"}),
        ("status=escalated (senior queue)", {"status": "escalated"}),
        ("status=resolved, newest first (chip)", {"status": "resolved", "sort": "-age"}),
        (
            "status=resolved, -age, 100,000 deep",
            {
                "status": "resolved",
                "sort": "-age",
                "after": cursor_at("-age", 100_000, status="resolved"),
            },
        ),
        ("every status, by deadline", {"status": everything}),
        ("every status, by amount desc", {"status": everything, "sort": "-amount"}),
        ("every status, oldest first", {"status": everything, "sort": "age"}),
        ("assignee=me", {"assignee": "me"}),
        ("assignee=none (unassigned)", {"assignee": "none"}),
        (f"assignee=<lead {lead.pk}>", {"assignee": str(lead.pk)}),
        ("reason=chargeback", {"reason": "chargeback"}),
        ("reason=other (rare), by amount", {"reason": "other", "sort": "-amount"}),
        ("amount 5,000-20,000", {"amount_min": "5000", "amount_max": "20000"}),
        (
            "amount >= 50,000, largest first",
            {"amount_min": "50000", "sort": "-amount"},
        ),
        (f"payment_method={method}", {"payment_method": method}),
        ("language=ru", {"language": "ru"}),
        ("overdue", {"overdue": "on"}),
        ("overdue + unassigned", {"overdue": "on", "assignee": "none"}),
        (f"q=<order {order}>", {"q": order}),
        (f"q=<trader {trader}>", {"q": trader}),
        (f"q=#{appeal_id}", {"q": f"#{appeal_id}"}),
        ("q=<no match>", {"q": "NO-SUCH-ID"}),
    ]
    return cases


def explain(sql: str) -> tuple[float, str, list[str]]:
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    ms = float(re.search(r"Execution Time: ([\d.]+) ms", plan).group(1))
    indexes = sorted(set(re.findall(r"(?:Index|Index Only) Scan (?:Backward )?using (\w+)", plan)))
    indexes += sorted(set(re.findall(r"Bitmap Index Scan on (\w+)", plan)))
    if "Seq Scan on cases_appeal" in plan:
        indexes.append("SEQ SCAN cases_appeal")
    sort = re.search(r"Sort Method: (.+)", plan)
    if sort:
        indexes.append(f"sort: {sort.group(1).strip()}")
    return ms, plan, indexes


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--full", action="store_true", help="print whole plans")
    parser.add_argument("--only", default="", help="only scenarios whose name contains this")
    parser.add_argument(
        "--timing",
        type=int,
        default=0,
        metavar="N",
        help="instead of plans, request each page N times and report p50/p95",
    )
    args = parser.parse_args()
    if connection.vendor != "postgresql":
        sys.exit("Run this on PostgreSQL (DATABASE_URL=postgres://...).")
    client = Client()
    client.force_login(get_user_model().objects.get(username="lead"))
    client.get("/")  # warm the cached filter choices
    print(f"{Appeal.objects.count():,} appeals\n")
    if args.timing:
        timing(client, args.timing, args.only)
        return
    # Responses carry their template context (for the row count) from here on; this
    # instrumentation copies the context on every template render, so --timing runs
    # without it.
    setup_test_environment()
    counts_shown = False
    for name, params in scenarios():
        if args.only and args.only not in name:
            continue
        with CaptureQueriesContext(connection) as queries:
            started = time.perf_counter()
            response = client.get("/", params)
            page_ms = (time.perf_counter() - started) * 1000
        assert response.status_code == 200, response.status_code
        rows = len(response.context["rows"])
        print(f"== {name}: {rows} rows, page {page_ms:.0f} ms, {len(queries)} queries")
        for query in queries:
            sql = query["sql"]
            if 'FROM "cases_appeal"' not in sql:
                continue
            kind = "counts" if "GROUP BY" in sql else "rows"
            if kind == "counts" and counts_shown:
                continue  # the same two count queries on every page
            ms, plan, indexes = explain(sql)
            print(f"   {kind:<6} {ms:8.2f} ms  {', '.join(indexes)}")
            if args.full:
                print("      " + sql[:400])
                print("\n".join("      " + line for line in plan.splitlines()))
        counts_shown = True
        print()


def timing(client: Client, repeat: int, only: str) -> None:
    """p50/p95 of the whole page (view, queries, template) through the test client."""
    print(f"{'scenario':<45} {'p50 ms':>8} {'p95 ms':>8} {'queries':>8}")
    for name, params in scenarios():
        if only and only not in name:
            continue
        client.get("/", params)  # warm
        times = []
        for _ in range(repeat):
            with CaptureQueriesContext(connection) as queries:
                started = time.perf_counter()
                response = client.get("/", params)
                times.append((time.perf_counter() - started) * 1000)
            assert response.status_code == 200
        times.sort()
        p50 = times[len(times) // 2]
        p95 = times[min(len(times) - 1, math.ceil(len(times) * 0.95) - 1)]
        print(f"{name[:45]:<45} {p50:8.1f} {p95:8.1f} {len(queries):8d}")


if __name__ == "__main__":
    main()
