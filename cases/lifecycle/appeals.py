"""Appeal actions: opening, working, escalating and cancelling a case."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from arbitration.exceptions import Conflict, InvalidInput, InvalidTransition
from cases import roles
from cases.audit import audit_record
from cases.derived import risk_reassess_on_commit
from cases.models import Appeal, AppealStatusChange, DeskMessage, Note, Order, Party, Verdict
from cases.outbox import event_emit

from . import guards
from .four_eyes import amount_needs_four_eyes
from .locks import lock_appeal
from .messages import desk_message_send
from .transitions import Actor, transition

S = Appeal.Status
URGENT_REASONS = frozenset({Appeal.Reason.ACCOUNT_COMPROMISED, Appeal.Reason.FRAUD_SCAM})


def evidence_due_default(now: datetime | None = None) -> datetime:
    """The deadline an evidence request gets when the arbitrator names none."""
    return (now or timezone.now()) + timedelta(hours=settings.SLA_EVIDENCE_HOURS)


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
    guards.require_service(actor, _("open appeals"))
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


def appeal_cancel(
    *,
    appeal_id: int,
    actor: Actor,
    reason: str = "",
    expected_updated_at: datetime | None = None,
) -> Appeal:
    """The appellant withdraws (or staff close a duplicate). Refused once a verdict took
    effect; a verdict still waiting for approval is withdrawn with the appeal."""
    guards.require_writer(actor, _("cancel appeals"))
    with transaction.atomic():
        appeal = lock_appeal(appeal_id, expected_updated_at=expected_updated_at)
        guards.can_cancel(actor, appeal).check()
        withdrawn = appeal.verdicts.filter(state=Verdict.State.PENDING).update(
            state=Verdict.State.WITHDRAWN, reviewed_at=timezone.now()
        )
        transition(
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


def appeal_claim(
    *, appeal_id: int, actor: Actor, expected_updated_at: datetime | None = None
) -> Appeal:
    """Take an open (or, for seniors, an escalated) appeal for yourself."""
    actor = guards.require(actor, roles.WORK, _("work appeals"))
    with transaction.atomic():
        appeal = lock_appeal(appeal_id, expected_updated_at=expected_updated_at)
        guards.can_claim(actor, appeal).check()
        transition(
            appeal, S.IN_REVIEW, actor=actor, action="appeal.claimed", fields={"assignee": actor}
        )
    return appeal


def appeal_claim_next(*, actor: Actor) -> Appeal | None:
    """Claim the most urgent unassigned open appeal; None when the queue is empty."""
    actor = guards.require(actor, roles.WORK, _("work appeals"))
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


def appeal_assign(
    *,
    appeal_id: int,
    assignee: AbstractBaseUser | None,
    actor: Actor,
    expected_updated_at: datetime | None = None,
) -> Appeal:
    """A senior or lead (re)assigns a case, or returns it to the queue with assignee=None."""
    actor = guards.require(actor, roles.ASSIGN, _("assign appeals"))
    if assignee is not None and not roles.has(assignee, roles.WORK):
        raise InvalidInput(
            _("%(user)s does not work appeals.") % {"user": assignee.get_username()},
            field="assignee",
        )
    with transaction.atomic():
        appeal = lock_appeal(appeal_id, expected_updated_at=expected_updated_at)
        guards.can_assign(actor, appeal).check()
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
        transition(
            appeal,
            to,
            actor=actor,
            action="appeal.assigned",
            responds=False,
            fields={"assignee": assignee},
        )
    return appeal


def appeal_unassign(
    *, appeal_id: int, actor: Actor, expected_updated_at: datetime | None = None
) -> Appeal:
    """The assignee hands an in-review case back to the queue."""
    actor = guards.require(actor, roles.WORK, _("work appeals"))
    with transaction.atomic():
        appeal = lock_appeal(appeal_id, expected_updated_at=expected_updated_at)
        guards.can_unassign(actor, appeal).check()
        transition(
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
    expected_updated_at: datetime | None = None,
) -> Appeal:
    """Ask a party for evidence by a deadline; the party is told through a party.message."""
    actor = guards.require(actor, roles.WORK, _("request evidence"))
    if party not in Party.values:
        raise InvalidInput(_("party must be 'buyer' or 'seller'."), field="party")
    if not text.strip():
        raise InvalidInput(_("Say what evidence is needed."), field="text")
    now = timezone.now()
    due_at = due_at or evidence_due_default(now)
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
        appeal = lock_appeal(appeal_id, expected_updated_at=expected_updated_at)
        guards.can_request_evidence(actor, appeal).check()
        fields: dict[str, Any] = {"evidence_due_at": due_at, "evidence_requested_from": party}
        if appeal.assignee_id is None:
            # Whoever asks owns the case, so the reply comes back to someone.
            fields["assignee"] = actor
        transition(
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


def appeal_evidence_received(*, appeal_id: int, actor: Actor, party: str) -> Appeal:
    """Evidence from the party we were waiting on puts the case back in review."""
    with transaction.atomic():
        appeal = lock_appeal(appeal_id)
        if appeal.status == S.AWAITING_EVIDENCE and appeal.evidence_requested_from == party:
            # Back to its owner's review, or to the open queue if nobody owns it now.
            transition(
                appeal,
                S.IN_REVIEW if appeal.assignee_id else S.OPEN,
                actor=actor,
                action="appeal.evidence_received",
                fields={"evidence_due_at": None, "evidence_requested_from": ""},
            )
    return appeal


def appeal_escalate(
    *, appeal_id: int, actor: Actor, reason: str, expected_updated_at: datetime | None = None
) -> Appeal:
    """Send a case up to the senior queue, with the reason a senior will read first."""
    actor = guards.require(actor, roles.WORK, _("escalate appeals"))
    if not reason.strip():
        raise InvalidInput(_("Say why the appeal is escalated."), field="reason")
    with transaction.atomic():
        appeal = lock_appeal(appeal_id, expected_updated_at=expected_updated_at)
        guards.can_escalate(actor, appeal).check()
        transition(
            appeal,
            S.ESCALATED,
            actor=actor,
            action="appeal.escalated",
            comment=reason,
            fields={"assignee": None, "escalated_at": timezone.now(), "escalation_reason": reason},
        )
    return appeal


def note_add(*, appeal_id: int, actor: Actor, text: str) -> Note:
    actor = guards.require(actor, roles.WORK, _("add notes"))
    if not text.strip():
        raise InvalidInput(_("A note cannot be empty."), field="text")
    with transaction.atomic():
        appeal = lock_appeal(appeal_id)
        guards.can_note(actor, appeal).check()
        note = Note.objects.create(appeal=appeal, author=actor, text=text)
        audit_record(
            actor=actor, action="note.added", obj=note, appeal=appeal, after={"text": text}
        )
    return note
