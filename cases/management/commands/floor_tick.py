"""Run one floor tick now: the same code as the scheduled Celery task."""

from __future__ import annotations

from django.core.management.base import BaseCommand

from cases.floor.tick import floor_tick, reminders


class Command(BaseCommand):
    help = (
        "Run one assignment tick and one escalation sweep now (with incidents, missed "
        "deadlines, deadline notices and reminders), as the scheduled Celery tasks do."
    )

    def handle(self, *args, **options) -> None:
        summary = floor_tick()
        summary["reminders_sent"] = reminders()
        for name, value in summary.items():
            self.stdout.write(f"{name}: {value}")
