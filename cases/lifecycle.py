"""The appeal lifecycle: the only code that changes an appeal's status.

`ALLOWED` is the single source of truth for transitions. Each action locks the appeal
row, checks the transition and the actor, and writes the change, its status-change row,
the audit entry and the outbox event in one transaction. A refused action raises a
DomainError and writes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.db import IntegrityError, connection, transaction
from django.db.models import Count, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from arbitration.exceptions import Conflict, InvalidInput, InvalidTransition, NotAllowed

from . import roles
from .audit import audit_record
from .models import (
    AccountAction,
    Appeal,
    AppealStatusChange,
    DeskMessage,
    Note,
    Order,
    Party,
    Rule,
    Trader,
    Verdict,
    VerdictReview,
)
from .outbox import event_emit
from .services import require_service
from .tasks import risk_reassess_on_commit

S = Appeal.Status
Actor = AbstractBaseUser | None

ALLOWED: dict[str, frozenset[str]] = {
    S.OPEN: frozenset({S.IN_REVIEW, S.ESCALATED, S.CANCELLED}),
    S.IN_REVIEW: frozenset(
        {S.OPEN, S.AWAITING_EVIDENCE, S.ESCALATED, S.PENDING_APPROVAL, S.RESOLVED, S.CANCELLED}
    ),
    # -> open: the evidence came back to a case nobody owns any more.
    S.AWAITING_EVIDENCE: frozenset(
        {S.OPEN, S.IN_REVIEW, S.ESCALATED, S.PENDING_APPROVAL, S.RESOLVED, S.CANCELLED}
    ),
    S.ESCALATED: frozenset(
        {S.IN_REVIEW, S.AWAITING_EVIDENCE, S.PENDING_APPROVAL, S.RESOLVED, S.CANCELLED}
    ),
    # Approval resolves; a send-back returns the case to its arbitrator.
    S.PENDING_APPROVAL: frozenset({S.RESOLVED, S.IN_REVIEW, S.CANCELLED}),
    S.RESOLVED: frozenset(),
    S.CANCELLED: frozenset(),
}

# Statuses in which someone is working the case and may decide it.
WORKING = frozenset({S.IN_REVIEW, S.AWAITING_EVIDENCE, S.ESCALATED})
URGENT_REASONS = frozenset({Appeal.Reason.ACCOUNT_COMPROMISED, Appeal.Reason.FRAUD_SCAM})


# --- helpers ------------------------------------------------------------------------------


def _require(actor: Actor, perm: str, what: str) -> AbstractBaseUser:
    # roles.has, not has_perm: a superuser without a desk role decides nothing.
    if actor is None or not roles.has(actor, perm):
        raise NotAllowed(_("You are not allowed to %(what)s.") % {"what": what})
    return actor


def require_writer(actor: Actor, what: str) -> None:
    """The parties' own requests come from service accounts (or the system); among staff
    only those who work appeals write. Auditors, risk analysts and users without a desk
    role (a superuser included) do not."""
    if actor is None or roles.is_service_account(actor) or roles.has(actor, roles.WORK):
        return
    raise NotAllowed(_("You are not allowed to %(what)s.") % {"what": what})


def _lock(appeal_id: int) -> Appeal:
    # of=("self",) locks only the appeal row, not the joined order.
    try:
        return (
            Appeal.objects.select_for_update(of=("self",))
            .select_related("order", "order__buyer", "order__seller", "assignee")
            .get(pk=appeal_id)
        )
    except Appeal.DoesNotExist:
        raise InvalidInput(
            _("Appeal %(id)s does not exist.") % {"id": appeal_id}, field="appeal"
        ) from None


def _require_handler(appeal: Appeal, actor: AbstractBaseUser, what: str) -> None:
    """The assignee works the case; seniors and leads may step in on anyone's."""
    if appeal.assignee_id != actor.pk and not roles.has(actor, roles.ASSIGN):
        raise NotAllowed(_("Only the assigned arbitrator may %(what)s.") % {"what": what})


def _snapshot(appeal: Appeal) -> dict[str, Any]:
    return {"status": appeal.status, "assignee": appeal.assignee_id}


def _transition(
    appeal: Appeal,
    to: str,
    *,
    actor: Actor,
    action: str,
    comment: str = "",
    fields: dict[str, Any] | None = None,
    audit_extra: dict[str, Any] | None = None,
    responds: bool = True,
) -> None:
    """Move the (locked) appeal to `to`, with its status row, audit entry and event."""
    if to != appeal.status and to not in ALLOWED[appeal.status]:
        raise InvalidTransition(
            _("An appeal that is %(status)s cannot be moved to %(to)s.")
            % {"status": appeal.get_status_display().lower(), "to": S(to).label.lower()},
            field="status",
        )
    now = timezone.now()
    before = _snapshot(appeal)
    changes = dict(fields or {})
    if to != appeal.status:
        changes["status"] = to
    # The first time staff act on the case itself; shuffling work between people
    # (assigning, handing back) is no response to the parties.
    if (
        responds
        and actor is not None
        and roles.is_staff_member(actor)
        and appeal.first_response_at is None
    ):
        changes["first_response_at"] = now
    for name, value in changes.items():
        setattr(appeal, name, value)
    appeal.save(update_fields=[*changes, "updated_at"])
    after = _snapshot(appeal)
    audit_record(
        actor=actor,
        action=action,
        obj=appeal,
        appeal=appeal,
        before=before,
        after={**after, **(audit_extra or {}), **({"comment": comment} if comment else {})},
    )
    if before["status"] != appeal.status:
        AppealStatusChange.objects.create(
            appeal=appeal,
            from_status=before["status"],
            to_status=appeal.status,
            actor=actor,
            comment=comment,
            created_at=now,
        )
        event_emit(
            type="appeal.status_changed",
            appeal=appeal,
            data={
                "appeal": appeal.pk,
                "order": appeal.order.external_id,
                "from_status": before["status"],
                "status": appeal.status,
            },
        )


# --- opening and cancelling ---------------------------------------------------------------


def threshold_for(asset: str) -> Decimal | None:
    thresholds = settings.FOUR_EYES_THRESHOLDS
    return thresholds.get(asset.upper(), thresholds.get("*"))


def amount_needs_four_eyes(asset: str, amount: Decimal) -> bool:
    threshold = threshold_for(asset)
    # An asset with no threshold configured always needs a second reviewer.
    return threshold is None or amount > threshold


def four_eyes_required(appeal: Appeal) -> bool:
    """On the amount and asset frozen when the appeal opened, never the order's current
    row: a fact pushed in later must not lower a case below the threshold. A second
    verdict on an order whose funds an earlier verdict already moved always needs a
    second pair of eyes: nobody moves an order's funds a second time alone."""
    return amount_needs_four_eyes(appeal.asset, appeal.crypto_amount) or order_was_decided(appeal)


def order_was_decided(appeal: Appeal) -> bool:
    """Whether another appeal on this appeal's order has an effective verdict."""
    return (
        Verdict.objects.filter(appeal__order_id=appeal.order_id, state=Verdict.State.EFFECTIVE)
        .exclude(appeal_id=appeal.pk)
        .exists()
    )


def queue_columns(order: Order) -> dict[str, Any]:
    """The order facts the queue filters and sorts on, copied onto the appeal."""
    last = (
        order.messages.exclude(sender="system")
        .order_by("-sent_at")
        .values_list("sent_at", flat=True)
        .first()
    )
    return {
        "crypto_amount": order.crypto_amount,
        "asset": order.asset,
        "payment_method": order.payment_method,
        "buyer_language": order.buyer.language,
        "seller_language": order.seller.language,
        "last_party_message_at": last,
    }


def appeal_open(
    *,
    order: Order,
    opened_by: str,
    reason: str,
    description: str = "",
    channel: str = Appeal.Channel.IN_APP,
    actor: Actor = None,
    at: datetime | None = None,
) -> Appeal:
    """A party appeals through the exchange's services (a service account, or the system);
    staff do not open appeals in a party's name. An order may be appealed again after an
    earlier appeal was resolved (a chargeback after release); the verdict of such an
    appeal always needs four-eyes (four_eyes_required)."""
    require_service(actor, _("open appeals"))
    if opened_by not in Party.values:
        raise InvalidInput(_("opened_by must be 'buyer' or 'seller'."), field="opened_by")
    if reason not in Appeal.Reason.values:
        raise InvalidInput(
            _("Unknown reason %(reason)s.") % {"reason": repr(reason)}, field="reason"
        )
    if channel not in Appeal.Channel.values:
        raise InvalidInput(
            _("Unknown channel %(channel)s.") % {"channel": repr(channel)}, field="channel"
        )
    at = at or timezone.now()
    with transaction.atomic():
        # Lock the order so two appeals on it queue up (the partial unique index is the
        # last word if anything gets past this check), and freeze the facts read under
        # that lock: the caller's copy may be older than an upsert that just committed,
        # and a stale lower amount would skip four-eyes.
        order = (
            Order.objects.select_for_update(of=("self",))
            .select_related("buyer", "seller")
            .get(pk=order.pk)
        )
        if reason in URGENT_REASONS:
            priority = Appeal.Priority.URGENT
        elif amount_needs_four_eyes(order.asset, order.crypto_amount):
            priority = Appeal.Priority.HIGH
        else:
            priority = Appeal.Priority.NORMAL
        if order.appeals.exclude(status__in=Appeal.CLOSED_STATUSES).exists():
            raise Conflict(_("This order already has an unresolved appeal."), field="order")
        try:
            with transaction.atomic():
                appeal = Appeal.objects.create(
                    order=order,
                    opened_by=opened_by,
                    reason=reason,
                    description=description,
                    channel=channel,
                    priority=priority,
                    created_at=at,
                    first_response_due_at=at
                    + timedelta(minutes=settings.SLA_FIRST_RESPONSE_MINUTES),
                    resolution_due_at=at + timedelta(hours=settings.SLA_RESOLUTION_HOURS),
                    **queue_columns(order),
                )
        except IntegrityError:
            raise Conflict(
                _("This order already has an unresolved appeal."), field="order"
            ) from None
        AppealStatusChange.objects.create(
            appeal=appeal, from_status="", to_status=S.OPEN, actor=actor, created_at=at
        )
        audit_record(
            actor=actor,
            action="appeal.opened",
            obj=appeal,
            appeal=appeal,
            after={
                "status": S.OPEN,
                "order": order.external_id,
                "reason": reason,
                "opened_by": opened_by,
            },
        )
        risk_reassess_on_commit([appeal.pk])
        event_emit(
            type="appeal.status_changed",
            appeal=appeal,
            data={
                "appeal": appeal.pk,
                "order": order.external_id,
                "from_status": None,
                "status": S.OPEN,
            },
        )
    return appeal


def appeal_cancel(*, appeal_id: int, actor: Actor, reason: str = "") -> Appeal:
    """The appellant withdraws (or staff close a duplicate). Refused once a verdict took
    effect; a verdict still waiting for approval is withdrawn with the appeal."""
    require_writer(actor, _("cancel appeals"))
    with transaction.atomic():
        appeal = _lock(appeal_id)
        if appeal.status == S.RESOLVED:
            raise InvalidTransition(
                _("A verdict has been issued; the appeal can no longer be cancelled.")
            )
        if appeal.status == S.CANCELLED:
            raise InvalidTransition(_("The appeal is already cancelled."))
        if actor is not None and not roles.is_service_account(actor):
            # Staff close an unowned case or their own; a colleague's only seniors and
            # leads. The parties withdraw through their service. A case sent up to the
            # seniors, or waiting for four-eyes, is closed only by those who may take it
            # (else cancelling would be a way round escalation and approval).
            if appeal.status == S.ESCALATED:
                _require(actor, roles.HANDLE_ESCALATION, _("cancel escalated appeals"))
            elif appeal.status == S.PENDING_APPROVAL or four_eyes_required(appeal):
                # Closing a case above four-eyes is no way round its second pair of eyes.
                _require(actor, roles.APPROVE, _("cancel appeals above the four-eyes threshold"))
            if appeal.assignee_id:
                _require_handler(appeal, actor, _("cancel this appeal"))
        withdrawn = appeal.verdicts.filter(state=Verdict.State.PENDING).update(
            state=Verdict.State.WITHDRAWN, reviewed_at=timezone.now()
        )
        _transition(
            appeal,
            S.CANCELLED,
            actor=actor,
            action="appeal.cancelled",
            comment=reason,
            fields={
                "resolved_at": timezone.now(),
                "evidence_due_at": None,
                "evidence_requested_from": "",
            },
            audit_extra={"pending_verdict_withdrawn": bool(withdrawn)},
        )
    return appeal


# --- working the case ---------------------------------------------------------------------


def appeal_claim(*, appeal_id: int, actor: Actor) -> Appeal:
    """Take an open (or, for seniors, an escalated) appeal for yourself."""
    actor = _require(actor, roles.WORK, _("work appeals"))
    with transaction.atomic():
        appeal = _lock(appeal_id)
        if appeal.status == S.ESCALATED:
            _require(actor, roles.HANDLE_ESCALATION, _("take escalated appeals"))
        elif appeal.status != S.OPEN:
            raise InvalidTransition(
                _("Only open appeals can be claimed; this one is %(status)s.")
                % {"status": appeal.get_status_display().lower()}
            )
        if appeal.assignee_id not in (None, actor.pk):
            raise Conflict(
                _("%(user)s has already claimed this appeal.")
                % {"user": appeal.assignee.get_username()}
            )
        _transition(
            appeal, S.IN_REVIEW, actor=actor, action="appeal.claimed", fields={"assignee": actor}
        )
    return appeal


def appeal_claim_next(*, actor: Actor) -> Appeal | None:
    """Claim the most urgent unassigned open appeal; None when the queue is empty."""
    actor = _require(actor, roles.WORK, _("work appeals"))
    candidates = (
        Appeal.objects.filter(status=S.OPEN, assignee__isnull=True)
        .order_by("-priority", "resolution_due_at", "id")
        .values_list("id", flat=True)
    )
    # Another arbitrator may win the race for the first few; try the next one.
    for appeal_id in candidates[:5]:
        try:
            return appeal_claim(appeal_id=appeal_id, actor=actor)
        except (Conflict, InvalidTransition):
            continue
    return None


def appeal_assign(*, appeal_id: int, assignee: AbstractBaseUser | None, actor: Actor) -> Appeal:
    """A senior or lead (re)assigns a case, or returns it to the queue with assignee=None."""
    actor = _require(actor, roles.ASSIGN, _("assign appeals"))
    if assignee is not None and not roles.has(assignee, roles.WORK):
        raise InvalidInput(
            _("%(user)s does not work appeals.") % {"user": assignee.get_username()},
            field="assignee",
        )
    with transaction.atomic():
        appeal = _lock(appeal_id)
        if appeal.is_closed or appeal.status == S.PENDING_APPROVAL:
            raise InvalidTransition(
                _("An appeal that is %(status)s cannot be reassigned.")
                % {"status": appeal.get_status_display().lower()}
            )
        if (
            assignee is not None
            and appeal.status == S.ESCALATED
            and not roles.has(assignee, roles.HANDLE_ESCALATION)
        ):
            raise InvalidInput(
                _("%(user)s does not take escalated appeals.") % {"user": assignee.get_username()},
                field="assignee",
            )
        if assignee is None:
            to = S.OPEN if appeal.status == S.IN_REVIEW else appeal.status
        elif appeal.status == S.OPEN:
            to = S.IN_REVIEW
        else:
            to = appeal.status
        _transition(
            appeal,
            to,
            actor=actor,
            action="appeal.assigned",
            responds=False,
            fields={"assignee": assignee},
        )
    return appeal


def appeal_unassign(*, appeal_id: int, actor: Actor) -> Appeal:
    """The assignee hands an in-review case back to the queue."""
    actor = _require(actor, roles.WORK, _("work appeals"))
    with transaction.atomic():
        appeal = _lock(appeal_id)
        _require_handler(appeal, actor, _("hand this appeal back"))
        if appeal.status != S.IN_REVIEW:
            raise InvalidTransition(_("Only an appeal in review can be handed back to the queue."))
        _transition(
            appeal,
            S.OPEN,
            actor=actor,
            action="appeal.unassigned",
            responds=False,
            fields={"assignee": None},
        )
    return appeal


def appeal_request_evidence(
    *,
    appeal_id: int,
    actor: Actor,
    party: str,
    text: str,
    due_at: datetime | None = None,
    language: str | None = None,
) -> Appeal:
    """Ask a party for evidence by a deadline; the party is told through a party.message."""
    actor = _require(actor, roles.WORK, _("request evidence"))
    if party not in Party.values:
        raise InvalidInput(_("party must be 'buyer' or 'seller'."), field="party")
    if not text.strip():
        raise InvalidInput(_("Say what evidence is needed."), field="text")
    now = timezone.now()
    due_at = due_at or now + timedelta(hours=settings.SLA_EVIDENCE_HOURS)
    if due_at <= now:
        raise InvalidInput(_("The deadline must be in the future."), field="due_at")
    if due_at > now + timedelta(days=settings.EVIDENCE_DEADLINE_MAX_DAYS):
        # A party is not left waiting for months, and a far date (year 10000 in UTC) could
        # not even be read back.
        raise InvalidInput(
            _("The deadline may be at most %(days)d days away.")
            % {"days": settings.EVIDENCE_DEADLINE_MAX_DAYS},
            field="due_at",
        )
    with transaction.atomic():
        appeal = _lock(appeal_id)
        fields: dict[str, Any] = {"evidence_due_at": due_at, "evidence_requested_from": party}
        if appeal.assignee_id is None:
            # Whoever asks owns the case, so the reply comes back to someone.
            if appeal.status == S.ESCALATED:
                _require(actor, roles.HANDLE_ESCALATION, _("work escalated appeals"))
            fields["assignee"] = actor
        else:
            _require_handler(appeal, actor, _("request evidence"))
        _transition(
            appeal,
            S.AWAITING_EVIDENCE,
            actor=actor,
            action="appeal.evidence_requested",
            comment=text,
            fields=fields,
        )
        desk_message_send(
            appeal=appeal,
            actor=actor,
            party=party,
            kind=DeskMessage.Kind.EVIDENCE_REQUEST,
            text=text,
            language=language,
            due_at=due_at,
        )
    return appeal


def desk_message_send(
    *,
    appeal: Appeal,
    actor: AbstractBaseUser,
    party: str,
    kind: str,
    text: str,
    language: str | None = None,
    due_at: datetime | None = None,
) -> DeskMessage:
    """Tell a party something through the exchange's app, in the caller's transaction
    (the appeal locked): the message row the case's chat shows as the desk's, its
    party.message event and its audit entry, all or nothing."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("desk_message_send must run inside the transaction of the action")
    language = language or appeal.order.party(party).language or "en"
    data: dict[str, Any] = {"appeal": appeal.pk, "party": party, "language": language}
    data["text"] = text
    if due_at is not None:
        data["due_at"] = due_at
    event = event_emit(type="party.message", appeal=appeal, data=data)
    message = DeskMessage.objects.create(
        appeal=appeal,
        party=party,
        kind=kind,
        language=language,
        text=text,
        due_at=due_at,
        sent_by=actor,
        event=event,
    )
    audit_record(
        actor=actor,
        action="party.message_sent",
        obj=message,
        appeal=appeal,
        after={"party": party, "kind": kind, "language": language, "text": text},
    )
    return message


def appeal_evidence_received(*, appeal_id: int, actor: Actor, party: str) -> Appeal:
    """Evidence from the party we were waiting on puts the case back in review."""
    with transaction.atomic():
        appeal = _lock(appeal_id)
        if appeal.status == S.AWAITING_EVIDENCE and appeal.evidence_requested_from == party:
            # Back to its owner's review, or to the open queue if nobody owns it now.
            _transition(
                appeal,
                S.IN_REVIEW if appeal.assignee_id else S.OPEN,
                actor=actor,
                action="appeal.evidence_received",
                fields={"evidence_due_at": None, "evidence_requested_from": ""},
            )
    return appeal


def appeal_escalate(*, appeal_id: int, actor: Actor, reason: str) -> Appeal:
    """Send a case up to the senior queue, with the reason a senior will read first."""
    actor = _require(actor, roles.WORK, _("escalate appeals"))
    if not reason.strip():
        raise InvalidInput(_("Say why the appeal is escalated."), field="reason")
    with transaction.atomic():
        appeal = _lock(appeal_id)
        if appeal.status == S.ESCALATED:
            raise InvalidTransition(_("The appeal is already escalated."))
        if appeal.status != S.OPEN:
            _require_handler(appeal, actor, _("escalate this appeal"))
        _transition(
            appeal,
            S.ESCALATED,
            actor=actor,
            action="appeal.escalated",
            comment=reason,
            fields={"assignee": None, "escalated_at": timezone.now(), "escalation_reason": reason},
        )
    return appeal


def note_add(*, appeal_id: int, actor: Actor, text: str) -> Note:
    actor = _require(actor, roles.WORK, _("add notes"))
    if not text.strip():
        raise InvalidInput(_("A note cannot be empty."), field="text")
    with transaction.atomic():
        appeal = _lock(appeal_id)
        note = Note.objects.create(appeal=appeal, author=actor, text=text)
        audit_record(
            actor=actor, action="note.added", obj=note, appeal=appeal, after={"text": text}
        )
    return note


# --- verdicts -----------------------------------------------------------------------------


@dataclass(frozen=True)
class ProposedAction:
    kind: str
    days: int | None = None

    def as_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "days": self.days} if self.kind else {}


def _validate_action(action: ProposedAction | None, responsible_party: str) -> dict[str, Any]:
    if action is None or not action.kind:
        return {}
    if action.kind not in AccountAction.Kind.values:
        raise InvalidInput(
            _("Unknown account action %(kind)s.") % {"kind": repr(action.kind)},
            field="account_action",
        )
    if responsible_party == Verdict.ResponsibleParty.NONE:
        raise InvalidInput(
            _("An account action needs a responsible party."), field="account_action"
        )
    if action.kind == AccountAction.Kind.P2P_RESTRICTION and not (action.days and action.days > 0):
        raise InvalidInput(_("A P2P restriction needs a number of days."), field="days")
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
) -> Verdict:
    """Decide an appeal. Above the four-eyes threshold the verdict waits for approval
    (appeal -> pending_approval); otherwise it takes effect at once (-> resolved)."""
    actor = _require(actor, roles.WORK, _("issue verdicts"))
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
        appeal = _lock(appeal_id)
        rule = _cite_rule(rule_code)
        if appeal.status in (S.PENDING_APPROVAL, S.RESOLVED):
            raise Conflict(_("This appeal already has a verdict."))
        if appeal.status == S.OPEN and appeal.assignee_id in (None, actor.pk):
            # Deciding an unclaimed case takes it, in the same transaction.
            _transition(
                appeal,
                S.IN_REVIEW,
                actor=actor,
                action="appeal.claimed",
                fields={"assignee": actor},
            )
        if appeal.status not in WORKING:
            raise InvalidTransition(
                _("An appeal that is %(status)s cannot be decided; claim it first.")
                % {"status": appeal.get_status_display().lower()}
            )
        if appeal.status == S.ESCALATED:
            _require(actor, roles.HANDLE_ESCALATION, _("decide escalated appeals"))
        else:
            _require_handler(appeal, actor, _("decide this appeal"))
        needs_approval = four_eyes_required(appeal)
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
            _transition(
                appeal,
                S.PENDING_APPROVAL,
                actor=actor,
                action="appeal.verdict_proposed",
                # A decision ends the wait for evidence; no deadline runs while it's reviewed.
                fields={"evidence_due_at": None, "evidence_requested_from": ""},
                audit_extra={"verdict": verdict.pk},
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


def verdict_approve(*, verdict_id: int, actor: Actor) -> Verdict:
    """The second pair of eyes: a different senior or lead makes the verdict effective."""
    actor = _require(actor, roles.APPROVE, _("approve verdicts"))
    with transaction.atomic():
        verdict, appeal = _lock_verdict(verdict_id)
        if verdict.decided_by_id == actor.pk:
            raise NotAllowed(_("You cannot approve your own verdict; another reviewer must."))
        if verdict.state != Verdict.State.PENDING:
            raise Conflict(
                _("This verdict is %(state)s, not pending.")
                % {"state": verdict.get_state_display().lower()}
            )
        from evidence.models import Evidence

        if Evidence.objects.filter(appeal=appeal, uploaded_at__gt=verdict.created_at).exists():
            raise Conflict(
                _(
                    "Evidence was added after this verdict was proposed; send it back so the "
                    "proposal can be renewed."
                )
            )
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


def verdict_send_back(*, verdict_id: int, actor: Actor, comment: str) -> Verdict:
    """Refuse a proposed verdict with a comment; the case returns to its arbitrator."""
    actor = _require(actor, roles.APPROVE, _("review verdicts"))
    if not comment.strip():
        raise InvalidInput(_("Say why the verdict is sent back."), field="comment")
    with transaction.atomic():
        verdict, appeal = _lock_verdict(verdict_id)
        if verdict.decided_by_id == actor.pk:
            raise NotAllowed(_("You cannot review your own verdict."))
        if verdict.state != Verdict.State.PENDING:
            raise Conflict(
                _("This verdict is %(state)s, not pending.")
                % {"state": verdict.get_state_display().lower()}
            )
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
        _transition(
            appeal,
            S.IN_REVIEW,
            actor=actor,
            action="appeal.verdict_sent_back",
            comment=comment,
            fields={"assignee_id": verdict.decided_by_id},
        )
    return verdict


def _lock_verdict(verdict_id: int) -> tuple[Verdict, Appeal]:
    # Lock order: appeal first, then verdict, like verdict_propose, so no deadlock.
    appeal_id = Verdict.objects.filter(pk=verdict_id).values_list("appeal_id", flat=True).first()
    if appeal_id is None:
        raise InvalidInput(
            _("Verdict %(id)s does not exist.") % {"id": verdict_id}, field="verdict"
        )
    appeal = _lock(appeal_id)
    verdict = Verdict.objects.select_for_update().select_related("rule").get(pk=verdict_id)
    return verdict, appeal


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
    """Resolve the appeal, apply account actions and emit verdict.issued: the one event
    on which the exchange moves the escrowed funds."""
    _transition(
        appeal,
        S.RESOLVED,
        actor=actor,
        action="appeal.resolved",
        fields={
            "resolved_at": verdict.effective_at,
            "evidence_due_at": None,
            "evidence_requested_from": "",
        },
        audit_extra={"verdict": verdict.pk, "outcome": verdict.outcome},
    )
    order = appeal.order
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
    if verdict.proposed_action:
        parties = {
            Verdict.ResponsibleParty.BUYER: [order.buyer],
            Verdict.ResponsibleParty.SELLER: [order.seller],
            Verdict.ResponsibleParty.BOTH: [order.buyer, order.seller],
        }[verdict.responsible_party]
        for trader in parties:
            account_action_take(
                trader=trader,
                kind=verdict.proposed_action["kind"],
                days=verdict.proposed_action.get("days"),
                reason=f"Verdict on appeal #{appeal.pk} under rule {verdict.rule_code}",
                actor=verdict.decided_by,
                verdict=verdict,
                appeal=appeal,
            )


def account_action_take(
    *,
    trader: Trader,
    kind: str,
    actor: AbstractBaseUser,
    days: int | None = None,
    reason: str = "",
    verdict: Verdict | None = None,
    appeal: Appeal | None = None,
) -> AccountAction:
    if kind not in AccountAction.Kind.values:
        raise InvalidInput(
            _("Unknown account action %(kind)s.") % {"kind": repr(kind)}, field="kind"
        )
    if kind == AccountAction.Kind.P2P_RESTRICTION and not (days and days > 0):
        raise InvalidInput(_("A P2P restriction needs a number of days."), field="days")
    with transaction.atomic():
        trader = Trader.objects.select_for_update().get(pk=trader.pk)
        now = timezone.now()
        before = {"frozen": trader.frozen, "p2p_restricted_until": trader.p2p_restricted_until}
        expires_at = (
            now + timedelta(days=days) if kind == AccountAction.Kind.P2P_RESTRICTION else None
        )
        action = AccountAction.objects.create(
            trader=trader,
            verdict=verdict,
            kind=kind,
            days=days,
            reason=reason,
            taken_by=actor,
            created_at=now,
            expires_at=expires_at,
        )
        if kind == AccountAction.Kind.FREEZE:
            trader.frozen = True
        elif kind == AccountAction.Kind.P2P_RESTRICTION:
            # A longer restriction already in force is never shortened.
            current = trader.p2p_restricted_until
            trader.p2p_restricted_until = max(filter(None, [current, expires_at]))
        trader.save(update_fields=["frozen", "p2p_restricted_until", "updated_at"])
        audit_record(
            actor=actor,
            action="account.action_taken",
            obj=action,
            appeal=appeal,
            before=before,
            after={
                "kind": kind,
                "days": days,
                "trader": trader.external_id,
                "frozen": trader.frozen,
                "p2p_restricted_until": trader.p2p_restricted_until,
            },
        )
        event_emit(
            type="account.action_taken",
            appeal=appeal,
            data={
                "trader": trader.external_id,
                "action": kind,
                "days": days,
                "expires_at": expires_at,
                "appeal": appeal.pk if appeal else None,
                "reason": reason,
            },
        )
    return action


# --- second-level review ------------------------------------------------------------------


def review_eligible_reviewers(appeal: Appeal) -> QuerySet:
    """Seniors and leads who have handled none of either party's cases, this one included:
    never assigned one, never decided or approved a verdict on one."""
    from django.contrib.auth import get_user_model

    User = get_user_model()
    parties = [appeal.order.buyer_id, appeal.order.seller_id]
    their_appeals = Appeal.objects.filter(
        Q(order__buyer_id__in=parties) | Q(order__seller_id__in=parties)
    )
    handled = (
        Q(assigned_appeals__in=their_appeals)
        | Q(verdicts_decided__appeal__in=their_appeals)
        | Q(verdicts_approved__appeal__in=their_appeals)
    )
    return (
        User.objects.filter(
            is_active=True,
            groups__name__in=[roles.Role.SENIOR_ARBITRATOR, roles.Role.TEAM_LEAD],
        )
        .exclude(pk__in=User.objects.filter(handled).values("pk"))
        .distinct()
    )


def _check_reviewer(review: VerdictReview, reviewer: AbstractBaseUser) -> None:
    if not review_eligible_reviewers(review.appeal).filter(pk=reviewer.pk).exists():
        raise InvalidInput(
            _(
                "%(user)s cannot review this verdict: a reviewer must be a senior "
                "who has handled none of either party's cases."
            )
            % {"user": reviewer.get_username()},
            field="reviewer",
        )


def review_request(*, appeal_id: int, party: str, reason: str, actor: Actor) -> VerdictReview:
    """A party contests the effective verdict: once, within the review window. The party
    speaks through the exchange's services; staff do not contest in a party's name."""
    require_service(actor, _("contest verdicts"))
    if party not in Party.values:
        raise InvalidInput(_("party must be 'buyer' or 'seller'."), field="party")
    if not reason.strip():
        raise InvalidInput(_("Say why the verdict is contested."), field="reason")
    with transaction.atomic():
        appeal = _lock(appeal_id)
        verdict = appeal.verdicts.filter(state=Verdict.State.EFFECTIVE).first()
        if appeal.status != S.RESOLVED or verdict is None:
            raise Conflict(_("Only an effective verdict can be contested."))
        if VerdictReview.objects.filter(appeal=appeal).exists():
            raise Conflict(
                _("This verdict has already been contested; a verdict is reviewed once.")
            )
        closes = verdict.effective_at + timedelta(days=settings.REVIEW_WINDOW_DAYS)
        if timezone.now() > closes:
            raise Conflict(
                _("The review window closed on %(closed)s UTC.")
                % {"closed": f"{closes:%Y-%m-%d %H:%M}"},
                field="appeal",
            )
        # The least busy eligible reviewer; none eligible leaves it for a team lead.
        reviewer = (
            review_eligible_reviewers(appeal)
            .annotate(
                open_reviews=Count(
                    "verdict_reviews",
                    filter=Q(verdict_reviews__state=VerdictReview.State.PENDING),
                )
            )
            .order_by("open_reviews", "pk")
            .first()
        )
        review = VerdictReview.objects.create(
            appeal=appeal, verdict=verdict, requested_by=party, reason=reason, reviewer=reviewer
        )
        audit_record(
            actor=actor,
            action="review.requested",
            obj=review,
            appeal=appeal,
            after={"party": party, "reason": reason, "reviewer": reviewer and reviewer.pk},
        )
    return review


def review_assign(*, review_id: int, reviewer: AbstractBaseUser, actor: Actor) -> VerdictReview:
    actor = _require(actor, roles.ASSIGN, _("assign reviews"))
    with transaction.atomic():
        review = _lock_review(review_id)
        if review.state != VerdictReview.State.PENDING:
            raise Conflict(_("This review is already decided."))
        _check_reviewer(review, reviewer)
        before = {"reviewer": review.reviewer_id}
        review.reviewer = reviewer
        review.save(update_fields=["reviewer"])
        audit_record(
            actor=actor,
            action="review.assigned",
            obj=review,
            appeal=review.appeal,
            before=before,
            after={"reviewer": reviewer.pk},
        )
    return review


def review_decide(
    *,
    review_id: int,
    actor: Actor,
    uphold: bool,
    rationale: str,
    outcome: str = "",
    responsible_party: str = "",
) -> VerdictReview:
    """Uphold the verdict, or reverse it: funds already moved are not moved again; the
    corrected outcome is recorded and verdict.reversed tells the exchange to compensate.

    A reversal above the four-eyes threshold is only proposed here (state `proposed`); it
    takes effect, and verdict.reversed is emitted, when a different senior or lead
    approves it (review_reversal_approve), exactly like the verdict it reverses."""
    actor = _require(actor, roles.HANDLE_ESCALATION, _("decide reviews"))
    if not rationale.strip():
        raise InvalidInput(_("A review decision needs a rationale."), field="rationale")
    with transaction.atomic():
        review = _lock_review(review_id)
        if review.state != VerdictReview.State.PENDING:
            raise Conflict(_("This review is already decided."))
        if review.reviewer_id != actor.pk:
            raise NotAllowed(_("Only the assigned reviewer decides this review."))
        _check_reviewer(review, actor)
        original = review.verdict
        if not uphold:
            if outcome not in Verdict.Outcome.values or outcome == original.outcome:
                raise InvalidInput(
                    _("A reversal needs an outcome different from the verdict's."),
                    field="outcome",
                )
            if responsible_party not in Verdict.ResponsibleParty.values:
                raise InvalidInput(_("Name the responsible party."), field="responsible_party")
        if uphold:
            review.state = VerdictReview.State.UPHELD
        elif four_eyes_required(review.appeal):
            review.state = VerdictReview.State.PROPOSED
        else:
            review.state = VerdictReview.State.REVERSED
        review.corrected_outcome = "" if uphold else outcome
        review.corrected_responsible_party = "" if uphold else responsible_party
        review.rationale = rationale
        review.decided_at = timezone.now()
        review.approved_by, review.approved_at = None, None
        review.save()
        action = (
            "review.reversal_proposed"
            if review.state == VerdictReview.State.PROPOSED
            else f"review.{review.state}"
        )
        audit_record(
            actor=actor,
            action=action,
            obj=review,
            appeal=review.appeal,
            before={"outcome": original.outcome},
            after={
                "state": review.state,
                "corrected_outcome": review.corrected_outcome,
                "corrected_responsible_party": review.corrected_responsible_party,
                "rationale": rationale,
            },
        )
        if review.state == VerdictReview.State.REVERSED:
            _emit_reversed(review)
    return review


def _emit_reversed(review: VerdictReview) -> None:
    appeal, original = review.appeal, review.verdict
    event_emit(
        type="verdict.reversed",
        appeal=appeal,
        data={
            "appeal": appeal.pk,
            "order": appeal.order.external_id,
            "verdict": original.pk,
            "original_outcome": original.outcome,
            "corrected_outcome": review.corrected_outcome,
            "responsible_party": review.corrected_responsible_party,
            "crypto_amount": format(appeal.crypto_amount, "f"),
            "asset": appeal.asset,
            "approved_by": review.approved_by.get_username() if review.approved_by else None,
        },
    )


def _lock_proposed_reversal(review_id: int, actor: AbstractBaseUser) -> VerdictReview:
    review = _lock_review(review_id)
    if review.state != VerdictReview.State.PROPOSED:
        raise Conflict(
            _("This review is %(state)s; only a proposed reversal can be approved.")
            % {"state": review.get_state_display().lower()}
        )
    if review.reviewer_id == actor.pk:
        raise NotAllowed(
            _("You proposed this reversal; a different senior or lead must approve it.")
        )
    return review


def review_reversal_approve(*, review_id: int, actor: Actor) -> VerdictReview:
    """The second pair of eyes on a reversal above the four-eyes threshold: any senior or
    lead other than the reviewer, exactly like the four-eyes on a verdict. (The reviewer
    is the independent one: chosen among those who handled none of the parties' cases.)"""
    actor = _require(actor, roles.APPROVE, _("approve reversals"))
    with transaction.atomic():
        review = _lock_proposed_reversal(review_id, actor)
        review.state = VerdictReview.State.REVERSED
        review.approved_by = actor
        review.approved_at = timezone.now()
        review.save(update_fields=["state", "approved_by", "approved_at"])
        audit_record(
            actor=actor,
            action="review.reversed",
            obj=review,
            appeal=review.appeal,
            before={"state": VerdictReview.State.PROPOSED},
            after={
                "state": review.state,
                "corrected_outcome": review.corrected_outcome,
                "corrected_responsible_party": review.corrected_responsible_party,
                "approved_by": actor.pk,
            },
        )
        _emit_reversed(review)
    return review


def review_reversal_send_back(*, review_id: int, actor: Actor, comment: str) -> VerdictReview:
    """Refuse a proposed reversal: the review goes back to its reviewer, pending."""
    actor = _require(actor, roles.APPROVE, _("review reversals"))
    if not comment.strip():
        raise InvalidInput(_("Say why the reversal is sent back."), field="comment")
    with transaction.atomic():
        review = _lock_proposed_reversal(review_id, actor)
        before = {
            "state": review.state,
            "corrected_outcome": review.corrected_outcome,
            "corrected_responsible_party": review.corrected_responsible_party,
        }
        review.state = VerdictReview.State.PENDING
        review.corrected_outcome = review.corrected_responsible_party = ""
        review.approval_comment = comment
        review.decided_at = None
        review.save()
        audit_record(
            actor=actor,
            action="review.reversal_sent_back",
            obj=review,
            appeal=review.appeal,
            before=before,
            after={"state": review.state, "comment": comment},
        )
    return review


def _lock_review(review_id: int) -> VerdictReview:
    appeal_id = (
        VerdictReview.objects.filter(pk=review_id).values_list("appeal_id", flat=True).first()
    )
    if appeal_id is None:
        raise InvalidInput(_("Review %(id)s does not exist.") % {"id": review_id}, field="review")
    _lock(appeal_id)
    return (
        VerdictReview.objects.select_for_update(of=("self",))
        .select_related("appeal__order", "verdict")
        .get(pk=review_id)
    )
