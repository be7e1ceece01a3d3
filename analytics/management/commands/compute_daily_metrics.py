from __future__ import annotations

from datetime import date, timedelta

from django.core.management.base import BaseCommand, CommandError, CommandParser
from tqdm import tqdm

from analytics.selectors import ops_today
from analytics.services import metrics_compute_range


def _day(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise CommandError(f"{value!r} is not a date (YYYY-MM-DD).") from None


class Command(BaseCommand):
    help = (
        "Compute daily appeal metrics with the same code as the scheduled Celery task: one "
        "day (--date, default yesterday) or a backfill (--from D --to D)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--date", dest="day")
        parser.add_argument("--from", dest="first")
        parser.add_argument("--to", dest="last")

    def handle(self, *args, day: str | None, first: str | None, last: str | None, **options):
        if day and (first or last):
            raise CommandError("Use either --date or --from/--to.")
        if bool(first) != bool(last):
            raise CommandError("--from and --to go together.")
        if first:
            start, end = _day(first), _day(last)
            if start > end:
                raise CommandError("--from must not be after --to.")
        else:
            start = end = _day(day) if day else ops_today() - timedelta(days=1)
        days = (end - start).days + 1
        with tqdm(total=days, unit="day", disable=days < 2, file=self.stderr) as progress:
            metrics_compute_range(first=start, last=end, progress=progress)
        self.stdout.write(f"Computed {days} day(s): {start} to {end}.")
