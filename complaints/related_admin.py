"""The staff door to repeats and likely duplicates (``complaints.repeats``,
``complaints.duplicates``).

At intake, the add page asks ``related/`` (a small JSON answer) whenever the phone, the
account number, the e-mail address, the transaction reference or the category change: the
customer's open and recent complaints on the same transaction or category, likely
duplicates marked, and whether the new one would be a repeat. On a complaint's page, a box
says what it repeats, what repeats it and its possible duplicates. Each complaint is linked
to its page and shown as the lists show it (reference, state, category, a short summary).
"""

from __future__ import annotations

import datetime as dt

from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.http import JsonResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext

from casework.admin.columns import short_text

from . import repeats
from .duplicates import likely_duplicates
from .models import Category, Complaint


def _when(at: dt.datetime) -> str:
    return f"{timezone.localtime(at):%Y-%m-%d %H:%M}"


def shown(complaint: Complaint, *, is_duplicate: bool = False, transaction_reference: str = "") -> dict:
    """One related complaint as the intake panel and the case page show it."""
    return {
        "reference": str(complaint),
        "url": reverse("admin:complaints_complaint_change", args=[complaint.pk]),
        "state": complaint.get_state_display(),
        "is_open": complaint.is_open,
        "category": complaint.get_category_display(),
        "created": _when(complaint.created_at),
        "summary": short_text(complaint.description),
        "is_duplicate": is_duplicate,
        "same_transaction": bool(transaction_reference)
        and complaint.transaction_reference == transaction_reference,
    }


def intake_check(params) -> dict:
    """What the intake panel shows for the details typed so far (``params``: the form's)."""
    customer_id = repeats.known_customer_id(
        account_number=params.get("account_number", ""),
        phone=params.get("customer_phone", ""),
        email=params.get("customer_email", ""),
    )
    category = params.get("category", "")
    reference = params.get("transaction_reference", "").strip()
    if customer_id is None or (category not in Category.values and not reference):
        return {"customer_known": customer_id is not None, "cases": [], "repeat": None}
    now = timezone.now()
    related = list(
        repeats.related_complaints(
            customer_id=customer_id, category=category, transaction_reference=reference, at=now
        )[: repeats.RELATED_SHOWN]
    )
    new = Complaint(category=category, transaction_reference=reference, created_at=now)
    repeat = repeats.repeat_among(new, related)
    return {
        "customer_known": True,
        "cases": [
            shown(other, is_duplicate=other.is_duplicate, transaction_reference=reference)
            for other in related
        ],
        "repeat": gettext(
            "This will be a repeat complaint: the customer's complaint no. %(count)s on this matter "
            "in %(days)s days."
        )
        % {"count": repeat.count, "days": repeats.window().days}
        if repeat.is_repeat
        else None,
    }


def case_page_box(complaint: Complaint) -> dict:
    """The complaint page's box: what it repeats, what repeats it, its possible duplicates."""
    duplicates = [
        shown(other, is_duplicate=True) for other in likely_duplicates(complaint)[: repeats.RELATED_SHOWN]
    ]
    repeated_by = [
        shown(other) for other in complaint.repeats.order_by("created_at", "pk")[: repeats.RELATED_SHOWN]
    ]
    return {
        "repeat_of": shown(complaint.repeat_of) if complaint.repeat_of_id else None,
        "repeat_words": str(repeats.REPEAT_WORDS)
        % {"count": complaint.repeat_count, "days": repeats.window().days}
        if complaint.repeat_of_id
        else "",
        "repeated_by": repeated_by,
        "duplicates": duplicates,
        "any": bool(complaint.repeat_of_id or repeated_by or duplicates),
    }


class RelatedCasesAdminMixin:
    """``related/`` for the intake page, and the box on a complaint's page."""

    def get_urls(self):
        opts = self.model._meta
        own = [
            path(
                "related/",
                self.admin_site.admin_view(self.related_view),
                name=f"{opts.app_label}_{opts.model_name}_related",
            )
        ]
        return own + super().get_urls()

    def related_view(self, request):
        if not (self.has_add_permission(request) or self.has_view_permission(request)):
            raise PermissionDenied
        return JsonResponse(intake_check(request.GET))

    def add_view(self, request, form_url="", extra_context=None):
        opts = self.model._meta
        extra_context = {
            **(extra_context or {}),
            "related_url": reverse(f"admin:{opts.app_label}_{opts.model_name}_related"),
        }
        return super().add_view(request, form_url, extra_context)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        extra_context = extra_context or {}
        complaint = self.get_object(request, unquote(object_id))
        if complaint is not None:
            extra_context["related_box"] = lambda: case_page_box(complaint)
        return super().change_view(request, object_id, form_url, extra_context)
