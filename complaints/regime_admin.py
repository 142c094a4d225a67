"""What the complaint's page shows of its regime: one read-only line in its Time section
(the regime, the limit in force with its unit, and the article it comes from). Corrected
through the "correct" step (``services.corrections``), never edited in place."""

from __future__ import annotations

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from .models import Complaint
from .services import regimes


class RegimeFieldsMixin:
    """``regime_in_force`` for ``ComplaintAdmin``'s fieldsets."""

    @admin.display(description=_("Regulatory regime"))
    def regime_in_force(self, complaint: Complaint) -> str:
        return regimes.limit_in_force(complaint)
