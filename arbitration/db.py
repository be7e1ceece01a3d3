"""Database helpers every app shares."""

from __future__ import annotations

from django.db import transaction


def require_transaction(what: str) -> None:
    """Refuse to run `what` outside a transaction: a row lock taken there is released at
    once, and writes meant to commit with their cause (an audit entry, an event, a stale
    mark) would commit alone."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError(f"{what} must run inside a transaction (transaction.atomic())")
