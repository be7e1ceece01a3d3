"""The rest of history, frozen where the first pass (0015) left it open (PostgreSQL):

- A verdict's state moves only out of `pending` (approved, sent back, withdrawn); once
  effective, sent back or withdrawn, nothing about it changes, its approver included.
- A piece of evidence keeps what was uploaded with it: payer name, note, file name and
  the image's hash and size (they feed the risk signals).
- Account actions and outbox events are never edited or deleted (an edited event would
  be signed and sent as ours); a decided review (upheld, reversed) never changes.
- None of these tables, nor notes, status changes or desk messages, can be TRUNCATEd.
All fire ALWAYS. The test suite's flush switches the TRUNCATE guards off for its own
statement, as only the table owner can (tests/conftest.py reads TRUNCATE_GUARDED).
"""

from django.db import migrations

TRUNCATE_GUARDED = (
    "cases_note",
    "cases_appealstatuschange",
    "cases_deskmessage",
    "cases_verdict",
    "cases_verdictreview",
    "cases_accountaction",
    "cases_outboxevent",
    "evidence_evidence",
)

TRIGGERS = [
    # (name, table, "BEFORE ... FOR EACH ...", WHEN condition or "")
    (
        "cases_verdict_settled",
        "cases_verdict",
        "BEFORE UPDATE",
        "OLD.state <> 'pending' AND (OLD.state IS DISTINCT FROM NEW.state"
        " OR OLD.approved_by_id IS DISTINCT FROM NEW.approved_by_id"
        " OR OLD.effective_at IS DISTINCT FROM NEW.effective_at"
        " OR OLD.reviewed_at IS DISTINCT FROM NEW.reviewed_at"
        " OR OLD.review_comment IS DISTINCT FROM NEW.review_comment)",
    ),
    (
        "evidence_evidence_as_uploaded",
        "evidence_evidence",
        "BEFORE UPDATE",
        "OLD.payer_name IS DISTINCT FROM NEW.payer_name OR OLD.note IS DISTINCT FROM NEW.note"
        " OR OLD.original_name IS DISTINCT FROM NEW.original_name"
        " OR OLD.image_hash IS DISTINCT FROM NEW.image_hash"
        " OR OLD.width IS DISTINCT FROM NEW.width OR OLD.height IS DISTINCT FROM NEW.height",
    ),
    ("cases_accountaction_immutable", "cases_accountaction", "BEFORE UPDATE OR DELETE", ""),
    ("cases_outboxevent_immutable", "cases_outboxevent", "BEFORE UPDATE OR DELETE", ""),
    (
        "cases_verdictreview_decided",
        "cases_verdictreview",
        "BEFORE UPDATE",
        "OLD.state IN ('upheld', 'reversed')",
    ),
    ("cases_verdictreview_undeletable", "cases_verdictreview", "BEFORE DELETE", ""),
]


def _create(name: str, table: str, when: str, condition: str, level: str = "ROW") -> str:
    guard = f"WHEN ({condition})" if condition else ""
    return (
        f"DROP TRIGGER IF EXISTS {name} ON {table};\n"
        f"CREATE TRIGGER {name} {when} ON {table} FOR EACH {level} {guard} "
        "EXECUTE FUNCTION cases_history_immutable();\n"
        f"ALTER TABLE {table} ENABLE ALWAYS TRIGGER {name};"
    )


def install(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    sql = [_create(*trigger) for trigger in TRIGGERS]
    sql += [
        _create(f"{table}_no_truncate", table, "BEFORE TRUNCATE", "", level="STATEMENT")
        for table in TRUNCATE_GUARDED
    ]
    # No parameters: nothing here is a placeholder.
    schema_editor.execute("\n".join(sql), params=None)


def uninstall(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    names = [(name, table) for name, table, *_ in TRIGGERS]
    names += [(f"{table}_no_truncate", table) for table in TRUNCATE_GUARDED]
    schema_editor.execute(
        "\n".join(f"DROP TRIGGER IF EXISTS {name} ON {table};" for name, table in names),
        params=None,
    )


class Migration(migrations.Migration):
    dependencies = [("cases", "0016_review_labels")]

    operations = [migrations.RunPython(install, uninstall)]
