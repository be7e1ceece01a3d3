"""The appeal lifecycle: the only code that changes an appeal's status.

`ALLOWED` (transitions.py) is the single source of truth for transitions, and the guards
(guards.py) the single source of who may do what. Each action locks the appeal row
(locks.py), asks its guard, and writes the change, its status-change row, the audit entry
and the outbox event in one transaction. A refused action raises a DomainError and
writes nothing. Actions that change a case take `expected_updated_at` (the appeal's
updated_at as the caller last saw it) and refuse a stale request with StaleAppeal, under
their own lock.

The modules, by process: transitions, guards, locks, four_eyes, appeals (open, work,
escalate, cancel), messages (to the parties), verdicts, accounts (account actions),
reviews (second level). What is listed here is the public surface; import from
`cases.lifecycle`.
"""

from .accounts import account_action_take
from .appeals import (
    URGENT_REASONS,
    appeal_assign,
    appeal_assign_many,
    appeal_cancel,
    appeal_claim,
    appeal_claim_next,
    appeal_escalate,
    appeal_escalate_by_rule,
    appeal_evidence_missed,
    appeal_evidence_received,
    appeal_note_assignment,
    appeal_open,
    appeal_record_answer,
    appeal_request_evidence,
    appeal_unassign,
    evidence_due_default,
    note_add,
    queue_columns,
)
from .four_eyes import amount_needs_four_eyes, four_eyes_required, order_was_decided, threshold_for
from .guards import (
    Permit,
    can_approve,
    can_approve_reversal,
    can_assign,
    can_assign_review,
    can_cancel,
    can_claim,
    can_contest,
    can_decide,
    can_decide_review,
    can_escalate,
    can_message,
    can_note,
    can_record_answer,
    can_request_evidence,
    can_send_back,
    can_send_back_reversal,
    can_unassign,
    can_upload,
    evidence_after,
    require,
    require_service,
    require_writer,
    review_eligible_reviewers,
    review_window_closes,
)
from .locks import StaleAppeal, is_current, lock_appeal, lock_review, lock_verdict
from .messages import desk_message_send, party_message_send
from .reviews import (
    review_assign,
    review_decide,
    review_request,
    review_reversal_approve,
    review_reversal_send_back,
)
from .transitions import ALLOWED, WORKING
from .verdicts import (
    ProposedAction,
    outcome_refusal,
    verdict_approve,
    verdict_propose,
    verdict_send_back,
)

__all__ = [
    "ALLOWED",
    "URGENT_REASONS",
    "WORKING",
    "Permit",
    "ProposedAction",
    "StaleAppeal",
    "account_action_take",
    "amount_needs_four_eyes",
    "appeal_assign",
    "appeal_assign_many",
    "appeal_cancel",
    "appeal_claim",
    "appeal_claim_next",
    "appeal_escalate",
    "appeal_escalate_by_rule",
    "appeal_evidence_missed",
    "appeal_evidence_received",
    "appeal_note_assignment",
    "appeal_open",
    "appeal_record_answer",
    "appeal_request_evidence",
    "appeal_unassign",
    "can_approve",
    "can_approve_reversal",
    "can_assign",
    "can_assign_review",
    "can_cancel",
    "can_claim",
    "can_contest",
    "can_decide",
    "can_decide_review",
    "can_escalate",
    "can_message",
    "can_note",
    "can_record_answer",
    "can_request_evidence",
    "can_send_back",
    "can_send_back_reversal",
    "can_unassign",
    "can_upload",
    "desk_message_send",
    "evidence_after",
    "evidence_due_default",
    "four_eyes_required",
    "is_current",
    "lock_appeal",
    "lock_review",
    "lock_verdict",
    "note_add",
    "order_was_decided",
    "outcome_refusal",
    "party_message_send",
    "queue_columns",
    "require",
    "require_service",
    "require_writer",
    "review_assign",
    "review_decide",
    "review_eligible_reviewers",
    "review_reversal_approve",
    "review_reversal_send_back",
    "review_request",
    "review_window_closes",
    "threshold_for",
    "verdict_approve",
    "verdict_propose",
    "verdict_send_back",
]
