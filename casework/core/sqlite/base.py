"""SQLite as Django has it, with a schema editor that skips ``NULLS LAST`` and trigram indexes."""

from django.db.backends.sqlite3 import base
from django.db.backends.sqlite3.schema import DatabaseSchemaEditor as SQLiteSchemaEditor

# What SQLite cannot build: a NULLS LAST index, and pg_trgm's operator class
# (casework.core.indexes.TRIGRAM_OPCLASS; the module imports django.contrib.postgres, so
# not from here).
POSTGRESQL_ONLY = ("NULLS LAST", "gin_trgm_ops")


class DatabaseSchemaEditor(SQLiteSchemaEditor):
    def _model_indexes_sql(self, model):
        # A table rebuilt (or created) from the model state would carry every index the
        # model declares; SQLite refuses a NULLS LAST index, and sorts NULLs last in a
        # descending order anyway, so it goes without one. A trigram index means nothing
        # here: the search reads the rows (docs/search.md).
        return [
            sql
            for sql in super()._model_indexes_sql(model)
            if not any(marker in str(sql) for marker in POSTGRESQL_ONLY)
        ]


class DatabaseWrapper(base.DatabaseWrapper):
    SchemaEditorClass = DatabaseSchemaEditor
