"""PostgreSQL as Django has it, with a test database whose LC_CTYPE is the one configured."""

import re

from django.core.exceptions import ImproperlyConfigured
from django.db.backends.postgresql import base
from django.db.backends.postgresql.creation import DatabaseCreation as PostgreSQLCreation

LOCALE_NAME = re.compile(r"^[A-Za-z0-9_.@-]+$")


class DatabaseCreation(PostgreSQLCreation):
    def sql_table_creation_suffix(self) -> str:
        suffix = super().sql_table_creation_suffix()
        test = self.connection.settings_dict["TEST"]
        ctype = test.get("CTYPE")
        if not ctype:
            return suffix
        if not LOCALE_NAME.match(ctype):
            raise ImproperlyConfigured(f"DATABASES TEST CTYPE is not a locale name: {ctype!r}")
        # Only template0 may be copied under another LC_CTYPE than its own.
        template = "" if test.get("TEMPLATE") else " TEMPLATE template0"
        return f"{suffix or 'WITH'} LC_CTYPE '{ctype}'{template}"


class DatabaseWrapper(base.DatabaseWrapper):
    creation_class = DatabaseCreation
