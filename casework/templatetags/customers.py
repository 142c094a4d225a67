"""``{% may_find_customers %}``: whether the header offers *Find a customer* (the customer's
page, ``casework.admin.customers``): to staff who may view at least one case type."""

from __future__ import annotations

from django import template

from casework.admin.customers import shown_kinds

register = template.Library()


@register.simple_tag(takes_context=True)
def may_find_customers(context) -> bool:
    request = context.get("request")
    return (
        request is not None
        and request.user.is_active
        and request.user.is_staff
        and bool(shown_kinds(request))
    )
