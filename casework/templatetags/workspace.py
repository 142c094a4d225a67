"""``{% my_work %}``: the clerk's own open cases, their team's queue, the cases escalated
to their team, those awaiting their decision and the counts (``casework.workspace.queues``),
on the My work page and atop the admin index for staff who are not supervisors. A list
shows only to whoever may have cases in it. Each row borrows its case admin's state badge
and ``summary_columns`` (the customer, masked as in the case list, and what the case is
about), so it reads as the list does. It only renders."""

from __future__ import annotations

from django import template
from django.contrib import admin
from django.urls import reverse

from casework.workspace import queues

register = template.Library()


def _link(row: queues.Row) -> dict:
    meta = row.case._meta
    try:
        case_admin = admin.site.get_model_admin(type(row.case))
    except admin.sites.NotRegistered:
        case_admin = None
    columns = getattr(case_admin, "summary_columns", ())
    return {
        "row": row,
        "case": row.case,
        "kind": row.kind,
        "url": reverse(f"admin:{meta.app_label}_{meta.model_name}_change", args=[row.case.pk]),
        "state": case_admin.state_badge(row.case) if hasattr(case_admin, "state_badge") else None,
        # The last is what the case is about; those before it, who (or what) it is for.
        "customer": [getattr(case_admin, name)(row.case) for name in columns[:-1]],
        "summary": getattr(case_admin, columns[-1])(row.case) if columns else "",
    }


@register.inclusion_tag("admin/casework/my_work.html", takes_context=True)
def my_work(context) -> dict:
    request = context.get("request")
    user = request.user
    return {
        "request": request,
        "counts": queues.counts(user),
        "holds": bool(queues.workspace_kinds(user)),
        "answers_escalations": bool(queues.escalation_kinds(user)),
        "decides": bool(queues.decision_kinds(user)),
        # Each list is empty, without a query, for a user who may have no case in it.
        "mine": [_link(row) for row in queues.my_cases(user)],
        "queue": [_link(row) for row in queues.team_queue(user)],
        "escalated": [_link(row) for row in queues.escalated_to_my_team(user)],
        "decisions": [_link(row) for row in queues.awaiting_my_decision(user)],
        "next": request.get_full_path(),
    }


@register.simple_tag(takes_context=True)
def has_my_work(context) -> bool:
    request = context.get("request")
    return request is not None and queues.has_my_work(request.user)
