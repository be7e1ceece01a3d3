"""The floor's permissions for each role (a frozen copy of the additions to
cases.roles.ROLE_PERMISSIONS), and the default SLA policies team leads then edit."""

from django.conf import settings
from django.contrib.auth.management import create_permissions
from django.db import migrations

FLOOR_READ = [
    "view_staffprofile",
    "view_shift",
    "view_absence",
    "view_slapolicy",
    "view_evidencerequest",
    "view_escalationrule",
    "view_appealescalation",
    "view_incident",
    "view_clockpause",
]
LEAD_WRITE = [
    "manage_floor",
    "add_slapolicy",
    "change_slapolicy",
    "delete_slapolicy",
    "add_escalationrule",
    "change_escalationrule",
    "delete_escalationrule",
    "add_incident",
    "change_incident",
]
ROLES = ["arbitrator", "senior_arbitrator", "team_lead", "risk_analyst", "auditor"]


# The catch-all policy starts as the settings' deadlines (the same numbers every appeal got
# before policies existed); team leads add specific ones (the demo data shows a few).
def apply(apps, schema_editor):
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, verbosity=0)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    cases = Permission.objects.filter(content_type__app_label="cases")
    read = list(cases.filter(codename__in=FLOOR_READ))
    write = list(cases.filter(codename__in=LEAD_WRITE))
    for role in ROLES:
        group, _ = Group.objects.get_or_create(name=role)
        group.permissions.add(*read)
        if role == "team_lead":
            group.permissions.add(*write)
    SlaPolicy = apps.get_model("cases", "SlaPolicy")
    SlaPolicy.objects.get_or_create(
        reason="*",
        priority=None,
        defaults={
            "first_response_minutes": settings.SLA_FIRST_RESPONSE_MINUTES,
            "evidence_hours": settings.SLA_EVIDENCE_HOURS,
            "resolution_hours": settings.SLA_RESOLUTION_HOURS,
        },
    )


def unapply(apps, schema_editor):
    Permission = apps.get_model("auth", "Permission")
    Group = apps.get_model("auth", "Group")
    floor = Permission.objects.filter(
        content_type__app_label="cases", codename__in=FLOOR_READ + LEAD_WRITE
    )
    for group in Group.objects.filter(name__in=ROLES):
        group.permissions.remove(*floor)


class Migration(migrations.Migration):
    dependencies = [("cases", "0018_floor")]

    operations = [migrations.RunPython(apply, unapply)]
