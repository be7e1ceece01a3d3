"""Verdict actions: propose (or issue), approve, send back; taking effect moves the funds."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from arbitration.exceptions import Conflict, InvalidInput
from cases import roles
from cases.audit import audit_record
from cases.explanations import verdict_explain
from cases.models import (
    AccountAction,
    Appeal,
    DeskMessage,
    Notification,
    Order,
    Rule,
    Verdict,
)
from cases.notifications import notify
from cases.outbox import event_emit

from . import guards
from .accounts import account_action_refusal, account_action_take
from .four_eyes import four_eyes_required
from .locks import lock_appeal, lock_verdict
from .messages import desk_tell_both
from .transitions import Actor, transition

S = Appeal.Status

# What the order becomes when a verdict takes effect (the contract's order statuses): the
# crypto released to the buyer completes it, back to the seller cancels it; no fund
# movement leaves it as the exchange last said.
ORDER_STATUS_AFTER = {
    Verdict.Outcome.RELEASE_TO_BUYER: Order.Status.RELEASED,
    Verdict.Outcome.RETURN_TO_SELLER: Order.Status.CANCELLED,
}


@dataclass(frozen=True)
class ProposedAction:
    kind: str
    days: int | None = None

    def as_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "days": self.days} if self.kind else {}


def _validate_action(action: ProposedAction | None, responsible_party: str) -> dict[str, Any]:
    if action is None or not action.kind:
        return {}
    if responsible_party == Verdict.ResponsibleParty.NONE:
        raise InvalidInput(
            _("An account action needs a responsible party."), field="account_action"
        )
    refusal = account_action_refusal(action.kind, action.days, field="account_action")
    if refusal is not None:
        raise refusal
    return action.as_dict()


def verdict_propose(
    *,
    appeal_id: int,
    actor: Actor,
    outcome: str,
    responsible_party: str,
    rule_code: str,
    rationale: str,
    account_action: ProposedAction | None = None,
    expected_updated_at: datetime | None = None,
) -> Verdict:
    """Decide an appeal. Above the four-eyes threshold the verdict waits for approval
    (appeal -> pending_approval); otherwise it takes effect at once (-> resolved)."""
    actor = guards.require(actor, roles.WORK, _("issue verdicts"))
    if outcome not in Verdict.Outcome.values:
        raise InvalidInput(
            _("Unknown outcome %(outcome)s.") % {"outcome": repr(outcome)}, field="outcome"
        )
    if responsible_party not in Verdict.ResponsibleParty.values:
        raise InvalidInput(
            _("Unknown responsible party %(party)s.") % {"party": repr(responsible_party)},
            field="responsible_party",
        )
    if not rationale.strip():
        raise InvalidInput(_("A verdict needs a rationale."), field="rationale")
    proposed_action = _validate_action(account_action, responsible_party)
    with transaction.atomic():
        appeal = lock_appeal(appeal_id, expected_updated_at=expected_updated_at)
        rule = _cite_rule(rule_code)
        conflict = rule.verdict_conflict(outcome, responsible_party)
        if conflict is not None:
            field, message = conflict
            raise InvalidInput(message, field=field)
        guards.can_decide(actor, appeal).check()
        _lock_order_status(appeal)
        refusal = outcome_refusal(appeal, outcome)
        if refusal is not None:
            raise refusal
        if guards.decide_claims(actor, appeal):
            # Deciding an unclaimed case takes it, in the same transaction.
            transition(
                appeal,
                S.IN_REVIEW,
                actor=actor,
                action="appeal.claimed",
                fields={"assignee": actor},
            )
        needs_approval = four_eyes_required(appeal, outcome)
        now = timezone.now()
        try:
            # The partial unique index guarantees one live verdict even if two requests
            # got here for different rows of a stale read.
            with transaction.atomic():
                verdict = Verdict.objects.create(
                    appeal=appeal,
                    outcome=outcome,
                    responsible_party=responsible_party,
                    rule=rule,
                    **rule.citation(),
                    rationale=rationale,
                    state=Verdict.State.PENDING if needs_approval else Verdict.State.EFFECTIVE,
                    requires_approval=needs_approval,
                    decided_by=actor,
                    proposed_action=proposed_action,
                    created_at=now,
                    effective_at=None if needs_approval else now,
                )
        except IntegrityError:
            raise Conflict(_("This appeal already has a verdict.")) from None
        audit_record(
            actor=actor,
            action="verdict.proposed",
            obj=verdict,
            appeal=appeal,
            after=_verdict_snapshot(verdict),
        )
        if needs_approval:
            transition(
                appeal,
                S.PENDING_APPROVAL,
                actor=actor,
                action="appeal.verdict_proposed",
                # A decision ends the wait for evidence; no deadline runs while it's reviewed.
                fields={"evidence_due_at": None, "evidence_requested_from": ""},
                audit_extra={"verdict": verdict.pk},
            )
            notify(
                roles.users_with(roles.APPROVE).values_list("pk", flat=True),
                Notification.Kind.APPROVAL_WAITING,
                appeal=appeal,
                data={"verdict": verdict.pk, "by": actor.get_username()},
                exclude=actor,
                key=f"approval:{verdict.pk}",
            )
        else:
            _take_effect(appeal, verdict, actor=actor)
    return verdict


def _cite_rule(rule_code: str) -> Rule:
    """The active rule with this code, for a verdict in this transaction. On PostgreSQL
    the row is held FOR KEY SHARE until the verdict commits: a rename of the rule
    (services.rule_save locks it FOR UPDATE) waits, then sees the verdict citing it and is
    refused; a rename that came first leaves no rule with this code to cite. (SQLite runs
    one writer at a time.)"""
    if connection.vendor == "postgresql":
        found = list(
            Rule.objects.raw(
                "SELECT * FROM cases_rule WHERE code = %s AND active FOR KEY SHARE",
                [rule_code],
            )
        )
        rule = found[0] if found else None
    else:
        rule = Rule.objects.filter(code=rule_code, active=True).first()
    if rule is None:
        raise InvalidInput(
            _("No active rule with code %(code)s.") % {"code": repr(rule_code)}, field="rule"
        )
    return rule


def outcome_refusal(appeal: Appeal, outcome: str) -> InvalidInput | None:
    """Why this outcome cannot be decided on the order as the exchange reports it now, or
    None: the escrow of an order already released cannot be released again, nor that of
    a cancelled order returned again (the funds would move twice). The other movement on
    a settled order stays possible, with four-eyes (four_eyes_required)."""
    status = appeal.order.status
    if status == Order.Status.RELEASED and outcome == Verdict.Outcome.RELEASE_TO_BUYER:
        said = _(
            "The exchange reports order %(order)s as released: the crypto is with the "
            "buyer already and cannot be released again. Close with no fund movement, or "
            "return it to the seller (a second pair of eyes approves that)."
        )
    elif status == Order.Status.CANCELLED and outcome == Verdict.Outcome.RETURN_TO_SELLER:
        said = _(
            "The exchange reports order %(order)s as cancelled: the crypto is back with "
            "the seller already and cannot be returned again. Close with no fund movement, "
            "or release it to the buyer (a second pair of eyes approves that)."
        )
    else:
        return None
    return InvalidInput(said % {"order": appeal.order.external_id}, field="outcome")


def _lock_order_status(appeal: Appeal) -> None:
    """Read the order's status under a row lock: an update from the exchange (services.
    order_upsert) waits for the verdict's transaction, or came first and is seen."""
    appeal.order.status = (
        Order.objects.select_for_update().values_list("status", flat=True).get(pk=appeal.order_id)
    )


def verdict_approve(
    *, verdict_id: int, actor: Actor, expected_updated_at: datetime | None = None
) -> Verdict:
    """The second pair of eyes: a different senior or lead makes the verdict effective."""
    actor = guards.require(actor, roles.APPROVE, _("approve verdicts"))
    with transaction.atomic():
        verdict, appeal = lock_verdict(verdict_id, expected_updated_at=expected_updated_at)
        guards.can_approve(actor, verdict).check()
        # The exchange may have settled the order while the verdict waited.
        _lock_order_status(appeal)
        refusal = outcome_refusal(appeal, verdict.outcome)
        if refusal is not None:
            raise Conflict(refusal.message + " " + _("Send the verdict back to be decided again."))
        now = timezone.now()
        verdict.state = Verdict.State.EFFECTIVE
        verdict.approved_by = actor
        verdict.effective_at = verdict.reviewed_at = now
        verdict.save(update_fields=["state", "approved_by", "effective_at", "reviewed_at"])
        audit_record(
            actor=actor,
            action="verdict.approved",
            obj=verdict,
            appeal=appeal,
            before={"state": Verdict.State.PENDING},
            after=_verdict_snapshot(verdict),
        )
        _take_effect(appeal, verdict, actor=actor)
    return verdict


def verdict_send_back(
    *,
    verdict_id: int,
    actor: Actor,
    comment: str,
    expected_updated_at: datetime | None = None,
) -> Verdict:
    """Refuse a proposed verdict with a comment; the case returns to its arbitrator."""
    actor = guards.require(actor, roles.APPROVE, _("review verdicts"))
    if not comment.strip():
        raise InvalidInput(_("Say why the verdict is sent back."), field="comment")
    with transaction.atomic():
        verdict, appeal = lock_verdict(verdict_id, expected_updated_at=expected_updated_at)
        guards.can_send_back(actor, verdict).check()
        verdict.state = Verdict.State.SENT_BACK
        verdict.review_comment = comment
        verdict.approved_by = None
        verdict.reviewed_at = timezone.now()
        verdict.save(update_fields=["state", "review_comment", "reviewed_at"])
        audit_record(
            actor=actor,
            action="verdict.sent_back",
            obj=verdict,
            appeal=appeal,
            before={"state": Verdict.State.PENDING},
            after={"state": verdict.state, "comment": comment},
        )
        transition(
            appeal,
            S.IN_REVIEW,
            actor=actor,
            action="appeal.verdict_sent_back",
            comment=comment,
            fields={"assignee_id": verdict.decided_by_id},
        )
    return verdict


def _verdict_snapshot(verdict: Verdict) -> dict[str, Any]:
    return {
        "state": verdict.state,
        "outcome": verdict.outcome,
        "responsible_party": verdict.responsible_party,
        "rule": verdict.rule_code,
        "rationale": verdict.rationale,
        "decided_by": verdict.decided_by_id,
        "approved_by": verdict.approved_by_id,
        "account_action": verdict.proposed_action,
    }


def _take_effect(appeal: Appeal, verdict: Verdict, *, actor: AbstractBaseUser) -> None:
    """Resolve the appeal, let the order follow the outcome, apply account actions and emit
    verdict.issued: the one event on which the exchange moves the escrowed funds."""
    order = appeal.order
    order_status = ORDER_STATUS_AFTER.get(verdict.outcome, order.status)
    transition(
        appeal,
        S.RESOLVED,
        actor=actor,
        action="appeal.resolved",
        fields={
            "resolved_at": verdict.effective_at,
            "evidence_due_at": None,
            "evidence_requested_from": "",
        },
        audit_extra={
            "verdict": verdict.pk,
            "outcome": verdict.outcome,
            # The order's change is on record in the same entry.
            **({"order_status": order_status} if order_status != order.status else {}),
        },
    )
    if order_status != order.status:
        # In the verdict's transaction: the order no longer reads "Appealed" once decided.
        changes: dict[str, Any] = {"status": order_status}
        if order_status == Order.Status.RELEASED and order.released_at is None:
            changes["released_at"] = verdict.effective_at
        Order.objects.filter(pk=order.pk).update(**changes, updated_at=timezone.now())
        for name, value in changes.items():
            setattr(order, name, value)
    event_emit(
        type="verdict.issued",
        appeal=appeal,
        data={
            "appeal": appeal.pk,
            "order": order.external_id,
            "outcome": verdict.outcome,
            "responsible_party": verdict.responsible_party,
            # The amount frozen when the appeal opened (the one four-eyes judged).
            # Fixed-point: str() would give "1E-8" for tiny amounts.
            "crypto_amount": format(appeal.crypto_amount, "f"),
            "asset": appeal.asset,
            "verdict": verdict.pk,
            "rule": verdict.rule_code,
        },
    )
    # Each party is told the outcome and why, in its language (a party.message event, and
    # the line the case's chat shows as the desk's to that party).
    desk_tell_both(
        appeal=appeal,
        actor=actor,
        kind=DeskMessage.Kind.VERDICT,
        text_for=lambda side, language: verdict_explain(verdict, side, language),
    )
    if verdict.proposed_action:
        for trader in verdict.responsible_traders():
            account_action_take(
                trader=trader,
                kind=verdict.proposed_action["kind"],
                days=verdict.proposed_action.get("days"),
                reason=AccountAction.verdict_reason(appeal.pk, verdict.rule_code),
                actor=verdict.decided_by,
                verdict=verdict,
                appeal=appeal,
            )
