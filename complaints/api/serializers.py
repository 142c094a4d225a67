"""What a partner sends and what it sees.

A partner sees the complaint as it filed it and how it stands (state, whose turn, SLA);
never the internal side: notes, findings, assignee, team, escalation, identity checks.
"""

from __future__ import annotations

from decimal import Decimal

from django.core.validators import RegexValidator
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from casework.api.serializers import SlaSerializer, VersionedActionSerializer
from complaints.models import REQUIRED_DETAILS, Category, Complaint, Priority, State


def _max_length(name: str) -> int:
    return Complaint._meta.get_field(name).max_length


@extend_schema_field(
    {"type": "string", "format": "decimal", "pattern": r"^\d{1,12}(\.\d{1,2})?$", "example": "120.50"}
)
class MoneyAmountField(serializers.DecimalField):
    """Money travels as a decimal string ("120.50"): a JSON number may arrive as a float."""

    default_error_messages = {
        "not_a_string": 'Send the amount as a decimal string such as "120.50", not as a number.',
    }

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("not_a_string")
        return super().to_internal_value(data)


class ComplaintCreateSerializer(serializers.Serializer):
    category = serializers.ChoiceField(choices=Category.choices)
    priority = serializers.ChoiceField(choices=Priority.choices, default=Priority.NORMAL)
    customer_name = serializers.CharField(max_length=_max_length("customer_name"))
    customer_phone = serializers.CharField(
        max_length=_max_length("customer_phone"),
        validators=[
            RegexValidator(
                r"^\+?[0-9][0-9 -]{3,}[0-9]$",
                "Enter a phone number: digits, optionally a leading + and spaces or hyphens.",
            )
        ],
    )
    account_number = serializers.CharField(
        max_length=_max_length("account_number"), allow_blank=True, default=""
    )
    description = serializers.CharField(help_text="What the customer reports, in their words.")
    transaction_at = serializers.DateTimeField(allow_null=True, default=None)
    amount = MoneyAmountField(
        max_digits=14,
        decimal_places=2,
        min_value=Decimal("0"),
        allow_null=True,
        default=None,
        help_text='Decimal string with at most 2 decimal places, e.g. "120.50"; never a JSON number.',
    )
    currency = serializers.CharField(
        default="CNY",
        validators=[RegexValidator(r"^[A-Z]{3}$", "Enter an ISO 4217 code such as CNY.")],
    )
    transaction_reference = serializers.CharField(
        max_length=_max_length("transaction_reference"), allow_blank=True, default=""
    )
    merchant = serializers.CharField(max_length=_max_length("merchant"), allow_blank=True, default="")
    device = serializers.CharField(
        max_length=_max_length("device"),
        allow_blank=True,
        default="",
        help_text="Phone model, OS, app version.",
    )
    external_reference = serializers.CharField(
        max_length=_max_length("external_reference"),
        allow_blank=True,
        default="",
        help_text="The partner's own id for this complaint; unique per partner when given.",
    )

    def validate_external_reference(self, value: str) -> str:
        # register_complaint refuses a duplicate too, but its full_clean() reports the unique
        # constraint on "__all__", not on this field; say it here, with the complaint it was.
        partner = self.context.get("partner")
        if value and partner is not None:
            existing = (
                Complaint.objects.filter(partner=partner, external_reference=value)
                .values_list("reference", flat=True)
                .first()
            )
            if existing:
                raise serializers.ValidationError(
                    f"You already filed a complaint with this reference: {existing}."
                )
        return value

    def validate(self, attrs: dict) -> dict:
        # The same table the model's clean() and the admin ask; name every missing detail at once.
        category = Category(attrs["category"])
        missing = {
            name: [f"Required for a complaint about a {category.label}."]
            for name in REQUIRED_DETAILS[category]
            if attrs.get(name) in (None, "")
        }
        if missing:
            raise serializers.ValidationError(missing)
        return attrs


class ComplaintSerializer(serializers.ModelSerializer):
    state_display = serializers.CharField(source="get_state_display", read_only=True)
    sla = SlaSerializer(source="sla_clock", read_only=True)

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
            "sla",
            "version",
        ]
        read_only_fields = fields


class WithdrawSerializer(VersionedActionSerializer):
    """Withdrawing a complaint: why, and the version read."""


class ComplaintFilterSerializer(serializers.Serializer):
    """Query parameters of the list; unknown values are refused, naming the parameter."""

    state = serializers.ChoiceField(choices=State.choices, required=False)
    category = serializers.ChoiceField(choices=Category.choices, required=False)
    external_reference = serializers.CharField(max_length=_max_length("external_reference"), required=False)
