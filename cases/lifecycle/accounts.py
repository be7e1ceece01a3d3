"""Account actions on a trader (a verdict's warning, P2P restriction or freeze) and
account restrictions (a senior's or lead's, or a risk analyst's proposal a team lead
approves).

Every restriction in force is an AccountRestriction row: a verdict's P2P restriction and
freeze write one too, so the trader page, `Trader.is_restricted` and the webhooks read
one record. `Trader.frozen` and `Trader.p2p_restricted_until` are a summary of those
rows (`_summary_refresh`), rewritten under the trader's row lock by every change here.

Locks: the trader row first, then the restriction row, always in that order, so a lift
and an approval on one trader queue behind each other instead of deadlocking; the state
is checked again under the lock, so two leads approving at once, or two lifts, apply once.
Each change that takes effect (an add, an approval) and each lift writes an audit entry
and an `account.action_taken` event (`trader`, `functions`, `until`, `reason`, and
`"lifted": true` on a lift) in its transaction.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from arbitration.db import require_transaction, storable_moment
from arbitration.exceptions import InvalidInput
from cases import notifications, roles
from cases.audit import audit_record
from cases.models import (
    SHORT_TEXT_MAX,
    AccountAction,
    AccountRestriction,
    Appeal,
    Notification,
    Trader,
    Verdict,
)
from cases.outbox import event_emit

from . import guards

R = AccountRestriction
# What a verdict's account action switches off (a warning switches off nothing).
ACTION_FUNCTIONS: dict[str, list[str]] = {
    AccountAction.Kind.FREEZE: list(R.Function.values),
    AccountAction.Kind.P2P_RESTRICTION: [R.Function.P2P],
}


def account_action_refusal(kind: str, days: int | None, *, field: str) -> InvalidInput | None:
    """What is wrong with this action as asked (an unknown kind, a restriction with no
    length); None if nothing."""
    if kind not in AccountAction.Kind.values:
        return InvalidInput(
            _("Unknown account action %(kind)s.") % {"kind": repr(kind)}, field=field
        )
    if kind == AccountAction.Kind.P2P_RESTRICTION and not (days and days > 0):
        return InvalidInput(_("A P2P restriction needs a number of days."), field="days")
    return None


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
    refusal = account_action_refusal(kind, days, field="kind")
    if refusal is not None:
        raise refusal
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
        functions = ACTION_FUNCTIONS.get(kind, [])
        if functions:
            # Its own row: a longer restriction already in force is never shortened (the
            # summary keeps the latest end), and lifting this one lifts only this one.
            R.objects.create(
                trader=trader,
                **_flags(functions),
                reason=reason or f"Account action #{action.pk}: {kind}",
                until=expires_at,
                state=R.State.IMPOSED,
                created_by=actor,
                created_at=now,
                decided_by=actor,
                decided_at=now,
                appeal=appeal,
                action=action,
            )
            _summary_refresh(trader, now)
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
                "functions": functions,
                "until": expires_at,
            },
        )
    return action


# --- account restrictions -------------------------------------------------------------------


def _flags(functions: Iterable[str]) -> dict[str, bool]:
    chosen = set(functions)
    return {f: f in chosen for f in R.Function.values}


def restriction_input(
    functions: object, reason: object, until: datetime | None, *, now: datetime
) -> tuple[list[str], str]:
    """The functions (known, at least one, in the contract's order) and the reason
    (stripped, not empty) as asked; InvalidInput naming the field otherwise. The end, if
    given, lies in the future."""
    if not isinstance(functions, list | tuple) or not functions:
        raise InvalidInput(
            _("Choose at least one function to restrict: withdrawal, p2p or login."),
            field="functions",
        )
    unknown = [f for f in functions if not isinstance(f, str) or f not in R.Function.values]
    if unknown:
        raise InvalidInput(
            _("Unknown function %(name)s: choose withdrawal, p2p or login.")
            % {"name": repr(unknown[0])},
            field="functions",
        )
    reason = reason.strip() if isinstance(reason, str) else ""
    if not reason:
        raise InvalidInput(_("Say why the account is restricted."), field="reason")
    if len(reason) > SHORT_TEXT_MAX:
        raise InvalidInput(
            _("A reason has at most %(n)s characters.") % {"n": SHORT_TEXT_MAX}, field="reason"
        )
    if until is not None:
        storable_moment(until, field="until")
        if until <= now:
            raise InvalidInput(_("The end of a restriction must be in the future."), field="until")
    return [f for f in R.Function.values if f in set(functions)], reason


def lock_trader(trader_id: int) -> Trader:
    """The trader row, locked for the rest of the transaction (taken before any of its
    restriction rows: one order for every writer)."""
    require_transaction("lock_trader")
    return Trader.objects.select_for_update().get(pk=trader_id)


def lock_restriction(restriction_id: int) -> tuple[Trader, AccountRestriction]:
    """The restriction and its trader, both locked, trader first. InvalidInput if there is
    no such restriction (the API answers 404 before it gets here)."""
    require_transaction("lock_restriction")
    trader_id = R.objects.filter(pk=restriction_id).values_list("trader_id", flat=True).first()
    if trader_id is None:
        raise InvalidInput(_("No such restriction."), field="restriction")
    trader = lock_trader(trader_id)
    restriction = R.objects.select_for_update().select_related("trader").get(pk=restriction_id)
    return trader, restriction


def _summary_refresh(trader: Trader, now: datetime) -> None:
    """Rewrite the trader's `frozen` and `p2p_restricted_until` from its active rows:
    frozen while every function is off with no end; the latest end of an active P2P
    restriction that has one. The caller holds the trader's lock."""
    active = trader.restrictions.filter(R.active_q(now))
    trader.frozen = active.filter(
        withdrawal=True, p2p=True, login=True, until__isnull=True
    ).exists()
    trader.p2p_restricted_until = active.filter(p2p=True).aggregate(end=Max("until"))["end"]
    trader.save(update_fields=["frozen", "p2p_restricted_until", "updated_at"])


def _snapshot(restriction: AccountRestriction) -> dict[str, Any]:
    return {
        "trader": restriction.trader.external_id,
        "functions": restriction.functions,
        "until": restriction.until,
        "reason": restriction.reason,
        "state": restriction.state,
        "proposal": restriction.proposal,
    }


def _announce(
    restriction: AccountRestriction, *, actor: AbstractBaseUser, action: str, **extra: Any
) -> None:
    """The audit entry and the `account.action_taken` event of a restriction taking
    effect or being lifted (the same keys as a verdict's account action's event)."""
    after = _snapshot(restriction) | extra
    audit_record(
        actor=actor, action=action, obj=restriction, appeal=restriction.appeal, after=after
    )
    data: dict[str, Any] = {
        "trader": restriction.trader.external_id,
        "action": "restriction",
        "restriction": restriction.pk,
        "functions": restriction.functions,
        "until": restriction.until,
        "reason": restriction.reason,
        "appeal": restriction.appeal_id,
    }
    if restriction.lifted_at is not None:
        data |= {"lifted": True, "lift_reason": restriction.lift_reason}
    event_emit(type="account.action_taken", appeal=restriction.appeal, data=data)


def _create(
    actor: AbstractBaseUser,
    trader: Trader,
    functions: object,
    reason: object,
    until: datetime | None,
    appeal: Appeal | None,
    *,
    proposal: bool,
) -> AccountRestriction:
    now = timezone.now()
    chosen, reason = restriction_input(functions, reason, until, now=now)
    trader = lock_trader(trader.pk)
    return R.objects.create(
        trader=trader,
        **_flags(chosen),
        reason=reason,
        until=until,
        state=R.State.PROPOSED if proposal else R.State.IMPOSED,
        proposal=proposal,
        created_by=actor,
        created_at=now,
        decided_by=None if proposal else actor,
        decided_at=None if proposal else now,
        appeal=appeal,
    )


def restriction_add(
    *,
    actor: AbstractBaseUser,
    trader: Trader,
    functions: list[str],
    reason: str,
    until: datetime | None = None,
    appeal: Appeal | None = None,
) -> AccountRestriction:
    """A senior or team lead switches off some of a trader's functions, at once."""
    guards.can_restrict(actor).check()
    with transaction.atomic():
        restriction = _create(actor, trader, functions, reason, until, appeal, proposal=False)
        _summary_refresh(restriction.trader, restriction.created_at)
        _announce(restriction, actor=actor, action="account.restricted")
    return restriction


def restriction_propose(
    *,
    trader: Trader,
    actor: AbstractBaseUser,
    functions: list[str],
    reason: str,
    until: datetime | None = None,
    appeal: Appeal | None = None,
) -> AccountRestriction:
    """A risk analyst (or a senior, or a lead) asks for a restriction; nothing is
    switched off until a team lead other than the proposer approves it. The team leads
    are notified; no event goes out (the exchange hears of it when it takes effect)."""
    guards.can_propose_restriction(actor).check()
    with transaction.atomic():
        restriction = _create(actor, trader, functions, reason, until, appeal, proposal=True)
        audit_record(
            actor=actor,
            action="account.restriction_proposed",
            obj=restriction,
            appeal=appeal,
            after=_snapshot(restriction),
        )
        notifications.notify(
            roles.users_with(roles.DECIDE_RESTRICTION),
            Notification.Kind.RESTRICTION_PROPOSED,
            appeal=appeal,
            data={"trader": restriction.trader.external_id, "restriction": restriction.pk},
            key=proposal_key(restriction.pk),
            exclude=actor,
        )
    return restriction


def proposal_key(restriction_id: int) -> str:
    """The key of the team leads' notifications about one proposal."""
    return f"restriction:{restriction_id}"


def restriction_proposal_decide(
    *, actor: AbstractBaseUser, restriction_id: int, approve: bool, note: str = ""
) -> AccountRestriction:
    """A team lead approves a proposal (it takes effect now, announced like an add) or
    rejects it (it never applies). Decided once: a second decision, even at the same
    moment on another server, is refused under the lock."""
    guards.require(actor, roles.DECIDE_RESTRICTION, _("decide proposed restrictions"))
    note = (note or "").strip()
    if len(note) > SHORT_TEXT_MAX:
        raise InvalidInput(
            _("A note has at most %(n)s characters.") % {"n": SHORT_TEXT_MAX}, field="note"
        )
    with transaction.atomic():
        trader, restriction = lock_restriction(restriction_id)
        guards.can_decide_restriction(actor, restriction, approve=approve).check()
        now = timezone.now()
        restriction.state = R.State.IMPOSED if approve else R.State.REJECTED
        restriction.decided_by = actor
        restriction.decided_at = now
        restriction.decision_note = note
        restriction.save(update_fields=["state", "decided_by", "decided_at", "decision_note"])
        Notification.objects.filter(key=proposal_key(restriction.pk), read_at__isnull=True).update(
            read_at=now
        )
        if approve:
            _summary_refresh(trader, now)
            _announce(
                restriction,
                actor=actor,
                action="account.restricted",
                proposed_by=restriction.created_by_id,
                note=note,
            )
        else:
            audit_record(
                actor=actor,
                action="account.restriction_rejected",
                obj=restriction,
                appeal=restriction.appeal,
                after=_snapshot(restriction) | {"note": note},
            )
    return restriction


def restriction_lift(
    *, actor: AbstractBaseUser, restriction_id: int, reason: str
) -> AccountRestriction:
    """A senior or team lead gives the functions back before the end. Once: a second lift
    is refused under the lock."""
    guards.require(actor, roles.RESTRICT, _("lift restrictions"))
    reason = (reason or "").strip()
    if not reason:
        raise InvalidInput(_("Say why the restriction is lifted."), field="reason")
    if len(reason) > SHORT_TEXT_MAX:
        raise InvalidInput(
            _("A reason has at most %(n)s characters.") % {"n": SHORT_TEXT_MAX}, field="reason"
        )
    with transaction.atomic():
        trader, restriction = lock_restriction(restriction_id)
        now = timezone.now()
        guards.can_lift_restriction(actor, restriction, now).check()
        restriction.lifted_at = now
        restriction.lifted_by = actor
        restriction.lift_reason = reason
        restriction.save(update_fields=["lifted_at", "lifted_by", "lift_reason"])
        _summary_refresh(trader, now)
        _announce(
            restriction,
            actor=actor,
            action="account.restriction_lifted",
            lifted=True,
            lift_reason=reason,
        )
    return restriction
