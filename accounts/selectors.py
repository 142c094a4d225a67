"""Read queries the admin, the API and the sweep share, with their joins, so lists do
not run one query per row."""

from __future__ import annotations

from django.db.models import Exists, OuterRef, QuerySet

from casework.models import Partner

from .models import AccountRequest, PartnerAccountLink


def account_requests_for_partner(partner: Partner) -> QuerySet[AccountRequest]:
    """A partner sees only what it sent, with the account and the clock each row shows, and
    whether it still serves the account (``is_served``): the account's status is shown only
    while it does, so a customer who left the partner is not followed."""
    served = PartnerAccountLink.objects.filter(
        partner=partner, account=OuterRef("account"), ended_at__isnull=True
    )
    return (
        AccountRequest.objects.filter(partner=partner)
        .select_related("account", "sla_clock")
        .annotate(is_served=Exists(served))
    )


def outcome(account_request: AccountRequest) -> str:
    """How the request ended, for the customer's page: the gateway's reference of an executed
    request, the reason of a rejected one."""
    if account_request.rejection_reason:
        return " ".join(account_request.rejection_reason.split())[:80]
    return account_request.gateway_reference
