"""What the back office holds on one customer, across every case type: their cases of each
registered kind (open first, then the newest), the messages sent to and received from them
on those cases (the newest first), and the identifiers that find them.

Reads only: one query per kind, one for the messages and one for the identifiers, however
many cases the customer has. A kind's rows are capped at ``CASES_SHOWN`` and the messages at
``MESSAGES_SHOWN``; each answer says how many there are in all (a window count in the same
query), so a page can say "and 40 more".
"""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.contenttypes.models import ContentType
from django.db.models import Case, Count, IntegerField, Model, Q, Value, When, Window

from casework.models import Customer, CustomerIdentifier, CustomerMessage, IdentifierKind, kinds

CASES_SHOWN = 100
MESSAGES_SHOWN = 20


@dataclass(frozen=True)
class KindCases:
    """One kind's cases of the customer: the first ``CASES_SHOWN`` and how many in all."""

    kind: kinds.CaseKind
    cases: list[Model]
    total: int

    @property
    def more(self) -> int:
        return self.total - len(self.cases)


@dataclass(frozen=True)
class Messages:
    shown: list[CustomerMessage]
    total: int

    @property
    def more(self) -> int:
        return self.total - len(self.shown)


def cases_of(customer: Customer, kind: kinds.CaseKind, *, limit: int | None = None) -> KindCases:
    """The customer's cases of ``kind``, open ones first, then the newest; one query, with
    the clock and what the kind's rows join (``row_related``)."""
    rank = Case(
        When(state__in=kind.open_states, then=Value(0)), default=Value(1), output_field=IntegerField()
    )
    ordering = kind.model._meta.ordering or ["-pk"]
    queryset = (
        kind.model._default_manager.filter(**{kind.customer_field: customer})
        .select_related("sla_clock", *kind.row_related)
        .annotate(open_rank=rank, customer_total=Window(Count("pk")))
        .order_by("open_rank", *ordering)
    )
    cases = list(queryset[: limit or CASES_SHOWN])
    return KindCases(kind, cases, cases[0].customer_total if cases else 0)


def customer_kinds() -> tuple[kinds.CaseKind, ...]:
    """The kinds whose cases know their customer."""
    return tuple(kind for kind in kinds.registered() if kind.customer_field)


def count_of(customer_id: int, shown_kinds: tuple[kinds.CaseKind, ...]) -> int:
    """How many cases of ``shown_kinds`` the customer has: one query (a UNION of counts)."""
    counts = [
        kind.model._default_manager.filter(**{f"{kind.customer_field}_id": customer_id})
        .order_by()
        .values(kind.customer_field)
        .annotate(n=Count("pk"))
        .values_list("n", flat=True)
        for kind in shown_kinds
    ]
    if not counts:
        return 0
    first, *rest = counts
    return sum(first.union(*rest, all=True)) if rest else sum(first)


def messages_of(customer: Customer, shown: list[KindCases], *, limit: int | None = None) -> Messages:
    """The messages to and from the customer on the cases of ``shown`` (their kinds), the
    newest first; one query. A kind whose cases were all read is matched by their ids (the
    index on the case's messages), a bigger one through a subquery."""
    types = ContentType.objects.get_for_models(*(entry.kind.model for entry in shown))
    matching = Q()
    for entry in shown:
        if not entry.total:
            continue
        if entry.more:
            ids = entry.kind.model._default_manager.filter(**{entry.kind.customer_field: customer}).values(
                "pk"
            )
        else:
            ids = [case.pk for case in entry.cases]
        matching |= Q(content_type=types[entry.kind.model], object_id__in=ids)
    if not matching:
        return Messages([], 0)
    rows = list(
        CustomerMessage.objects.filter(matching)
        .select_related("author")
        .annotate(customer_total=Window(Count("pk")))
        .order_by("-created_at", "-pk")[: limit or MESSAGES_SHOWN]
    )
    return Messages(rows, rows[0].customer_total if rows else 0)


def identifiers_of(customer: Customer) -> list[CustomerIdentifier]:
    """The customer's identifiers: the accounts, then the phones, then the e-mail addresses."""
    order = {kind: at for at, kind in enumerate(IdentifierKind.values)}
    rows = CustomerIdentifier.objects.filter(customer=customer)
    return sorted(rows, key=lambda row: (order.get(row.kind, len(order)), row.first_seen_at, row.pk))
