"""When a verdict needs a second pair of eyes."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings

from cases.models import Appeal, Order, Verdict


def threshold_for(asset: str) -> Decimal | None:
    thresholds = settings.FOUR_EYES_THRESHOLDS
    return thresholds.get(asset.upper(), thresholds.get("*"))


def amount_needs_four_eyes(asset: str, amount: Decimal) -> bool:
    threshold = threshold_for(asset)
    # An asset with no threshold configured always needs a second reviewer.
    return threshold is None or amount > threshold


def order_was_decided(appeal: Appeal) -> bool:
    """Whether another appeal on this appeal's order has an effective verdict."""
    return (
        Verdict.objects.filter(appeal__order_id=appeal.order_id, state=Verdict.State.EFFECTIVE)
        .exclude(appeal_id=appeal.pk)
        .exists()
    )


def order_settled(appeal: Appeal) -> bool:
    """Whether the exchange reports the order's escrow as settled (released or cancelled)."""
    return appeal.order.status in (Order.Status.RELEASED, Order.Status.CANCELLED)


def four_eyes_required(appeal: Appeal, outcome: str | None = None) -> bool:
    """On the amount and asset frozen when the appeal opened, never the order's current
    row: a fact pushed in later must not lower a case below the threshold. A second
    verdict on an order whose funds an earlier verdict already moved always needs a
    second pair of eyes: nobody moves an order's funds a second time alone. So does a
    verdict with an `outcome` moving the funds of an order the exchange reports settled
    (closing with no fund movement does not; nor does a review, which moves nothing)."""
    if amount_needs_four_eyes(appeal.asset, appeal.crypto_amount) or order_was_decided(appeal):
        return True
    moves = outcome is not None and outcome != Verdict.Outcome.NO_ACTION
    return moves and order_settled(appeal)
