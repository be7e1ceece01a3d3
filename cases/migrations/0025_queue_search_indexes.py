"""Prefix indexes for the queue's search (cases.filters.QueueFilter.filter_q): order
numbers and traders' ids, nicknames and KYC names, matched case-insensitively from their
start as `UPPER(col) LIKE 'X%'`. text_pattern_ops lets PostgreSQL use a btree for LIKE
whatever the database collation. SQLite searches its small databases without them, so
the indexes are PostgreSQL's only and not declared on the models (makemigrations stays
clean)."""

from __future__ import annotations

from django.db import migrations

INDEXES = {
    "order_external_upper": ("cases_order", "external_id"),
    "trader_external_upper": ("cases_trader", "external_id"),
    "trader_display_upper": ("cases_trader", "display_name"),
    "trader_kyc_upper": ("cases_trader", "kyc_name"),
}


def create(apps, schema_editor) -> None:
    if schema_editor.connection.vendor != "postgresql":
        return
    for name, (table, column) in INDEXES.items():
        schema_editor.execute(
            f'CREATE INDEX IF NOT EXISTS "{name}" ON "{table}" (UPPER("{column}") text_pattern_ops)'
        )


def drop(apps, schema_editor) -> None:
    if schema_editor.connection.vendor != "postgresql":
        return
    for name in INDEXES:
        schema_editor.execute(f'DROP INDEX IF EXISTS "{name}"')


class Migration(migrations.Migration):
    dependencies = [("cases", "0024_rulebook_in_chinese_and_russian")]

    operations = [migrations.RunPython(create, drop)]
