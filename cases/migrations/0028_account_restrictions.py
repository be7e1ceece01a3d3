"""Account restrictions: the model, each role's permissions on it (a frozen copy of the
additions to cases.roles.ROLE_PERMISSIONS), and one restriction row for every P2P
restriction and freeze a verdict imposed before, so the rows are the whole record."""

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.contrib.auth.management import create_permissions
from django.db import migrations, models

READ = ["view_accountrestriction"]
GRANTS = {
    "arbitrator": READ,
    "senior_arbitrator": [*READ, "restrict_account", "propose_restriction"],
    "team_lead": [*READ, "restrict_account", "propose_restriction", "decide_restriction"],
    "risk_analyst": [*READ, "propose_restriction"],
    "auditor": READ,
}
EVERY_FUNCTION = {"withdrawal": True, "p2p": True, "login": True}


def grant(apps, schema_editor):
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, verbosity=0)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    cases = Permission.objects.filter(content_type__app_label="cases")
    for role, codenames in GRANTS.items():
        group, _ = Group.objects.get_or_create(name=role)
        group.permissions.add(*cases.filter(codename__in=codenames))


def ungrant(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    ours = Permission.objects.filter(
        content_type__app_label="cases",
        codename__in={c for names in GRANTS.values() for c in names},
    )
    for group in Group.objects.filter(name__in=GRANTS):
        group.permissions.remove(*ours)


def carry_over(apps, schema_editor):
    """A verdict's freeze (every function, no end) or P2P restriction (until it expires)
    becomes the restriction row it would be written as today."""
    AccountAction = apps.get_model("cases", "AccountAction")
    AccountRestriction = apps.get_model("cases", "AccountRestriction")
    rows = []
    for action in AccountAction.objects.filter(kind__in=["freeze", "p2p_restriction"]):
        freeze = action.kind == "freeze"
        rows.append(
            AccountRestriction(
                trader_id=action.trader_id,
                **(EVERY_FUNCTION if freeze else {"p2p": True}),
                reason=action.reason or f"Account action #{action.pk}",
                until=None if freeze else action.expires_at,
                state="imposed",
                created_by_id=action.taken_by_id,
                created_at=action.created_at,
                decided_by_id=action.taken_by_id,
                decided_at=action.created_at,
                action_id=action.pk,
            )
        )
    AccountRestriction.objects.bulk_create(rows, batch_size=500)


def drop_carried(apps, schema_editor):
    apps.get_model("cases", "AccountRestriction").objects.filter(action__isnull=False).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("cases", "0027_queue_filter_indexes"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AlterField(
            model_name="notification",
            name="kind",
            field=models.CharField(
                choices=[
                    ("escalated_to_you", "Escalated to you"),
                    ("approval_waiting", "Verdict waiting for your approval"),
                    ("assigned_to_you", "Assigned to you"),
                    ("evidence_arrived", "Evidence arrived"),
                    ("deadline_soon", "Deadline within the hour"),
                    ("deadline_missed", "Evidence deadline missed"),
                    ("restriction_proposed", "Restriction waiting for your approval"),
                ],
                max_length=20,
            ),
        ),
        migrations.CreateModel(
            name="AccountRestriction",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("withdrawal", models.BooleanField(default=False)),
                ("p2p", models.BooleanField(default=False)),
                ("login", models.BooleanField(default=False)),
                ("reason", models.TextField()),
                ("until", models.DateTimeField(blank=True, null=True)),
                (
                    "state",
                    models.CharField(
                        choices=[
                            ("proposed", "Proposed"),
                            ("imposed", "Imposed"),
                            ("rejected", "Rejected"),
                        ],
                        max_length=16,
                    ),
                ),
                ("created_at", models.DateTimeField(default=django.utils.timezone.now)),
                ("proposal", models.BooleanField(default=False)),
                ("decided_at", models.DateTimeField(blank=True, null=True)),
                ("decision_note", models.TextField(blank=True)),
                ("lifted_at", models.DateTimeField(blank=True, null=True)),
                ("lift_reason", models.TextField(blank=True)),
                (
                    "action",
                    models.OneToOneField(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="restriction",
                        to="cases.accountaction",
                    ),
                ),
                (
                    "appeal",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="restrictions",
                        to="cases.appeal",
                    ),
                ),
                (
                    "created_by",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
                (
                    "decided_by",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
                (
                    "lifted_by",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
                (
                    "trader",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="restrictions",
                        to="cases.trader",
                    ),
                ),
            ],
            options={
                "ordering": ["-created_at", "-id"],
                "permissions": [
                    ("restrict_account", "Can restrict and lift a trader's account functions"),
                    ("propose_restriction", "Can propose an account restriction"),
                    ("decide_restriction", "Can approve or reject a proposed account restriction"),
                ],
                "indexes": [
                    models.Index(fields=["trader", "-created_at"], name="restriction_trader"),
                    models.Index(
                        condition=models.Q(("state", "proposed")),
                        fields=["created_at"],
                        name="restriction_waiting",
                    ),
                ],
                "constraints": [
                    models.CheckConstraint(
                        condition=models.Q(
                            ("withdrawal", True), ("p2p", True), ("login", True), _connector="OR"
                        ),
                        name="restriction_has_functions",
                    ),
                    models.CheckConstraint(
                        condition=models.Q(("reason", ""), _negated=True),
                        name="restriction_has_reason",
                    ),
                    models.CheckConstraint(
                        condition=models.Q(("state__in", ["proposed", "imposed", "rejected"])),
                        name="restriction_state_valid",
                    ),
                    models.CheckConstraint(
                        condition=models.Q(
                            ("until__isnull", True),
                            ("until__gt", models.F("created_at")),
                            _connector="OR",
                        ),
                        name="restriction_ends_after_start",
                    ),
                    models.CheckConstraint(
                        condition=models.Q(
                            models.Q(
                                ("decided_at__isnull", True),
                                ("decided_by__isnull", True),
                                ("state", "proposed"),
                            ),
                            models.Q(
                                ("state__in", ["imposed", "rejected"]),
                                ("decided_at__isnull", False),
                                ("decided_by__isnull", False),
                            ),
                            _connector="OR",
                        ),
                        name="restriction_decided",
                    ),
                    models.CheckConstraint(
                        condition=models.Q(
                            ("proposal", True),
                            models.Q(("decided_by", models.F("created_by")), ("state", "imposed")),
                            _connector="OR",
                        ),
                        name="restriction_direct_imposed",
                    ),
                    models.CheckConstraint(
                        condition=models.Q(
                            models.Q(("proposal", True), ("state", "imposed"), _negated=True),
                            models.Q(("decided_by", models.F("created_by")), _negated=True),
                            _connector="OR",
                        ),
                        name="restriction_four_eyes",
                    ),
                    models.CheckConstraint(
                        condition=models.Q(
                            models.Q(
                                ("lift_reason", ""),
                                ("lifted_at__isnull", True),
                                ("lifted_by__isnull", True),
                            ),
                            models.Q(
                                ("lifted_at__isnull", False),
                                ("lifted_by__isnull", False),
                                ("state", "imposed"),
                                models.Q(("lift_reason", ""), _negated=True),
                            ),
                            _connector="OR",
                        ),
                        name="restriction_lifted_complete",
                    ),
                ],
            },
        ),
        migrations.RunPython(grant, ungrant),
        migrations.RunPython(carry_over, drop_carried),
    ]
