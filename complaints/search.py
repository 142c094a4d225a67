"""The full-text search of complaints: the words of a query found in a complaint's
description, merchant or transaction reference, its internal notes, its partner messages or
what a person wrote to or from its customer (docs/search.md). Staff search all of these
(``STAFF_PLACES``); a partner only what it can read of its own complaints (``PARTNER_PLACES``).

Each word is a case-insensitive substring (Django's ``icontains``: ``UPPER(col) LIKE
UPPER('%word%')``); every word must be found, each in any of those places. Chinese needs no
word splitter: "退款未到账" is one word found inside "我的退款未到账，请处理" as "refund"
is inside "Refunded". A "quoted phrase" is one word, spaces and all.

On PostgreSQL a word of three letters or digits in a row is looked up in each place's
trigram index (pg_trgm, ``casework.core.indexes.trigram_index``): one id query per
place, their ``UNION`` a set of complaint ids, so the cost follows the rows that match,
not the table, and a complaint found twice is listed once. A shorter word ("退款", "EU")
has no trigram to look up: it is checked on each candidate row instead, by the row's own
columns and an ``EXISTS`` per related place on its complaint's index, alone or after the
longer words have narrowed the candidates. SQLite (the demo) has no trigram index: every
word is checked that way there, over the same columns with the same ``icontains``.
"""

# ruff: noqa: RUF002
from __future__ import annotations

import enum
import re
from functools import reduce
from operator import and_, or_

from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils.text import smart_split, unescape_string_literal

from casework.models import CustomerMessage
from casework.models.correspondence import WRITTEN_BY_A_PERSON

from .models import Complaint, ComplaintNote, PartnerMessage

# A query's length and words beyond these are refused (the API) or cut (the admin's box):
# every word is one more index lookup per place.
QUERY_MAX_LENGTH = 200
MAX_WORDS = 8

# What pg_trgm can look up: three letters or digits in a row (its trigrams are taken
# from runs of them; Python's \w counts Chinese characters as letters, as a UTF-8
# LC_CTYPE does).
INDEXED_RUN = re.compile(r"[^\W_]{3,}")

# The complaint's own columns searched.
COMPLAINT_FIELDS = ("description", "merchant", "transaction_reference")


def search_words(query: str) -> list[str]:
    """The query's words, longest first and at most ``MAX_WORDS``: split on spaces (the
    ideographic space too), a quoted phrase kept whole; a repeat, or a word inside another
    one, left out: the longer one finds only what it would."""
    words: list[str] = []
    for part in smart_split(query.replace("\x00", "")[:QUERY_MAX_LENGTH]):
        if part[:1] in "\"'" and part[-1:] == part[:1] and len(part) > 1:
            part = unescape_string_literal(part)
        part = part.strip()
        if part:
            words.append(part)
    kept: list[str] = []
    # The longest first: the fewest rows match it, and a word inside it adds nothing.
    for word in sorted(words, key=len, reverse=True):
        if not any(word.casefold() in longer.casefold() for longer in kept):
            kept.append(word)
    return kept[:MAX_WORDS]


def is_indexed(word: str) -> bool:
    """Whether a trigram index can narrow the search for ``word``."""
    return INDEXED_RUN.search(word) is not None


def _complaint_messages() -> QuerySet[CustomerMessage]:
    # Only complaints' correspondence; ContentType's cache makes this no query after the first.
    return CustomerMessage.objects.filter(
        WRITTEN_BY_A_PERSON, content_type=ContentType.objects.get_for_model(Complaint)
    )


def _in_columns(fields: tuple[str, ...], word: str) -> Q:
    return reduce(or_, (Q(**{f"{field}__icontains": word}) for field in fields))


class Place(enum.Enum):
    """Where a word may be found: each a query of ``complaint id -> text``."""

    COMPLAINT = "complaint"  # the description, merchant and transaction reference
    NOTES = "notes"  # internal notes (ComplaintNote)
    PARTNER_MESSAGES = "partner messages"  # PartnerMessage, both ways
    CUSTOMER_MESSAGES = "customer messages"  # what a person wrote to or from the customer

    def matching(self, word: str) -> QuerySet:
        """The rows of this place where ``word`` is found, as complaint ids (one column)."""
        if self is Place.COMPLAINT:
            return Complaint.objects.filter(_in_columns(COMPLAINT_FIELDS, word)).values("pk")
        if self is Place.NOTES:
            return ComplaintNote.objects.filter(body__icontains=word).values("complaint_id")
        if self is Place.PARTNER_MESSAGES:
            return PartnerMessage.objects.filter(body__icontains=word).values("complaint_id")
        return _complaint_messages().filter(_in_columns(("body_text", "subject"), word)).values("object_id")

    def row_matches(self, word: str) -> Q:
        """``word`` found in this place for the complaint of the row at hand."""
        if self is Place.COMPLAINT:
            return _in_columns(COMPLAINT_FIELDS, word)
        if self is Place.CUSTOMER_MESSAGES:
            rows = _complaint_messages().filter(_in_columns(("body_text", "subject"), word))
            return Q(Exists(rows.filter(object_id=OuterRef("pk"))))
        model = ComplaintNote if self is Place.NOTES else PartnerMessage
        return Q(Exists(model.objects.filter(complaint=OuterRef("pk"), body__icontains=word)))


# Staff search everything; a partner what it can read of its complaints: never the back
# office's internal notes, nor the correspondence with the customer (a word found there
# would tell the partner what the note says).
STAFF_PLACES = tuple(Place)
PARTNER_PLACES = (Place.COMPLAINT, Place.PARTNER_MESSAGES)


def complaint_ids_matching(word: str, places: tuple[Place, ...] = STAFF_PLACES) -> QuerySet:
    """The ids of the complaints where ``word`` is found in one of ``places``: one query
    per place, each read by its trigram index on PostgreSQL, their UNION (no duplicates)."""
    first, *others = (place.matching(word).order_by() for place in places)
    return first.union(*others) if others else first


def complaint_row_matches(word: str, places: tuple[Place, ...] = STAFF_PLACES) -> Q:
    """``word`` found in a complaint's own columns or, by an ``EXISTS`` on its foreign key,
    in one of its notes or messages: checked row by row."""
    return reduce(or_, (place.row_matches(word) for place in places))


def search_q(
    query: str, *, places: tuple[Place, ...] = STAFF_PLACES, indexed: bool | None = None
) -> Q | None:
    """The condition a complaint meets when every word of ``query`` is found in it (each in
    any of ``places``), or None for a query with no words. ``indexed``: look words up by
    their trigram indexes (the default on PostgreSQL); otherwise, as on SQLite, every word
    row by row."""
    words = search_words(query)
    if not words:
        return None
    if indexed is None:
        indexed = connection.vendor == "postgresql"
    looked_up = [word for word in words if indexed and is_indexed(word)]
    conditions = [complaint_row_matches(word, places) for word in words if word not in looked_up]
    if looked_up:
        # One id set per word; several words' sets INTERSECTed (a linear hash), never an
        # IN per word, which the planner, misled by LIKE's estimates, joins in a loop.
        first, *others = (
            Complaint.objects.filter(pk__in=complaint_ids_matching(word, places)).order_by().values("pk")
            for word in looked_up
        )
        conditions.insert(0, Q(pk__in=first.intersection(*others) if others else first))
    return reduce(and_, conditions)


def search_complaints(
    complaints: QuerySet[Complaint], query: str, *, places: tuple[Place, ...] = STAFF_PLACES
) -> QuerySet[Complaint]:
    """``complaints`` (already scoped: a partner's own, a changelist's filters) narrowed to
    those where every word of ``query`` is found; all of them for a query with no words."""
    condition = search_q(query, places=places)
    return complaints if condition is None else complaints.filter(condition)


def matching_complaint_ids(query: str, *, places: tuple[Place, ...] = STAFF_PLACES) -> QuerySet | None:
    """The ids of every complaint matching ``query``, as one subquery (for ``pk__in``), or
    None for a query with no words."""
    condition = search_q(query, places=places)
    return None if condition is None else Complaint.objects.filter(condition).order_by().values("pk")
