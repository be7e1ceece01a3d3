"""What `migrate` sets up: the staff roles, the default rulebook and the audit chain's head."""

from __future__ import annotations

import importlib

import pytest
from django.contrib.auth.models import Group
from django.core.management import call_command

from cases import roles
from cases.audit import GENESIS
from cases.models import Appeal, AuditHead, Rule

pytestmark = pytest.mark.django_db

STAFF_ROLES = ["arbitrator", "senior_arbitrator", "team_lead", "risk_analyst", "auditor"]


def test_the_five_staff_roles_exist():
    assert set(Group.objects.values_list("name", flat=True)) >= set(STAFF_ROLES)
    assert roles.Role.ALL == tuple(STAFF_ROLES)


# role -> permissions it must have / must not have.
EXPECTED = {
    "arbitrator": (
        {"cases.work_appeal", "cases.view_appeal", "cases.view_verdict", "evidence.view_evidence"},
        {
            "cases.approve_verdict",
            "cases.assign_appeal",
            "cases.handle_escalation",
            "cases.change_appeal",
        },
    ),
    "senior_arbitrator": (
        {
            "cases.work_appeal",
            "cases.assign_appeal",
            "cases.handle_escalation",
            "cases.approve_verdict",
            "cases.view_appeal",
        },
        {"cases.change_rule", "cases.change_appeal"},
    ),
    "team_lead": (
        {
            "cases.work_appeal",
            "cases.assign_appeal",
            "cases.handle_escalation",
            "cases.approve_verdict",
            "cases.view_metrics",
            "cases.add_rule",
            "cases.change_rule",
            "cases.view_webhooksubscriber",
            "cases.add_webhooksubscriber",
            "cases.change_webhooksubscriber",
            "cases.view_auditentry",
        },
        {
            "cases.change_appeal",
            "cases.delete_auditentry",
            "cases.change_verdict",
            "cases.delete_rule",
            "cases.delete_webhooksubscriber",
        },
    ),
    "risk_analyst": (
        {
            "cases.view_metrics",
            "cases.view_appeal",
            "cases.view_trader",
            "cases.view_accountsignal",
        },
        {
            "cases.work_appeal",
            "cases.approve_verdict",
            "cases.assign_appeal",
            "cases.view_webhooksubscriber",
        },
    ),
    "auditor": (
        {
            "cases.view_appeal",
            "cases.view_auditentry",
            "cases.view_verdict",
            "cases.view_note",
            "evidence.view_evidence",
        },
        {
            "cases.work_appeal",
            "cases.approve_verdict",
            "cases.assign_appeal",
            "cases.handle_escalation",
            "cases.change_rule",
            "cases.add_rule",
            "cases.change_webhooksubscriber",
            "cases.view_webhooksubscriber",
            "cases.view_webhookdelivery",
        },
    ),
}


@pytest.mark.parametrize("role", STAFF_ROLES)
def test_each_role_has_its_permissions(role, make_user):
    has, has_not = EXPECTED[role]
    user = make_user(role)
    assert {perm for perm in has if user.has_perm(perm)} == has
    assert {perm for perm in has_not if user.has_perm(perm)} == set()


CUSTOM = {codename for codename, _ in Appeal._meta.permissions}


@pytest.mark.parametrize("role", STAFF_ROLES)
def test_each_group_holds_exactly_the_permissions_its_role_lists(role):
    """Listed, not "every view permission": a model added later is visible to nobody
    until a role lists it."""
    held = {
        f"{app}.{codename}"
        for app, codename in Group.objects.get(name=role).permissions.values_list(
            "content_type__app_label", "codename"
        )
    }
    assert held == set(roles.ROLE_PERMISSIONS[role])


def test_view_risk_is_gone():
    """Nothing enforced it and every role deciding cases needs the risk signals."""
    assert "view_risk" not in CUSTOM
    from django.contrib.auth.models import Permission

    assert not Permission.objects.filter(codename="view_risk").exists()


@pytest.mark.parametrize("role", STAFF_ROLES)
def test_every_role_reads_the_cases(role):
    group = Group.objects.get(name=role)
    views = set(
        group.permissions.filter(codename__startswith="view_").values_list(
            "content_type__app_label", "codename"
        )
    )
    for model in ("appeal", "verdict", "note", "order", "chatmessage", "deskmessage", "rule"):
        assert ("cases", f"view_{model}") in views
    assert ("evidence", "view_evidence") in views


@pytest.mark.parametrize("role", STAFF_ROLES)
def test_only_team_leads_see_webhook_subscribers_and_deliveries(role):
    codenames = set(Group.objects.get(name=role).permissions.values_list("codename", flat=True))
    secret_keepers = {"view_webhooksubscriber", "change_webhooksubscriber", "view_webhookdelivery"}
    if role == "team_lead":
        assert secret_keepers <= codenames
    else:
        assert not secret_keepers & codenames


@pytest.mark.parametrize("role", STAFF_ROLES)
def test_only_leads_and_auditors_read_the_whole_audit_log(role):
    codenames = set(Group.objects.get(name=role).permissions.values_list("codename", flat=True))
    assert ("view_auditentry" in codenames) == (role in ("team_lead", "auditor"))


@pytest.mark.parametrize("role", ["risk_analyst", "auditor"])
def test_read_only_roles_hold_no_write_permission(role):
    codenames = Group.objects.get(name=role).permissions.values_list("codename", flat=True)
    assert not [c for c in codenames if c.split("_")[0] in ("add", "change", "delete")]


def test_the_migrations_grant_what_the_roles_module_says():
    """0014 listed every role's permissions; 0019 added the floor's; 0028 the account
    restrictions'."""
    base = importlib.import_module("cases.migrations.0014_explicit_role_permissions")
    floor = importlib.import_module("cases.migrations.0019_floor_roles_and_policies")
    restrictions = importlib.import_module("cases.migrations.0028_account_restrictions")
    granted = {}
    for role, names in base.ROLE_PERMISSIONS.items():
        added = [f"cases.{c}" for c in floor.FLOOR_READ]
        added += [f"cases.{c}" for c in restrictions.GRANTS[role]]
        if role == "team_lead":
            added += [f"cases.{c}" for c in floor.LEAD_WRITE]
        granted[role] = set(names) | set(added)
    assert granted == {role: set(names) for role, names in roles.ROLE_PERMISSIONS.items()}
    for role in roles.ROLE_PERMISSIONS:
        in_db = {
            f"{app}.{codename}"
            for app, codename in Group.objects.get(name=role).permissions.values_list(
                "content_type__app_label", "codename"
            )
        }
        assert in_db == granted[role]


def test_a_service_account_holds_no_staff_role(service_account):
    assert not roles.is_staff_member(service_account)
    assert not service_account.has_perm(roles.WORK)


def test_the_default_rulebook_covers_every_appeal_reason():
    rules = list(Rule.objects.filter(active=True))
    assert rules
    covered = {reason for rule in rules for reason in rule.reasons}
    assert covered >= set(Appeal.Reason.values)
    assert all(rule.title and rule.text for rule in rules)
    assert len({rule.code for rule in rules}) == len(rules)


def test_the_audit_chain_starts_at_genesis():
    head = AuditHead.objects.get()
    assert (head.pk, head.seq, head.hash) == (1, 0, GENESIS)


def test_the_models_and_the_migrations_agree():
    call_command("makemigrations", "--check", "--dry-run", verbosity=0)
