"""Daily metrics and the KPI dashboard on a big database. A script, not a test.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/arb_bench \
        .venv/bin/python tests/benchmarks/bench_metrics.py [--days 365] [--requests 100]

Reports, on the database DATABASE_URL names (meant for the 1,000,000-appeal PostgreSQL
one; run `manage.py migrate` on it first):

- seconds to compute one day (metrics_compute_day, the daily Celery job's work), on a
  few days of the busiest part of the data;
- seconds to backfill --days days ending on the last day with appeals (what
  `manage.py compute_daily_metrics --from ... --to ...` does), which also leaves the rows
  the dashboard reads;
- the dashboard page (/dashboard/) p50/p95 for 7, 28, 90 and 365 days, the management
  report, and a CSV export, through Django's test Client signed in as a team lead, so the
  figures include middleware, template rendering and every query, but no network.

It writes: the computed DailyMetric/ArbitratorDailyMetric rows and a `bench-lead` user.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from datetime import date, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "arbitration.settings")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.contrib.auth import get_user_model  # noqa: E402
from django.contrib.auth.models import Group  # noqa: E402
from django.db import connection  # noqa: E402
from django.db.models import Count, Max, Min  # noqa: E402
from django.db.models.functions import TruncDate  # noqa: E402
from django.test import Client  # noqa: E402

from analytics.models import DailyMetric  # noqa: E402
from analytics.selectors import day_bounds, ops_today  # noqa: E402
from analytics.services import metrics_compute_day, metrics_compute_range  # noqa: E402
from cases.models import Appeal  # noqa: E402
from cases.roles import Role  # noqa: E402


def ops_date(moment) -> date:
    return moment.astimezone(ZoneInfo(settings.OPERATIONS_TIME_ZONE)).date()


def summary(samples: list[float]) -> str:
    ordered = sorted(samples)
    p95 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.95))]
    return (
        f"p50 {statistics.median(ordered) * 1000:7.1f} ms   p95 {p95 * 1000:7.1f} ms   "
        f"max {ordered[-1] * 1000:7.1f} ms   (n={len(ordered)})"
    )


def busiest_days(first: date, last: date, n: int) -> list[date]:
    """The n days with the most appeals opened (one GROUP BY over the range)."""
    start, end = day_bounds(first)[0], day_bounds(last)[1]
    rows = (
        Appeal.objects.filter(created_at__gte=start, created_at__lt=end)
        .values_list(TruncDate("created_at", tzinfo=ZoneInfo(settings.OPERATIONS_TIME_ZONE)))
        .annotate(n=Count("id"))
        .order_by("-n")[:n]
    )
    return [day for day, _n in rows]


def time_days(days: list[date]) -> None:
    for day in days:
        started = time.perf_counter()
        metric = metrics_compute_day(day=day)
        took = time.perf_counter() - started
        print(
            f"  {day}: {took:6.2f} s   opened {metric.appeals_opened:,}, resolved "
            f"{metric.appeals_resolved:,}, backlog {metric.backlog:,}"
        )


def lead_client() -> Client:
    user, _ = get_user_model().objects.get_or_create(
        username="bench-lead", defaults={"is_staff": True}
    )
    user.groups.add(Group.objects.get(name=Role.TEAM_LEAD))
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]
    client = Client()
    client.force_login(user)
    return client


def time_page(client: Client, label: str, url: str, n: int) -> None:
    queries: list[str] = []

    def count(execute, sql, params, many, context):
        queries.append(sql)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(count):
        response = client.get(url)  # warm up, and count the queries once
    if response.status_code != 200:
        raise SystemExit(f"{url} answered {response.status_code}")
    samples = []
    for _ in range(n):
        started = time.perf_counter()
        client.get(url)
        samples.append(time.perf_counter() - started)
    size = len(response.content) // 1024
    print(f"  {label:<31} {summary(samples)}  {len(queries)} queries, {size} KB")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--days", type=int, default=365, help="days to backfill")
    parser.add_argument("--requests", type=int, default=100, help="requests per page")
    parser.add_argument("--skip-backfill", action="store_true")
    args = parser.parse_args()
    if connection.vendor != "postgresql":
        print("warning: not PostgreSQL; the figures will not mean much")

    span = Appeal.objects.aggregate(n=Count("id"), first=Min("created_at"), last=Max("created_at"))
    if not span["n"]:
        raise SystemExit("no appeals in this database")
    last = min(ops_date(span["last"]), ops_today())
    first = last - timedelta(days=args.days - 1)
    print(f"database: {connection.settings_dict['NAME']} ({connection.vendor})")
    print(f"appeals: {span['n']:,}, opened {ops_date(span['first'])} to {ops_date(span['last'])}")
    print(f"operations time zone: {settings.OPERATIONS_TIME_ZONE}\n")

    print("one day (metrics_compute_day), the busiest days, then the last one:")
    time_days([*busiest_days(first, last, 3), last])

    if not args.skip_backfill:
        print(f"\nbackfill {args.days} days, {first} to {last} (metrics_compute_range):")
        started = time.perf_counter()
        metrics_compute_range(first=first, last=last)
        took = time.perf_counter() - started
        print(f"  {took:.1f} s in all, {took / args.days:.2f} s a day")
    print(f"  DailyMetric rows now: {DailyMetric.objects.count():,}")

    client = lead_client()
    n = args.requests
    print(f"\nthe dashboard through Django's test Client ({n} requests each):")
    for days in (7, 28, 90, 365):
        url = f"/dashboard/?from={last - timedelta(days=days - 1)}&to={last}"
        time_page(client, f"/dashboard/ {days} days", url, n)
    time_page(client, "/dashboard/ default (28 days)", "/dashboard/", n)
    week = last - timedelta(days=last.weekday() + 7)
    time_page(client, "/dashboard/report/ week", f"/dashboard/report/?start={week}", n)
    month = (last.replace(day=1) - timedelta(days=1)).replace(day=1)
    time_page(
        client, "/dashboard/report/ month", f"/dashboard/report/?period=month&start={month}", n
    )
    csv_url = f"/dashboard/?from={last - timedelta(days=89)}&to={last}&format=csv&table="
    time_page(client, "CSV arbitrators, 90 days", csv_url + "arbitrators", n)
    time_page(client, "CSV daily, 90 days", csv_url + "daily", n)


if __name__ == "__main__":
    main()
