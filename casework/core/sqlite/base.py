"""SQLite as Django has it, with a schema editor that skips ``NULLS LAST`` indexes."""

from django.db.backends.sqlite3 import base
from django.db.backends.sqlite3.schema import DatabaseSchemaEditor as SQLiteSchemaEditor


class DatabaseSchemaEditor(SQLiteSchemaEditor):
    def _model_indexes_sql(self, model):
        # A table rebuilt (or created) from the model state would carry every index the
        # model declares; SQLite refuses a NULLS LAST index, and sorts NULLs last in a
        # descending order anyway, so it goes without one.
        return [sql for sql in super()._model_indexes_sql(model) if "NULLS LAST" not in str(sql)]


class DatabaseWrapper(base.DatabaseWrapper):
    SchemaEditorClass = DatabaseSchemaEditor
