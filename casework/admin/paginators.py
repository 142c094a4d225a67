"""Counting a case list without reading all of it.

The admin's paginator counts every matching row to number the pages. Over a million cases
that count is most of the page's time: PostgreSQL reads the whole table (or the whole
matching part of an index) to answer it. :class:`CaseListPaginator` counts instead:

- the whole table, unfiltered: the planner's estimate (``pg_class.reltuples``, as fresh as
  the last ``ANALYZE``) once the table holds more than ``estimate_above`` rows; the list
  then says "about 1,000,000 complaints";
- anything filtered or searched: up to ``count_cap`` rows and no further; past that the
  list says "more than 10,000 complaints" and numbers as many pages as the cap fills.

Below the threshold, or on a database without statistics (SQLite), the count is exact as
before. Each case type's admin uses it (``CaseAdmin.paginator``).
"""

from __future__ import annotations

from django.core.paginator import Paginator
from django.db import connections
from django.db.models import Model, QuerySet
from django.utils.functional import cached_property


def estimated_rows(model: type[Model], using: str) -> int | None:
    """The planner's row count for the model's table, or None where there is none: another
    database, or a table never analyzed (``reltuples`` is -1 then)."""
    connection = connections[using]
    if connection.vendor != "postgresql":
        return None
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT reltuples FROM pg_class WHERE oid = to_regclass(%s)",
            [connection.ops.quote_name(model._meta.db_table)],
        )
        row = cursor.fetchone()
    if row is None or row[0] < 0:
        return None
    return int(row[0])


def is_unfiltered(queryset: QuerySet) -> bool:
    """Every row of the table: no filter, search, distinct or slice narrows it."""
    query = queryset.query
    return not query.where and not query.distinct and not query.is_sliced and not query.combinator


class CaseListPaginator(Paginator):
    """A paginator whose count stays cheap on huge tables: estimated when unfiltered,
    capped when filtered. ``count_is_estimate`` and ``count_is_capped`` say which, for
    the list's wording."""

    estimate_above = 50_000
    count_cap = 10_000

    count_is_estimate = False
    count_is_capped = False

    @cached_property
    def count(self) -> int:
        queryset = self.object_list
        if not isinstance(queryset, QuerySet):
            return super().count
        if is_unfiltered(queryset):
            estimate = estimated_rows(queryset.model, queryset.db)
            if estimate is not None and estimate > self.estimate_above:
                self.count_is_estimate = True
                return estimate
        # Counting stops at the first row past the cap: no ordering, just a LIMIT inside.
        counted = queryset.order_by()[: self.count_cap + 1].count()
        if counted > self.count_cap:
            self.count_is_capped = True
            return self.count_cap
        return counted
