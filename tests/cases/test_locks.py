"""The lifecycle's row locks: refused outside a transaction, and a stale request is
refused under the lock, before anything is written."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import transaction

from cases import lifecycle
from cases.models import Appeal, AppealStatusChange, AuditEntry, OutboxEvent
from tests.factories import appeal_in, open_appeal, staff_user


@pytest.mark.django_db(transaction=True)
def test_a_lock_outside_a_transaction_is_refused() -> None:
    appeal = open_appeal()
    with pytest.raises(RuntimeError, match="lock_appeal must run inside a transaction"):
        lifecycle.lock_appeal(appeal.pk)
    with transaction.atomic():
        assert lifecycle.lock_appeal(appeal.pk).pk == appeal.pk


@pytest.mark.django_db
def test_a_stale_version_is_refused_and_nothing_is_written() -> None:
    arbitrator = staff_user("arbitrator")
    appeal = open_appeal()
    seen = appeal.updated_at - timedelta(seconds=1)
    counts = [m.objects.count() for m in (AppealStatusChange, AuditEntry, OutboxEvent)]

    with pytest.raises(lifecycle.StaleAppeal) as refused:
        lifecycle.appeal_claim(appeal_id=appeal.pk, actor=arbitrator, expected_updated_at=seen)

    assert refused.value.status == 409 and refused.value.appeal_id == appeal.pk
    assert [m.objects.count() for m in (AppealStatusChange, AuditEntry, OutboxEvent)] == counts
    assert Appeal.objects.get(pk=appeal.pk).assignee_id is None


@pytest.mark.django_db
def test_the_current_version_is_accepted() -> None:
    arbitrator = staff_user("arbitrator")
    appeal = open_appeal()

    lifecycle.appeal_claim(
        appeal_id=appeal.pk, actor=arbitrator, expected_updated_at=appeal.updated_at
    )

    assert Appeal.objects.get(pk=appeal.pk).assignee_id == arbitrator.pk


@pytest.mark.django_db
def test_approving_checks_the_version_of_the_appeal_not_the_verdict() -> None:
    senior = staff_user("senior_arbitrator")
    appeal = appeal_in(Appeal.Status.PENDING_APPROVAL)
    verdict = appeal.verdicts.get()
    lifecycle.note_add(appeal_id=appeal.pk, actor=senior, text="Reading it now.")
    Appeal.objects.filter(pk=appeal.pk).update(updated_at=appeal.updated_at + timedelta(1))

    with pytest.raises(lifecycle.StaleAppeal):
        lifecycle.verdict_approve(
            verdict_id=verdict.pk, actor=senior, expected_updated_at=appeal.updated_at
        )
    verdict.refresh_from_db()
    assert verdict.state == "pending"
