"""Counts of appeals per status, kept by the database itself.

The queue shows how many appeals are in each active status on every page. Counting them
scanned every active appeal (82,000 rows, 150-300 ms at a million appeals). Triggers on
cases_appeal now add delta rows to cases_appealstatuscount for every INSERT, UPDATE and
DELETE, whoever writes, and the count reads that small table.

Delta rows rather than one row per status: two transactions moving appeals between the
same statuses in opposite directions would otherwise lock the two counter rows in
opposite orders and deadlock. Inserts take no lock anyone waits for; the floor tick folds
the rows back into one per status (cases.models.AppealStatusCount, compact_status_counts).

PostgreSQL: statement-level triggers with transition tables, so a bulk COPY or a batched
UPDATE adds one row per status per statement, not one per appeal. SQLite has no
statement-level triggers: row-level ones, fine at its scale.
"""

from django.db import migrations, models

POSTGRES_FUNCTION = """
CREATE FUNCTION cases_appeal_status_count() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        INSERT INTO cases_appealstatuscount (status, n)
            SELECT status, COUNT(*) FROM appeal_new GROUP BY status;
    ELSIF TG_OP = 'DELETE' THEN
        INSERT INTO cases_appealstatuscount (status, n)
            SELECT status, -COUNT(*) FROM appeal_old GROUP BY status;
    ELSE
        INSERT INTO cases_appealstatuscount (status, n)
            SELECT status, SUM(d) FROM (
                SELECT status, 1 AS d FROM appeal_new
                UNION ALL
                SELECT status, -1 AS d FROM appeal_old
            ) AS moved
            GROUP BY status
            HAVING SUM(d) <> 0;
    END IF;
    RETURN NULL;
END
$$;
CREATE TRIGGER cases_appeal_status_count_insert AFTER INSERT ON cases_appeal
    REFERENCING NEW TABLE AS appeal_new
    FOR EACH STATEMENT EXECUTE FUNCTION cases_appeal_status_count();
CREATE TRIGGER cases_appeal_status_count_update AFTER UPDATE ON cases_appeal
    REFERENCING OLD TABLE AS appeal_old NEW TABLE AS appeal_new
    FOR EACH STATEMENT EXECUTE FUNCTION cases_appeal_status_count();
CREATE TRIGGER cases_appeal_status_count_delete AFTER DELETE ON cases_appeal
    REFERENCING OLD TABLE AS appeal_old
    FOR EACH STATEMENT EXECUTE FUNCTION cases_appeal_status_count();
"""
POSTGRES_DROP = """
DROP TRIGGER IF EXISTS cases_appeal_status_count_insert ON cases_appeal;
DROP TRIGGER IF EXISTS cases_appeal_status_count_update ON cases_appeal;
DROP TRIGGER IF EXISTS cases_appeal_status_count_delete ON cases_appeal;
DROP FUNCTION IF EXISTS cases_appeal_status_count();
"""
SQLITE_TRIGGERS = [
    """CREATE TRIGGER cases_appeal_status_count_insert AFTER INSERT ON cases_appeal
    BEGIN
        INSERT INTO cases_appealstatuscount (status, n) VALUES (NEW.status, 1);
    END""",
    """CREATE TRIGGER cases_appeal_status_count_update AFTER UPDATE OF status ON cases_appeal
    WHEN OLD.status <> NEW.status
    BEGIN
        INSERT INTO cases_appealstatuscount (status, n) VALUES (OLD.status, -1);
        INSERT INTO cases_appealstatuscount (status, n) VALUES (NEW.status, 1);
    END""",
    """CREATE TRIGGER cases_appeal_status_count_delete AFTER DELETE ON cases_appeal
    BEGIN
        INSERT INTO cases_appealstatuscount (status, n) VALUES (OLD.status, -1);
    END""",
]
SQLITE_DROP = [
    "DROP TRIGGER IF EXISTS cases_appeal_status_count_insert",
    "DROP TRIGGER IF EXISTS cases_appeal_status_count_update",
    "DROP TRIGGER IF EXISTS cases_appeal_status_count_delete",
]
# What is there already, counted once (in the same transaction as the triggers on
# PostgreSQL, so no appeal written meanwhile is counted twice or missed).
FILL = """
INSERT INTO cases_appealstatuscount (status, n)
    SELECT status, COUNT(*) FROM cases_appeal GROUP BY status
"""


def create(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute("LOCK TABLE cases_appeal IN SHARE ROW EXCLUSIVE MODE")
        schema_editor.execute(POSTGRES_FUNCTION)
    elif vendor == "sqlite":
        for statement in SQLITE_TRIGGERS:
            schema_editor.execute(statement)
    else:
        raise NotImplementedError(f"status-count triggers for {vendor}")
    schema_editor.execute(FILL)


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(POSTGRES_DROP)
    else:
        for statement in SQLITE_DROP:
            schema_editor.execute(statement)


class Migration(migrations.Migration):
    dependencies = [
        ("cases", "0020_escalation_indexes"),
    ]

    operations = [
        migrations.CreateModel(
            name="AppealStatusCount",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("status", models.CharField(max_length=32)),
                ("n", models.BigIntegerField()),
            ],
            options={
                "default_permissions": (),
            },
        ),
        migrations.RunPython(create, drop),
        # Today's closings on the queue, counted from the index alone (index-only scan).
        migrations.RemoveIndex(model_name="appeal", name="appeal_resolved"),
        migrations.AddIndex(
            model_name="appeal",
            index=models.Index(fields=["resolved_at", "status"], name="appeal_resolved_status"),
        ),
    ]
