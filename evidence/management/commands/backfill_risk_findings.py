from __future__ import annotations

from django.core.management.base import BaseCommand, CommandParser

from evidence.risk import risk_findings_backfill


class Command(BaseCommand):
    help = (
        "Write the risk findings' rows (evidence.RiskFinding) of every appeal from its stored "
        "risk signals: once after migrating, for appeals assessed before the table existed. "
        "Safe to run again and while the desk works."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--batch", type=int, default=1000)
        parser.add_argument("--after-id", type=int, default=0, help="Resume after this appeal.")

    def handle(self, *args, batch: int, after_id: int, **options) -> None:
        done = risk_findings_backfill(batch=max(1, batch), after_id=after_id)
        self.stdout.write(f"{done} appeal(s) done.")
