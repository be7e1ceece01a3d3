"""Celery tasks of fraud intelligence (the top layer: they import the services they run)."""

from __future__ import annotations

import logging

from celery import shared_task

from .graph import recluster as recluster_all

logger = logging.getLogger(__name__)


@shared_task(name="evidence.tasks.recluster", ignore_result=True)
def recluster() -> None:
    """The nightly rebuild of the clusters (beat: settings.CELERY_BEAT_SCHEDULE). Safe to
    run twice or at once: the second waits for the first's lock and changes nothing."""
    logger.info("recluster: %s", recluster_all())
