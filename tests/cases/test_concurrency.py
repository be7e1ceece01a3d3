"""Races: two people (or services) doing the same thing at the same moment.

Each call runs in its own thread with its own database connection, released at the start
by a barrier so the calls collide. On PostgreSQL the lifecycle's row locks
(select_for_update) and partial unique indexes decide the winner; on SQLite the settings'
IMMEDIATE transactions take the write lock at BEGIN, so the same calls queue up. Both must
end with exactly one winner and a consistent paper trail.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.db import connection, connections, transaction

from arbitration.exceptions import Conflict
from cases.audit import audit_record, audit_verify
from cases.lifecycle import (
    appeal_claim,
    appeal_claim_next,
    appeal_open,
    note_add,
    verdict_approve,
    verdict_send_back,
)
from cases.models import (
    Appeal,
    AppealStatusChange,
    AuditEntry,
    ChatMessage,
    Order,
    OutboxEvent,
    Trader,
    Verdict,
)
from cases.services import chat_ingest, order_upsert
from tests.factories import (
    ChatMessageDataFactory,
    OrderFactory,
    TraderFactory,
    appeal_in,
    open_appeal,
    propose,
)

S = Appeal.Status

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


@pytest.fixture(autouse=True)
def concurrent_database(db: None) -> None:
    """Threads need a database they can share: PostgreSQL, or SQLite in a file."""
    vendor = connection.vendor
    shared_file = vendor == "sqlite" and not connection.is_in_memory_db()
    if vendor == "postgresql" or shared_file:
        return
    if os.environ.get("CI") and os.environ.get("DATABASE_URL", "").startswith("postgres"):
        pytest.fail(f"CI runs the concurrency tests on PostgreSQL, but the database is {vendor}")
    pytest.skip(f"concurrency tests need PostgreSQL or a file-based SQLite, not {vendor}")


@dataclass
class Outcome:
    value: Any = None
    error: BaseException | None = None

    @property
    def ok(self) -> bool:
        return self.error is None


def run_together(*calls: Callable[[], Any], timeout: float = 60) -> list[Outcome]:
    """Run each call in its own thread, all released at once; return their outcomes."""
    barrier = threading.Barrier(len(calls))
    outcomes = [Outcome() for _ in calls]

    def run(index: int, call: Callable[[], Any]) -> None:
        try:
            connection.ensure_connection()  # connect first, so the calls start together
            barrier.wait(timeout=timeout)
            outcomes[index].value = call()
        except BaseException as exc:  # noqa: BLE001 - the test inspects every outcome
            outcomes[index].error = exc
        finally:
            connections.close_all()

    threads = [
        threading.Thread(target=run, args=(i, call), daemon=True) for i, call in enumerate(calls)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout)
    assert not any(thread.is_alive() for thread in threads), "a thread is stuck (deadlock?)"
    return outcomes


def one_winner(outcomes: list[Outcome]) -> Outcome:
    """Exactly one call succeeded; every other one was refused with a Conflict."""
    winners = [o for o in outcomes if o.ok]
    losers = [o for o in outcomes if not o.ok]
    assert len(winners) == 1, [o.error for o in outcomes]
    for loser in losers:
        assert isinstance(loser.error, Conflict), repr(loser.error)
    return winners[0]


def fresh(user: Any) -> Any:
    """A user object of the thread's own: permission caches are per instance."""
    return get_user_model().objects.get(pk=user.pk)


# --- claiming -----------------------------------------------------------------------------


def test_two_arbitrators_claim_the_same_appeal_and_one_gets_it(arbitrator, arbitrator2):
    for _ in range(3):
        appeal = open_appeal()
        a, b = fresh(arbitrator), fresh(arbitrator2)

        winner = one_winner(
            run_together(
                lambda a=a, appeal=appeal: appeal_claim(appeal_id=appeal.pk, actor=a),
                lambda b=b, appeal=appeal: appeal_claim(appeal_id=appeal.pk, actor=b),
            )
        )

        appeal.refresh_from_db()
        assert appeal.status == S.IN_REVIEW
        assert appeal.assignee_id == winner.value.assignee_id
        assert AppealStatusChange.objects.filter(appeal=appeal, to_status=S.IN_REVIEW).count() == 1
        assert AuditEntry.objects.filter(appeal=appeal, action="appeal.claimed").count() == 1
        assert OutboxEvent.objects.filter(appeal=appeal, data__status=S.IN_REVIEW).count() == 1


def test_claim_next_gives_each_arbitrator_a_different_appeal(make_user):
    appeals = [open_appeal() for _ in range(4)]
    workers = [make_user("arbitrator") for _ in range(4)]

    outcomes = run_together(*(lambda w=w: appeal_claim_next(actor=w) for w in workers))

    assert all(o.ok for o in outcomes), [o.error for o in outcomes]
    claimed = [o.value.pk for o in outcomes if o.value is not None]
    assert sorted(claimed) == sorted(a.pk for a in appeals)
    assert set(Appeal.objects.values_list("assignee", flat=True)) == {w.pk for w in workers}


# --- verdicts -----------------------------------------------------------------------------


@pytest.mark.parametrize("status", [S.IN_REVIEW, S.OPEN])
def test_two_verdicts_at_once_only_one_takes_effect(status, arbitrator, lead):
    appeal = appeal_in(status, worker=arbitrator)

    winner = one_winner(
        run_together(
            lambda: propose(appeal, fresh(arbitrator), outcome="release_to_buyer"),
            lambda: propose(
                appeal,
                fresh(lead),
                outcome="return_to_seller",
                responsible_party="buyer",
                rule_code="P2P-2.1",
            ),
        )
    )

    verdict = Verdict.objects.get(appeal=appeal)
    assert verdict.pk == winner.value.pk
    assert verdict.state == Verdict.State.EFFECTIVE
    [issued] = OutboxEvent.objects.filter(type="verdict.issued")
    assert issued.data["outcome"] == verdict.outcome
    appeal.refresh_from_db()
    assert appeal.status == S.RESOLVED
    assert AppealStatusChange.objects.filter(appeal=appeal, to_status=S.RESOLVED).count() == 1
    assert audit_verify()[1] is None


def test_two_large_verdicts_at_once_leave_one_pending(arbitrator, lead):
    appeal = appeal_in(S.IN_REVIEW, worker=arbitrator, order=OrderFactory(large=True))

    one_winner(
        run_together(
            lambda: propose(appeal, fresh(arbitrator)),
            lambda: propose(appeal, fresh(lead)),
        )
    )

    assert Verdict.objects.get(appeal=appeal).state == Verdict.State.PENDING
    assert not OutboxEvent.objects.filter(type="verdict.issued").exists()


def test_approve_and_send_back_at_once_only_one_wins(arbitrator, senior, lead):
    for _ in range(2):
        appeal = appeal_in(S.PENDING_APPROVAL, worker=arbitrator)
        verdict = Verdict.objects.get(appeal=appeal)

        outcomes = run_together(
            lambda v=verdict: verdict_approve(verdict_id=v.pk, actor=fresh(senior)),
            lambda v=verdict: verdict_send_back(
                verdict_id=v.pk, actor=fresh(lead), comment="Not convinced."
            ),
        )

        one_winner(outcomes)
        approved = outcomes[0].ok
        verdict.refresh_from_db()
        appeal.refresh_from_db()
        issued = OutboxEvent.objects.filter(appeal=appeal, type="verdict.issued").count()
        if approved:
            assert (verdict.state, appeal.status, issued) == (
                Verdict.State.EFFECTIVE,
                S.RESOLVED,
                1,
            )
        else:
            assert (verdict.state, appeal.status, issued) == (
                Verdict.State.SENT_BACK,
                S.IN_REVIEW,
                0,
            )


def test_two_approvals_at_once_move_the_funds_once(arbitrator, senior, senior2):
    appeal = appeal_in(S.PENDING_APPROVAL, worker=arbitrator)
    verdict = Verdict.objects.get(appeal=appeal)

    winner = one_winner(
        run_together(
            lambda: verdict_approve(verdict_id=verdict.pk, actor=fresh(senior)),
            lambda: verdict_approve(verdict_id=verdict.pk, actor=fresh(senior2)),
        )
    )

    verdict.refresh_from_db()
    assert verdict.approved_by_id == winner.value.approved_by_id
    assert OutboxEvent.objects.filter(type="verdict.issued").count() == 1


# --- opening ------------------------------------------------------------------------------


def test_two_appeals_on_one_order_at_once_open_one(service_account):
    order = OrderFactory()

    one_winner(
        run_together(
            lambda: appeal_open(
                order=order,
                opened_by="buyer",
                reason="crypto_not_released",
                actor=fresh(service_account),
            ),
            lambda: appeal_open(
                order=order,
                opened_by="seller",
                reason="payment_not_received",
                actor=fresh(service_account),
            ),
        )
    )

    assert Appeal.objects.filter(order=order).count() == 1
    assert OutboxEvent.objects.filter(type="appeal.status_changed").count() == 1
    assert AuditEntry.objects.filter(action="appeal.opened").count() == 1


# --- the exchange's facts -----------------------------------------------------------------


def test_the_same_order_posted_twice_at_once_is_stored_once(service_account):
    payload = {
        "external_id": "ORD-RACE",
        "buyer": {"external_id": "B-RACE", "display_name": "buyer"},
        "seller": {"external_id": "S-RACE", "display_name": "seller"},
        **{
            k: v
            for k, v in OrderFactory.build().__dict__.items()
            if k
            in (
                "asset",
                "crypto_amount",
                "fiat_currency",
                "fiat_amount",
                "price",
                "payment_method",
                "status",
                "created_at",
            )
        },
    }

    outcomes = run_together(
        lambda: order_upsert(actor=fresh(service_account), **payload),
        lambda: order_upsert(actor=fresh(service_account), **payload),
    )

    assert all(o.ok for o in outcomes), [o.error for o in outcomes]
    assert sorted(o.value[1] for o in outcomes) == [False, True]
    assert Order.objects.filter(external_id="ORD-RACE").count() == 1
    assert Trader.objects.filter(external_id__in=["B-RACE", "S-RACE"]).count() == 2


def test_the_same_chat_batch_posted_twice_at_once_is_stored_once():
    order = OrderFactory()
    batch = ChatMessageDataFactory.create_batch(5)

    outcomes = run_together(
        lambda: chat_ingest(order=order, messages=batch),
        lambda: chat_ingest(order=order, messages=batch),
    )

    assert all(o.ok for o in outcomes), [o.error for o in outcomes]
    assert sorted(o.value for o in outcomes) == [(0, 5), (5, 0)]  # each message counted once
    assert ChatMessage.objects.filter(order=order).count() == 5


def test_one_message_id_posted_to_two_orders_at_once_is_never_silently_dropped():
    """Each batch holds its own order's row lock, so both may read "id unused": the unique
    index keeps one copy and the other batch must say so, not count it as stored."""
    first, second = OrderFactory(), OrderFactory()
    message = ChatMessageDataFactory(external_id="M-CONTESTED")

    outcomes = run_together(
        lambda: chat_ingest(order=first, messages=[message]),
        lambda: chat_ingest(order=second, messages=[message]),
    )

    assert sorted(o.ok for o in outcomes) == [False, True], [o.error for o in outcomes]
    assert [type(o.error) for o in outcomes if not o.ok] == [Conflict]
    assert [o.value for o in outcomes if o.ok] == [(1, 0)]
    assert ChatMessage.objects.filter(external_id="M-CONTESTED").count() == 1


def test_renaming_a_rule_while_a_verdict_cites_it_never_leaves_the_verdict_behind(make_user):
    """As reported (hit on the third try): a lead renamed a rule while a verdict citing it
    was in flight; the verdict recorded the old code and the rule carried the new one.
    Now one of the two waits for the other: either the rename is refused (the verdict
    cites it) or the verdict finds no rule with the old code."""
    from arbitration.exceptions import DomainError
    from cases.models import Rule
    from cases.services import rule_save

    for attempt in range(6):
        code = f"RACE-{attempt}"
        rule = Rule.objects.create(code=code, title="Race", text="Race.", reasons=[])
        arbitrator = make_user("arbitrator")
        appeal = open_appeal()
        appeal_claim(appeal_id=appeal.pk, actor=arbitrator)

        def rename(rule_id: int = rule.pk, new: str = f"{code}-RENAMED") -> Any:
            renamed = Rule.objects.get(pk=rule_id)
            renamed.code = new
            return rule_save(rule=renamed, actor=None)

        def decide(appeal: Appeal = appeal, code: str = code, who: Any = arbitrator) -> Any:
            return propose(appeal, fresh(who), rule_code=code)

        outcomes = run_together(rename, decide)

        assert all(o.ok or isinstance(o.error, DomainError) for o in outcomes), outcomes
        rule.refresh_from_db()
        for verdict in Verdict.objects.filter(rule=rule):
            assert verdict.rule_code == rule.code == code, attempt


def test_an_appeal_opened_while_the_amount_is_raised_freezes_the_amount_it_saw(service_account):
    """As reported (3 of 5 tries): the order was raised from 50 to 20,000 USDT while an
    appeal opened from a copy read before; the appeal froze 50 and skipped four-eyes.
    The appeal now reads the order under its lock: whichever went first, the appeal's
    frozen amount is the order's."""
    from decimal import Decimal

    for attempt in range(5):
        order = OrderFactory(crypto_amount=Decimal("50"))
        stale = Order.objects.get(pk=order.pk)  # read before the raise, as the API does
        payload = {
            "external_id": order.external_id,
            "buyer": {"external_id": order.buyer.external_id, "display_name": "b"},
            "seller": {"external_id": order.seller.external_id, "display_name": "s"},
            "crypto_amount": Decimal("20000"),
        }

        outcomes = run_together(
            lambda payload=payload: order_upsert(actor=fresh(service_account), **payload),
            lambda stale=stale: appeal_open(order=stale, opened_by="buyer", reason="other"),
        )

        assert outcomes[1].ok, outcomes[1].error
        appeal = outcomes[1].value
        appeal.refresh_from_db()
        order.refresh_from_db()
        assert appeal.crypto_amount == order.crypto_amount, attempt
        assert (appeal.priority == Appeal.Priority.HIGH) == (order.crypto_amount > 10000)


# --- the audit chain ----------------------------------------------------------------------


def test_concurrent_appends_keep_the_audit_chain_linear(make_user):
    threads, notes_each, records_each = 6, 3, 3
    appeals = [open_appeal() for _ in range(threads)]
    workers = [make_user("arbitrator") for _ in range(threads)]
    traders = [TraderFactory() for _ in range(threads)]
    before = AuditEntry.objects.count()

    def work(appeal: Appeal, worker: Any, trader: Trader) -> None:
        for n in range(notes_each):
            note_add(appeal_id=appeal.pk, actor=worker, text=f"note {n}")
        for _ in range(records_each):
            with transaction.atomic():
                audit_record(actor=None, action="test.concurrent", obj=trader)

    outcomes = run_together(
        *(
            lambda a=a, w=w, t=t: work(a, w, t)
            for a, w, t in zip(appeals, workers, traders, strict=True)
        )
    )

    assert all(o.ok for o in outcomes), [o.error for o in outcomes]
    total = before + threads * (notes_each + records_each)
    assert list(AuditEntry.objects.order_by("seq").values_list("seq", flat=True)) == list(
        range(1, total + 1)
    )
    assert audit_verify() == (total, None)
