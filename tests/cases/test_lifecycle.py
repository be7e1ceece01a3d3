"""The appeal lifecycle: every transition of the ALLOWED table, every action, every role."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from itertools import product
from types import SimpleNamespace
from typing import Any

import pytest
from django.utils.dateparse import parse_datetime

from arbitration.exceptions import Conflict, InvalidInput, InvalidTransition, NotAllowed
from cases import lifecycle
from cases.models import AccountAction, Appeal, Note, OutboxEvent, Party, Rule, Trader, Verdict
from evidence.services import evidence_add
from tests.factories import (
    OrderFactory,
    appeal_in,
    open_appeal,
    png_bytes,
    propose,
    staff_user,
    upload,
)

pytestmark = pytest.mark.django_db

S = Appeal.Status
STATUSES = list(S.values)
NOON = datetime(2025, 3, 3, 4, 0, tzinfo=UTC)  # 12:00 in Shanghai


@pytest.fixture
def actors(arbitrator, arbitrator2, senior, senior2, lead, service_account) -> SimpleNamespace:
    return SimpleNamespace(
        arbitrator=arbitrator,
        arbitrator2=arbitrator2,
        senior=senior,
        senior2=senior2,
        lead=lead,
        service_account=service_account,
    )


def current_verdict(appeal: Appeal) -> Verdict:
    return appeal.verdicts.order_by("-created_at", "-id").first()


# --- the ALLOWED table, action by action --------------------------------------------------
#
# What each action does from each status it is legal in: {action: {from: to}}, where `to`
# may be a path of statuses the action walks through in one transaction (a verdict on an
# unclaimed open appeal claims it first). From any status missing from its row the action
# is refused with Conflict (InvalidTransition is a Conflict) and writes nothing. The team
# lead runs them: a lead may do every staff action, so only the status decides.

Path = str | tuple[str, ...]
LEGAL: dict[str, dict[str, Path]] = {
    "claim": {S.OPEN: S.IN_REVIEW, S.ESCALATED: S.IN_REVIEW},
    "assign": {
        S.OPEN: S.IN_REVIEW,
        S.IN_REVIEW: S.IN_REVIEW,
        S.AWAITING_EVIDENCE: S.AWAITING_EVIDENCE,
        S.ESCALATED: S.ESCALATED,
    },
    "return_to_queue": {
        S.OPEN: S.OPEN,
        S.IN_REVIEW: S.OPEN,
        S.AWAITING_EVIDENCE: S.AWAITING_EVIDENCE,
        S.ESCALATED: S.ESCALATED,
    },
    "unassign": {S.IN_REVIEW: S.OPEN},
    "request_evidence": {
        S.IN_REVIEW: S.AWAITING_EVIDENCE,
        S.AWAITING_EVIDENCE: S.AWAITING_EVIDENCE,
        S.ESCALATED: S.AWAITING_EVIDENCE,
    },
    "escalate": {S.OPEN: S.ESCALATED, S.IN_REVIEW: S.ESCALATED, S.AWAITING_EVIDENCE: S.ESCALATED},
    "propose": {
        S.OPEN: (S.IN_REVIEW, S.RESOLVED),
        S.IN_REVIEW: S.RESOLVED,
        S.AWAITING_EVIDENCE: S.RESOLVED,
        S.ESCALATED: S.RESOLVED,
    },
    "propose_large": {
        S.OPEN: (S.IN_REVIEW, S.PENDING_APPROVAL),
        S.IN_REVIEW: S.PENDING_APPROVAL,
        S.AWAITING_EVIDENCE: S.PENDING_APPROVAL,
        S.ESCALATED: S.PENDING_APPROVAL,
    },
    "cancel": {
        S.OPEN: S.CANCELLED,
        S.IN_REVIEW: S.CANCELLED,
        S.AWAITING_EVIDENCE: S.CANCELLED,
        S.ESCALATED: S.CANCELLED,
        S.PENDING_APPROVAL: S.CANCELLED,
    },
}
# Actions that need a verdict or an upload; tested on their own below.
OTHER_LEGAL: dict[str, dict[str, Path]] = {
    "approve": {S.PENDING_APPROVAL: S.RESOLVED},
    "send_back": {S.PENDING_APPROVAL: S.IN_REVIEW},
    "evidence_received": {S.AWAITING_EVIDENCE: S.IN_REVIEW},
    # A lead took the waiting case off its owner: the evidence returns it to the open queue.
    "evidence_received_unowned": {S.AWAITING_EVIDENCE: S.OPEN},
}

ACTIONS: dict[str, Callable[[Appeal, SimpleNamespace], Any]] = {
    "claim": lambda a, x: lifecycle.appeal_claim(appeal_id=a.pk, actor=x.lead),
    "assign": lambda a, x: lifecycle.appeal_assign(
        appeal_id=a.pk, assignee=x.senior2, actor=x.lead
    ),
    "return_to_queue": lambda a, x: lifecycle.appeal_assign(
        appeal_id=a.pk, assignee=None, actor=x.lead
    ),
    "unassign": lambda a, x: lifecycle.appeal_unassign(appeal_id=a.pk, actor=x.lead),
    "request_evidence": lambda a, x: lifecycle.appeal_request_evidence(
        appeal_id=a.pk, actor=x.lead, party=Party.BUYER, text="Upload the payment receipt."
    ),
    "escalate": lambda a, x: lifecycle.appeal_escalate(
        appeal_id=a.pk, actor=x.lead, reason="Fraud ring."
    ),
    "propose": lambda a, x: propose(a, x.lead),
    "propose_large": lambda a, x: propose(a, x.lead),
    "cancel": lambda a, x: lifecycle.appeal_cancel(appeal_id=a.pk, actor=x.service_account),
    "approve": lambda a, x: lifecycle.verdict_approve(
        verdict_id=current_verdict(a).pk, actor=x.senior2
    ),
    "send_back": lambda a, x: lifecycle.verdict_send_back(
        verdict_id=current_verdict(a).pk, actor=x.senior2, comment="Cite the right rule."
    ),
    "evidence_received": lambda a, x: lifecycle.appeal_evidence_received(
        appeal_id=a.pk, actor=x.service_account, party=Party.SELLER
    ),
    "evidence_received_unowned": lambda a, x: (
        lifecycle.appeal_assign(appeal_id=a.pk, assignee=None, actor=x.lead),
        lifecycle.appeal_evidence_received(
            appeal_id=a.pk, actor=x.service_account, party=Party.SELLER
        ),
    ),
}


def moves(from_status: str, path: Path) -> list[tuple[str, str]]:
    """The status changes an action makes: [(from, to), ...]."""
    steps = path if isinstance(path, tuple) else (path,)
    return [(a, b) for a, b in zip((from_status, *steps), steps, strict=False) if a != b]


def end_of(path: Path) -> str:
    return path[-1] if isinstance(path, tuple) else path


def appeal_for(action: str, status: str) -> Appeal:
    large = action == "propose_large" or status == S.PENDING_APPROVAL
    return appeal_in(status, order=OrderFactory(large=large))


@pytest.mark.parametrize(("action", "from_status"), list(product(LEGAL, STATUSES)))
def test_each_action_from_each_status(action, from_status, actors, trail, nothing_written):
    appeal = appeal_for(action, from_status)
    legal = LEGAL[action]

    if from_status not in legal:
        with nothing_written(), pytest.raises(Conflict):
            ACTIONS[action](appeal, actors)
        return

    expected = moves(from_status, legal[from_status])
    t = trail()
    ACTIONS[action](appeal, actors)
    appeal.refresh_from_db()
    assert appeal.status == end_of(legal[from_status])
    assert all(to in lifecycle.ALLOWED[frm] for frm, to in expected)
    assert t.status_changes == expected
    assert t.status_audit == expected
    assert t.status_events == expected


ALLOWED_PAIRS = [(f, t) for f in STATUSES for t in sorted(lifecycle.ALLOWED[f])]


@pytest.mark.parametrize(("from_status", "to_status"), ALLOWED_PAIRS)
def test_every_allowed_transition_writes_one_row_one_audit_entry_one_event(
    from_status, to_status, actors, trail
):
    action = next(
        name
        for name, legal in {**LEGAL, **OTHER_LEGAL}.items()
        if legal.get(from_status) == to_status  # a single step, not a path
    )
    appeal = appeal_for(action, from_status)
    if action.startswith("evidence_received"):
        assert appeal.evidence_requested_from == Party.SELLER
    t = trail()

    ACTIONS[action](appeal, actors)

    appeal.refresh_from_db()
    assert appeal.status == to_status
    assert t.status_changes == [(from_status, to_status)]
    assert t.status_audit == [(from_status, to_status)]
    assert t.status_events == [(from_status, to_status)]
    event = t.events("appeal.status_changed")[0]
    assert event.appeal_id == appeal.pk
    assert event.data["order"] == appeal.order.external_id


@pytest.mark.parametrize("action", ["approve", "send_back"])
@pytest.mark.parametrize(
    ("status", "verdict_state"),
    [
        (S.RESOLVED, Verdict.State.EFFECTIVE),
        (S.CANCELLED, Verdict.State.WITHDRAWN),
        (S.IN_REVIEW, Verdict.State.SENT_BACK),
    ],
)
def test_a_verdict_that_is_not_pending_cannot_be_reviewed(
    action, status, verdict_state, actors, nothing_written
):
    appeal = appeal_in(S.PENDING_APPROVAL, worker=actors.arbitrator)
    verdict = current_verdict(appeal)
    if status == S.RESOLVED:
        lifecycle.verdict_approve(verdict_id=verdict.pk, actor=actors.senior)
    elif status == S.CANCELLED:
        lifecycle.appeal_cancel(appeal_id=appeal.pk, actor=actors.service_account)
    else:
        lifecycle.verdict_send_back(verdict_id=verdict.pk, actor=actors.senior, comment="Redo it.")
    verdict.refresh_from_db()
    assert verdict.state == verdict_state

    with nothing_written(), pytest.raises(Conflict):
        ACTIONS[action](appeal, actors)


@pytest.mark.parametrize("status", [s for s in STATUSES if s != S.AWAITING_EVIDENCE])
def test_evidence_arriving_outside_an_evidence_request_changes_nothing(
    status, service_account, nothing_written
):
    appeal = appeal_in(status)
    with nothing_written():
        lifecycle.appeal_evidence_received(
            appeal_id=appeal.pk, actor=service_account, party=Party.SELLER
        )


def test_an_unknown_appeal_is_invalid_input(lead):
    with pytest.raises(InvalidInput):
        lifecycle.appeal_claim(appeal_id=987654, actor=lead)


# --- what each status allows --------------------------------------------------------------
#
# For each status: the actions that succeed on an appeal driven there through the
# lifecycle. Every other action is refused and writes nothing. The same actors as above
# (a lead, the appellant's service cancelling, a second senior reviewing the verdict), so
# only the status decides. Approving and sending back act on a verdict: only appeals
# pending approval or resolved have one to try them on.

SUCCEEDS_IN: dict[str, set[str]] = {
    S.OPEN: {"claim", "assign", "return_to_queue", "escalate", "propose", "cancel"},
    S.IN_REVIEW: {
        "assign",
        "return_to_queue",
        "unassign",
        "request_evidence",
        "escalate",
        "propose",
        "cancel",
    },
    S.AWAITING_EVIDENCE: {
        "assign",
        "return_to_queue",
        "request_evidence",
        "escalate",
        "propose",
        "cancel",
    },
    S.ESCALATED: {"claim", "assign", "return_to_queue", "request_evidence", "propose", "cancel"},
    S.PENDING_APPROVAL: {"approve", "send_back", "cancel"},
    S.RESOLVED: set(),
    S.CANCELLED: set(),
}
STAFF_ACTIONS = [
    "claim",
    "assign",
    "return_to_queue",
    "unassign",
    "request_evidence",
    "escalate",
    "propose",
    "cancel",
    "approve",
    "send_back",
]
VERDICT_ACTIONS = {"approve", "send_back"}
# Refused for the verdict, not the status: a Conflict, not an InvalidTransition. The appeal
# already has a verdict, or the one it has is no longer pending.
VERDICT_CONFLICTS = {
    (S.PENDING_APPROVAL, "propose"),
    (S.RESOLVED, "propose"),
    (S.RESOLVED, "approve"),
    (S.RESOLVED, "send_back"),
}


def appeal_row(appeal: Appeal) -> dict[str, Any]:
    return Appeal.objects.filter(pk=appeal.pk).values().get()


@pytest.mark.parametrize("status", STATUSES)
def test_what_each_status_allows(status, actors, trail):
    succeeded = set()
    for action in STAFF_ACTIONS:
        appeal = appeal_for(action, status)
        if action in VERDICT_ACTIONS and current_verdict(appeal) is None:
            continue
        before = appeal_row(appeal)
        t = trail()
        refusal: Conflict | None = None
        try:
            ACTIONS[action](appeal, actors)
        except Conflict as exc:  # InvalidTransition is a Conflict
            refusal = exc

        if refusal is None:
            succeeded.add(action)
            assert t.audit, f"{action} from {status} left no audit entry"
            assert t.status_changes == t.status_audit == t.status_events, action
            continue
        expected = Conflict if (status, action) in VERDICT_CONFLICTS else InvalidTransition
        assert type(refusal) is expected, f"{action} from {status}: {refusal!r}"
        assert t.status_changes == [], f"{action} from {status} wrote a status change"
        assert t.audit == [], f"{action} from {status} wrote an audit entry"
        assert t.events() == [], f"{action} from {status} wrote an outbox event"
        assert appeal_row(appeal) == before, f"{action} from {status} changed the appeal"

    assert succeeded == SUCCEEDS_IN[status]


# --- opening ------------------------------------------------------------------------------


def test_opening_an_appeal_starts_its_clocks_and_its_paper_trail(time_machine, trail, settings):
    time_machine.move_to(NOON, tick=False)
    order = OrderFactory()
    t = trail()

    appeal = lifecycle.appeal_open(
        order=order,
        opened_by=Party.SELLER,
        reason="payment_not_received",
        description="No money arrived.",
        channel=Appeal.Channel.EMAIL,
    )

    assert appeal.status == S.OPEN
    assert appeal.assignee is None
    assert appeal.created_at == NOON
    assert appeal.first_response_due_at == NOON + timedelta(
        minutes=settings.SLA_FIRST_RESPONSE_MINUTES
    )
    assert appeal.resolution_due_at == NOON + timedelta(hours=settings.SLA_RESOLUTION_HOURS)
    assert appeal.first_response_at is None
    assert t.status_changes == [("", S.OPEN)]
    assert t.audit_actions == ["appeal.opened"]
    assert t.audit[0].after["order"] == order.external_id
    assert t.status_events == [(None, S.OPEN)]


@pytest.mark.parametrize(
    ("reason", "large", "priority"),
    [
        ("crypto_not_released", False, Appeal.Priority.NORMAL),
        ("crypto_not_released", True, Appeal.Priority.HIGH),
        ("fraud_scam", False, Appeal.Priority.URGENT),
        ("account_compromised", True, Appeal.Priority.URGENT),
    ],
)
def test_opening_sets_priority_from_reason_and_size(reason, large, priority):
    appeal = open_appeal(order=OrderFactory(large=large), reason=reason)
    assert appeal.priority == priority


@pytest.mark.parametrize(
    "bad",
    [{"opened_by": "arbitrator"}, {"reason": "bored"}, {"channel": "fax"}],
    ids=["opened_by", "reason", "channel"],
)
def test_opening_with_bad_input_is_refused(bad, nothing_written):
    order = OrderFactory()
    fields = {"order": order, "opened_by": "buyer", "reason": "other", **bad}
    with nothing_written(), pytest.raises(InvalidInput) as exc:
        lifecycle.appeal_open(**fields)
    assert exc.value.field == next(iter(bad))


# --- claiming and the queue ---------------------------------------------------------------


def test_claiming_takes_the_case_and_starts_review(arbitrator, trail):
    appeal = open_appeal()
    t = trail()

    lifecycle.appeal_claim(appeal_id=appeal.pk, actor=arbitrator)

    appeal.refresh_from_db()
    assert (appeal.status, appeal.assignee) == (S.IN_REVIEW, arbitrator)
    assert t.audit_actions == ["appeal.claimed"]
    assert t.audit[0].actor == arbitrator
    assert t.audit[0].after["assignee"] == arbitrator.pk


def test_claim_next_takes_the_most_urgent_appeal_first(arbitrator, time_machine):
    time_machine.move_to(NOON, tick=False)
    normal_early = open_appeal()
    time_machine.shift(timedelta(minutes=5))
    high = open_appeal(order=OrderFactory(large=True))
    normal_late = open_appeal()
    urgent = open_appeal(reason="fraud_scam")

    claimed = [lifecycle.appeal_claim_next(actor=arbitrator) for _ in range(4)]

    assert [a.pk for a in claimed] == [urgent.pk, high.pk, normal_early.pk, normal_late.pk]
    assert all(a.assignee == arbitrator and a.status == S.IN_REVIEW for a in claimed)
    assert lifecycle.appeal_claim_next(actor=arbitrator) is None


def test_claim_next_skips_cases_that_are_taken_or_escalated(arbitrator, arbitrator2):
    appeal_in(S.IN_REVIEW)
    appeal_in(S.ESCALATED)
    appeal_in(S.RESOLVED)
    free = open_appeal()
    assert lifecycle.appeal_claim_next(actor=arbitrator2) == free
    assert lifecycle.appeal_claim_next(actor=arbitrator) is None


def test_claim_next_on_an_empty_queue_is_none(arbitrator, nothing_written):
    with nothing_written():
        assert lifecycle.appeal_claim_next(actor=arbitrator) is None


# --- assigning ----------------------------------------------------------------------------


def test_a_lead_assigns_an_open_appeal(lead, arbitrator, trail):
    appeal = open_appeal()
    t = trail()

    lifecycle.appeal_assign(appeal_id=appeal.pk, assignee=arbitrator, actor=lead)

    appeal.refresh_from_db()
    assert (appeal.status, appeal.assignee) == (S.IN_REVIEW, arbitrator)
    assert t.audit_actions == ["appeal.assigned"]
    assert t.audit[0].actor == lead


def test_reassigning_moves_the_case_without_a_status_change(lead, arbitrator, arbitrator2, trail):
    appeal = appeal_in(S.IN_REVIEW, worker=arbitrator)
    t = trail()

    lifecycle.appeal_assign(appeal_id=appeal.pk, assignee=arbitrator2, actor=lead)

    appeal.refresh_from_db()
    assert (appeal.status, appeal.assignee) == (S.IN_REVIEW, arbitrator2)
    assert t.status_changes == [] and t.events() == []
    [entry] = t.audit
    assert (entry.before["assignee"], entry.after["assignee"]) == (arbitrator.pk, arbitrator2.pk)


def test_assigning_nobody_returns_a_case_to_the_queue(lead, arbitrator):
    appeal = appeal_in(S.IN_REVIEW, worker=arbitrator)
    lifecycle.appeal_assign(appeal_id=appeal.pk, assignee=None, actor=lead)
    appeal.refresh_from_db()
    assert (appeal.status, appeal.assignee) == (S.OPEN, None)


@pytest.mark.parametrize("role", ["auditor", "risk_analyst", None])
def test_only_people_who_work_appeals_can_be_assigned(role, lead, make_user, nothing_written):
    appeal = open_appeal()
    with nothing_written(), pytest.raises(InvalidInput):
        lifecycle.appeal_assign(appeal_id=appeal.pk, assignee=make_user(role), actor=lead)


def test_an_escalated_appeal_is_only_assigned_to_someone_who_handles_escalations(
    lead, arbitrator, senior, nothing_written
):
    """Only seniors may take or decide escalated cases; an assignment must not get round
    that (the junior could ask for evidence, get the case back in review and decide it)."""
    appeal = appeal_in(S.ESCALATED)
    with nothing_written(), pytest.raises((InvalidInput, NotAllowed)):
        lifecycle.appeal_assign(appeal_id=appeal.pk, assignee=arbitrator, actor=lead)

    lifecycle.appeal_assign(appeal_id=appeal.pk, assignee=senior, actor=lead)
    appeal.refresh_from_db()
    assert appeal.assignee == senior


def test_the_assignee_hands_a_case_back_to_the_queue(arbitrator, trail):
    appeal = appeal_in(S.IN_REVIEW, worker=arbitrator)
    t = trail()
    lifecycle.appeal_unassign(appeal_id=appeal.pk, actor=arbitrator)
    appeal.refresh_from_db()
    assert (appeal.status, appeal.assignee) == (S.OPEN, None)
    assert t.audit_actions == ["appeal.unassigned"]


# --- asking for evidence ------------------------------------------------------------------


def test_requesting_evidence_tells_the_party_by_when(arbitrator, time_machine, trail, settings):
    time_machine.move_to(NOON, tick=False)
    appeal = appeal_in(S.IN_REVIEW, worker=arbitrator)
    appeal.order.seller.language = "ru"
    appeal.order.seller.save()
    t = trail()

    lifecycle.appeal_request_evidence(
        appeal_id=appeal.pk,
        actor=arbitrator,
        party=Party.SELLER,
        text="Upload your bank statement for 3 March.",
    )

    due = NOON + timedelta(hours=settings.SLA_EVIDENCE_HOURS)
    appeal.refresh_from_db()
    assert appeal.status == S.AWAITING_EVIDENCE
    assert (appeal.evidence_due_at, appeal.evidence_requested_from) == (due, Party.SELLER)
    [message] = t.events("party.message")
    assert message.appeal_id == appeal.pk
    assert message.data["appeal"] == appeal.pk
    assert message.data["party"] == "seller"
    assert message.data["language"] == "ru"
    assert message.data["text"] == "Upload your bank statement for 3 March."
    assert parse_datetime(message.data["due_at"]) == due
    assert t.status_events == [(S.IN_REVIEW, S.AWAITING_EVIDENCE)]
    assert t.status_changes == [(S.IN_REVIEW, S.AWAITING_EVIDENCE)]
    assert t.audit[0].after["comment"] == "Upload your bank statement for 3 March."


def test_an_explicit_deadline_and_language_are_used(arbitrator, time_machine, trail):
    time_machine.move_to(NOON, tick=False)
    appeal = appeal_in(S.IN_REVIEW, worker=arbitrator)
    due = NOON + timedelta(hours=6)
    t = trail()
    lifecycle.appeal_request_evidence(
        appeal_id=appeal.pk,
        actor=arbitrator,
        party=Party.BUYER,
        text="Receipt please.",
        due_at=due,
        language="en",
    )
    appeal.refresh_from_db()
    assert appeal.evidence_due_at == due
    [message] = t.events("party.message")
    assert (message.data["language"], parse_datetime(message.data["due_at"])) == ("en", due)


def test_asking_again_moves_the_deadline_without_a_status_change(arbitrator, time_machine, trail):
    time_machine.move_to(NOON, tick=False)
    appeal = appeal_in(S.AWAITING_EVIDENCE, worker=arbitrator)
    later = NOON + timedelta(hours=30)
    t = trail()
    lifecycle.appeal_request_evidence(
        appeal_id=appeal.pk,
        actor=arbitrator,
        party=Party.SELLER,
        text="Still waiting for the statement.",
        due_at=later,
    )
    appeal.refresh_from_db()
    assert appeal.evidence_due_at == later
    assert t.status_changes == []
    assert len(t.events("party.message")) == 1


@pytest.mark.parametrize(
    "bad",
    [
        {"party": "arbitrator"},
        {"text": "   "},
        {"due_at": NOON - timedelta(minutes=1)},
        {"due_at": NOON},
    ],
    ids=["party", "empty text", "past deadline", "deadline now"],
)
def test_a_bad_evidence_request_is_refused(bad, arbitrator, time_machine, nothing_written):
    time_machine.move_to(NOON, tick=False)
    appeal = appeal_in(S.IN_REVIEW, worker=arbitrator)
    fields = {"party": "seller", "text": "Statement please.", **bad}
    with nothing_written(), pytest.raises(InvalidInput):
        lifecycle.appeal_request_evidence(appeal_id=appeal.pk, actor=arbitrator, **fields)


def test_evidence_from_the_party_asked_puts_the_case_back_in_review(
    arbitrator, service_account, trail
):
    appeal = appeal_in(S.AWAITING_EVIDENCE, worker=arbitrator)
    t = trail()

    evidence_add(
        appeal_id=appeal.pk,
        upload=upload(png_bytes()),
        party=Party.SELLER,
        kind="bank_statement",
        actor=service_account,
    )

    appeal.refresh_from_db()
    assert appeal.status == S.IN_REVIEW
    assert appeal.assignee == arbitrator
    assert (appeal.evidence_due_at, appeal.evidence_requested_from) == (None, "")
    assert t.status_changes == [(S.AWAITING_EVIDENCE, S.IN_REVIEW)]
    assert t.audit_actions == ["evidence.added", "appeal.evidence_received"]
    assert t.status_events == [(S.AWAITING_EVIDENCE, S.IN_REVIEW)]


@pytest.mark.parametrize("how", ["senior asks without claiming", "lead unassigns the wait"])
def test_a_case_back_from_an_evidence_request_is_never_left_without_an_owner(
    how, arbitrator, senior, lead, service_account
):
    """A case in review with nobody assigned is in no queue: the open queue lists open
    cases, the senior queue escalated ones. It would silently miss its deadline."""
    if how == "senior asks without claiming":
        appeal = appeal_in(S.ESCALATED)
        lifecycle.appeal_request_evidence(
            appeal_id=appeal.pk, actor=senior, party=Party.SELLER, text="Statement please."
        )
    else:
        appeal = appeal_in(S.AWAITING_EVIDENCE, worker=arbitrator)
        lifecycle.appeal_assign(appeal_id=appeal.pk, assignee=None, actor=lead)

    evidence_add(
        appeal_id=appeal.pk,
        upload=upload(png_bytes()),
        party=Party.SELLER,
        kind="bank_statement",
        actor=service_account,
    )

    appeal.refresh_from_db()
    assert appeal.assignee is not None or appeal.status in (S.OPEN, S.ESCALATED), (
        f"{appeal.status} with no assignee"
    )


def test_evidence_from_the_other_party_keeps_waiting(arbitrator, service_account, trail):
    appeal = appeal_in(S.AWAITING_EVIDENCE, worker=arbitrator)
    t = trail()
    evidence_add(
        appeal_id=appeal.pk,
        upload=upload(png_bytes()),
        party=Party.BUYER,
        kind="payment_voucher",
        actor=service_account,
    )
    appeal.refresh_from_db()
    assert appeal.status == S.AWAITING_EVIDENCE
    assert t.status_changes == []


# --- escalation ---------------------------------------------------------------------------


def test_escalating_sends_the_case_to_the_senior_queue(arbitrator, time_machine, trail):
    time_machine.move_to(NOON, tick=False)
    appeal = appeal_in(S.IN_REVIEW, worker=arbitrator)
    t = trail()

    lifecycle.appeal_escalate(appeal_id=appeal.pk, actor=arbitrator, reason="Voucher looks edited.")

    appeal.refresh_from_db()
    assert appeal.status == S.ESCALATED
    assert appeal.assignee is None
    assert appeal.escalated_at == NOON
    assert appeal.escalation_reason == "Voucher looks edited."
    assert t.status_changes == [(S.IN_REVIEW, S.ESCALATED)]
    assert t.audit[0].after["comment"] == "Voucher looks edited."


def test_escalating_needs_a_reason(arbitrator, nothing_written):
    appeal = appeal_in(S.IN_REVIEW, worker=arbitrator)
    with nothing_written(), pytest.raises(InvalidInput):
        lifecycle.appeal_escalate(appeal_id=appeal.pk, actor=arbitrator, reason=" ")


def test_only_seniors_claim_an_escalated_appeal(arbitrator, senior, nothing_written):
    appeal = appeal_in(S.ESCALATED)
    with nothing_written(), pytest.raises(NotAllowed):
        lifecycle.appeal_claim(appeal_id=appeal.pk, actor=arbitrator)

    lifecycle.appeal_claim(appeal_id=appeal.pk, actor=senior)

    appeal.refresh_from_db()
    assert (appeal.status, appeal.assignee) == (S.IN_REVIEW, senior)


def test_only_seniors_decide_an_escalated_appeal(arbitrator, senior, nothing_written):
    appeal = appeal_in(S.ESCALATED, worker=arbitrator)
    with nothing_written(), pytest.raises(NotAllowed):
        propose(appeal, arbitrator)

    verdict = propose(appeal, senior)

    assert verdict.state == Verdict.State.EFFECTIVE
    assert verdict.decided_by == senior


# --- notes --------------------------------------------------------------------------------


def test_a_note_is_stored_and_audited_without_touching_the_status(arbitrator, trail):
    appeal = appeal_in(S.IN_REVIEW, worker=arbitrator)
    t = trail()

    note = lifecycle.note_add(
        appeal_id=appeal.pk, actor=arbitrator, text="Buyer's KYC name matches."
    )

    assert Note.objects.get() == note
    assert (note.author, note.text) == (arbitrator, "Buyer's KYC name matches.")
    assert t.audit_actions == ["note.added"]
    assert t.audit[0].object_id == str(note.pk)
    assert t.status_changes == [] and t.events() == []


def test_an_empty_note_is_refused(arbitrator, nothing_written):
    appeal = appeal_in(S.IN_REVIEW, worker=arbitrator)
    with nothing_written(), pytest.raises(InvalidInput):
        lifecycle.note_add(appeal_id=appeal.pk, actor=arbitrator, text="\n")


# --- first response -----------------------------------------------------------------------


def test_first_response_is_the_first_staff_action(arbitrator, service_account, time_machine):
    time_machine.move_to(NOON, tick=False)
    appeal = open_appeal()
    assert appeal.first_response_at is None

    time_machine.shift(timedelta(minutes=12))
    lifecycle.appeal_claim(appeal_id=appeal.pk, actor=arbitrator)
    time_machine.shift(timedelta(minutes=30))
    lifecycle.appeal_request_evidence(
        appeal_id=appeal.pk, actor=arbitrator, party="seller", text="Proof."
    )
    evidence_add(
        appeal_id=appeal.pk,
        upload=upload(png_bytes()),
        party="seller",
        kind="bank_statement",
        actor=service_account,
    )

    appeal.refresh_from_db()
    assert appeal.first_response_at == NOON + timedelta(minutes=12)


def test_a_service_account_never_counts_as_a_first_response(service_account):
    appeal = open_appeal(actor=service_account)
    lifecycle.appeal_cancel(appeal_id=appeal.pk, actor=service_account)
    appeal.refresh_from_db()
    assert appeal.first_response_at is None


def test_escalating_an_open_appeal_is_a_first_response(arbitrator, time_machine):
    time_machine.move_to(NOON, tick=False)
    appeal = open_appeal()
    lifecycle.appeal_escalate(appeal_id=appeal.pk, actor=arbitrator, reason="Above my pay grade.")
    appeal.refresh_from_db()
    assert appeal.first_response_at == NOON


# --- verdicts -----------------------------------------------------------------------------


def test_a_verdict_below_the_threshold_takes_effect_at_once(arbitrator, time_machine, trail):
    time_machine.move_to(NOON, tick=False)
    appeal = appeal_in(S.IN_REVIEW, worker=arbitrator)
    t = trail()

    verdict = propose(
        appeal,
        arbitrator,
        outcome="return_to_seller",
        responsible_party="buyer",
        rule_code="P2P-2.1",
    )

    appeal.refresh_from_db()
    assert verdict.state == Verdict.State.EFFECTIVE
    assert not verdict.requires_approval
    assert (verdict.decided_by, verdict.approved_by, verdict.effective_at) == (
        arbitrator,
        None,
        NOON,
    )
    assert (appeal.status, appeal.resolved_at) == (S.RESOLVED, NOON)
    [issued] = t.events("verdict.issued")
    order = appeal.order
    assert issued.appeal_id == appeal.pk
    assert issued.data == {
        **issued.data,
        "appeal": appeal.pk,
        "order": order.external_id,
        "outcome": "return_to_seller",
        "responsible_party": "buyer",
        "crypto_amount": str(order.crypto_amount),
        "asset": "USDT",
    }
    assert t.status_changes == [(S.IN_REVIEW, S.RESOLVED)]
    # Each party is told the outcome (a desk message: party.message event, audit entry).
    assert t.audit_actions == [
        "verdict.proposed",
        "appeal.resolved",
        "party.message_sent",
        "party.message_sent",
    ]


def test_a_verdict_at_exactly_the_threshold_needs_no_second_reviewer(arbitrator):
    appeal = appeal_in(
        S.IN_REVIEW, worker=arbitrator, order=OrderFactory(crypto_amount=Decimal("10000"))
    )
    assert propose(appeal, arbitrator).state == Verdict.State.EFFECTIVE


def test_a_verdict_above_the_threshold_waits_for_approval(arbitrator, trail):
    appeal = appeal_in(S.IN_REVIEW, worker=arbitrator, order=OrderFactory(large=True))
    t = trail()

    verdict = propose(appeal, arbitrator, account_action=lifecycle.ProposedAction("warning"))

    appeal.refresh_from_db()
    assert verdict.state == Verdict.State.PENDING
    assert verdict.requires_approval
    assert verdict.effective_at is None
    assert (appeal.status, appeal.resolved_at, appeal.assignee) == (
        S.PENDING_APPROVAL,
        None,
        arbitrator,
    )
    assert t.events("verdict.issued") == []
    assert t.events("account.action_taken") == []
    assert AccountAction.objects.count() == 0
    assert t.status_changes == [(S.IN_REVIEW, S.PENDING_APPROVAL)]


@pytest.mark.parametrize(
    ("asset", "amount", "thresholds", "needs_approval"),
    [
        ("BTC", "0.05", None, False),
        ("BTC", "0.2", None, True),
        ("DOGE", "1", None, True),  # no entry: "*:0"
        ("DOGE", "1", {"USDT": Decimal("10000"), "*": Decimal("100")}, False),
        ("DOGE", "1", {"USDT": Decimal("10000")}, True),  # no "*": always four-eyes
        ("usdt", "500", None, False),
    ],
)
def test_the_four_eyes_threshold_is_per_asset(
    asset, amount, thresholds, needs_approval, arbitrator, settings
):
    if thresholds is not None:
        settings.FOUR_EYES_THRESHOLDS = thresholds
    order = OrderFactory(asset=asset, crypto_amount=Decimal(amount))
    appeal = appeal_in(S.IN_REVIEW, worker=arbitrator, order=order)
    verdict = propose(appeal, arbitrator)
    assert verdict.requires_approval is needs_approval


@pytest.mark.parametrize(
    "bad",
    [
        {"outcome": "split_the_difference"},
        {"responsible_party": "exchange"},
        {"rationale": "  "},
        {"rule_code": "NO-SUCH-RULE"},
        {"account_action": lifecycle.ProposedAction("ban")},
        {"account_action": lifecycle.ProposedAction("p2p_restriction")},
        {"account_action": lifecycle.ProposedAction("p2p_restriction", days=0)},
        {"account_action": lifecycle.ProposedAction("warning"), "responsible_party": "none"},
    ],
    ids=[
        "outcome",
        "party",
        "rationale",
        "rule",
        "action kind",
        "restriction no days",
        "restriction zero days",
        "action on nobody",
    ],
)
def test_a_bad_verdict_is_refused(bad, arbitrator, nothing_written):
    appeal = appeal_in(S.IN_REVIEW, worker=arbitrator)
    with nothing_written(), pytest.raises(InvalidInput):
        propose(appeal, arbitrator, **bad)


def test_an_inactive_rule_cannot_be_cited(arbitrator, nothing_written):
    Rule.objects.filter(code="P2P-1.1").update(active=False)
    appeal = appeal_in(S.IN_REVIEW, worker=arbitrator)
    with nothing_written(), pytest.raises(InvalidInput):
        propose(appeal, arbitrator, rule_code="P2P-1.1")


def test_a_verdict_the_cited_rule_contradicts_is_refused(arbitrator, nothing_written):
    # The rule's text is sent to both parties as the reason: "the crypto returns to the
    # seller" (P2P-2.1) cannot explain a release.
    appeal = appeal_in(S.IN_REVIEW, worker=arbitrator)
    with nothing_written(), pytest.raises(InvalidInput) as refused:
        propose(appeal, arbitrator, outcome="release_to_buyer", rule_code="P2P-2.1")
    assert refused.value.field == "outcome"
    with nothing_written(), pytest.raises(InvalidInput) as refused:
        propose(
            appeal, arbitrator, outcome="no_action", responsible_party="seller", rule_code="P2P-5.1"
        )
    assert refused.value.field == "responsible_party"


# --- an order the exchange reports settled (released or cancelled) -----------------------


def settled(appeal: Appeal, status: str) -> Appeal:
    type(appeal.order).objects.filter(pk=appeal.order_id).update(status=status)
    return Appeal.objects.select_related("order").get(pk=appeal.pk)


@pytest.mark.parametrize(
    ("status", "outcome"),
    [("released", "release_to_buyer"), ("cancelled", "return_to_seller")],
)
def test_the_escrow_of_a_settled_order_never_moves_the_same_way_twice(
    arbitrator, nothing_written, status, outcome
):
    appeal = settled(appeal_in(S.IN_REVIEW, worker=arbitrator), status)
    with nothing_written(), pytest.raises(InvalidInput) as refused:
        propose(appeal, arbitrator, outcome=outcome)
    assert refused.value.field == "outcome"
    assert appeal.order.external_id in refused.value.message


@pytest.mark.parametrize(
    ("status", "outcome"),
    [("released", "return_to_seller"), ("cancelled", "release_to_buyer")],
)
def test_moving_a_settled_orders_funds_the_other_way_waits_for_four_eyes(
    arbitrator, status, outcome
):
    appeal = settled(appeal_in(S.IN_REVIEW, worker=arbitrator), status)
    rule = "P2P-5.1" if outcome == "return_to_seller" else "P2P-1.1"
    party = "buyer" if outcome == "return_to_seller" else "seller"

    verdict = propose(appeal, arbitrator, outcome=outcome, rule_code=rule, responsible_party=party)

    assert verdict.state == Verdict.State.PENDING
    assert not OutboxEvent.objects.filter(appeal=appeal, type="verdict.issued").exists()


def test_closing_a_settled_order_with_no_fund_movement_needs_no_second_pair_of_eyes(arbitrator):
    appeal = settled(appeal_in(S.IN_REVIEW, worker=arbitrator), "released")
    verdict = propose(appeal, arbitrator, outcome="no_action")
    assert verdict.state == Verdict.State.EFFECTIVE


def test_an_order_settled_while_its_verdict_waited_is_not_moved_again(
    arbitrator, senior, nothing_written
):
    appeal = appeal_in(S.IN_REVIEW, worker=arbitrator, order=OrderFactory(large=True))
    verdict = propose(appeal, arbitrator)  # release, above four-eyes: pending
    settled(appeal, "released")  # the seller released on the exchange meanwhile

    with nothing_written(), pytest.raises(Conflict):
        lifecycle.verdict_approve(verdict_id=verdict.pk, actor=senior)
    assert Verdict.objects.get(pk=verdict.pk).state == Verdict.State.PENDING


def test_only_the_assignee_decides_a_case_in_review(arbitrator, arbitrator2, nothing_written):
    appeal = appeal_in(S.IN_REVIEW, worker=arbitrator)
    with nothing_written(), pytest.raises(NotAllowed):
        propose(appeal, arbitrator2)


def test_deciding_while_waiting_for_evidence_closes_the_request(arbitrator):
    appeal = appeal_in(S.AWAITING_EVIDENCE, worker=arbitrator)
    propose(appeal, arbitrator, rule_code="P2P-1.2", rationale="Seller never answered.")
    appeal.refresh_from_db()
    assert (appeal.status, appeal.evidence_due_at) == (S.RESOLVED, None)


def test_deciding_an_unclaimed_appeal_claims_it_in_the_same_transaction(arbitrator, trail):
    appeal = open_appeal()
    t = trail()

    verdict = propose(appeal, arbitrator)

    appeal.refresh_from_db()
    assert (appeal.status, appeal.assignee) == (S.RESOLVED, arbitrator)
    assert verdict.decided_by == arbitrator
    assert t.status_changes == [(S.OPEN, S.IN_REVIEW), (S.IN_REVIEW, S.RESOLVED)]
    assert t.audit_actions == [
        "appeal.claimed",
        "verdict.proposed",
        "appeal.resolved",
        *["party.message_sent"] * 2,  # each party told the outcome
    ]


def test_a_second_verdict_is_refused(arbitrator, senior, nothing_written):
    appeal = appeal_in(S.IN_REVIEW, worker=arbitrator)
    propose(appeal, arbitrator)
    with nothing_written(), pytest.raises(Conflict):
        propose(appeal, senior)


# --- four-eyes ----------------------------------------------------------------------------


def test_another_senior_approves_a_large_verdict(arbitrator, senior, time_machine, trail):
    time_machine.move_to(NOON, tick=False)
    appeal = appeal_in(S.PENDING_APPROVAL, worker=arbitrator)
    verdict = current_verdict(appeal)
    time_machine.shift(timedelta(minutes=20))
    t = trail()

    lifecycle.verdict_approve(verdict_id=verdict.pk, actor=senior)

    verdict.refresh_from_db()
    appeal.refresh_from_db()
    approved_at = NOON + timedelta(minutes=20)
    assert (verdict.state, verdict.approved_by) == (Verdict.State.EFFECTIVE, senior)
    assert verdict.effective_at == verdict.reviewed_at == approved_at
    assert (appeal.status, appeal.resolved_at) == (S.RESOLVED, approved_at)
    assert len(t.events("verdict.issued")) == 1
    assert t.status_changes == [(S.PENDING_APPROVAL, S.RESOLVED)]
    assert t.audit_actions == [
        "verdict.approved",
        "appeal.resolved",
        *["party.message_sent"] * 2,  # each party told the outcome
    ]


def test_a_team_lead_may_approve(arbitrator, lead):
    appeal = appeal_in(S.PENDING_APPROVAL, worker=arbitrator)
    verdict = lifecycle.verdict_approve(verdict_id=current_verdict(appeal).pk, actor=lead)
    assert verdict.approved_by == lead


def test_a_senior_cannot_approve_their_own_verdict(senior, senior2, nothing_written):
    appeal = appeal_in(S.PENDING_APPROVAL, worker=senior)
    verdict = current_verdict(appeal)
    assert verdict.decided_by == senior

    with nothing_written(), pytest.raises(NotAllowed):
        lifecycle.verdict_approve(verdict_id=verdict.pk, actor=senior)
    with nothing_written(), pytest.raises(NotAllowed):
        lifecycle.verdict_send_back(verdict_id=verdict.pk, actor=senior, comment="Hmm.")

    lifecycle.verdict_approve(verdict_id=verdict.pk, actor=senior2)


def test_evidence_added_after_the_proposal_blocks_approval(
    arbitrator, senior, service_account, time_machine, nothing_written
):
    time_machine.move_to(NOON, tick=False)
    appeal = appeal_in(S.PENDING_APPROVAL, worker=arbitrator)
    verdict = current_verdict(appeal)
    time_machine.shift(timedelta(minutes=5))
    evidence_add(
        appeal_id=appeal.pk,
        upload=upload(png_bytes()),
        party="seller",
        kind="bank_statement",
        actor=service_account,
    )

    with nothing_written(), pytest.raises(Conflict):
        lifecycle.verdict_approve(verdict_id=verdict.pk, actor=senior)

    # The way forward: send it back, the arbitrator renews the proposal, then approve.
    lifecycle.verdict_send_back(
        verdict_id=verdict.pk, actor=senior, comment="New statement arrived."
    )
    time_machine.shift(timedelta(minutes=5))
    renewed = propose(appeal, arbitrator, rationale="Checked the new statement too.")
    lifecycle.verdict_approve(verdict_id=renewed.pk, actor=senior)
    renewed.refresh_from_db()
    assert renewed.state == Verdict.State.EFFECTIVE


def test_sending_back_returns_the_case_to_its_arbitrator(arbitrator, senior, trail):
    appeal = appeal_in(S.PENDING_APPROVAL, worker=arbitrator)
    verdict = current_verdict(appeal)
    t = trail()

    lifecycle.verdict_send_back(
        verdict_id=verdict.pk, actor=senior, comment="Cite P2P-4.1 instead."
    )

    verdict.refresh_from_db()
    appeal.refresh_from_db()
    assert verdict.state == Verdict.State.SENT_BACK
    assert verdict.review_comment == "Cite P2P-4.1 instead."
    assert verdict.approved_by is None
    assert (appeal.status, appeal.assignee) == (S.IN_REVIEW, arbitrator)
    assert t.events("verdict.issued") == []
    assert t.status_changes == [(S.PENDING_APPROVAL, S.IN_REVIEW)]
    assert t.audit_actions == ["verdict.sent_back", "appeal.verdict_sent_back"]

    # The arbitrator renews the proposal; a second reviewer approves it.
    renewed = propose(
        appeal,
        arbitrator,
        rule_code="P2P-4.1",
        outcome="return_to_seller",
        responsible_party="buyer",
    )
    assert renewed.state == Verdict.State.PENDING
    lifecycle.verdict_approve(verdict_id=renewed.pk, actor=senior)
    assert list(appeal.verdicts.values_list("state", flat=True).order_by("id")) == [
        Verdict.State.SENT_BACK,
        Verdict.State.EFFECTIVE,
    ]
    assert len(OutboxEvent.objects.filter(appeal=appeal, type="verdict.issued")) == 1


def test_a_verdict_on_an_escalated_case_goes_back_to_the_senior_who_proposed_it(senior, lead):
    appeal = appeal_in(S.ESCALATED, order=OrderFactory(large=True))
    verdict = propose(appeal, senior)
    lifecycle.verdict_send_back(verdict_id=verdict.pk, actor=lead, comment="More detail.")
    appeal.refresh_from_db()
    assert (appeal.status, appeal.assignee) == (S.IN_REVIEW, senior)


def test_sending_back_needs_a_comment(arbitrator, senior, nothing_written):
    appeal = appeal_in(S.PENDING_APPROVAL, worker=arbitrator)
    with nothing_written(), pytest.raises(InvalidInput):
        lifecycle.verdict_send_back(
            verdict_id=current_verdict(appeal).pk, actor=senior, comment=" "
        )


# --- cancelling ---------------------------------------------------------------------------


def test_cancelling_withdraws_a_pending_verdict(arbitrator, senior, service_account, trail):
    appeal = appeal_in(S.PENDING_APPROVAL, worker=arbitrator)
    verdict = current_verdict(appeal)
    t = trail()

    lifecycle.appeal_cancel(appeal_id=appeal.pk, actor=service_account, reason="Settled privately.")

    appeal.refresh_from_db()
    verdict.refresh_from_db()
    assert appeal.status == S.CANCELLED
    assert appeal.resolved_at is not None
    assert verdict.state == Verdict.State.WITHDRAWN
    assert t.events("verdict.issued") == []
    [entry] = t.audit
    assert (entry.action, entry.after["pending_verdict_withdrawn"]) == ("appeal.cancelled", True)
    assert entry.after["comment"] == "Settled privately."
    with pytest.raises(Conflict):
        lifecycle.verdict_approve(verdict_id=verdict.pk, actor=senior)


@pytest.mark.parametrize("status", [S.RESOLVED, S.CANCELLED])
def test_a_closed_appeal_cannot_be_cancelled(status, service_account, nothing_written):
    appeal = appeal_in(status)
    with nothing_written(), pytest.raises(InvalidTransition):
        lifecycle.appeal_cancel(appeal_id=appeal.pk, actor=service_account)


# --- account actions ----------------------------------------------------------------------


def test_a_warning_goes_to_the_responsible_party(arbitrator, trail):
    appeal = appeal_in(S.IN_REVIEW, worker=arbitrator)
    t = trail()

    verdict = propose(
        appeal,
        arbitrator,
        responsible_party="seller",
        account_action=lifecycle.ProposedAction("warning"),
    )

    seller = Trader.objects.get(pk=appeal.order.seller_id)
    [action] = AccountAction.objects.all()
    assert (action.trader, action.kind, action.verdict, action.taken_by) == (
        seller,
        "warning",
        verdict,
        arbitrator,
    )
    assert not seller.is_restricted()
    [event] = t.events("account.action_taken")
    assert (event.data["trader"], event.data["action"]) == (seller.external_id, "warning")
    assert "account.action_taken" in t.audit_actions


def test_a_restriction_runs_for_its_days(arbitrator, time_machine):
    time_machine.move_to(NOON, tick=False)
    appeal = appeal_in(S.IN_REVIEW, worker=arbitrator)

    propose(
        appeal,
        arbitrator,
        responsible_party="buyer",
        account_action=lifecycle.ProposedAction("p2p_restriction", days=7),
    )

    buyer = Trader.objects.get(pk=appeal.order.buyer_id)
    seller = Trader.objects.get(pk=appeal.order.seller_id)
    assert buyer.p2p_restricted_until == NOON + timedelta(days=7)
    assert buyer.is_restricted() and not seller.is_restricted()
    assert not buyer.is_restricted(at=NOON + timedelta(days=7, seconds=1))


def test_freezing_both_parties(arbitrator):
    appeal = appeal_in(S.IN_REVIEW, worker=arbitrator)
    propose(
        appeal,
        arbitrator,
        responsible_party="both",
        account_action=lifecycle.ProposedAction("freeze"),
    )
    buyer, seller = (
        Trader.objects.get(pk=pk) for pk in (appeal.order.buyer_id, appeal.order.seller_id)
    )
    assert buyer.frozen and seller.frozen
    assert AccountAction.objects.filter(kind="freeze").count() == 2


def test_an_action_waits_for_approval_and_is_applied_on_effect(arbitrator, senior):
    appeal = appeal_in(S.IN_REVIEW, worker=arbitrator, order=OrderFactory(large=True))
    verdict = propose(
        appeal,
        arbitrator,
        responsible_party="seller",
        account_action=lifecycle.ProposedAction("freeze"),
    )
    seller = appeal.order.seller
    seller.refresh_from_db()
    assert not seller.frozen

    lifecycle.verdict_approve(verdict_id=verdict.pk, actor=senior)

    seller.refresh_from_db()
    assert seller.frozen
    assert AccountAction.objects.get().verdict == verdict


def test_a_sent_back_verdict_applies_no_action(arbitrator, senior):
    appeal = appeal_in(S.IN_REVIEW, worker=arbitrator, order=OrderFactory(large=True))
    verdict = propose(
        appeal,
        arbitrator,
        responsible_party="seller",
        account_action=lifecycle.ProposedAction("freeze"),
    )
    lifecycle.verdict_send_back(verdict_id=verdict.pk, actor=senior, comment="Too harsh.")
    assert AccountAction.objects.count() == 0
    assert not Trader.objects.get(pk=appeal.order.seller_id).frozen


def test_a_restriction_is_never_shortened(arbitrator, lead, time_machine):
    time_machine.move_to(NOON, tick=False)
    appeal = appeal_in(S.IN_REVIEW, worker=arbitrator)
    buyer = appeal.order.buyer
    lifecycle.account_action_take(
        trader=buyer, kind="p2p_restriction", days=30, actor=lead, reason="Earlier chargeback."
    )

    propose(
        appeal,
        arbitrator,
        responsible_party="buyer",
        account_action=lifecycle.ProposedAction("p2p_restriction", days=7),
    )

    buyer.refresh_from_db()
    assert buyer.p2p_restricted_until == NOON + timedelta(days=30)

    lifecycle.account_action_take(trader=buyer, kind="p2p_restriction", days=90, actor=lead)
    buyer.refresh_from_db()
    assert buyer.p2p_restricted_until == NOON + timedelta(days=90)


# --- who may do what ----------------------------------------------------------------------
#
# Each scenario arranges an appeal, then returns the call to make as the actor. "Someone
# else's case" is worked by an arbitrator who is none of the actors.

OK, DENIED = "ok", "NotAllowed"
ROLES = ["arbitrator", "senior", "lead", "risk_analyst", "auditor", "service_account"]


def _someone_elses_case(status: str = S.IN_REVIEW) -> Appeal:
    return appeal_in(status, worker=staff_user("arbitrator"))


def _pending_verdict() -> Verdict:
    return current_verdict(_someone_elses_case(S.PENDING_APPROVAL))


def claim_an_open_appeal():
    appeal = open_appeal()
    return lambda actor: lifecycle.appeal_claim(appeal_id=appeal.pk, actor=actor)


def claim_an_escalated_appeal():
    appeal = appeal_in(S.ESCALATED)
    return lambda actor: lifecycle.appeal_claim(appeal_id=appeal.pk, actor=actor)


def claim_the_next_appeal():
    open_appeal()
    return lambda actor: lifecycle.appeal_claim_next(actor=actor)


def add_a_note():
    appeal = _someone_elses_case()
    return lambda actor: lifecycle.note_add(appeal_id=appeal.pk, actor=actor, text="Seen.")


def escalate_an_open_appeal():
    appeal = open_appeal()
    return lambda actor: lifecycle.appeal_escalate(appeal_id=appeal.pk, actor=actor, reason="Odd.")


def escalate_someone_elses_case():
    appeal = _someone_elses_case()
    return lambda actor: lifecycle.appeal_escalate(appeal_id=appeal.pk, actor=actor, reason="Odd.")


def request_evidence_on_someone_elses_case():
    appeal = _someone_elses_case()
    return lambda actor: lifecycle.appeal_request_evidence(
        appeal_id=appeal.pk, actor=actor, party="buyer", text="Receipt?"
    )


def hand_back_someone_elses_case():
    appeal = _someone_elses_case()
    return lambda actor: lifecycle.appeal_unassign(appeal_id=appeal.pk, actor=actor)


def assign_an_appeal():
    appeal, worker = open_appeal(), staff_user("arbitrator")
    return lambda actor: lifecycle.appeal_assign(appeal_id=appeal.pk, assignee=worker, actor=actor)


def decide_an_open_appeal():
    appeal = open_appeal()
    return lambda actor: propose(appeal, actor)


def decide_someone_elses_case():
    appeal = _someone_elses_case()
    return lambda actor: propose(appeal, actor)


def decide_an_escalated_appeal():
    appeal = appeal_in(S.ESCALATED)
    return lambda actor: propose(appeal, actor)


def approve_a_verdict():
    verdict = _pending_verdict()
    return lambda actor: lifecycle.verdict_approve(verdict_id=verdict.pk, actor=actor)


def send_a_verdict_back():
    verdict = _pending_verdict()
    return lambda actor: lifecycle.verdict_send_back(
        verdict_id=verdict.pk, actor=actor, comment="No."
    )


def cancel_an_appeal():
    appeal = _someone_elses_case()
    return lambda actor: lifecycle.appeal_cancel(appeal_id=appeal.pk, actor=actor)


WORKERS = {"arbitrator": OK, "senior": OK, "lead": OK}
SENIORS = {"senior": OK, "lead": OK}
# Who may do what; every role not listed is refused with NotAllowed.
SCENARIOS: dict[Callable[[], Callable[[Any], Any]], dict[str, str]] = {
    claim_an_open_appeal: WORKERS,
    claim_an_escalated_appeal: SENIORS,
    claim_the_next_appeal: WORKERS,
    add_a_note: WORKERS,
    escalate_an_open_appeal: WORKERS,
    escalate_someone_elses_case: SENIORS,
    request_evidence_on_someone_elses_case: SENIORS,
    hand_back_someone_elses_case: SENIORS,
    assign_an_appeal: SENIORS,
    decide_an_open_appeal: WORKERS,
    decide_someone_elses_case: SENIORS,
    decide_an_escalated_appeal: SENIORS,
    approve_a_verdict: SENIORS,
    send_a_verdict_back: SENIORS,
    # The appellant withdraws through its service account; staff close a case they own,
    # seniors and leads anyone's (this one is a colleague's). Auditors and risk read.
    cancel_an_appeal: {**SENIORS, "service_account": OK},
}

MATRIX = [
    pytest.param(
        arrange,
        role,
        allowed.get(role, DENIED),
        id=f"{arrange.__name__}-{role}-{allowed.get(role, DENIED)}",
    )
    for arrange, allowed in SCENARIOS.items()
    for role in ROLES
]


@pytest.mark.parametrize(("arrange", "role", "expected"), MATRIX)
def test_permission_matrix(arrange, role, expected, request, nothing_written):
    actor = request.getfixturevalue(role)
    act = arrange()

    if expected == OK:
        act(actor)
    else:
        with nothing_written(), pytest.raises(NotAllowed):
            act(actor)


@pytest.mark.parametrize(
    "act",
    [
        lambda a: lifecycle.appeal_claim(appeal_id=a.pk, actor=None),
        lambda a: lifecycle.note_add(appeal_id=a.pk, actor=None, text="x"),
        lambda a: propose(a, None),
        lambda a: lifecycle.appeal_assign(appeal_id=a.pk, assignee=None, actor=None),
    ],
    ids=["claim", "note", "propose", "assign"],
)
def test_an_actor_nobody_is_refused(act, nothing_written):
    appeal = open_appeal()
    with nothing_written(), pytest.raises(NotAllowed):
        act(appeal)
