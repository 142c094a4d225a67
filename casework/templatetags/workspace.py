"""``{% my_work %}``: the clerk's own open cases, their team's queue and the counts
(``casework.workspace.queues``), on the My work page and atop the admin index for staff
who are not supervisors. It only renders."""

from __future__ import annotations

from django import template
from django.urls import reverse

from casework.workspace import queues

register = template.Library()


def _link(row: queues.Row) -> dict:
    meta = row.case._meta
    return {
        "row": row,
        "case": row.case,
        "kind": row.kind,
        "url": reverse(f"admin:{meta.app_label}_{meta.model_name}_change", args=[row.case.pk]),
    }


@register.inclusion_tag("admin/casework/my_work.html", takes_context=True)
def my_work(context) -> dict:
    request = context.get("request")
    user = request.user
    return {
        "request": request,
        "counts": queues.counts(user),
        "mine": [_link(row) for row in queues.my_cases(user)],
        "queue": [_link(row) for row in queues.team_queue(user)],
        "next": request.get_full_path(),
    }


@register.simple_tag(takes_context=True)
def has_my_work(context) -> bool:
    request = context.get("request")
    return request is not None and queues.has_my_work(request.user)
