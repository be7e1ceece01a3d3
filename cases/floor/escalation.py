"""The escalation matrix: rules that send a case up by themselves.

A rule's conditions (all optional; every one given must hold) become one filter on the
appeal table (`rule_q`). The sweep escalates each matching active appeal once per rule
(`lifecycle.appeal_escalate_by_rule`, backed by a unique index), at most SWEEP_LIMIT a
sweep shared equally between the rules, so a new rule over a deep backlog drains over a
few ticks instead of stalling one (each escalation is its own short transaction).
"""

from __future__ import annotations

import logging
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.db import DatabaseError, IntegrityError, transaction
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from arbitration.exceptions import Conflict, DomainError, InvalidInput
from cases import lifecycle, roles, sla
from cases.audit import audit_record
from cases.models import ACTIVE, Appeal, AppealEscalation, EscalationRule
from cases.notifications import role_members

S = Appeal.Status
logger = logging.getLogger(__name__)
# At most this many escalations per rule, and per sweep in all (see escalation_sweep).
BATCH = 100
SWEEP_LIMIT = 100
BOOLEAN_CONDITIONS = ("sla_breached", "evidence_deadline_missed", "reopened")


def validate_conditions(raw: Any) -> dict[str, Any]:
    """The conditions as stored, or InvalidInput naming the bad one (`conditions.x`)."""
    if not isinstance(raw, dict):
        raise InvalidInput(_("Conditions must be an object."), field="conditions")
    unknown = sorted(set(raw) - set(EscalationRule.CONDITIONS))
    if unknown:
        raise InvalidInput(
            _("Unknown condition %(name)s.") % {"name": unknown[0]},
            field=f"conditions.{unknown[0]}",
        )
    clean: dict[str, Any] = {}
    if "asset" in raw:
        asset = raw["asset"]
        if not isinstance(asset, str) or not asset.strip() or len(asset) > 16:
            raise InvalidInput(_("Name an asset, such as USDT."), field="conditions.asset")
        clean["asset"] = asset.strip().upper()
    if "min_crypto_amount" in raw:
        value = raw["min_crypto_amount"]
        try:
            amount = Decimal(str(value)) if isinstance(value, (str, int)) else None
        except InvalidOperation:
            amount = None
        # What the amount column holds (28 digits, 8 after the point): a rule the
        # database cannot compare with would stop every tick.
        if (
            amount is None
            or isinstance(value, bool)
            or not amount.is_finite()
            or amount < 0
            or amount >= Decimal(10) ** 20
            or amount.as_tuple().exponent < -8
        ):
            raise InvalidInput(
                _('Give the amount as a decimal string, such as "10000" (up to 8 decimals).'),
                field="conditions.min_crypto_amount",
            )
        clean["min_crypto_amount"] = f"{amount:f}"
    if "min_risk_score" in raw:
        score = raw["min_risk_score"]
        if not isinstance(score, int) or isinstance(score, bool) or not 0 <= score <= 100:
            raise InvalidInput(
                _("A risk score is a whole number from 0 to 100."),
                field="conditions.min_risk_score",
            )
        clean["min_risk_score"] = score
    if "reasons" in raw:
        reasons = raw["reasons"]
        if (
            not isinstance(reasons, list)
            or not reasons
            or any(r not in Appeal.Reason.values for r in reasons)
        ):
            raise InvalidInput(
                _("Reasons are a non-empty list of appeal reason codes."),
                field="conditions.reasons",
            )
        clean["reasons"] = sorted(set(reasons))
    for name in BOOLEAN_CONDITIONS:
        if name in raw:
            if not isinstance(raw[name], bool):
                raise InvalidInput(_("Say true or false."), field=f"conditions.{name}")
            clean[name] = raw[name]
    return clean


def rule_q(conditions: dict[str, Any], at: datetime) -> Q:
    """The appeals a rule's conditions match, as a filter."""
    q = Q()
    if "asset" in conditions:
        q &= Q(asset__iexact=conditions["asset"])
    if "min_crypto_amount" in conditions:
        q &= Q(crypto_amount__gte=Decimal(conditions["min_crypto_amount"]))
    if "min_risk_score" in conditions:
        q &= Q(risk_score__gte=conditions["min_risk_score"])
    if "reasons" in conditions:
        q &= Q(reason__in=conditions["reasons"])
    if "sla_breached" in conditions:
        breached = sla.breached_q(at)
        q &= breached if conditions["sla_breached"] else ~breached
    if "evidence_deadline_missed" in conditions:
        q &= Q(evidence_missed_at__isnull=not conditions["evidence_deadline_missed"])
    if "reopened" in conditions:
        earlier = Exists(
            Appeal.objects.filter(
                order=OuterRef("order"), status=S.RESOLVED, created_at__lt=OuterRef("created_at")
            )
        )
        q &= earlier if conditions["reopened"] else ~earlier
    return q


def matching(rule: EscalationRule, at: datetime):
    """Active appeals this rule matches and has not escalated yet (pending approval
    excepted: a verdict is waiting on a second pair of eyes already)."""
    done = AppealEscalation.objects.filter(rule=rule, appeal=OuterRef("pk"))
    # ACTIVE, word for word, so the planner can use the partial indexes over the active
    # appeals; no ORDER BY, so a LIMIT stops at the first matches an index finds.
    return (
        Appeal.objects.filter(ACTIVE)
        .exclude(status=S.PENDING_APPROVAL)
        .filter(rule_q(rule.conditions, at))
        .exclude(Exists(done))
    )


def escalation_sweep(at: datetime | None = None) -> int:
    """Apply every active rule once; returns how many escalations it made."""
    at = at or timezone.now()
    made = 0
    members: dict[str, list[int]] = {}
    rules = list(EscalationRule.objects.filter(active=True).order_by("pk"))
    # The sweep's budget is shared equally: a new rule over a deep backlog drains over a
    # few ticks without starving the other rules or stalling the tick.
    share = max(1, min(BATCH, SWEEP_LIMIT // max(1, len(rules))))
    for rule in rules:
        try:
            with transaction.atomic():
                ids = list(matching(rule, at).values_list("pk", flat=True)[:share])
        except (DatabaseError, ArithmeticError, ValueError):
            # A rule the database cannot evaluate (saved before its checks existed) is
            # skipped, loudly; the others still run.
            logger.exception("escalation rule %s (%r) cannot be evaluated", rule.pk, rule.name)
            continue
        if not ids:
            continue
        if rule.target_role not in members:
            members[rule.target_role] = role_members(rule.target_role)
        try:
            made += len(
                lifecycle.appeal_escalate_by_rule(
                    rule=rule, appeal_ids=ids, at=at, recipients=members[rule.target_role]
                )
            )
        except (DomainError, IntegrityError, DatabaseError):
            continue  # another sweep got there first: the next tick retries the rest
    return made


# --- team leads edit the matrix -----------------------------------------------------------


def _snapshot(rule: EscalationRule) -> dict[str, Any]:
    return {
        "name": rule.name,
        "active": rule.active,
        "conditions": rule.conditions,
        "target_role": rule.target_role,
    }


def rule_save(
    *, actor: AbstractBaseUser | None, rule: EscalationRule | None = None, **fields: Any
) -> EscalationRule:
    """Create (rule=None) or change a rule; team leads only, audited."""
    lifecycle.require(actor, roles.MANAGE_FLOOR, _("edit the escalation matrix"))
    rule = rule or EscalationRule()
    before = _snapshot(rule) if rule.pk else {}
    if "name" in fields or rule.pk is None:
        name = (fields.get("name") or "").strip()
        if not name or len(name) > 100:
            raise InvalidInput(_("Give the rule a name (at most 100 characters)."), field="name")
        clash = EscalationRule.objects.filter(name__iexact=name)
        if rule.pk is not None:
            clash = clash.exclude(pk=rule.pk)
        if clash.exists():
            raise Conflict(_("A rule with this name already exists."), field="name")
        rule.name = name
    if "conditions" in fields or rule.pk is None:
        rule.conditions = validate_conditions(fields.get("conditions", {}))
    if "target_role" in fields or rule.pk is None:
        if fields.get("target_role") not in EscalationRule.Target.values:
            raise InvalidInput(
                _("The target role is senior_arbitrator or team_lead."), field="target_role"
            )
        rule.target_role = fields["target_role"]
    if "active" in fields:
        if not isinstance(fields["active"], bool):
            raise InvalidInput(_("Say true or false."), field="active")
        rule.active = fields["active"]
    try:
        with transaction.atomic():
            rule.save()
            audit_record(
                actor=actor,
                action="escalation_rule.saved",
                obj=rule,
                before=before,
                after=_snapshot(rule),
            )
    except IntegrityError:
        raise Conflict(_("A rule with this name already exists."), field="name") from None
    return rule


def rule_delete(*, actor: AbstractBaseUser | None, rule: EscalationRule) -> None:
    lifecycle.require(actor, roles.MANAGE_FLOOR, _("edit the escalation matrix"))
    with transaction.atomic():
        audit_record(
            actor=actor, action="escalation_rule.deleted", obj=rule, before=_snapshot(rule)
        )
        rule.delete()
