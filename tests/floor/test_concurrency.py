"""Two floor ticks at once (PostgreSQL only: real row locks, real threads).

200 unassigned appeals, 20 arbitrators on shift with room for 160 between them: whatever
the interleaving, each appeal is assigned at most once, nobody goes over their limit, and
together the ticks fill exactly the room there was.
"""

from __future__ import annotations

import threading
from collections import Counter
from functools import partial

import pytest
from django.db import connection, connections

from cases.floor.assignment import assign_tick
from cases.models import Appeal, AppealStatusChange, AuditEntry, Notification
from tests.factories import open_appeal

from .conftest import ALL_WEEK, make_person

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

S = Appeal.Status


@pytest.fixture(autouse=True)
def postgresql_only(db: None) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("two ticks at once need PostgreSQL's row locks (SKIP LOCKED)")


def run_together(*calls, timeout: float = 120):
    barrier = threading.Barrier(len(calls))
    results: list = [None] * len(calls)

    def run(index, call):
        try:
            connection.ensure_connection()
            barrier.wait(timeout=timeout)
            results[index] = call()
        except BaseException as exc:  # noqa: BLE001 - inspected below
            results[index] = exc
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i, c), daemon=True) for i, c in enumerate(calls)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout)
    assert not any(t.is_alive() for t in threads), "a tick is stuck (deadlock?)"
    return results


def test_two_ticks_at_once_assign_each_appeal_once_and_nobody_over_the_limit():
    # Opened before anyone is on the rota (creation would assign them at once).
    appeals = [open_appeal() for _ in range(200)]
    people = [make_person(max_open=8, languages=["en"], shifts=ALL_WEEK) for _ in range(20)]
    assert not Appeal.objects.filter(assignee__isnull=False).exists()
    ids = [a.pk for a in appeals]

    tick = partial(assign_tick, limit=200)
    first, second = run_together(tick, tick)

    assert not isinstance(first, BaseException), first
    assert not isinstance(second, BaseException), second
    assert first.assigned + second.assigned == 160

    auto = AuditEntry.objects.filter(
        action="appeal.assigned", after__by_floor="auto", object_id__in=[str(i) for i in ids]
    )
    per_appeal = Counter(auto.values_list("object_id", flat=True))
    assert len(per_appeal) == 160 and max(per_appeal.values()) == 1
    rows = Counter(
        AppealStatusChange.objects.filter(
            appeal_id__in=ids, from_status=S.OPEN, to_status=S.IN_REVIEW
        ).values_list("appeal_id", flat=True)
    )
    assert len(rows) == 160 and max(rows.values()) == 1
    loads = Counter(
        Appeal.objects.filter(pk__in=ids, assignee__isnull=False).values_list(
            "assignee_id", flat=True
        )
    )
    assert loads == {p.pk: 8 for p in people}
    assert Notification.objects.filter(kind="assigned_to_you").count() == 160
    left = Appeal.objects.filter(pk__in=ids, assignee__isnull=True)
    assert left.count() == 40 and all(a.status == S.OPEN for a in left)
    assert all("limit" in a.assignment_note for a in left), Counter(a.assignment_note for a in left)
