"""Account actions on a trader (a warning, a P2P restriction, a freeze)."""

from __future__ import annotations

from datetime import timedelta

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from arbitration.exceptions import InvalidInput
from cases.audit import audit_record
from cases.models import AccountAction, Appeal, Trader, Verdict
from cases.outbox import event_emit


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
