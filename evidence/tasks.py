"""Celery tasks of evidence. Each takes ids, calls one service, and is safe to run twice or
at once (the services claim their rows with filtered updates)."""

from __future__ import annotations

import logging

from celery import shared_task
from django.conf import settings
from django.utils import timezone

from arbitration.jobs import enqueue

from .graph import recluster as recluster_all
from .services import evidence_read, evidence_unread

logger = logging.getLogger(__name__)


@shared_task(name="evidence.tasks.recluster", ignore_result=True)
def recluster() -> None:
    """The nightly rebuild of the clusters (beat: settings.CELERY_BEAT_SCHEDULE). Safe to
    run twice or at once: the second waits for the first's lock and changes nothing."""
    logger.info("recluster: %s", recluster_all())


@shared_task(ignore_result=True)
def extract_evidence(evidence_id: int) -> bool:
    """Read one file's facts (enqueued on upload by evidence_add)."""
    return evidence_read(evidence_id=evidence_id)


@shared_task(ignore_result=True)
def sweep_extraction() -> int:
    """Periodic (beat): read what a lost on-commit task never read.

    1. Find the vouchers and statements still unread after the grace period, oldest
       first (images only while OCR is on).
    2. Enqueue one reading each, expiring before the next sweep, so a backlog is not
       stacked up; a reading that already happened is a no-op (evidence_read).
    """
    due = evidence_unread(now=timezone.now(), limit=settings.EXTRACTION_SWEEP_BATCH)
    for evidence_id in due:
        enqueue(extract_evidence, evidence_id, expires=settings.EXTRACTION_SWEEP_SECONDS * 2)
    if due:
        logger.warning("Extraction sweep: %s files were unread; reading them", len(due))
    return len(due)
