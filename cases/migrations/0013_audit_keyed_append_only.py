"""The audit chain becomes keyed, and the table append-only in PostgreSQL.

1. Re-seal: an existing chain was linked with plain SHA-256, which anyone with database
   access could recompute after an edit. It is verified under that old scheme first; only
   an intact chain is re-linked with HMAC-SHA256 under settings.AUDIT_CHAIN_KEY (from the
   environment). A chain that does not verify stops the migration: history that may have
   been rewritten is never blessed with the new key.
2. On PostgreSQL, triggers refuse UPDATE and DELETE of any row and TRUNCATE of the table.
   They have no bypass switch a session could set (which is why these are plain SQL and
   not django-pgtrigger, whose triggers skip themselves for any session that sets
   `pgtrigger.ignore`): getting around them takes ALTER TABLE, the table owner's right.
"""

import hashlib
import hmac
import json

from django.conf import settings
from django.db import migrations

GENESIS = "0" * 64

TRIGGERS = """
CREATE OR REPLACE FUNCTION cases_audit_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'the audit log is append-only: % refused on %', TG_OP, TG_TABLE_NAME
        USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql;
DROP TRIGGER IF EXISTS audit_entry_append_only ON cases_auditentry;
CREATE TRIGGER audit_entry_append_only BEFORE UPDATE OR DELETE ON cases_auditentry
    FOR EACH ROW EXECUTE FUNCTION cases_audit_append_only();
DROP TRIGGER IF EXISTS audit_entry_no_truncate ON cases_auditentry;
CREATE TRIGGER audit_entry_no_truncate BEFORE TRUNCATE ON cases_auditentry
    FOR EACH STATEMENT EXECUTE FUNCTION cases_audit_append_only();
"""
DROP_TRIGGERS = """
DROP TRIGGER IF EXISTS audit_entry_append_only ON cases_auditentry;
DROP TRIGGER IF EXISTS audit_entry_no_truncate ON cases_auditentry;
DROP FUNCTION IF EXISTS cases_audit_append_only();
"""


def _canonical(entry) -> str:
    # Frozen copy of cases.audit.entry_digest's payload at the time of this migration.
    payload = {
        "seq": entry.seq,
        "created_at": entry.created_at.isoformat(),
        "actor": entry.actor_id,
        "actor_label": entry.actor_label,
        "action": entry.action,
        "object_type": entry.object_type,
        "object_id": entry.object_id,
        "appeal": entry.appeal_id,
        "before": entry.before,
        "after": entry.after,
    }
    return json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def reseal(apps, schema_editor):
    AuditEntry = apps.get_model("cases", "AuditEntry")
    AuditHead = apps.get_model("cases", "AuditHead")
    key = settings.AUDIT_CHAIN_KEY
    legacy_prev, new_prev, expected_seq, batch = GENESIS, GENESIS, 1, []
    for entry in AuditEntry.objects.order_by("seq").iterator(chunk_size=2000):
        canonical = _canonical(entry)
        legacy = hashlib.sha256((legacy_prev + canonical).encode()).hexdigest()
        if entry.seq != expected_seq or entry.prev_hash != legacy_prev or entry.hash != legacy:
            raise RuntimeError(
                f"The audit chain does not verify at entry #{entry.seq} under the old "
                "scheme; it is not re-sealed. Investigate with the previous release's "
                "`manage.py verify_audit` before upgrading."
            )
        entry.prev_hash = new_prev
        entry.hash = hmac.new(key, (new_prev + canonical).encode(), hashlib.sha256).hexdigest()
        batch.append(entry)
        if len(batch) >= 2000:
            AuditEntry.objects.bulk_update(batch, ["prev_hash", "hash"])
            batch = []
        legacy_prev, new_prev, expected_seq = legacy, entry.hash, expected_seq + 1
    if batch:
        AuditEntry.objects.bulk_update(batch, ["prev_hash", "hash"])
    AuditHead.objects.filter(pk=1).update(seq=expected_seq - 1, hash=new_prev)


def unseal(apps, schema_editor):
    """Back to plain SHA-256 links (for the previous release's verify_audit)."""
    AuditEntry = apps.get_model("cases", "AuditEntry")
    AuditHead = apps.get_model("cases", "AuditHead")
    prev, batch, seq = GENESIS, [], 0
    for entry in AuditEntry.objects.order_by("seq").iterator(chunk_size=2000):
        entry.prev_hash = prev
        entry.hash = hashlib.sha256((prev + _canonical(entry)).encode()).hexdigest()
        batch.append(entry)
        if len(batch) >= 2000:
            AuditEntry.objects.bulk_update(batch, ["prev_hash", "hash"])
            batch = []
        prev, seq = entry.hash, entry.seq
    if batch:
        AuditEntry.objects.bulk_update(batch, ["prev_hash", "hash"])
    AuditHead.objects.filter(pk=1).update(seq=seq, hash=prev)


def install_triggers(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        # No parameters: the % in RAISE is plpgsql's, not a placeholder.
        schema_editor.execute(TRIGGERS, params=None)


def drop_triggers(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP_TRIGGERS, params=None)


class Migration(migrations.Migration):
    dependencies = [("cases", "0012_risk_stale")]

    operations = [
        migrations.RunPython(reseal, unseal),
        migrations.RunPython(install_triggers, drop_triggers),
    ]
