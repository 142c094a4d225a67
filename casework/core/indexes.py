"""Migration operations for an index only PostgreSQL can build, and the trigram indexes of
the full-text search.

A descending index that keeps the cases without a deadline last (``NULLS LAST``) is what
PostgreSQL walks for "latest deadline first"; SQLite, the embedded demo's database, cannot
build ``NULLS LAST`` into an index (and sorts NULLs last in a descending order anyway).
These operations build and drop such an index on PostgreSQL and leave SQLite without it,
while the migration state has it everywhere, as the model declares it. The same goes for
pg_trgm's GIN trigram indexes (``trigram_index``), which SQLite has no notion of.
"""

from __future__ import annotations

from django.contrib.postgres.indexes import GinIndex, OpClass
from django.db import migrations
from django.db.models import Q
from django.db.models.functions import Upper


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


class AddIndexConcurrentlyOnPostgreSQL(migrations.AddIndex):
    """An index PostgreSQL builds without blocking writes (``CREATE INDEX CONCURRENTLY``: a
    trigram index over a million descriptions takes minutes), and SQLite goes without. Its
    migration is ``atomic = False``: PostgreSQL refuses a concurrent build in a transaction."""

    atomic = False

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        if _on_postgresql(schema_editor):
            model = to_state.apps.get_model(app_label, self.model_name)
            if self.allow_migrate_model(schema_editor.connection.alias, model):
                schema_editor.add_index(model, self.index, concurrently=True)

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        if _on_postgresql(schema_editor):
            model = from_state.apps.get_model(app_label, self.model_name)
            if self.allow_migrate_model(schema_editor.connection.alias, model):
                schema_editor.remove_index(model, self.index, concurrently=True)


# The operator class of pg_trgm's GIN indexes, named in an index's SQL: the SQLite backend
# (casework.core.sqlite) leaves out an index that names it.
TRIGRAM_OPCLASS = "gin_trgm_ops"


def trigram_index(field: str, *, name: str, condition: Q | None = None) -> GinIndex:
    """A GIN trigram index (pg_trgm) on ``UPPER(field)``: the expression Django's
    ``icontains`` compares on PostgreSQL (``UPPER(col::text) LIKE UPPER('%term%')``), so a
    substring search of 3 characters or more reads it instead of every row. Trigrams need
    no word splitter, so Chinese is indexed as written (given a database whose LC_CTYPE
    counts Chinese characters as letters: docs/search.md)."""
    return GinIndex(OpClass(Upper(field), name=TRIGRAM_OPCLASS), name=name, condition=condition)
