"""`manage.py seed_demo`: a desk worth clicking through, or a big one worth benchmarking.

Without --scale it loads the story demo (cases/demo/seed.py): about 150 appeals over the
last eight weeks in every reason code, with chat in English, Chinese and Russian, PNG
vouchers and PDF statements, verdicts, escalations, four-eyes approvals and planted fraud
patterns, all made through the real services so the audit chain and the outbox agree.
With --scale N it bulk-loads N orders with one appeal each (cases/demo/bulk.py); those
rows skip the audit log and the outbox: they are benchmark data, not history.
"""

from __future__ import annotations

import time
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from cases.demo.seed import DemoSeeder, summary_counts
from cases.demo.staff import logins_table, staff_ensure
from cases.models import Appeal, Order, WebhookSubscriber

DEFAULT_SEED = 20260301


class Command(BaseCommand):
    help = (
        "Load demo data: about 150 realistic appeals over eight weeks through the real "
        "services (audit log and outbox included), staff logins for every role (password "
        "demo-pass-2026), and planted fraud patterns. With --scale N, bulk-load N orders "
        "with an appeal and ~10 chat messages each instead (benchmark data: no audit "
        "entries, no outbox events, no evidence files)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--if-empty",
            action="store_true",
            help="Do nothing (but print the demo logins) if the database has any order.",
        )
        parser.add_argument(
            "--seed",
            type=int,
            default=DEFAULT_SEED,
            help=f"Random seed, for a reproducible demo (default {DEFAULT_SEED}).",
        )
        parser.add_argument(
            "--scale",
            type=int,
            default=0,
            metavar="N",
            help="Bulk-load N orders, each with an appeal and ~10 chat messages, plus a pool "
            "of N/5 traders. Uses COPY on PostgreSQL. Benchmark data: skips the audit log.",
        )
        parser.add_argument(
            "--cases",
            type=int,
            default=150,
            help="Number of story appeals in the normal demo (default 150).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        started = time.monotonic()
        if options["if_empty"] and Order.objects.exists():
            self.stdout.write("The database already has orders: not seeding (--if-empty).")
            self.stdout.write(logins_table())
            return
        if options["scale"] < 0:
            raise CommandError("--scale must be a positive number of orders.")
        now = timezone.now()
        staff, created = staff_ensure(joined_at=now - timedelta(days=70))
        if created:
            self.stdout.write(f"Created demo logins: {', '.join(created)}.")

        if options["scale"]:
            from cases.demo.bulk import bulk_load

            result = bulk_load(
                count=options["scale"],
                seed=options["seed"],
                now=now,
                staff=staff,
                stdout=self.stdout,
                progress=options["verbosity"] > 0,
            )
            self.stdout.write(result.describe())
            # The bulk rows are copied in, past the ingest that keeps the clusters.
            from evidence.graph import recluster

            self.stdout.write(f"Linked-account clusters rebuilt: {recluster()}")
        elif DemoSeeder.already_loaded():
            self.stdout.write(
                "The demo stories are already loaded: nothing added. (Use --scale N to add "
                "bulk data, or start from an empty database for a fresh demo.)"
            )
        else:
            self._seed_stories(options, now, staff)

        self._summary(started)
        self.stdout.write(logins_table())

    def _seed_stories(
        self, options: dict[str, Any], now: datetime, staff: dict[str, AbstractBaseUser]
    ) -> None:
        subscribers = WebhookSubscriber.objects.filter(active=True).count()
        if subscribers:
            # Every demo verdict emits verdict.issued, the event the exchange moves escrowed
            # funds on: never send made-up verdicts to a live integration.
            raise CommandError(
                f"{subscribers} active webhook subscriber(s) would receive the demo's events "
                "(including verdict.issued). Deactivate them first, or seed an empty database."
            )
        seeder = DemoSeeder(seed=options["seed"], now=now, staff=staff)
        seeder.plan(cases=options["cases"])
        taken = set(
            Order.objects.filter(external_id__in=seeder.order_ids()).values_list(
                "external_id", flat=True
            )
        )
        if taken:
            raise CommandError(
                f"{len(taken)} demo order numbers are already taken (e.g. {min(taken)}); "
                "try another --seed."
            )
        self.stdout.write(
            f"Seeding {len(seeder.cases)} appeals on {len(seeder.orders)} orders "
            f"({len(seeder.steps)} steps through the services)..."
        )
        progress = None
        bar = None
        if options["verbosity"] > 0:
            from tqdm import tqdm

            bar = tqdm(
                total=len(seeder.steps),
                unit="step",
                file=self.stderr._out,
                disable=None,
                leave=False,
            )
            progress = bar.update
        try:
            seeder.run(progress=progress)
        finally:
            if bar is not None:
                bar.close()
        from cases.demo.floor import floor_demo_ensure

        floor_demo_ensure(users=staff, now=timezone.now())
        self.stdout.write(
            "Loaded the floor: shifts round the clock, SLA policies, escalation rules and a "
            "past incident; ran one floor tick."
        )
        self._compute_metrics()

    def _compute_metrics(self) -> None:
        """The dashboards read precomputed days: compute every day the demo spans, with
        the same code as the daily Celery job, so `make run` shows populated charts."""
        from django.db.models import Min

        from analytics.selectors import ops_today
        from analytics.services import metrics_compute_range

        first = Appeal.objects.aggregate(first=Min("created_at"))["first"]
        if first is None:
            return
        zone = ZoneInfo(settings.OPERATIONS_TIME_ZONE)
        start, end = first.astimezone(zone).date(), ops_today()
        days = metrics_compute_range(first=start, last=end)
        self.stdout.write(f"Computed daily metrics for {days} days ({start} to {end}).")

    def _summary(self, started: float) -> None:
        counts = summary_counts()
        by_status = counts.pop("by status")
        self.stdout.write("")
        self.stdout.write("Database now holds:")
        for name, value in counts.items():
            self.stdout.write(f"  {name:<16} {value:>10,}")
        statuses = ", ".join(f"{status} {n:,}" for status, n in by_status.items())
        self.stdout.write(f"  appeals by status: {statuses}")
        self.stdout.write(f"Done in {time.monotonic() - started:.1f} s.")
        self.stdout.write("")
