"""Reads behind the queue page: one page of appeals (keyset-paginated), the counts per
status, and the cached choices of the filter form.

Keyset pagination: a page is "the next 50 rows after (sort value, id) of the last row
shown", so page 2,000 costs what page 1 costs and nothing ever counts the filtered set.
The cursor is signed, so a forged one is refused instead of reaching the database.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, time
from decimal import Decimal, InvalidOperation
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core import signing
from django.core.cache import cache
from django.db.models import Count, Q, QuerySet, Sum
from django.db.models.functions import Substr
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext_lazy as _

from cases.models import Appeal, AppealStatusCount, Trader

logger = logging.getLogger(__name__)

S = Appeal.Status
PAGE_SIZE = 50
# What a desk is working on. The default status filter, and the statuses with a live
# count; closed ones are counted for today only (a million resolved appeals add nothing).
ACTIVE_STATUSES = Appeal.ACTIVE_STATUSES


@dataclass(frozen=True)
class SortKey:
    field: str
    nullable: bool
    parse: Callable[[str], Any]


def _parse_datetime(value: str) -> datetime:
    parsed = parse_datetime(value)
    if parsed is None or parsed.tzinfo is None:
        raise ValueError(value)
    return parsed


def _parse_decimal(value: str) -> Decimal:
    try:
        number = Decimal(value)
    except InvalidOperation:
        raise ValueError(value) from None
    if not number.is_finite():
        raise ValueError(value)
    return number


# Each key is served by an index on (status, key, id), and for the default "every active
# status" filter by a partial index on (key, id) WHERE status is active (see Appeal.Meta).
SORT_KEYS = {
    "due": SortKey("resolution_due_at", False, _parse_datetime),
    "age": SortKey("created_at", False, _parse_datetime),
    "amount": SortKey("crypto_amount", False, _parse_decimal),
    # Appeals with no party message yet come last in both directions.
    "waiting": SortKey("last_party_message_at", True, _parse_datetime),
}
# (value, label). "age" ascending is created_at ascending: the oldest first.
SORT_CHOICES = [
    ("due", _("Deadline: soonest first")),
    ("-due", _("Deadline: latest first")),
    ("age", _("Age: oldest first")),
    ("-age", _("Age: newest first")),
    ("-amount", _("Amount: largest first")),
    ("amount", _("Amount: smallest first")),
    ("waiting", _("Last party message: waiting longest first")),
    ("-waiting", _("Last party message: most recent first")),
]
DEFAULT_SORT = "due"
_CURSOR_SALT = "cases.queue.cursor"


def sort_key(sort: str) -> tuple[SortKey, bool]:
    """(key, descending) for a sort value such as "-amount"."""
    descending = sort.startswith("-")
    return SORT_KEYS[sort.lstrip("-")], descending


# --- the rows -----------------------------------------------------------------------------


def queue_queryset() -> QuerySet[Appeal]:
    """Every appeal with what a queue row shows: one query per page, no per-row reads."""
    return (
        Appeal.objects.select_related("order", "assignee")
        .only(
            "id",
            "status",
            "reason",
            "priority",
            "opened_by",
            "created_at",
            "resolution_due_at",
            "first_response_due_at",
            "first_response_at",
            "resolved_at",
            "risk_score",
            "crypto_amount",
            "asset",
            "payment_method",
            "buyer_language",
            "seller_language",
            "last_party_message_at",
            # The bulk form's stale check, and why the floor left it unassigned.
            "updated_at",
            "assignment_note",
            "clock_paused_at",
            "order__id",
            "order__external_id",
            "assignee__id",
            "assignee__username",
        )
        # The appellant's words, cut in the database: a description can be long.
        .annotate(description_start=Substr("description", 1, 140))
    )


@dataclass(frozen=True)
class Cursor:
    sort: str
    value: Any  # None: in the tail of rows whose (nullable) key is NULL
    id: int


def cursor_encode(sort: str, appeal: Appeal) -> str:
    key, _descending = sort_key(sort)
    value = getattr(appeal, key.field)
    if isinstance(value, datetime):
        value = value.isoformat()
    elif isinstance(value, Decimal):
        value = str(value)
    return signing.dumps({"s": sort, "v": value, "i": appeal.pk}, salt=_CURSOR_SALT)


def cursor_decode(token: str, sort: str) -> Cursor | None:
    """The cursor, or None for a forged, broken or stale one (another sort): page one."""
    if not token:
        return None
    try:
        data = signing.loads(token, salt=_CURSOR_SALT)
        if data["s"] != sort or not isinstance(data["i"], int):
            return None
        key, _descending = sort_key(sort)
        value = data["v"]
        if value is not None:
            value = key.parse(value)
        elif not key.nullable:
            return None
        return Cursor(sort=sort, value=value, id=data["i"])
    except (signing.BadSignature, KeyError, TypeError, ValueError):
        return None


def _after(field: str, descending: bool, value: Any, last_id: int) -> Q:
    """Rows after (value, last_id) in (field, id) order.

    Written as `field >= v AND (field > v OR id > last)` rather than a bare OR: the first
    term is a range condition the index can seek to, so a deep page does not scan the rows
    of every page before it.
    """
    if descending:
        return Q(**{f"{field}__lte": value}) & (Q(**{f"{field}__lt": value}) | Q(id__lt=last_id))
    return Q(**{f"{field}__gte": value}) & (Q(**{f"{field}__gt": value}) | Q(id__gt=last_id))


@dataclass
class QueuePage:
    rows: list[Appeal]
    next_cursor: str | None
    is_first: bool


def queue_page(
    *, queryset: QuerySet[Appeal], sort: str, after: str = "", size: int = PAGE_SIZE
) -> QueuePage:
    """One page of `queryset` in `sort` order, after the cursor `after`.

    At most two queries: rows whose key has a value, then (for a nullable key, when those
    run out) the rows whose key is NULL, in id order.
    """
    key, descending = sort_key(sort)
    cursor = cursor_decode(after, sort)
    field = key.field
    id_order = "-id" if descending else "id"
    rows: list[Appeal] = []
    in_tail = cursor is not None and cursor.value is None
    if not in_tail:
        head = queryset
        if key.nullable:
            head = head.filter(**{f"{field}__isnull": False})
        if cursor is not None:
            head = head.filter(_after(field, descending, cursor.value, cursor.id))
        head = head.order_by(f"-{field}" if descending else field, id_order)
        rows = list(head[: size + 1])
    if key.nullable and len(rows) <= size:
        tail = queryset.filter(**{f"{field}__isnull": True})
        if in_tail:
            tail = tail.filter(id__lt=cursor.id) if descending else tail.filter(id__gt=cursor.id)
        rows += list(tail.order_by(id_order)[: size + 1 - len(rows)])
    has_next = len(rows) > size
    rows = rows[:size]
    return QueuePage(
        rows=rows,
        next_cursor=cursor_encode(sort, rows[-1]) if has_next else None,
        is_first=cursor is None,
    )


# --- counts -------------------------------------------------------------------------------


@dataclass(frozen=True)
class StatusCount:
    status: str
    label: str
    count: int
    today_only: bool


def desk_day_start(now: datetime) -> datetime:
    """Midnight of the desk's day (the operations time zone), as an aware datetime."""
    zone = ZoneInfo(settings.OPERATIONS_TIME_ZONE)
    return datetime.combine(now.astimezone(zone).date(), time.min, tzinfo=zone)


def queue_status_counts(*, now: datetime) -> list[StatusCount]:
    """Live counts of the active statuses, and of appeals closed since the desk's midnight.

    One query: the active statuses from the counts the database keeps
    (AppealStatusCount, a few rows whatever the table holds), UNION ALL today's closings
    from the resolved_at index (what the day produced, not the table).
    """
    active = (
        AppealStatusCount.objects.filter(status__in=ACTIVE_STATUSES)
        .values_list("status")
        .annotate(n=Sum("n"))
        .order_by()
    )
    closed_today = (
        Appeal.objects.filter(
            resolved_at__gte=desk_day_start(now), status__in=Appeal.CLOSED_STATUSES
        )
        .values_list("status")
        .annotate(n=Count("*"))  # not Count("id"): the index has no id, this needs no heap
        .order_by()
    )
    counts = {status: int(n) for status, n in active.union(closed_today, all=True)}
    return [
        StatusCount(status, S(status).label, counts.get(status, 0), False)
        for status in ACTIVE_STATUSES
    ] + [
        StatusCount(status, S(status).label, counts.get(status, 0), True)
        for status in Appeal.CLOSED_STATUSES
    ]


# --- cached filter choices ----------------------------------------------------------------

CHOICES_TTL = 600


def _cached(key: str, compute: Callable[[], list[str]]) -> list[str]:
    try:
        value = cache.get(key)
    except Exception:
        logger.exception("cache unavailable for %s", key)
        return compute()
    if value is None:
        value = compute()
        try:
            cache.set(key, value, CHOICES_TTL)
        except Exception:
            logger.exception("cache unavailable for %s", key)
    return value


def queue_payment_methods() -> list[str]:
    """The payment methods appeals have, for the filter's suggestions (cached 10 minutes:
    a DISTINCT over a million rows is not a per-page cost)."""
    return _cached(
        "queue:payment-methods",
        lambda: sorted(
            Appeal.objects.exclude(payment_method="")
            .order_by()
            .values_list("payment_method", flat=True)
            .distinct()
        ),
    )


def queue_languages() -> list[str]:
    """The traders' languages, for the language filter (cached like the payment methods;
    the traders table is a fraction of the appeals)."""
    return _cached(
        "queue:languages",
        lambda: sorted(
            Trader.objects.exclude(language="")
            .order_by()
            .values_list("language", flat=True)
            .distinct()
        ),
    )


def my_next_case(user: Any) -> Appeal | None:
    """The user's own most urgent case still in review (the earliest resolution deadline
    first): what to work after deciding one, before claiming anything new. Cases waiting
    for a party's evidence, escalated or pending approval wait on someone else."""
    return (
        Appeal.objects.filter(assignee=user, status=Appeal.Status.IN_REVIEW)
        .select_related("order")
        .order_by("resolution_due_at", "id")
        .first()
    )
