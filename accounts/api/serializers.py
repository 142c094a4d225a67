"""What a partner sends and what it sees of an account request.

A partner sees the request as it sent it and how it stands (state, the account's current
status while the partner serves the account, why it was locked, why the request was
refused, SLA); never the internal side: evidence files, who checked the identity or the
proof, who approved, staff explanations.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiExample, extend_schema_serializer
from rest_framework import serializers

from accounts.models import AccountRequest, AccountStatus, LockReason, RequestState, WalletAccount
from casework.core.limits import max_length_of
from casework.partners.serializers import (
    CaseSerializer,
    PartnerCaseFilterSerializer,
    SlaSerializer,
    VersionedActionSerializer,
    model_validators,
)
from casework.privacy.masking import ACCOUNT, MaskedCharField


@extend_schema_serializer(
    examples=[
        OpenApiExample(
            "Unlock after wrong passwords",
            value={
                "account_number": "WLT-6201-7788",
                "customer_statement": "Locked out after five wrong passwords; I have my phone and ID card.",
                "external_reference": "ACME-U-76",
            },
            request_only=True,
        )
    ]
)
class AccountRequestCreateSerializer(serializers.Serializer):
    account_number = serializers.CharField(
        validators=model_validators(WalletAccount, "account_number"),
        help_text=_("The customer's wallet account number, e.g. WLT-6201-7788."),
    )
    customer_statement = serializers.CharField(
        allow_blank=True,
        default="",
        validators=model_validators(AccountRequest, "customer_statement"),
        help_text=_("What the customer says happened, in their words."),
    )
    external_reference = serializers.CharField(
        validators=model_validators(AccountRequest, "external_reference"),
        allow_blank=True,
        default="",
        help_text=_("The partner's own id for this request; unique per partner when given."),
    )


# "AccountRequest" would read, in the schema, as the request body of an "Account", and the
# generator would name its state enum "AccountStateEnum" accordingly.
# What a partner reads of an unlock request just sent: the example the schema shows.
ACCOUNT_REQUEST_EXAMPLE = {
    "reference": "ACR-20261124-000044",
    "external_reference": "ACME-U-76",
    "kind": "unlock",
    "state": "submitted",
    "state_display": "submitted",
    "account_number": "WLT-****-7788",
    "account_status": "locked",
    "lock_reason": "wrong_passwords",
    "rejection_reason": "",
    "created_at": "2026-11-24T09:30:00+08:00",
    "executed_at": None,
    "sla": {"resolution_due_at": "2026-11-25T18:00:00+08:00", "is_breached": False, "status": "on_track"},
    "version": 0,
}


@extend_schema_serializer(
    component_name="AccountRequestCase",
    examples=[
        OpenApiExample(
            "Submitted",
            summary="An unlock request as sent",
            value=ACCOUNT_REQUEST_EXAMPLE,
            response_only=True,
        )
    ],
)
class AccountRequestSerializer(CaseSerializer):
    state_display = serializers.CharField(source="get_state_display", read_only=True)
    account_number = MaskedCharField(
        kind=ACCOUNT,
        source="account.account_number",
        help_text=_("The account's number, masked but its last four characters, e.g. `WLT-****-7788`."),
    )
    account_status = serializers.ChoiceField(
        source="account.status",
        choices=AccountStatus.choices,
        read_only=True,
        allow_null=True,
        help_text=_(
            "The account's status now, not when the request came in; null once the account is "
            "no longer linked to your partner."
        ),
    )
    sla = SlaSerializer(source="sla_clock", read_only=True)

    class Meta:
        model = AccountRequest
        fields = [
            "reference",
            "external_reference",
            "kind",
            "state",
            "state_display",
            "account_number",
            "account_status",
            "lock_reason",
            "rejection_reason",
            "created_at",
            "executed_at",
            "sla",
            "version",
        ]
        read_only_fields = fields
        extra_kwargs = {
            "lock_reason": {"help_text": _("Why the account was locked when the request came in.")},
            "rejection_reason": {
                "help_text": _("Why the request was refused, as the customer is told; empty unless rejected.")
            },
        }

    def to_representation(self, instance: AccountRequest) -> dict:
        data = super().to_representation(instance)
        # Read through accounts.selectors.account_requests_for_partner, which says whether the
        # partner still serves the account; anything else shows no status.
        if not getattr(instance, "is_served", False):
            data["account_status"] = None
        return data


class AccountRequestCancelSerializer(VersionedActionSerializer):
    """Cancelling an account request: why, and the version read."""


class AccountRequestFilterSerializer(PartnerCaseFilterSerializer):
    """Query parameters of the list; unknown values are refused, naming the parameter."""

    state = serializers.ChoiceField(choices=RequestState.choices, required=False)
    lock_reason = serializers.ChoiceField(
        choices=LockReason.choices,
        required=False,
        help_text=_("Why the account was locked when the request came in."),
    )
    external_reference = serializers.CharField(
        max_length=max_length_of(AccountRequest, "external_reference"), required=False
    )
