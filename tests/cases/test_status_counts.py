"""The appeals-per-status counts the database keeps (migration 0021's triggers): always
equal to counting the appeals, whoever writes them and however, and after compaction."""

from __future__ import annotations

import threading

import pytest
from django.db import connection, connections
from django.db.models import Count, Sum

from cases import lifecycle
from cases.models import Appeal, AppealStatusCount
from tests.factories import appeal_in, open_appeal, staff_user

S = Appeal.Status

pytestmark = pytest.mark.django_db


def kept() -> dict[str, int]:
    rows = AppealStatusCount.objects.values_list("status").annotate(n=Sum("n")).order_by()
    return {status: int(n) for status, n in rows if n}


def counted() -> dict[str, int]:
    return dict(Appeal.objects.values_list("status").annotate(n=Count("id")).order_by())


def test_the_lifecycle_moves_the_counts():
    worker = staff_user("arbitrator")
    appeals = [appeal_in(status) for status in (S.OPEN, S.IN_REVIEW, S.ESCALATED, S.RESOLVED)]
    assert kept() == counted()
    assert kept()[S.OPEN] == 1

    lifecycle.appeal_claim(appeal_id=appeals[0].pk, actor=worker)
    lifecycle.appeal_cancel(appeal_id=appeals[1].pk, actor=None, reason="Settled in chat.")

    assert kept() == counted() == {S.IN_REVIEW: 1, S.ESCALATED: 1, S.RESOLVED: 1, S.CANCELLED: 1}


def test_writes_outside_the_lifecycle_are_counted_too():
    """Someone with database access, a bulk load, a batched UPDATE: the triggers see all."""
    for _ in range(3):
        open_appeal()
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE cases_appeal SET status = 'escalated' "
            "WHERE id = (SELECT MIN(id) FROM cases_appeal)"
        )
    Appeal.objects.filter(status=S.OPEN).update(status=S.IN_REVIEW)
    # An UPDATE that does not change the status counts nothing.
    Appeal.objects.update(description="touched")
    assert kept() == counted() == {S.ESCALATED: 1, S.IN_REVIEW: 2}


def test_compaction_folds_the_deltas_and_keeps_the_totals():
    for _ in range(4):
        open_appeal()
    Appeal.objects.update(status=S.IN_REVIEW)
    assert AppealStatusCount.objects.count() > 2
    before = kept()

    AppealStatusCount.compact()

    assert kept() == before == counted() == {S.IN_REVIEW: 4}
    # One row per status, no zero rows for statuses left empty.
    assert list(AppealStatusCount.objects.values_list("status", "n")) == [(S.IN_REVIEW, 4)]


def test_the_floor_tick_compacts_them():
    from cases.floor.tick import floor_tick

    open_appeal()
    Appeal.objects.update(status=S.IN_REVIEW)
    floor_tick()
    assert list(AppealStatusCount.objects.values_list("status", "n")) == [(S.IN_REVIEW, 1)]


@pytest.mark.django_db(transaction=True)
def test_concurrent_moves_and_compactions_lose_nothing():
    """Threads moving appeals back and forth while another compacts: no deadlock, no
    lost or doubled delta (PostgreSQL: real concurrency; SQLite serialises writers)."""
    appeals = [open_appeal().pk for _ in range(8)]
    errors: list[BaseException] = []

    def mover(ids: list[int], there: str, back: str) -> None:
        try:
            for _ in range(10):
                for pk in ids:
                    Appeal.objects.filter(pk=pk).update(status=there)
                for pk in reversed(ids):
                    Appeal.objects.filter(pk=pk).update(status=back)
        except BaseException as error:  # pragma: no cover - reported below
            errors.append(error)
        finally:
            connections.close_all()

    def compactor() -> None:
        try:
            for _ in range(10):
                AppealStatusCount.compact()
        except BaseException as error:  # pragma: no cover - reported below
            errors.append(error)
        finally:
            connections.close_all()

    threads = [
        threading.Thread(target=mover, args=(appeals[:4], S.IN_REVIEW, S.OPEN)),
        threading.Thread(target=mover, args=(appeals[4:], S.ESCALATED, S.OPEN)),
        threading.Thread(target=compactor),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert not errors, errors
    assert kept() == counted() == {S.OPEN: 8}
