"""Staff roles: Django groups with the contract's names, and what each may do.

The desk asks `has(user, perm)`, never `user.has_perm(perm)`: a desk permission comes only
from the user's role group. `is_superuser` grants every Django permission, and the admin
account must administer (users, tokens), not decide cases, approve its own four-eyes or
review verdicts without a desk role.
"""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser


class Role:
    ARBITRATOR = "arbitrator"
    SENIOR_ARBITRATOR = "senior_arbitrator"
    TEAM_LEAD = "team_lead"
    RISK_ANALYST = "risk_analyst"
    AUDITOR = "auditor"

    ALL = (ARBITRATOR, SENIOR_ARBITRATOR, TEAM_LEAD, RISK_ANALYST, AUDITOR)
    # Roles that take cases (assignment, the assign select, the review pool).
    WORKING = (ARBITRATOR, SENIOR_ARBITRATOR, TEAM_LEAD)


# Machine clients: a user in this group, with a token and no password. Not a staff role.
SERVICE_GROUP = "service_account"

# Custom permissions (declared on Appeal.Meta) the lifecycle checks.
WORK = "cases.work_appeal"
ASSIGN = "cases.assign_appeal"
HANDLE_ESCALATION = "cases.handle_escalation"
APPROVE = "cases.approve_verdict"
VIEW_METRICS = "cases.view_metrics"
# Team leads run the floor: staff, rotas, SLA policies, the escalation matrix, incidents.
MANAGE_FLOOR = "cases.manage_floor"
# Account restrictions (declared on AccountRestriction.Meta): seniors and leads restrict
# and lift; risk analysts (and they) propose; team leads approve or reject a proposal.
RESTRICT = "cases.restrict_account"
PROPOSE_RESTRICTION = "cases.propose_restriction"
DECIDE_RESTRICTION = "cases.decide_restriction"

# What every desk role reads: the cases and the rulebook. Not the audit log of the whole
# desk, not the outbox, and never the webhook subscribers (their signing secrets) or the
# deliveries (their subscriber URLs and errors).
READ_CASES = [
    "cases.view_trader",
    "cases.view_accountsignal",
    "cases.view_order",
    "cases.view_chatmessage",
    "cases.view_deskmessage",
    "cases.view_appeal",
    "cases.view_appealstatuschange",
    "cases.view_note",
    "cases.view_rule",
    "cases.view_verdict",
    "cases.view_verdictreview",
    "cases.view_accountaction",
    "cases.view_accountrestriction",
    "cases.view_cannedreply",
    "cases.view_penaltyrule",
    "cases.view_watchkeyword",
    "evidence.view_evidence",
    # The floor: rotas, SLA policies, the escalation matrix, incidents, party clocks.
    "cases.view_staffprofile",
    "cases.view_shift",
    "cases.view_absence",
    "cases.view_slapolicy",
    "cases.view_evidencerequest",
    "cases.view_escalationrule",
    "cases.view_appealescalation",
    "cases.view_incident",
    "cases.view_clockpause",
]
READ_HISTORY = ["cases.view_auditentry", "cases.view_outboxevent", "analytics.view_dailymetric"]

_ARBITRATOR = [*READ_CASES, WORK]
_SENIOR = [*_ARBITRATOR, ASSIGN, HANDLE_ESCALATION, APPROVE, RESTRICT, PROPOSE_RESTRICTION]

# Every permission of every role, listed: a new model is visible to nobody until it is
# added here (and to a migration that applies the list, see 0009_explicit_permissions).
ROLE_PERMISSIONS: dict[str, list[str]] = {
    Role.ARBITRATOR: _ARBITRATOR,
    Role.SENIOR_ARBITRATOR: _SENIOR,
    Role.TEAM_LEAD: [
        *_SENIOR,
        MANAGE_FLOOR,
        DECIDE_RESTRICTION,
        *READ_HISTORY,
        VIEW_METRICS,
        # The rulebook and the desk's tools.
        "cases.add_rule",
        "cases.change_rule",
        "cases.add_cannedreply",
        "cases.change_cannedreply",
        "cases.add_penaltyrule",
        "cases.change_penaltyrule",
        "cases.add_watchkeyword",
        "cases.change_watchkeyword",
        # The floor: SLA policies, the escalation matrix and incidents (staff and their
        # rotas are managed on the staff page, which audits every change).
        "cases.add_slapolicy",
        "cases.change_slapolicy",
        "cases.delete_slapolicy",
        "cases.add_escalationrule",
        "cases.change_escalationrule",
        "cases.delete_escalationrule",
        "cases.add_incident",
        "cases.change_incident",
        # Webhook subscribers: only team leads see them at all.
        "cases.view_webhooksubscriber",
        "cases.add_webhooksubscriber",
        "cases.change_webhooksubscriber",
        "cases.view_webhookdelivery",
    ],
    Role.RISK_ANALYST: [*READ_CASES, VIEW_METRICS, PROPOSE_RESTRICTION],
    Role.AUDITOR: [*READ_CASES, *READ_HISTORY, VIEW_METRICS],
}


def user_roles(user: AbstractBaseUser) -> set[str]:
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return set()
    if getattr(user, "_role_names", None) is None:
        _load(user)
    return user._role_names


def desk_permissions(user: AbstractBaseUser | None) -> frozenset[str]:
    """The "app_label.codename" permissions the user's role groups carry (cached on the
    user object with its role names: one query per request). A user without a role has
    none, superuser or not."""
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return frozenset()
    if getattr(user, "_desk_perms", None) is None:
        _load(user)
    return user._desk_perms


def _load(user: AbstractBaseUser) -> None:
    """The user's role names and their permissions, in one query (a role group with no
    permission still counts as the role), cached on the user object for the request."""
    from django.contrib.auth.models import Group

    rows = Group.objects.filter(user=user, name__in=Role.ALL).values_list(
        "name", "permissions__content_type__app_label", "permissions__codename"
    )
    names, perms = set(), set()
    for name, app, codename in rows:
        names.add(name)
        if codename is not None:
            perms.add(f"{app}.{codename}")
    user._role_names = names
    user._desk_perms = frozenset(perms)


def prime(users: list[AbstractBaseUser]) -> None:
    """Read the desk permissions of many users in one query and cache them on each user
    object, as `desk_permissions` would one query per user (the floor tick asks for every
    person it assigns to)."""
    from collections import defaultdict

    from django.contrib.auth.models import Permission

    todo = [u for u in users if getattr(u, "_desk_perms", None) is None]
    if not todo:
        return
    found: dict[int, set[str]] = defaultdict(set)
    rows = Permission.objects.filter(
        group__user__in=[u.pk for u in todo], group__name__in=Role.ALL
    ).values_list("group__user", "content_type__app_label", "codename")
    for user_id, app, codename in rows:
        found[user_id].add(f"{app}.{codename}")
    for user in todo:
        active = getattr(user, "is_authenticated", False) and user.is_active
        user._desk_perms = frozenset(found[user.pk]) if active else frozenset()


def has(user: AbstractBaseUser | None, perm: str) -> bool:
    """Whether the user's desk role grants `perm` ("cases.work_appeal")."""
    return perm in desk_permissions(user)


def users_with(perm: str):
    """Active users whose role group grants `perm` (never a superuser for being one)."""
    from django.contrib.auth import get_user_model

    app_label, codename = perm.split(".", 1)
    return (
        get_user_model()
        .objects.filter(
            is_active=True,
            groups__name__in=Role.ALL,
            groups__permissions__codename=codename,
            groups__permissions__content_type__app_label=app_label,
        )
        .distinct()
    )


def is_staff_member(user: AbstractBaseUser) -> bool:
    return bool(user_roles(user))


def is_service_account(user: AbstractBaseUser) -> bool:
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    cached = getattr(user, "_is_service", None)
    if cached is None:
        cached = user.groups.filter(name=SERVICE_GROUP).exists()
        user._is_service = cached
    return cached
