"""Risk that is out of date is marked in the transaction of its cause, so a sweep can
recompute what a lost task never did. Unscored live appeals start out marked."""

from django.db import migrations, models
from django.db.models.functions import Now

ACTIVE = ["open", "in_review", "awaiting_evidence", "escalated", "pending_approval"]


def mark_unscored(apps, schema_editor):
    Appeal = apps.get_model("cases", "Appeal")
    Appeal.objects.filter(risk_score__isnull=True, status__in=ACTIVE).update(risk_stale_at=Now())


class Migration(migrations.Migration):
    dependencies = [("cases", "0011_reversal_four_eyes")]

    operations = [
        migrations.AddField(
            model_name="appeal",
            name="risk_stale_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddIndex(
            model_name="appeal",
            index=models.Index(
                condition=models.Q(("risk_stale_at__isnull", False)),
                fields=["risk_stale_at"],
                name="appeal_risk_stale",
            ),
        ),
        migrations.RunPython(mark_unscored, migrations.RunPython.noop),
    ]
