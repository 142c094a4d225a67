"""The columns every case list shares, so a list fits a 1366 px screen: the reference on one
line, the state as a coloured badge, the next deadline as a countdown, who holds the case.

What a case type adds (its customer, its short description) stays in its own admin, built
with :func:`short_text`. The columns read only what the list's query already joined
(``sla_clock``, the holder): a page costs the same number of queries at 3 rows or 50."""

from __future__ import annotations

from django.contrib import admin
from django.db import models
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.text import Truncator
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from casework.models import kinds
from casework.sla import deadlines

# A short description's length in characters: two lines of the list's widest column.
SHORT_TEXT_CHARS = 70


def short_text(text: str | None, chars: int = SHORT_TEXT_CHARS) -> str:
    """The first ``chars`` characters of ``text`` on one paragraph, with an ellipsis if cut."""
    return Truncator(" ".join((text or "").split())).chars(chars)


def customer_page_link(case: models.Model, text: str) -> str:
    """``text`` (who the case is of, in a list's customer column) linked to the customer's
    page (``casework.admin.customers``) when the case knows its customer: by the row's own
    ``customer_id``, no query."""
    kind = kinds.kind_of(type(case))
    customer_id = getattr(case, f"{kind.customer_field}_id", None) if kind.customer_field else None
    if customer_id is None:
        return text
    return format_html(
        '<a href="{}" class="case-customer-link" title="{}">{}</a>',
        reverse("admin-customer", args=[customer_id]),
        gettext("All cases of this customer"),
        text,
    )


class CaseColumnsMixin:
    """The shared columns of a case admin's list (``CaseAdmin`` has them): ``reference``
    stays a field (its cell's class keeps it on one line), ``state_badge``,
    ``next_deadline`` and ``holder``. Who holds a case, and the team whose queue it waits
    in before a person takes it, are the kind's (``holder_field`` and ``team_field``, as
    registered in ``casework.models.kinds`` for My work); an admin may name another person
    to show (``holder_field``) for a kind nobody holds."""

    holder_field = ""

    def changelist_view(self, request, extra_context=None):
        # The list needs the width: without the sidebar of every model it fits 1366 px
        # beside its filters (Home and the breadcrumbs lead to the other lists).
        return super().changelist_view(request, {"is_nav_sidebar_enabled": False, **(extra_context or {})})

    @admin.display(description=_("state"), ordering="state")
    def state_badge(self, case: models.Model) -> str:
        return format_html(
            '<span class="case-state case-state--{}">{}</span>',
            self.state_tone(case),  # the case page header's tones (casework.admin.header)
            case.get_state_display(),
        )

    # Sorted by the deadline it shows: the first response while unanswered, else the resolution.
    @admin.display(description=_("next deadline"), ordering=deadlines.NEXT_DUE)
    def next_deadline(self, case: models.Model) -> str:
        clock = case.sla_clock
        shown = deadlines.next_deadline(clock, timezone.now())
        return render_to_string(
            "admin/casework/deadline.html",
            {"deadline": shown, "due_at": timezone.localtime(shown.due_at)},
        )

    @admin.display(description=_("holder"))
    def holder(self, case: models.Model) -> str:
        kind = kinds.kind_of(type(case))
        person_field, team_field = self.holder_field or kind.holder_field, kind.team_field
        person = getattr(case, person_field) if person_field else None
        if person is not None:
            return person.get_full_name() or person.get_username()
        team = getattr(case, team_field) if team_field else None
        if team is not None:
            return format_html(
                '<span class="case-holder-team">{}</span>',
                gettext("%(team)s (unassigned)") % {"team": team},
            )
        return "—"
