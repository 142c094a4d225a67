"""The PostgreSQL backend: Django's, whose test database is created with the character
classification (``LC_CTYPE``) the full-text search needs. pg_trgm takes its trigrams from
the characters the database's LC_CTYPE counts as letters; under ``C`` (or ``POSIX``) a
Chinese character is none, ``show_trgm('退款未到账')`` is empty and a trigram index cannot
narrow a Chinese search. The test database is made from ``template0`` with the locale the
settings name (``DATABASES["default"]["TEST"]["CTYPE"]``, ``C.UTF-8`` by default), whatever
the server's own default is, so the suite proves what production must be given
(docs/search.md).

May import: nothing of casework (Django only).
"""
