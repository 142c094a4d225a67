"""What a partner sends and what it sees.

A partner sees the complaint as it filed it and how it stands (state, whose turn, SLA);
never the internal side: notes, findings, assignee, team, escalation, identity checks.
"""

from __future__ import annotations

from django.utils.translation import gettext
from drf_spectacular.utils import OpenApiExample, extend_schema_field, extend_schema_serializer
from rest_framework import serializers

from casework.core.limits import max_length_of
from casework.models import CustomerChannel, CustomerLanguage
from casework.partners.serializers import (
    CaseSerializer,
    MoneyField,
    PartnerCaseFilterSerializer,
    PaymentTimeField,
    SlaSerializer,
    VersionedActionSerializer,
    model_validators,
    refuse_extra_decimal_places,
)
from casework.partners.timeline import Actor
from casework.privacy.masking import ACCOUNT, PHONE, MaskedCharField
from complaints.api import regimes
from complaints.api.classification import ClassificationFilters, ClassifiedSerializer, CodeField
from complaints.api.search import FullTextFilter
from complaints.models import (
    PHONE_NEEDED,
    REQUIRED_DETAILS,
    Category,
    Channel,
    Complaint,
    PartnerMessage,
    Priority,
    ResolutionCode,
    State,
    email_channel_refusal,
    missing_phone_refusal,
)
from complaints.services.regimes import decision_basis


def _rules(name: str) -> list:
    return model_validators(Complaint, name)


@extend_schema_serializer(
    examples=[
        OpenApiExample(
            "A failed transaction",
            value={
                "category": "transaction",
                "customer_name": "Li Wei",
                "customer_phone": "+86 138 0013 8000",
                "account_number": "WLT-6201-7788",
                "description": "Paid 120.50 at a convenience store; the payment failed but the money "
                "left the balance.",
                "transaction_at": "2026-11-24T09:12:00+08:00",
                "amount": "120.50",
                "transaction_reference": "TX20261124000187",
                "merchant": "Lawson Xujiahui",
                "device": "Huawei Mate 60, HarmonyOS 4, app 10.5.3",
                "external_reference": "ACME-C-1001",
            },
            request_only=True,
        )
    ]
)
class ComplaintCreateSerializer(serializers.Serializer):
    category = serializers.ChoiceField(choices=Category.choices)
    priority = serializers.ChoiceField(choices=Priority.choices, default=Priority.NORMAL)
    # Each field checked by the model field's own validators: the admin's words, the admin's limits.
    customer_name = serializers.CharField(validators=_rules("customer_name"))
    # A partner's complaint comes on the partner API channel, never by e-mail: by the one
    # rule (``missing_phone_refusal``) it needs the phone, refused missing in its words.
    customer_phone = serializers.CharField(
        validators=_rules("customer_phone"),
        error_messages={"required": PHONE_NEEDED, "blank": PHONE_NEEDED},
        help_text="A valid phone number; without a country code, read as a number in China (+86). "
        "Kept in E.164, e.g. `+8613800138000`.",
    )
    # How the customer is told what happens, when the partner opted in to direct notices.
    customer_email = serializers.EmailField(
        validators=_rules("customer_email"),
        allow_blank=True,
        default="",
        help_text="The customer's e-mail address; needed when `preferred_channel` is `email`.",
    )
    preferred_channel = serializers.ChoiceField(
        choices=CustomerChannel.choices,
        default=CustomerChannel.SMS,
        help_text="How the customer is told of acceptance, extension and decision (only when the "
        "partner asked the back office to tell its customers directly).",
    )
    customer_language = serializers.ChoiceField(
        choices=CustomerLanguage.choices,
        default=CustomerLanguage.ZH_HANS,
        help_text="The language the customer is written to in.",
    )
    account_number = serializers.CharField(validators=_rules("account_number"), allow_blank=True, default="")
    description = serializers.CharField(
        validators=_rules("description"), help_text="What the customer reports, in their words."
    )
    transaction_at = PaymentTimeField(
        allow_null=True, default=None, help_text="When the customer paid: not in the future, not before 2000."
    )
    amount = MoneyField(
        allow_null=True,
        default=None,
        validators=_rules("amount"),
        help_text="Decimal string, more than zero, with at most the currency's decimal places, "
        'e.g. "120.50"; never a JSON number.',
    )
    currency = serializers.CharField(
        default="CNY", validators=_rules("currency"), help_text="ISO 4217 code the wallet supports, e.g. CNY."
    )
    transaction_reference = serializers.CharField(
        validators=_rules("transaction_reference"), allow_blank=True, default=""
    )
    merchant = serializers.CharField(validators=_rules("merchant"), allow_blank=True, default="")
    device = serializers.CharField(
        validators=_rules("device"),
        allow_blank=True,
        default="",
        help_text="Phone model, OS, app version.",
    )
    external_reference = serializers.CharField(
        validators=_rules("external_reference"),
        allow_blank=True,
        default="",
        help_text="The partner's own id for this complaint; unique per partner when given.",
    )
    regime = regimes.regime_field()
    regime_condition = regimes.condition_field()
    # The classification's codes, as strings; the service judges them (a 400 names the field).
    business_type = CodeField(help_text="A business type code, e.g. `B01`; empty: the category's.")
    cause = CodeField(help_text="A cause code, e.g. `C03`; empty: the category's.")

    def validate(self, attrs: dict) -> dict:
        # The same table the model's clean() and the admin ask; name every missing detail at once.
        category = Category(attrs["category"])
        missing = {
            name: [gettext("Required for a complaint about a %(category)s.") % {"category": category.label}]
            for name in REQUIRED_DETAILS[category]
            if attrs.get(name) in (None, "")
        }
        phone_refusal = missing_phone_refusal(
            Channel.PARTNER_API, attrs.get("customer_phone", ""), attrs.get("customer_email", "")
        )
        if phone_refusal:  # the field's own messages say it first; the same rule stands behind them
            missing["customer_phone"] = [phone_refusal]
        if missing:
            raise serializers.ValidationError(missing)
        # The model's clean() asks the same: preferring e-mail needs an address.
        refusal = email_channel_refusal(attrs["preferred_channel"], attrs.get("customer_email", ""))
        if refusal:
            raise serializers.ValidationError({"customer_email": [refusal]})
        refuse_extra_decimal_places(attrs, ["amount"])
        return attrs


# What a partner reads of a complaint just filed: the example the schema shows.
COMPLAINT_EXAMPLE = {
    "reference": "CMP-20261124-000123",
    "external_reference": "ACME-C-1001",
    "state": "received",
    "state_display": "received",
    "turn": "agent",
    "category": "transaction",
    "channel": "partner_api",
    "priority": "normal",
    "customer_name": "Li Wei",
    "customer_phone": "+86 138 **** 8000",
    "preferred_channel": "sms",
    "customer_language": "zh-hans",
    "account_number": "WLT-****-7788",
    "description": "Paid 120.50 at a convenience store; the payment failed but the money left the balance.",
    "transaction_at": "2026-11-24T09:12:00+08:00",
    "amount": "120.50",
    "currency": "CNY",
    "transaction_reference": "TX20261124000187",
    "merchant": "Lawson Xujiahui",
    "device": "Huawei Mate 60, HarmonyOS 4, app 10.5.3",
    "created_at": "2026-11-24T09:30:00+08:00",
    "updated_at": "2026-11-24T09:30:00+08:00",
    "resolution_code": "",
    "resolution_summary": "",
    "resolved_at": None,
    "closed_at": None,
    "merged_into": None,
    "business_type": "B01",
    "cause": "C03",
    "channel_code": "H08",
    "product": None,
    "outcome": "",
    "redress_amount": None,
    "sla": {
        "resolution_due_at": "2026-12-09T18:00:00+08:00",
        "is_breached": False,
        "status": "on_track",
    },
    "regime": "cn-pboc",
    "regime_version": "2020",
    "regime_condition": "",
    "decision_basis": {
        "target": 15,
        "unit": "civil_days",
        "article": "PBOC Order [2020] No. 5, ch. IV",
        "extension_tier": None,
    },
    "version": 0,
}


@extend_schema_serializer(
    examples=[
        OpenApiExample(
            "Received", summary="A complaint as filed", value=COMPLAINT_EXAMPLE, response_only=True
        )
    ]
)
class ComplaintSerializer(ClassifiedSerializer, CaseSerializer):
    state_display = serializers.CharField(source="get_state_display", read_only=True)
    # Declared: a read-only model field loses allow_blank, and the schema would refuse the
    # empty code every complaint has until it is resolved.
    resolution_code = serializers.ChoiceField(
        choices=ResolutionCode.choices,
        allow_blank=True,
        read_only=True,
        help_text="How the complaint was resolved; empty until it is.",
    )
    # Masked: the partner sent them, and an answer is no place to carry them back in full.
    customer_phone = MaskedCharField(
        kind=PHONE,
        help_text="Masked, as sent but with the middle digits as `*`, e.g. `+86 138 **** 8000`.",
    )
    account_number = MaskedCharField(
        kind=ACCOUNT,
        help_text="Masked but its last four characters, e.g. `WLT-****-7788`; empty if none was sent.",
    )
    sla = SlaSerializer(source="sla_clock", read_only=True)
    regime = serializers.CharField(source="regime.code", read_only=True, allow_null=True)
    regime_version = serializers.CharField(source="regime.version", read_only=True, allow_null=True)
    regime_condition = regimes.condition_field(read_only=True)
    decision_basis = serializers.SerializerMethodField()
    merged_into = serializers.SerializerMethodField(
        help_text="When `state` is `merged`: the reference of the complaint it was merged into, if "
        "that one is yours too (your messages moved there); else null."
    )

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_merged_into(self, complaint: Complaint) -> str | None:
        into = complaint.merged_into
        return into.reference if into is not None and into.partner_id == complaint.partner_id else None

    @extend_schema_field(regimes.DecisionBasisSerializer)
    def get_decision_basis(self, complaint: Complaint) -> dict:
        return decision_basis(complaint.sla_clock, complaint.regime_condition).as_dict()

    class Meta:
        model = Complaint
        fields = [
            "reference",
            "external_reference",
            "state",
            "state_display",
            "turn",
            "category",
            "channel",
            "priority",
            "customer_name",
            "customer_phone",
            "preferred_channel",
            "customer_language",
            "account_number",
            "description",
            "transaction_at",
            "amount",
            "currency",
            "transaction_reference",
            "merchant",
            "device",
            "created_at",
            "updated_at",
            "resolution_code",
            "resolution_summary",
            "resolved_at",
            "closed_at",
            "merged_into",
            *ClassifiedSerializer.FIELDS,
            "sla",
            "regime",
            "regime_version",
            "regime_condition",
            "decision_basis",
            "version",
        ]
        read_only_fields = fields


class WithdrawSerializer(VersionedActionSerializer):
    """Withdrawing a complaint: why, and the version read."""


class ComplaintFilterSerializer(FullTextFilter, ClassificationFilters, PartnerCaseFilterSerializer):
    """Query parameters of the list; unknown values are refused, naming the parameter."""

    state = serializers.ChoiceField(choices=State.choices, required=False)
    category = serializers.ChoiceField(choices=Category.choices, required=False)
    external_reference = serializers.CharField(
        max_length=max_length_of(Complaint, "external_reference"), required=False
    )


class PartnerMessageCreateSerializer(serializers.Serializer):
    body = serializers.CharField(
        validators=model_validators(PartnerMessage, "body"),
        help_text="What the customer added, or what you ask the back office; plain text.",
    )


class PartnerMessageSerializer(serializers.ModelSerializer):
    """A message on the complaint as the partner reads it: its own, or a reply from staff
    (never who on the staff wrote it)."""

    sent_by = serializers.SerializerMethodField(help_text="`you`, or the `back office` replying.")

    class Meta:
        model = PartnerMessage
        fields = ["id", "sent_by", "body", "created_at"]
        read_only_fields = fields

    @extend_schema_field(serializers.ChoiceField(choices=[Actor.YOU, Actor.BACK_OFFICE]))
    def get_sent_by(self, message: PartnerMessage) -> str:
        # Only the complaint's own partner writes on it, so the partner's messages are "you".
        return Actor.YOU if message.is_from_partner else Actor.BACK_OFFICE
