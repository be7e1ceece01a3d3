"""A loss spike in the demo: several chargebacks and scams lost on one payment method in
the last week, so the risk analysts' loss page and rule-loophole finder have something to
show (evidence.views). Run by DemoSeeder.run after the stories, in its transaction."""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from decimal import Decimal

import time_machine
from django.contrib.auth.models import AbstractBaseUser

from cases import lifecycle
from cases.models import Appeal, Order, Trader

SPIKE_METHOD = "Revolut"
SPIKE_CASES = 7
# (reason, outcome, responsible, rule): what the rulebook allows for each.
KINDS = [
    (Appeal.Reason.CHARGEBACK, "no_action", "buyer", "P2P-5.1"),
    (Appeal.Reason.FRAUD_SCAM, "return_to_seller", "buyer", "P2P-2.2"),
]


def loss_spike(
    *, rng: random.Random, now: datetime, decider: AbstractBaseUser, traders: list[Trader]
) -> list[Appeal]:
    """SPIKE_CASES sellers' appeals on SPIKE_METHOD, opened and decided against the buyer
    over the last six days, through the lifecycle like every demo case."""
    made = []
    for i in range(SPIKE_CASES):
        buyer, seller = rng.sample(traders, 2)
        opened = now - timedelta(days=6) + timedelta(hours=18 * i, minutes=rng.randint(0, 50))
        reason, outcome, responsible, rule = KINDS[i % len(KINDS)]
        amount = Decimal(rng.randint(180, 900))
        with time_machine.travel(opened, tick=False):
            order = Order.objects.create(
                external_id=f"P2P-SPIKE-{i + 1:03d}",
                buyer=buyer,
                seller=seller,
                asset="USDT",
                crypto_amount=amount,
                price=Decimal("0.92"),
                fiat_currency="EUR",
                fiat_amount=(amount * Decimal("0.92")).quantize(Decimal("0.01")),
                payment_method=SPIKE_METHOD,
                status=Order.Status.RELEASED,
                created_at=opened - timedelta(hours=3),
                paid_at=opened - timedelta(hours=2, minutes=40),
                released_at=opened - timedelta(hours=2, minutes=30),
            )
            appeal = lifecycle.appeal_open(
                order=order,
                opened_by="seller",
                reason=reason,
                description="The buyer's payment was reversed by the bank after I released.",
            )
        with time_machine.travel(opened + timedelta(hours=2), tick=False):
            lifecycle.appeal_claim(appeal_id=appeal.pk, actor=decider)
            lifecycle.verdict_propose(
                appeal_id=appeal.pk,
                actor=decider,
                outcome=outcome,
                responsible_party=responsible,
                rule_code=rule,
                rationale="The bank confirmed the reversal; the buyer's payment never settled.",
            )
        made.append(appeal)
    return made
