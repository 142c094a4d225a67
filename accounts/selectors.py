"""Read queries the admin, the API and the sweep share, with their joins, so lists do
not run one query per row."""

from __future__ import annotations

from django.db.models import QuerySet

from casework.models import Partner

from .models import AccountRequest


def account_requests_for_partner(partner: Partner) -> QuerySet[AccountRequest]:
    """A partner sees only what it sent, with the account and the clock each row shows."""
    return AccountRequest.objects.filter(partner=partner).select_related("account", "sla_clock")
