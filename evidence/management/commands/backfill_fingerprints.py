"""Fingerprint and read the edit traces of evidence stored before they existed.

Steps, safe to run again or at once: (1) take the next batch of evidence ids, by id,
that have no edit traces read yet or are images without a fingerprint; (2) read each
file from storage, compute its fingerprint and traces; (3) store them (the fingerprint
with update_or_create on its one-to-one key, the traces only where still null, so a
second worker's write is not overwritten); (4) mark the appeals' risk stale so the sweep
rescores them. A file that cannot be read is reported and skipped."""

from __future__ import annotations

import io

from django.core.management.base import BaseCommand
from django.db import transaction
from django.db.models import Q
from PIL import Image

from cases.derived import risk_reassess_on_commit
from evidence import fingerprints
from evidence.edit_traces import edit_traces
from evidence.models import Evidence
from evidence.services import fingerprint_store


class Command(BaseCommand):
    help = "Fingerprint and read the edit traces of evidence uploaded before they existed."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--batch", type=int, default=200)

    def handle(self, *args, batch: int, **options) -> None:
        todo = Evidence.objects.filter(
            Q(edit_traces__isnull=True) | Q(content_type__startswith="image/", fingerprint=None)
        ).select_related("appeal__order")
        done = skipped = 0
        last = 0
        while rows := list(todo.filter(pk__gt=last).order_by("pk")[:batch]):
            last = rows[-1].pk
            with transaction.atomic():
                for evidence in rows:
                    if self._backfill(evidence):
                        done += 1
                    else:
                        skipped += 1
                risk_reassess_on_commit(sorted({e.appeal_id for e in rows}))
        self.stdout.write(f"backfilled {done} file(s), skipped {skipped} unreadable")

    def _backfill(self, evidence: Evidence) -> bool:
        try:
            with evidence.file.open("rb") as handle:
                data = handle.read()
            if evidence.is_image:
                with Image.open(io.BytesIO(data)) as image:
                    image.load()
                    fingerprint_store(
                        evidence=evidence, fingerprint=fingerprints.Fingerprint.of(image)
                    )
        except (OSError, ValueError, SyntaxError) as error:
            self.stderr.write(f"evidence {evidence.pk}: {error}")
            return False
        traces = edit_traces(
            data, evidence.content_type, order_created_at=evidence.appeal.order.created_at
        )
        Evidence.objects.filter(pk=evidence.pk, edit_traces__isnull=True).update(edit_traces=traces)
        return True
