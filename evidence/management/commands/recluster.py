"""Rebuild every linked-account cluster now: the same code as the nightly Celery task."""

from __future__ import annotations

from django.core.management.base import BaseCommand

from evidence.graph import recluster


class Command(BaseCommand):
    help = (
        "Rebuild the linked-account clusters from every account signal (hubs left out), "
        "as the nightly task does, and print what changed."
    )

    def handle(self, *args, **options) -> None:
        for name, value in recluster().items():
            self.stdout.write(f"{name}: {value}")
