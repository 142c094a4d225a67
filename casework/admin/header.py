"""The header every case page opens with: the reference, the state as a badge, whose turn
it is, the deadlines, the linked cases and one line on what to do next. The actions (the
transition buttons and step links ``CaseAdmin`` already offers) are drawn inside it by the
change form template, so an agent reaches them without scrolling.

A case type's admin says what only it knows: ``whose_turn(case)`` (the team or person who
has to act), ``header_facts(case)`` (what kind of case it is), ``linked_cases(case)`` and
``next_step(case, request)``; the link to the customer's page is every case's
(``casework.admin.customers``); ``state_tones`` maps a state to its badge's colour. What came
back to the case for its holder unseen (findings, a partner's message:
``casework.workspace.handbacks``) shows once, to the holder."""

from __future__ import annotations

from dataclasses import dataclass

from django import http
from django.contrib.admin.options import IS_POPUP_VAR
from django.db import models
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext

from casework.admin.customers import customer_link
from casework.models import Handback, kinds
from casework.workspace import handbacks

# Badge colours (casework/static/casework/admin.css, "Case page header").
OPEN, WAITING, DONE, ENDED = "open", "waiting", "done", "ended"


@dataclass(frozen=True)
class LinkedCase:
    url: str
    reference: str
    kind: str
    state: str


def person(user) -> str:
    """A user as colleagues call them: the full name, else the login."""
    return (user.get_full_name() or user.get_username()) if user is not None else ""


def holder(case: models.Model) -> str:
    """Who holds ``case``: the person it is assigned to (and their team), else the team."""
    user = getattr(case, "assigned_to", None) or getattr(case, "handler", None)
    team = getattr(case, "team", None)
    if user is not None and team is not None:
        return gettext("%(person)s (%(team)s)") % {"person": person(user), "team": team}
    if user is not None:
        return person(user)
    if team is not None:
        return gettext("%(team)s, nobody assigned yet") % {"team": team}
    return gettext("nobody assigned yet")


def linked(cases) -> list[LinkedCase]:
    shown = []
    for case in cases:
        if case is None:
            continue
        try:
            url = reverse(f"admin:{case._meta.app_label}_{case._meta.model_name}_change", args=[case.pk])
        except NoReverseMatch:
            continue
        shown.append(LinkedCase(url, str(case), str(case._meta.verbose_name), case.get_state_display()))
    return shown


class CaseHeaderMixin:
    """What ``CaseAdmin`` puts in the change form's header, and where Save after Add lands."""

    # State value -> OPEN, WAITING, DONE or ENDED; a state not named is OPEN while the
    # case is open, ENDED after.
    state_tones: dict[str, str] = {}

    def whose_turn(self, case: models.Model) -> str:
        """The team or person who has to act now; by default whoever holds the case, and
        nothing (no line) for a case type that is held by nobody in particular."""
        if not getattr(case, "is_open", True):
            return gettext("nobody: the case is finished")
        if not any(hasattr(case, name) for name in ("assigned_to", "handler", "team")):
            return ""
        return holder(case)

    def linked_cases(self, case: models.Model) -> list[LinkedCase]:
        """The cases this one came from or opened; by default the complaint it came from."""
        return linked([getattr(case, "complaint", None)])

    def header_facts(self, case: models.Model) -> list[tuple[str, str]]:
        """What the case is, as (label with its colon, value) pairs on one line (a
        complaint's category, priority and channel); none by default."""
        return []

    def next_step(self, case: models.Model, request) -> str:
        """One line on what to do next (e.g. "Verify the caller's identity, then accept.")."""
        return ""

    def handed_back(self, request, case: models.Model) -> list[Handback]:
        """What came back to the case for this user (its holder) unseen: drawn once in the
        header, and seen from then on; only a page view (GET) sees it."""
        if request.method != "GET":
            return []
        waiting = handbacks.unseen(case, request.user)
        if waiting:
            handbacks.mark_seen(case, request.user)
        return waiting

    def state_tone(self, case: models.Model) -> str:
        if case.state in self.state_tones:
            return self.state_tones[case.state]
        if case.state in kinds.kind_of(type(case)).resolved_states:
            return DONE  # the customer got their answer: refunded, executed
        return OPEN if getattr(case, "is_open", True) else ENDED

    def case_header(self, request, case: models.Model) -> dict:
        return {
            "reference": str(case),
            "state": case.get_state_display(),
            "tone": self.state_tone(case),
            "turn": self.whose_turn(case),
            "facts": self.header_facts(case),
            "clock": getattr(case, "sla_clock", None),
            "linked": self.linked_cases(case),
            # All the customer's cases, of every type: casework.admin.customers.
            "customer": customer_link(request, case),
            "next_step": self.next_step(case, request),
        }

    def response_add(self, request, obj, post_url_continue=None):
        """Save after Add stays on the new case: its page, with the header and its actions."""
        response = super().response_add(request, obj, post_url_continue)
        if any(key in request.POST for key in ("_addanother", "_continue", IS_POPUP_VAR, "_saveasnew")):
            return response
        if not isinstance(response, http.HttpResponseRedirect):
            return response
        opts = self.opts
        return http.HttpResponseRedirect(
            reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[obj.pk])
        )
