"""The embedded demo's database backend: Django's SQLite backend, whose schema editor leaves
out the indexes SQLite cannot build (``NULLS LAST`` and pg_trgm's trigram indexes, see
``casework.core.indexes``) when it rebuilds a table, as SQLite does for most changes to a
column. Without it, any later migration that changes a column of a case table would fail
on SQLite.

May import: nothing of casework (Django only).
"""
