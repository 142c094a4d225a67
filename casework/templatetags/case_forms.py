"""``{% case_submit_row %}``: the buttons under a case's change form, as Django's
``{% submit_row %}`` draws them, but the link a view-only reader leaves by reads "Back to
list": Django's "Close" on a case reads like closing the complaint."""

from __future__ import annotations

from django import template
from django.contrib.admin.templatetags.admin_modify import submit_row

register = template.Library()


@register.inclusion_tag("admin/casework/case/submit_line.html", takes_context=True)
def case_submit_row(context):
    return submit_row(context)
