"""Row locks for the lifecycle and for any service that changes a case.

Every action locks the appeal row first (then, if it needs them, its verdict or review),
always in that order, so two actions on one case queue up instead of deadlocking. A lock
outside a transaction would be released at once and protect nothing, so these helpers
refuse to run there (as pretix's `lock_objects` does).
"""

from __future__ import annotations

from datetime import datetime

from django.utils.translation import gettext as _

from arbitration.db import require_transaction
from arbitration.exceptions import Conflict, InvalidInput
from cases.models import Appeal, Verdict, VerdictReview


class StaleAppeal(Conflict):
    """The case changed after the caller last read it (a page drawn before someone else
    acted). Raised under the row lock, so nothing slips in between check and action."""

    def __init__(self, appeal_id: int) -> None:
        super().__init__(
            _("This case changed after you loaded it; nothing was done."), field="seen"
        )
        self.appeal_id = appeal_id


def is_current(appeal: Appeal, expected_updated_at: datetime | None) -> bool:
    """Whether the appeal is as the caller saw it (None: the caller does not say)."""
    return expected_updated_at is None or appeal.updated_at == expected_updated_at


def lock_appeal(appeal_id: int, *, expected_updated_at: datetime | None = None) -> Appeal:
    """The appeal, locked FOR UPDATE until the transaction ends, with its order, parties
    and assignee. Refuses with StaleAppeal if it changed since `expected_updated_at`.

    Only the appeal row is locked (`of=("self",)`), not the joined order or traders.
    """
    require_transaction("lock_appeal")
    try:
        appeal = (
            Appeal.objects.select_for_update(of=("self",))
            .select_related("order", "order__buyer", "order__seller", "assignee")
            .get(pk=appeal_id)
        )
    except Appeal.DoesNotExist:
        raise InvalidInput(
            _("Appeal %(id)s does not exist.") % {"id": appeal_id}, field="appeal"
        ) from None
    if not is_current(appeal, expected_updated_at):
        raise StaleAppeal(appeal.pk)
    return appeal


def lock_verdict(
    verdict_id: int, *, expected_updated_at: datetime | None = None
) -> tuple[Verdict, Appeal]:
    """A verdict and its appeal, both locked: the appeal first, like every action."""
    appeal_id = Verdict.objects.filter(pk=verdict_id).values_list("appeal_id", flat=True).first()
    if appeal_id is None:
        raise InvalidInput(
            _("Verdict %(id)s does not exist.") % {"id": verdict_id}, field="verdict"
        )
    appeal = lock_appeal(appeal_id, expected_updated_at=expected_updated_at)
    verdict = Verdict.objects.select_for_update().select_related("rule").get(pk=verdict_id)
    verdict.appeal = appeal
    return verdict, appeal


def lock_review(review_id: int, *, expected_updated_at: datetime | None = None) -> VerdictReview:
    """A second-level review, locked after its appeal."""
    appeal_id = (
        VerdictReview.objects.filter(pk=review_id).values_list("appeal_id", flat=True).first()
    )
    if appeal_id is None:
        raise InvalidInput(_("Review %(id)s does not exist.") % {"id": review_id}, field="review")
    lock_appeal(appeal_id, expected_updated_at=expected_updated_at)
    return (
        VerdictReview.objects.select_for_update(of=("self",))
        .select_related("appeal__order", "verdict")
        .get(pk=review_id)
    )
