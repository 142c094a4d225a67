"""A case list's pagination and search count, worded for a count that is estimated or
capped (``casework.admin.paginators.CaseListPaginator``): "about 1,000,000 complaints", "more
than 10,000 results", never a made-up exact figure."""

from __future__ import annotations

from django import template
from django.contrib.admin.templatetags import admin_list

register = template.Library()


@register.inclusion_tag("admin/casework/case/pagination.html")
def case_pagination(cl) -> dict:
    return admin_list.pagination(cl)


@register.inclusion_tag("admin/casework/case/search_form.html")
def case_search_form(cl) -> dict:
    return admin_list.search_form(cl)
