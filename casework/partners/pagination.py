"""Every list of the API pages by cursor; what a cursor or a page size says is checked
before it reaches a query, so a mangled one is a 400 on its parameter, never a 500."""

from __future__ import annotations

import datetime as dt
import re
from typing import NoReturn

from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils import timezone
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.pagination import Cursor, CursorPagination

DIGITS = re.compile(r"[0-9]+")


class CreatedCursorPagination(CursorPagination):
    """Stable pages while new cases arrive: newest first, by creation then id."""

    ordering = ("-created_at", "-id")
    page_size_query_param = "page_size"
    max_page_size = 200

    def query_parameters(self) -> set[str]:
        """The query parameters a paged operation takes for its paging."""
        return {self.cursor_query_param, self.page_size_query_param}

    def refuse(self, parameter: str, message: str) -> NoReturn:
        raise ValidationError({parameter: [message]})

    def get_page_size(self, request) -> int:
        # DRF falls back to the default for a page size it cannot read; say so instead.
        raw = request.query_params.get(self.page_size_query_param)
        if raw is None:
            return self.page_size
        if not DIGITS.fullmatch(raw) or not 1 <= int(raw) <= self.max_page_size:
            self.refuse(self.page_size_query_param, f"A whole number from 1 to {self.max_page_size}.")
        return int(raw)

    # Query parameters under which a page is read ids first: its keys by themselves, then
    # the rows they name with everything shown of them. For a filter whose selectivity the
    # planner cannot see (a full-text ``q``), it would otherwise join every table the
    # answer shows to the whole of the partner's cases before it filters them.
    ids_first_with: frozenset[str] = frozenset()

    def paginate_queryset(self, queryset, request, view=None):
        ordering = self.get_ordering(request, queryset, view)
        # The field a cursor's position is a value of: the first of the ordering.
        self.position_field = queryset.model._meta.get_field(ordering[0].lstrip("-"))
        if not self.ids_first_with.intersection(request.query_params):
            return super().paginate_queryset(queryset, request, view)
        keys = super().paginate_queryset(
            queryset.values("pk", *(field.lstrip("-") for field in ordering)), request, view
        )
        if not keys:
            return keys
        rows = queryset.order_by().in_bulk([key["pk"] for key in keys])
        # The cursor's positions are read from the page: the rows, in the keys' order.
        self.page = [rows[key["pk"]] for key in keys]
        return self.page

    def decode_cursor(self, request) -> Cursor | None:
        # DRF answers a mangled cursor with 404, as if the list were gone; it is bad input.
        if request.query_params.get(self.cursor_query_param) == "":
            self.refuse(self.cursor_query_param, self.invalid_cursor_message)
        try:
            cursor = super().decode_cursor(request)
        except NotFound:
            self.refuse(self.cursor_query_param, self.invalid_cursor_message)
        if cursor is None or cursor.position is None:
            return cursor
        # The position is filtered on as it reads: one that is no value of the field (not a
        # date, a NUL, a time with no UTC date) would fail in the query.
        try:
            position = self.position_field.to_python(cursor.position)
            if isinstance(position, dt.datetime):
                if timezone.is_naive(position):
                    position = timezone.make_aware(position)
                position = position.astimezone(dt.UTC)
        except (DjangoValidationError, OverflowError, ValueError):
            self.refuse(self.cursor_query_param, self.invalid_cursor_message)
        return cursor._replace(position=position)

    def get_schema_operation_parameters(self, view) -> list[dict]:
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            if parameter["name"] == self.cursor_query_param:
                parameter["description"] = (
                    "Opaque: follow `next` or `previous` as given; a mangled cursor is a 400 on `cursor`."
                )
                parameter["schema"] = {"type": "string", "minLength": 1}
            elif parameter["name"] == self.page_size_query_param:
                parameter["description"] = f"How many to a page: {self.page_size} unless you ask for another."
                parameter["schema"] = {"type": "integer", "minimum": 1, "maximum": self.max_page_size}
        return parameters
