"""Sending Celery tasks, by name.

Code that schedules work (the lifecycle, the outbox, the write services) names the task
instead of importing it. Task modules sit on top: a task imports the service it runs,
never the reverse, so scheduling a job can never pull the write path into an import
cycle. A broker outage never fails the caller: the rows a task works on are committed,
and a periodic sweep finds what was not sent.
"""

from __future__ import annotations

import logging
from functools import partial
from typing import Any

from celery import Task
from django.db import transaction

from .celery import app

logger = logging.getLogger(__name__)


def task_named(name: str) -> Task:
    """The registered task `name` ("cases.tasks.dispatch_event"). Outside a worker the
    apps' task modules may not be imported yet; the first lookup imports them."""
    if name not in app.tasks:
        app.loader.import_default_modules()
    return app.tasks[name]


def enqueue(task: Task | str, *args: Any, **options: Any) -> bool:
    """Send a task (or the task of that name), or log why not. Never raises: the rows it
    works on are committed and the sweep finds them later, so a broker outage delays work
    but loses none (and, in eager mode, a failing task cannot fail the request whose
    commit scheduled it)."""
    name = task if isinstance(task, str) else task.name
    try:
        found = task_named(task) if isinstance(task, str) else task
        found.apply_async(args=args, **options)
    except Exception:
        logger.exception("Could not run %s%r now; the sweep will pick it up", name, args)
        return False
    return True


def enqueue_on_commit(task: Task | str, *args: Any, **options: Any) -> None:
    """Send the task once the caller's transaction commits (never, if it rolls back)."""
    transaction.on_commit(partial(enqueue, task, *args, **options))
