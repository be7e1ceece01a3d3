"""Staff roles: Django groups with the contract's names, and what each may do."""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser


class Role:
    ARBITRATOR = "arbitrator"
    SENIOR_ARBITRATOR = "senior_arbitrator"
    TEAM_LEAD = "team_lead"
    RISK_ANALYST = "risk_analyst"
    AUDITOR = "auditor"

    ALL = (ARBITRATOR, SENIOR_ARBITRATOR, TEAM_LEAD, RISK_ANALYST, AUDITOR)


# Machine clients: a user in this group, with a token and no password. Not a staff role.
SERVICE_GROUP = "service_account"

# Custom permissions (declared on Appeal.Meta) the lifecycle checks.
WORK = "cases.work_appeal"
ASSIGN = "cases.assign_appeal"
HANDLE_ESCALATION = "cases.handle_escalation"
APPROVE = "cases.approve_verdict"
VIEW_RISK = "cases.view_risk"
VIEW_METRICS = "cases.view_metrics"

_ARBITRATOR = ["work_appeal"]
_SENIOR = [*_ARBITRATOR, "assign_appeal", "handle_escalation", "approve_verdict"]

# Codenames per group. "view_*" of every desk model is added to every role (all staff
# read cases); the writes staff make go through these custom permissions, not add/change.
ROLE_PERMISSIONS: dict[str, list[str]] = {
    Role.ARBITRATOR: _ARBITRATOR,
    Role.SENIOR_ARBITRATOR: _SENIOR,
    Role.TEAM_LEAD: [
        *_SENIOR,
        "view_metrics",
        "view_risk",
        "add_rule",
        "change_rule",
        "add_webhooksubscriber",
        "change_webhooksubscriber",
    ],
    Role.RISK_ANALYST: ["view_risk", "view_metrics"],
    Role.AUDITOR: ["view_risk", "view_metrics"],
}


def user_roles(user: AbstractBaseUser) -> set[str]:
    if not getattr(user, "is_authenticated", False):
        return set()
    cached = getattr(user, "_role_names", None)
    if cached is None:
        cached = set(user.groups.filter(name__in=Role.ALL).values_list("name", flat=True))
        user._role_names = cached
    return cached


def is_staff_member(user: AbstractBaseUser) -> bool:
    return bool(user_roles(user))


def is_service_account(user: AbstractBaseUser) -> bool:
    if not getattr(user, "is_authenticated", False):
        return False
    cached = getattr(user, "_is_service", None)
    if cached is None:
        cached = user.groups.filter(name=SERVICE_GROUP).exists()
        user._is_service = cached
    return cached
