"""Appeal actions: opening, working, escalating and cancelling a case."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from arbitration.db import require_transaction
from arbitration.exceptions import Conflict, InvalidInput, InvalidTransition
from arbitration.jobs import enqueue_on_commit
from cases import roles, sla
from cases.audit import audit_record
from cases.derived import risk_reassess_on_commit
from cases.models import (
    Appeal,
    AppealEscalation,
    AppealStatusChange,
    ClockPause,
    DeskMessage,
    EvidenceRequest,
    Note,
    Notification,
    Order,
    Party,
    Verdict,
)
from cases.notifications import notify, role_members
from cases.outbox import event_emit

from . import guards
from .four_eyes import amount_needs_four_eyes
from .locks import lock_appeal
from .messages import desk_message_send
from .transitions import Actor, transition, transition_many

S = Appeal.Status
URGENT_REASONS = frozenset({Appeal.Reason.ACCOUNT_COMPROMISED, Appeal.Reason.FRAUD_SCAM})


def evidence_due_default(now: datetime | None = None, appeal: Appeal | None = None) -> datetime:
    """The deadline an evidence request gets when the arbitrator names none: the
    appeal's SLA policy's evidence hours."""
    hours = sla.evidence_hours(appeal) if appeal is not None else settings.SLA_EVIDENCE_HOURS
    return (now or timezone.now()) + timedelta(hours=hours)


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
                    **sla.due_times(reason, priority, at),
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
        # Someone on shift gets it now (the floor tick retries whatever this misses).
        enqueue_on_commit("cases.tasks.assign_appeal", appeal.pk)
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
    by_floor: str = "",
) -> Appeal:
    """A senior or lead (re)assigns a case, or returns it to the queue with assignee=None.
    The floor (cases.floor) assigns with actor=None and `by_floor` saying why ("auto",
    "shift_ended", "deactivated"); it checks who fits before it calls."""
    if by_floor:
        if actor is not None:
            raise InvalidInput("by_floor is the system's; a person assigns as themselves.")
    else:
        actor = guards.require(actor, roles.ASSIGN, _("assign appeals"))
    if assignee is not None and not roles.has(assignee, roles.WORK):
        raise InvalidInput(
            _("%(user)s does not work appeals.") % {"user": assignee.get_username()},
            field="assignee",
        )
    with transaction.atomic():
        appeal = lock_appeal(appeal_id, expected_updated_at=expected_updated_at)
        if by_floor:
            if appeal.is_closed or appeal.status == S.PENDING_APPROVAL:
                raise InvalidTransition(_("This appeal can no longer be reassigned."))
            if by_floor == "auto" and (appeal.status != S.OPEN or appeal.assignee_id is not None):
                # The last word against a double assignment: only a case still in the
                # pool is assigned automatically.
                raise Conflict(_("This appeal is no longer waiting in the pool."))
        else:
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
        previous = appeal.assignee_id
        transition(
            appeal,
            to,
            actor=actor,
            action="appeal.assigned",
            responds=False,
            fields={"assignee": assignee},
            audit_extra={"by_floor": by_floor} if by_floor else None,
        )
        if assignee is not None and assignee.pk != previous:
            notify(
                [assignee],
                Notification.Kind.ASSIGNED_TO_YOU,
                appeal=appeal,
                exclude=actor,
                data={"by": actor.get_username() if actor else "", "why": by_floor},
            )
    return appeal


def appeal_assign_many(
    *, assignments: list[tuple[int, AbstractBaseUser]], by_floor: str = "auto"
) -> list[int]:
    """The floor's batch: appeal_assign(by_floor=...) for each (appeal id, person), with
    the same status rows, audit entries, events and assigned_to_you notifications, in a
    fixed number of statements. Only appeals still open and unassigned are taken (each
    locked; one another transaction holds is left for the next tick). The caller has
    checked that each person takes cases and has room. Returns the ids assigned."""
    require_transaction("appeal_assign_many")
    if not assignments:
        return []
    rows = Appeal.objects.filter(
        pk__in=[appeal_id for appeal_id, _user in assignments],
        status=S.OPEN,
        assignee__isnull=True,
    ).select_related("order")
    if connection.features.has_select_for_update_skip_locked:
        rows = rows.select_for_update(skip_locked=True, of=("self",))
    else:
        rows = rows.select_for_update()
    locked = {appeal.pk: appeal for appeal in rows}
    moves = [
        (locked[appeal_id], {"assignee": user})
        for appeal_id, user in assignments
        if appeal_id in locked
    ]
    transition_many(
        moves,
        S.IN_REVIEW,
        actor=None,
        action="appeal.assigned",
        responds=False,
        audit_extra={"by_floor": by_floor},
    )
    Notification.objects.bulk_create(
        [
            Notification(
                user=user,
                kind=Notification.Kind.ASSIGNED_TO_YOU,
                appeal=appeal,
                data={"by": "", "why": by_floor},
            )
            for appeal, fields in moves
            for user in [fields["assignee"]]
        ]
    )
    return [appeal.pk for appeal, _fields in moves]


def appeal_note_assignment(appeal_ids: list[int], note: str) -> int:
    """Why the floor left these open appeals unassigned (shown in the queue and on the
    case). Not a status change; rewritten only where it changed."""
    return (
        Appeal.objects.filter(pk__in=appeal_ids, status=S.OPEN, assignee__isnull=True)
        .exclude(assignment_note=note)
        .update(assignment_note=note[:300])
    )


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
    if due_at is None:
        due_at = evidence_due_default(now, Appeal.objects.filter(pk=appeal_id).first())
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
        fields: dict[str, Any] = {"evidence_requested_from": party}
        if appeal.assignee_id is None:
            # Whoever asks owns the case, so the reply comes back to someone.
            fields["assignee"] = actor
        # Asking the same party again sets a new deadline: the earlier request gives way.
        appeal.evidence_requests.filter(
            party=party, answered_at__isnull=True, missed_at__isnull=True
        ).update(answered_at=now, answered_via=EvidenceRequest.Via.REPLACED)
        request = EvidenceRequest.objects.create(
            appeal=appeal,
            party=party,
            what=text,
            requested_by=actor,
            requested_at=now,
            due_at=due_at,
        )
        transition(
            appeal,
            S.AWAITING_EVIDENCE,
            actor=actor,
            action="appeal.evidence_requested",
            comment=text,
            fields=fields,
            audit_extra={"request": request.pk, "party": party, "due_at": due_at.isoformat()},
        )
        # The case now waits on a party: the resolution clock stands still.
        sla.pause_open(appeal, cause=ClockPause.Cause.EVIDENCE, at=now)
        sla.sync_evidence_due(appeal)
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


def appeal_evidence_received(
    *,
    appeal_id: int,
    actor: Actor,
    party: str,
    via: str = EvidenceRequest.Via.EVIDENCE,
    at: datetime | None = None,
) -> Appeal:
    """A party answered (an upload for that party, a chat message from it, or staff
    recording the answer): its waiting requests are answered, the assignee hears of it,
    and once nobody is waited on any more the clock runs again and the case goes back to
    its owner's review (or to the open queue if nobody owns it now)."""
    at = at or timezone.now()
    with transaction.atomic():
        appeal = lock_appeal(appeal_id)
        if appeal.is_closed:
            return appeal
        answered = list(
            appeal.evidence_requests.filter(
                party=party, answered_at__isnull=True, missed_at__isnull=True, requested_at__lte=at
            ).values_list("pk", flat=True)
        )
        if not answered:
            return appeal
        EvidenceRequest.objects.filter(pk__in=answered).update(answered_at=at, answered_via=via)
        answer = {"party": party, "via": via, "requests": answered}
        if appeal.assignee_id:
            notify(
                [appeal.assignee_id],
                Notification.Kind.EVIDENCE_ARRIVED,
                appeal=appeal,
                data={"party": party, "via": via},
                exclude=actor,
            )
        still_waiting = appeal.evidence_requests.filter(
            answered_at__isnull=True, missed_at__isnull=True
        ).exists()
        if not still_waiting:
            sla.evidence_pause_close(appeal, at=at)
        sla.sync_evidence_due(appeal)
        if appeal.status == S.AWAITING_EVIDENCE and not still_waiting:
            transition(
                appeal,
                S.IN_REVIEW if appeal.assignee_id else S.OPEN,
                actor=actor,
                action="appeal.evidence_received",
                fields={"evidence_requested_from": ""},
                audit_extra=answer,
            )
        else:
            # Still waiting on the other party (or sent up meanwhile): the answer is on
            # record without a status change.
            audit_record(
                actor=actor,
                action="appeal.party_answered",
                obj=appeal,
                appeal=appeal,
                after=answer,
            )
    return appeal


def appeal_record_answer(*, appeal_id: int, actor: Actor, party: str, note: str = "") -> Appeal:
    """Staff record that a party answered some other way (a call, an e-mail to support):
    the same as the party answering in the app, with who recorded it."""
    actor = guards.require(actor, roles.WORK, _("record a party's answer"))
    if party not in Party.values:
        raise InvalidInput(_("party must be 'buyer' or 'seller'."), field="party")
    with transaction.atomic():
        appeal = lock_appeal(appeal_id)
        guards.can_record_answer(actor, appeal, party).check()
        if note.strip():
            note_add(appeal_id=appeal.pk, actor=actor, text=note)
        return appeal_evidence_received(
            appeal_id=appeal.pk, actor=actor, party=party, via=EvidenceRequest.Via.STAFF
        )


def appeal_evidence_missed(*, appeal_id: int, at: datetime | None = None) -> list[EvidenceRequest]:
    """The floor tick found a party's deadline passed: the request is marked missed (the
    party's breach), and once nobody is waited on any more the case returns to its
    arbitrator flagged, its clock running again from the deadline. What the rulebook
    usually decides then is suggested on the case (cases.floor.deadlines), never applied."""
    at = at or timezone.now()
    with transaction.atomic():
        appeal = lock_appeal(appeal_id)
        if (
            appeal.is_closed
            or appeal.clock_pauses.filter(
                cause=ClockPause.Cause.INCIDENT, ended_at__isnull=True
            ).exists()
        ):
            # An incident stops the parties' clocks too: nobody misses a deadline during it.
            return []
        missed = list(
            appeal.evidence_requests.filter(
                answered_at__isnull=True, missed_at__isnull=True, due_at__lte=at
            )
        )
        if not missed:
            return []
        EvidenceRequest.objects.filter(pk__in=[r.pk for r in missed]).update(missed_at=at)
        parties = sorted({r.party for r in missed})
        appeal.evidence_missed_at = appeal.evidence_missed_at or at
        appeal.save(update_fields=["evidence_missed_at", "updated_at"])
        if appeal.assignee_id:
            for party in parties:
                notify(
                    [appeal.assignee_id],
                    Notification.Kind.DEADLINE_MISSED,
                    appeal=appeal,
                    data={"party": party},
                    key=f"missed:{appeal.pk}:{party}:{missed[0].pk}",
                )
        waiting = appeal.evidence_requests.filter(
            answered_at__isnull=True, missed_at__isnull=True
        ).exists()
        sla.sync_evidence_due(appeal)
        if waiting:
            audit_record(
                actor=None,
                action="appeal.evidence_deadline_missed",
                obj=appeal,
                appeal=appeal,
                after={"parties": parties, "requests": [r.pk for r in missed]},
            )
            return missed
        # The clock runs again from the moment the party's time ran out.
        sla.evidence_pause_close(appeal, at=max(r.due_at for r in missed))
        to = appeal.status
        if appeal.status == S.AWAITING_EVIDENCE:
            to = S.IN_REVIEW if appeal.assignee_id else S.OPEN
        transition(
            appeal,
            to,
            actor=None,
            action="appeal.evidence_deadline_missed",
            comment=_("The %(parties)s missed the evidence deadline.")
            % {"parties": ", ".join(Party(p).label.lower() for p in parties)},
            fields={"evidence_requested_from": ""},
            audit_extra={"parties": parties, "requests": [r.pk for r in missed]},
        )
    return missed


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
        _escalate(appeal, actor=actor, reason=reason, target_role=roles.Role.SENIOR_ARBITRATOR)
    return appeal


def appeal_escalate_by_rule(
    *,
    rule,
    appeal_ids: list[int],
    at: datetime | None = None,
    recipients: list[int] | None = None,
) -> list[int]:
    """The escalation matrix sends cases up: once per rule and appeal (the unique index is
    the last word), to the rule's target role, with the rule's name as the reason. Each
    gets what a manual escalation writes (escalation row, status row, audit entry,
    appeal.status_changed when its status changes, escalated_to_you for the role), the
    whole batch in a fixed number of statements. Appeals another transaction holds, past
    escalating, or already escalated by this rule are left out. `recipients` are the
    target role's members, read once by a sweep. Returns the ids escalated."""
    at = at or timezone.now()
    reason = _("Escalation rule: %(name)s") % {"name": rule.name}
    with transaction.atomic():
        rows = Appeal.objects.filter(
            pk__in=appeal_ids,
            status__in=(S.OPEN, S.IN_REVIEW, S.AWAITING_EVIDENCE, S.ESCALATED),
        ).select_related("order")
        if connection.features.has_select_for_update_skip_locked:
            rows = rows.select_for_update(skip_locked=True, of=("self",))
        else:
            rows = rows.select_for_update()
        appeals = list(rows)
        # Read after the locks: a sweep that escalated one of these a moment ago held its
        # lock until it committed, so its escalation row is visible now.
        done = set(
            AppealEscalation.objects.filter(
                rule=rule, appeal_id__in=[a.pk for a in appeals]
            ).values_list("appeal_id", flat=True)
        )
        appeals = [a for a in appeals if a.pk not in done]
        if not appeals:
            return []
        AppealEscalation.objects.bulk_create(
            [
                AppealEscalation(
                    appeal=a,
                    rule=rule,
                    rule_name=rule.name,
                    reason=reason,
                    target_role=rule.target_role,
                    at=at,
                )
                for a in appeals
            ]
        )
        fields = {
            "escalated_at": at,
            "escalation_reason": reason,
            "escalation_rule_name": rule.name,
            "escalation_target_role": rule.target_role,
        }
        extra = {"rule": rule.name, "target_role": rule.target_role}
        # A case sent up leaves its owner; one already up only changes who it waits for.
        for group, more in (
            ([a for a in appeals if a.status != S.ESCALATED], {"assignee": None}),
            ([a for a in appeals if a.status == S.ESCALATED], {}),
        ):
            transition_many(
                [(a, {**fields, **more}) for a in group],
                S.ESCALATED,
                actor=None,
                action="appeal.escalated",
                comment=reason,
                audit_extra=extra,
            )
        people = role_members(rule.target_role) if recipients is None else recipients
        Notification.objects.bulk_create(
            [
                Notification(
                    user_id=user_id,
                    kind=Notification.Kind.ESCALATED_TO_YOU,
                    appeal=a,
                    data={"reason": reason, "rule": rule.name},
                    key=f"escalated:{a.pk}:{rule.pk}",
                )
                for a in appeals
                for user_id in people
            ],
            ignore_conflicts=True,
        )
    return [a.pk for a in appeals]


def _escalate(
    appeal: Appeal,
    *,
    actor: Actor,
    reason: str,
    target_role: str,
    rule=None,
    at: datetime | None = None,
    recipients: list[int] | None = None,
) -> None:
    at = at or timezone.now()
    AppealEscalation.objects.create(
        appeal=appeal,
        rule=rule,
        rule_name=rule.name if rule else "",
        reason=reason,
        target_role=target_role,
        actor=actor,
        at=at,
    )
    fields = {
        "escalated_at": at,
        "escalation_reason": reason,
        "escalation_rule_name": rule.name if rule else "",
        "escalation_target_role": target_role,
    }
    if appeal.status != S.ESCALATED:
        fields["assignee"] = None
    transition(
        appeal,
        S.ESCALATED,
        actor=actor,
        action="appeal.escalated",
        comment=reason,
        fields=fields,
        audit_extra={"rule": rule.name if rule else None, "target_role": target_role},
    )
    notify(
        role_members(target_role) if recipients is None else recipients,
        Notification.Kind.ESCALATED_TO_YOU,
        appeal=appeal,
        data={"reason": reason, "rule": rule.name if rule else None},
        exclude=actor,
        key=f"escalated:{appeal.pk}:{rule.pk if rule else at.isoformat()}",
    )


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
