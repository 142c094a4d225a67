"""``{% supervisors_dashboard %}``: the dashboard on the admin index, for users with
``casework.view_dashboard``; nothing for everyone else. It only renders: the figures,
links, charts and panels are ``casework.supervision.panels.page``'s."""

from __future__ import annotations

from django import template

from casework.supervision import panels as dashboard_panels

register = template.Library()


@register.inclusion_tag("admin/casework/dashboard.html", takes_context=True)
def supervisors_dashboard(context) -> dict:
    return dashboard_panels.page(context.get("request"))
