"""The floor tick on a big database: one assignment tick and one escalation sweep, timed,
with their SQL query counts and the plans of the queries that pick their candidates. A
script, not a test:

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/arb_bench \\
        .venv/bin/python tests/benchmarks/bench_floor.py [--repeat 3] [--staff 200] \\
        [--open 100000] [--no-setup]

Setup (skipped with --no-setup, and idempotent otherwise):
  * 200 staff `bench-floor-NNN` (one in ten a senior arbitrator), languages en/zh/ru, a
    case limit of 50, time zones around the world, and a 24-hour shift every day, so all
    of them are on shift now;
  * enough cancelled appeals turned back into open, unassigned ones (an UPDATE that
    clears their owner, their resolution time and any assignment note) that the pool
    holds `--open` unassigned open appeals; the demo's own staff are taken off the rota
    (their shifts deleted) so the tick measures assignment, not a one-off hand-back of the
    seed's thousands of cases;
  * four escalation rules (`bench: ...`): USDT of 1,000 or more (matches tens of
    thousands: a full budget of escalations every round), risk at or above 95,
    chargebacks of 5,000 or more, and evidence deadlines missed.

Then, `--repeat` times: one `assign_tick()` (at most BATCH assignments) and one
`escalation_sweep()`, each in seconds and SQL statements. The target is under 2 s each,
with a statement count that depends on the batch size, never on the table's size.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from datetime import time as clock
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "arbitration.settings")

import django  # noqa: E402

django.setup()

from django.contrib.auth import get_user_model  # noqa: E402
from django.contrib.auth.models import Group  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.db.models import Count  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.utils import timezone  # noqa: E402

from cases.floor import assignment, escalation  # noqa: E402
from cases.models import Appeal, EscalationRule, Shift, StaffProfile  # noqa: E402

S = Appeal.Status
PREFIX = "bench-floor-"
ZONES = ["Asia/Shanghai", "Europe/Berlin", "UTC", "America/Sao_Paulo", "Europe/Moscow"]
LANGUAGES = [["en"], ["zh"], ["ru"], ["en", "zh"], ["en", "ru"]]
RULES = [
    ("bench: very risky", {"min_risk_score": 95}, "senior_arbitrator"),
    (
        "bench: big chargebacks",
        {"reasons": ["chargeback"], "min_crypto_amount": "5000"},
        "team_lead",
    ),
    ("bench: missed deadlines", {"evidence_deadline_missed": True}, "team_lead"),
    # Matches tens of thousands of active appeals: every round has a full budget of
    # escalations to write, so the sweep is measured doing work, not only looking.
    ("bench: large USDT", {"asset": "USDT", "min_crypto_amount": "1000"}, "senior_arbitrator"),
]


def setup_staff(count: int) -> None:
    User = get_user_model()
    have = User.objects.filter(username__startswith=PREFIX).count()
    arbitrators = Group.objects.get(name="arbitrator")
    seniors = Group.objects.get(name="senior_arbitrator")
    with transaction.atomic():
        for n in range(have, count):
            user = User.objects.create(username=f"{PREFIX}{n:03d}", is_staff=True, password="!")
            user.groups.add(seniors if n % 10 == 0 else arbitrators)
            StaffProfile.objects.update_or_create(
                user=user,
                defaults={
                    "languages": LANGUAGES[n % len(LANGUAGES)],
                    "max_open_cases": 50,
                    "time_zone": ZONES[n % len(ZONES)],
                },
            )
            Shift.objects.bulk_create(
                [Shift(user=user, weekday=d, start=clock(0), end=clock(0)) for d in range(7)]
            )
        # The demo's people leave the rota (their seeded cases would otherwise be handed
        # back 200 a tick for the first hundred ticks).
        Shift.objects.exclude(user__username__startswith=PREFIX).delete()
    print(f"staff: {count} bench people on shift now ({count - have} created)")


def setup_pool(wanted: int) -> None:
    pool = Appeal.objects.filter(status=S.OPEN, assignee__isnull=True).count()
    missing = wanted - pool
    if missing > 0:
        with connection.cursor() as cursor:
            cursor.execute(
                """
                UPDATE cases_appeal SET status = 'open', assignee_id = NULL, resolved_at = NULL,
                       assigned_at = NULL, assignment_note = '', clock_paused_at = NULL
                WHERE id IN (
                    SELECT a.id FROM cases_appeal a
                    WHERE a.status = 'cancelled'
                      AND NOT EXISTS (
                          SELECT 1 FROM cases_appeal b
                          WHERE b.order_id = a.order_id AND b.id <> a.id
                            AND b.status NOT IN ('resolved', 'cancelled'))
                    ORDER BY a.id LIMIT %s)
                """,
                [missing],
            )
            moved = cursor.rowcount
        connection.cursor().execute("ANALYZE cases_appeal")
        print(f"pool: {pool:,} open unassigned; UPDATE turned {moved:,} cancelled ones open")
    pool = Appeal.objects.filter(status=S.OPEN, assignee__isnull=True).count()
    active = Appeal.objects.filter(status__in=Appeal.ACTIVE_STATUSES).count()
    print(
        f"pool: {pool:,} open unassigned appeals, {active:,} active, "
        f"{Appeal.objects.count():,} in all"
    )


def setup_rules() -> None:
    for name, conditions, target in RULES:
        EscalationRule.objects.update_or_create(
            name=name, defaults={"conditions": conditions, "target_role": target, "active": True}
        )
    print(f"rules: {', '.join(name for name, _c, _t in RULES)}")


def timed(label: str, call):
    with CaptureQueriesContext(connection) as queries:
        started = time.perf_counter()
        result = call()
        elapsed = time.perf_counter() - started
    print(
        f"  {label:<18} {elapsed:6.3f} s  {len(queries.captured_queries):5d} statements  {result}"
    )
    return elapsed, len(queries.captured_queries)


def explain(label: str, queryset) -> None:
    sql, params = queryset.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS) {sql}", params)
        plan = [row[0] for row in cursor.fetchall()]
    print(f"\n-- plan: {label}")
    for line in plan:
        print(f"   {line}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--staff", type=int, default=200)
    parser.add_argument("--open", type=int, default=100_000)
    parser.add_argument("--no-setup", action="store_true")
    args = parser.parse_args()
    if connection.vendor != "postgresql":
        raise SystemExit("bench_floor runs on PostgreSQL (DATABASE_URL=postgres://...)")
    if not args.no_setup:
        setup_staff(args.staff)
        setup_pool(args.open)
        setup_rules()

    print(f"\nassignment batch {assignment.BATCH}, escalation batch {escalation.BATCH} per rule")
    figures = {"assign": [], "escalate": []}
    for round_ in range(1, args.repeat + 1):
        print(f"round {round_}:")
        figures["assign"].append(timed("assign_tick", lambda: assignment.assign_tick()))
        figures["escalate"].append(timed("escalation_sweep", lambda: escalation.escalation_sweep()))

    print("\nsummary (seconds / statements):")
    for name, rows in figures.items():
        if not rows:
            continue
        print(
            f"  {name:<9} max {max(s for s, _q in rows):6.3f} s   "
            f"statements {', '.join(str(q) for _s, q in rows)}"
        )

    now = timezone.now()
    explain(
        "assignment candidates",
        Appeal.objects.filter(status=S.OPEN, assignee__isnull=True)
        .order_by("-priority", "resolution_due_at", "id")
        .only("id")[: assignment.BATCH],
    )
    staff_ids = list(
        get_user_model().objects.filter(username__startswith=PREFIX).values_list("pk", flat=True)
    )
    explain(
        "open cases per person (the roster)",
        Appeal.objects.filter(assignee_id__in=staff_ids, status__in=Appeal.ACTIVE_STATUSES)
        .values("assignee_id")
        .annotate(n=Count("id")),
    )
    explain(
        "one person's open cases (recount under the lock)",
        Appeal.objects.filter(assignee_id=staff_ids[0], status__in=Appeal.ACTIVE_STATUSES),
    )
    for rule in EscalationRule.objects.filter(active=True, name__startswith="bench:"):
        explain(
            f"escalation candidates, {rule.name}",
            escalation.matching(rule, now).values_list("pk", flat=True)[: escalation.BATCH],
        )


if __name__ == "__main__":
    main()
