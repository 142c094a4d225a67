"""Migration operations for an index only PostgreSQL can build.

A descending index that keeps the cases without a deadline last (``NULLS LAST``) is what
PostgreSQL walks for "latest deadline first"; SQLite, the embedded demo's database, cannot
build ``NULLS LAST`` into an index (and sorts NULLs last in a descending order anyway).
These operations build and drop such an index on PostgreSQL and leave SQLite without it,
while the migration state has it everywhere, as the model declares it.

A later migration that makes SQLite rebuild the table (adding a column that is not
nullable) would build the table's indexes from the state, that one too: wrap its
operations in :func:`rebuilt_without`.
"""

from __future__ import annotations

from django.db import migrations


def _on_postgresql(schema_editor) -> bool:
    return schema_editor.connection.vendor == "postgresql"


class AddIndexOnPostgreSQL(migrations.AddIndex):
    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        if _on_postgresql(schema_editor):
            super().database_forwards(app_label, schema_editor, from_state, to_state)

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        if _on_postgresql(schema_editor):
            super().database_backwards(app_label, schema_editor, from_state, to_state)


class RemoveIndexOnPostgreSQL(migrations.RemoveIndex):
    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        if _on_postgresql(schema_editor):
            super().database_forwards(app_label, schema_editor, from_state, to_state)

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        if _on_postgresql(schema_editor):
            super().database_backwards(app_label, schema_editor, from_state, to_state)


def rebuilt_without(model_name: str, indexes, operations: list) -> list:
    """``operations`` with ``indexes`` (PostgreSQL-only ones of ``model_name``) out of the
    migration state while they run, so SQLite's rebuild of the table leaves them out; the
    database keeps them on PostgreSQL, and the state has them again after."""
    return [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.RemoveIndex(model_name=model_name, name=index.name) for index in indexes
            ]
        ),
        *operations,
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.AddIndex(model_name=model_name, index=index) for index in indexes]
        ),
    ]
