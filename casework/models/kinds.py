"""The case kinds: what case types exist, and how the shared layer counts, shows and seeds them.

Each case app registers its kind from its ``AppConfig.ready`` (as it registers its clock
with ``casework.cases.sweep``), so casework never imports the apps built on it: the dashboard
counts the kinds registered here and adds the panels they bring, ``load_demo`` tells
each kind's demo stories, and the audit checks verify each kind's trail.

Imports only Django and ``casework.models``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ImproperlyConfigured
from django.db.models import Model, Q

from casework.models import CaseType


@dataclass(frozen=True)
class DashboardPanel:
    """A panel a kind adds to the supervisors' dashboard, in one of its ``SLOTS``.

    ``build(figures, links, panel)`` gets the kind's figures (``CaseTypeFigures``), the
    user's ``Links`` and the kind's linked figures (``CaseTypePanel``) of
    ``casework.supervision.panels``, and returns what ``template`` reads as ``panel``.
    """

    slot: str
    template: str
    build: Callable[[Any, Any, Any], Mapping[str, object]]


# Where a panel shows: under the "needs attention now" table, or under the SLA compliance chart.
ATTENTION = "attention"
SLA = "sla"
SLOTS = (ATTENTION, SLA)


@dataclass(frozen=True)
class CustomerReplies:
    """How a kind takes what its customer sends back (``casework.intake``): the case app's
    own services, run by the system inside the intake's transaction.

    ``replied(case, channel)`` is the transition that resumes a case waiting on the
    customer (in ``awaiting_states``); ``attach(case, file, description)`` files an
    attachment through the evidence check (raising ``InvalidInput`` when refused);
    ``note(case, text)`` writes what the intake has to say on the case (a refused file, a
    reply on a closed case); ``open_from_message(sender=, name=, subject=, text=,
    received_at=)`` opens a new case from an e-mail no case was found for (one kind has
    it: complaints); SMS from a number finds the customer's latest case by
    ``phone_field``, open ones first.
    """

    awaiting_states: tuple[str, ...] = ()
    replied: Callable[[Model, str], Model] | None = None
    attach: Callable[[Model, Any, str], object] | None = None
    note: Callable[[Model, str], object] | None = None
    open_from_message: Callable[..., Model] | None = None
    phone_field: str = ""


@dataclass(frozen=True)
class Personal:
    """Where a kind keeps personal data: a model (the case itself, or one holding rows of
    it through ``case_field``), its fields and what each becomes when pseudonymised
    (``casework.privacy.retention``), and the field of its uploaded file, if any."""

    model: type[Model]
    fields: Mapping[str, str]
    case_field: str = ""  # "" for the case model itself
    file_field: str = ""


@dataclass(frozen=True)
class Retention:
    """How retention finds a kind's ended cases and what it pseudonymises in them.

    ``ended_states`` are the ends a case never leaves; ``ended_at`` the indexed field the
    period runs from (the last change of a case that ended); ``personal`` the case model
    first, then the records of the case; ``identifiers(case)`` the values (a name, a phone,
    an account) to scrub out of the trail's free text, beyond the customer's identifiers;
    ``erasable`` the records of a case that no rule requires keeping, erased at once when
    the customer's erasure request is executed (``casework.erasure.services``), whatever the
    case's period.
    """

    ended_states: tuple[str, ...]
    ended_at: str
    personal: tuple[Personal, ...]
    identifiers: Callable[[Any], tuple[str, ...]] | None = None
    erasable: tuple[Personal, ...] = ()


@dataclass(frozen=True)
class CaseKind:
    """One case type, as the shared layer knows it."""

    case_type: str  # a ``CaseType``: its order there is the kind's order everywhere
    name: str  # plural, as a heading says it
    model: type[Model]
    open_states: tuple[str, ...]
    # The ends that answer the customer: counted for SLA compliance when they fall in the period.
    resolved_states: tuple[str, ...]
    resolved_at: str  # the lookup of the moment it was resolved
    first_contact_field: str = ""  # the flag of a first-contact resolution, where the type has one
    api_collection: str = ""  # the partner API's list of these cases, under /api/v1/
    panels: tuple[DashboardPanel, ...] = ()
    # The module of the kind's demo data (imported only by ``load_demo``): its ``load(demo)``
    # tells the stories, its ``report(demo)``, if any, says how things stand once every
    # kind has told its own (``demo`` is a ``casework.demo.Demo``).
    demo: str = ""
    # My work (``casework.workspace``): the user field of whoever holds the case ("" when
    # the type has no holder, and so no place on My work), the ``Team`` field whose group's
    # members share the unassigned queue ("" when whoever may take a case shares it), and
    # the permission to take an unassigned case for oneself.
    holder_field: str = ""
    team_field: str = ""
    take_permission: str = ""
    # What else waits on someone there. Escalated to a team: the ``Team`` field a case is
    # escalated to, the states in which it waits on that team, and the permission to
    # answer it (the team's members with it see "Escalated to my team"); "" and () when
    # the type is never escalated.
    escalated_team_field: str = ""
    escalated_states: tuple[str, ...] = ()
    escalated_permission: str = ""
    # Awaiting a decision: the states in which a case waits for one (narrowed by
    # ``decision_filter`` when only some cases in them do), the permission to take it,
    # and the user fields of everyone who made the case what it is (opened it, verified
    # it, submitted it, gave the first approval): four eyes keeps a case off their
    # "Awaiting my decision" (a path through a many-valued relation excludes anyone it
    # names). ``decision_permissions`` names the decisions that need more: each a
    # permission and the cases that need it.
    decision_states: tuple[str, ...] = ()
    decision_filter: Q | None = None
    decide_permission: str = ""
    maker_fields: tuple[str, ...] = ()
    decision_permissions: tuple[tuple[str, Q], ...] = ()
    # What My work's rows join to show the admin's ``summary_columns`` (the customer,
    # masked, and what the case is about) in the list's own query.
    row_related: tuple[str, ...] = ()
    # The customer's replies by e-mail and SMS (``casework.intake``): None files them on
    # the case and tells its holder, and nothing more.
    replies: CustomerReplies | None = None
    # Who the case's customer is and how to reach them (``casework.notices.customers``):
    # ``customer_contact(case)`` returns a ``CustomerContact``, or None when the case knows
    # no customer to write to (a refund case a partner opened on a transaction alone).
    customer_contact: Callable[[Any], Any] | None = None
    # The case's ``casework.Customer`` foreign key (``casework.customers``): the customer's
    # page lists the cases of every kind that has one.
    customer_field: str = ""
    # How a case ended, in a few words, for the customer's page: ``outcome(case)`` (a
    # complaint's resolution, a refund's amount paid); "" or None where the state says it.
    outcome: Callable[[Any], str] | None = None
    # What routing (``casework.routing``) matches a team's skills on: the field of the case's
    # category ("" when the type has none) and of its customer's language ("" when unknown).
    category_field: str = ""
    language_field: str = ""
    # What retention pseudonymises once the kind's period ends (None: nothing expires).
    retention: Retention | None = None

    @property
    def state_labels(self) -> dict[str, str]:
        return {value: str(label) for value, label in self.model._meta.get_field("state").flatchoices}

    def open_q(self) -> Q:
        return Q(state__in=self.open_states)

    def resolved_q(self, since: dt.datetime, until: dt.datetime) -> Q:
        """Resolved after ``since`` and by ``until``, and still resolved (not reopened)."""
        return Q(
            state__in=self.resolved_states,
            **{f"{self.resolved_at}__gt": since, f"{self.resolved_at}__lte": until},
        )


_kinds: dict[str, CaseKind] = {}


def register(kind: CaseKind) -> None:
    """Called from the case app's ``AppConfig.ready``; registering the same kind again
    (a second ``ready``) replaces it, another model under a taken case type is refused."""
    if kind.case_type not in CaseType.values:
        raise ImproperlyConfigured(f"{kind.case_type!r} is not a CaseType: add it there first")
    taken = _kinds.get(kind.case_type)
    if taken is not None and taken.model._meta.label != kind.model._meta.label:
        raise ImproperlyConfigured(f"{taken.model._meta.label} is already the {kind.case_type!r} kind")
    unknown = [panel.slot for panel in kind.panels if panel.slot not in SLOTS]
    if unknown:
        raise ImproperlyConfigured(f"No dashboard slot {unknown[0]!r}: one of {', '.join(SLOTS)}")
    _kinds[kind.case_type] = kind


def registered() -> tuple[CaseKind, ...]:
    """Every registered kind, in ``CaseType``'s order (complaints, account requests, refund
    cases), whatever order the apps are installed in."""
    order = list(CaseType.values)
    return tuple(sorted(_kinds.values(), key=lambda kind: order.index(kind.case_type)))


def kind_of(model: type[Model]) -> CaseKind:
    for kind in registered():
        if kind.model is model or issubclass(model, kind.model):
            return kind
    raise LookupError(f"{model.__name__} is not a registered case kind")
