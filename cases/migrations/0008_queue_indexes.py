"""Indexes for the queue page's default view and its all-status sorts, and planner
statistics for its "unassigned" filter. Measured with tests/benchmarks/queue_plans.py on
1,000,000 appeals (about 8% active):

- appeal_active_*: partial (key, id) indexes over the active statuses. The default queue
  filters on five statuses at once, which (status, key, id) cannot return in key order:
  PostgreSQL fetched all ~80,000 active rows and sorted them (280 ms a page, on disk).
  With these a page is an ordered range scan: 0.5 ms, at any depth.
- appeal_due / appeal_amount / appeal_last_msg: the same sorts over every status (a lead
  ticking every status box): a sequential scan and top-N sort of the table (2.5 s) before.
- appeal_status_assignee (PostgreSQL only): MCV statistics on (status, assignee_id). Without
  them the planner assumes "unassigned" and "active" are independent, underestimates the
  unassigned active appeals 25-fold and picks a bitmap scan plus sort (390 ms for
  "overdue + unassigned"); with them it walks appeal_active_due (0.4 ms).
"""

from django.conf import settings
from django.db import migrations, models

ACTIVE = models.Q(
    ("status__in", ["open", "in_review", "awaiting_evidence", "escalated", "pending_approval"])
)


def create_statistics(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            "CREATE STATISTICS IF NOT EXISTS appeal_status_assignee (mcv, dependencies) "
            "ON status, assignee_id FROM cases_appeal"
        )


def drop_statistics(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("DROP STATISTICS IF EXISTS appeal_status_assignee")


class Migration(migrations.Migration):
    dependencies = [
        ("cases", "0007_workspace_defaults"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddIndex(
            model_name="appeal",
            index=models.Index(
                condition=ACTIVE, fields=["resolution_due_at", "id"], name="appeal_active_due"
            ),
        ),
        migrations.AddIndex(
            model_name="appeal",
            index=models.Index(
                condition=ACTIVE, fields=["crypto_amount", "id"], name="appeal_active_amount"
            ),
        ),
        migrations.AddIndex(
            model_name="appeal",
            index=models.Index(
                condition=ACTIVE,
                fields=["last_party_message_at", "id"],
                name="appeal_active_last_msg",
            ),
        ),
        migrations.AddIndex(
            model_name="appeal",
            index=models.Index(fields=["resolution_due_at", "id"], name="appeal_due"),
        ),
        migrations.AddIndex(
            model_name="appeal",
            index=models.Index(fields=["crypto_amount", "id"], name="appeal_amount"),
        ),
        migrations.AddIndex(
            model_name="appeal",
            index=models.Index(fields=["last_party_message_at", "id"], name="appeal_last_msg"),
        ),
        migrations.RunPython(create_statistics, drop_statistics, elidable=False),
    ]
