"""Create the staff roles as groups with their permissions, and the audit chain's head."""

from __future__ import annotations

from django.contrib.auth.management import create_permissions
from django.db import migrations

# Frozen copy of cases.roles.ROLE_PERMISSIONS at the time of this migration.
ROLE_PERMISSIONS = {
    "arbitrator": ["work_appeal"],
    "senior_arbitrator": ["work_appeal", "assign_appeal", "handle_escalation", "approve_verdict"],
    "team_lead": [
        "work_appeal", "assign_appeal", "handle_escalation", "approve_verdict", "view_metrics",
        "view_risk", "add_rule", "change_rule", "add_webhooksubscriber",
        "change_webhooksubscriber",
    ],
    "risk_analyst": ["view_risk", "view_metrics"],
    "auditor": ["view_risk", "view_metrics"],
}
READ_APPS = ("cases", "evidence", "analytics")


def create_roles(apps, schema_editor):
    # Permissions are normally created after all migrations; the groups need them now.
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, verbosity=0)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    readable = list(
        Permission.objects.filter(
            content_type__app_label__in=READ_APPS, codename__startswith="view_"
        ).exclude(codename__in=["view_risk", "view_metrics"])
    )
    for role, codenames in ROLE_PERMISSIONS.items():
        group, _ = Group.objects.get_or_create(name=role)
        extra = Permission.objects.filter(
            content_type__app_label="cases", codename__in=codenames
        )
        group.permissions.add(*readable, *extra)
    AuditHead = apps.get_model("cases", "AuditHead")
    AuditHead.objects.get_or_create(pk=1, defaults={"seq": 0, "hash": "0" * 64})


def remove_roles(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name__in=ROLE_PERMISSIONS).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("cases", "0001_initial"),
        ("evidence", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(create_roles, remove_roles)]
