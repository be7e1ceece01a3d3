"""Database helpers every app shares."""

from __future__ import annotations

from datetime import UTC, datetime

from django.db import transaction


def require_transaction(what: str) -> None:
    """Refuse to run `what` outside a transaction: a row lock taken there is released at
    once, and writes meant to commit with their cause (an audit entry, an event, a stale
    mark) would commit alone."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError(f"{what} must run inside a transaction (transaction.atomic())")


def storable_moment(value: datetime, *, field: str) -> datetime:
    """A timestamp the desk can store and read back: years 1970 to 2999 in UTC (year 1 in a
    zone east of UTC, or 9999 west of it, is stored as a year Python cannot read, and every
    page listing the row would fail). InvalidInput otherwise."""
    from django.utils.translation import gettext as _

    from arbitration.exceptions import InvalidInput

    try:
        year = value.astimezone(UTC).year
    except (OverflowError, ValueError):
        year = 0
    if not 1970 <= year <= 2999:
        raise InvalidInput(_("Give a time between the years 1970 and 2999."), field=field)
    return value
