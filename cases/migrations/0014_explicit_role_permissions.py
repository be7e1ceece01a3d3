"""Each role gets exactly the permissions it needs, listed (cases.roles.ROLE_PERMISSIONS),
instead of every view_* permission of the desk's apps: that let every staff role read the
webhook subscribers' signing secrets in the admin. `view_risk` goes: nothing enforced it,
and every role that works cases needs the risk signals to decide them."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

# Frozen copy of cases.roles.ROLE_PERMISSIONS at the time of this migration.
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
    "cases.view_cannedreply",
    "cases.view_penaltyrule",
    "cases.view_watchkeyword",
    "evidence.view_evidence",
]
READ_HISTORY = ["cases.view_auditentry", "cases.view_outboxevent", "analytics.view_dailymetric"]
ARBITRATOR = [*READ_CASES, "cases.work_appeal"]
SENIOR = [*ARBITRATOR, "cases.assign_appeal", "cases.handle_escalation", "cases.approve_verdict"]
ROLE_PERMISSIONS = {
    "arbitrator": ARBITRATOR,
    "senior_arbitrator": SENIOR,
    "team_lead": [
        *SENIOR,
        *READ_HISTORY,
        "cases.view_metrics",
        "cases.add_rule",
        "cases.change_rule",
        "cases.add_cannedreply",
        "cases.change_cannedreply",
        "cases.add_penaltyrule",
        "cases.change_penaltyrule",
        "cases.add_watchkeyword",
        "cases.change_watchkeyword",
        "cases.view_webhooksubscriber",
        "cases.add_webhooksubscriber",
        "cases.change_webhooksubscriber",
        "cases.view_webhookdelivery",
    ],
    "risk_analyst": [*READ_CASES, "cases.view_metrics"],
    "auditor": [*READ_CASES, *READ_HISTORY, "cases.view_metrics"],
}


def apply(apps, schema_editor):
    # Permissions are normally created after all migrations; the groups need them now.
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, verbosity=0)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    Permission.objects.filter(content_type__app_label="cases", codename="view_risk").delete()
    for role, names in ROLE_PERMISSIONS.items():
        wanted = []
        for name in names:
            app_label, codename = name.split(".")
            wanted.append(
                Permission.objects.get(content_type__app_label=app_label, codename=codename)
            )
        group, _ = Group.objects.get_or_create(name=role)
        group.permissions.set(wanted)


class Migration(migrations.Migration):
    dependencies = [
        ("cases", "0013_audit_keyed_append_only"),
        ("evidence", "0001_initial"),
        ("analytics", "0001_daily_metrics"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [
        migrations.AlterModelOptions(
            name="appeal",
            options={
                "permissions": [
                    (
                        "work_appeal",
                        "Can work appeals: claim, request evidence, note, propose verdicts",
                    ),
                    ("assign_appeal", "Can assign and reassign appeals"),
                    ("handle_escalation", "Can take escalated appeals"),
                    ("approve_verdict", "Can approve or send back verdicts (four-eyes)"),
                    ("view_metrics", "Can see KPI dashboards"),
                ]
            },
        ),
        migrations.RunPython(apply, migrations.RunPython.noop),
    ]
