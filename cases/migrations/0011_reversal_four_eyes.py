"""A reversal above the four-eyes threshold is proposed by the reviewer and approved by a
different senior or lead, like the verdict it reverses."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("cases", "0010_verdict_rule_snapshot"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name="verdictreview",
            name="approval_comment",
            field=models.TextField(blank=True),
        ),
        migrations.AddField(
            model_name="verdictreview",
            name="approved_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="verdictreview",
            name="approved_by",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="reversals_approved",
                to=settings.AUTH_USER_MODEL,
            ),
        ),
        migrations.AlterField(
            model_name="verdictreview",
            name="state",
            field=models.CharField(
                choices=[
                    ("pending", "Pending"),
                    ("proposed", "Reversal proposed"),
                    ("upheld", "Upheld"),
                    ("reversed", "Reversed"),
                ],
                default="pending",
                max_length=10,
            ),
        ),
        migrations.AddConstraint(
            model_name="verdictreview",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    models.Q(("state", "proposed"), _negated=True),
                    models.Q(("corrected_outcome", ""), _negated=True),
                    _connector="OR",
                ),
                name="proposed_reversal_has_outcome",
            ),
        ),
        migrations.AddConstraint(
            model_name="verdictreview",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    ("approved_by__isnull", True),
                    models.Q(("approved_by", models.F("reviewer")), _negated=True),
                    _connector="OR",
                ),
                name="reversal_four_eyes_distinct",
            ),
        ),
    ]
