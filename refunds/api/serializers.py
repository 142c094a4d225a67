"""What a partner sends and sees of a refund case, and what the payments system reports.

A partner sees the case as it sent it and how it stands: state, the amounts, what the
customer was asked to send, why it was rejected or why the payment failed, the payments
system's reference, the deadline. Never the internal side: handler, approvers, staff
notes, payment instructions.

Money travels as a decimal string with its currency code ("300.00", "CNY"), shown at the
currency's minor units (JPY "1200", BHD "4.500").
"""

from __future__ import annotations

import re
from decimal import Decimal

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from casework.api.serializers import SlaSerializer, VersionedActionSerializer
from casework.errors import InvalidInput
from complaints.models import Complaint
from refunds.models import (
    EvidenceKind,
    InstructionStatus,
    PaymentInstruction,
    PaymentTransaction,
    RefundCase,
    RefundEvidence,
    RefundState,
    RefundType,
)
from refunds.money import MINOR_UNITS, check_amount, check_currency

AMOUNT = re.compile(r"\d{1,30}(\.\d{1,30})?", re.ASCII)
MONEY_SCHEMA = {"type": "string", "format": "decimal", "pattern": r"^\d+(\.\d+)?$", "example": "300.00"}


def _max_length(model, name: str) -> int:
    return model._meta.get_field(name).max_length


def money(amount: Decimal | None, currency: str) -> str | None:
    """The amount as the wire shows it: a string at the currency's minor units."""
    if amount is None:
        return None
    return str(amount.quantize(Decimal(1).scaleb(-MINOR_UNITS.get(currency, 2))))


@extend_schema_field(MONEY_SCHEMA)
class AmountField(serializers.Field):
    """An amount in: a decimal string ("300.00"). A JSON number is taken as written (the
    API parses it as a decimal, never a binary float), so it passes only if exact at the
    currency's minor units; the serializer checks those once it knows the currency."""

    default_error_messages = {
        "invalid": 'Send the amount as a decimal string such as "300.00".',
    }

    def to_internal_value(self, data) -> Decimal:
        if isinstance(data, bool):
            self.fail("invalid")
        if isinstance(data, str):
            if not AMOUNT.fullmatch(data.strip()):
                self.fail("invalid")
            return Decimal(data.strip())
        if isinstance(data, Decimal | int):
            return Decimal(data)
        if isinstance(data, float):  # a parser other than the API's: its shortest exact repr
            return Decimal(repr(data))
        self.fail("invalid")

    def to_representation(self, value) -> str:
        return str(value)


class RefundCaseCreateSerializer(serializers.Serializer):
    refund_type = serializers.ChoiceField(choices=RefundType.choices)
    transaction_reference = serializers.CharField(
        max_length=_max_length(PaymentTransaction, "reference"),
        help_text="The wallet's reference of the customer's original payment.",
    )
    merchant = serializers.CharField(
        max_length=_max_length(PaymentTransaction, "merchant"), help_text="Whom the customer paid."
    )
    transaction_amount = AmountField(help_text="What the customer paid, in `currency`.")
    currency = serializers.CharField(help_text="ISO 4217 code of the payment, e.g. CNY.")
    paid_at = serializers.DateTimeField(help_text="When the customer paid.")
    requested_amount = AmountField(
        help_text="What the customer asks back: at most what is still refundable on the payment, "
        "counting its other refund cases."
    )
    reason = serializers.CharField(max_length=4000, help_text="Why the customer asks for the money back.")
    external_reference = serializers.CharField(
        max_length=_max_length(RefundCase, "external_reference"),
        allow_blank=True,
        default="",
        help_text="The partner's own id for this refund; unique per partner when given.",
    )
    complaint_reference = serializers.CharField(
        required=False,
        max_length=_max_length(Complaint, "reference"),
        help_text="The partner's own open complaint this refund comes from, e.g. CMP-20261124-000123; "
        "when the refund is paid the complaint is resolved with it.",
    )

    def validate_currency(self, value: str) -> str:
        try:
            return check_currency(value)
        except InvalidInput as refusal:
            raise serializers.ValidationError(refusal.message) from refusal

    def validate_complaint_reference(self, value: str) -> Complaint:
        complaint = Complaint.objects.filter(partner=self.context["partner"], reference=value.strip()).first()
        if complaint is None:
            raise serializers.ValidationError(f"You filed no complaint with the reference {value}.")
        if not complaint.is_open:
            raise serializers.ValidationError(
                f"Complaint {complaint.reference} is {complaint.get_state_display()}; a refund case "
                "follows an open complaint."
            )
        return complaint

    def validate(self, attrs: dict) -> dict:
        # The currency's minor units decide how many decimal places each amount may have.
        errors = {}
        for name in ("transaction_amount", "requested_amount"):
            try:
                attrs[name] = check_amount(attrs[name], attrs["currency"], field=name)
            except InvalidInput as refusal:
                errors[name] = [refusal.message]
        if errors:
            raise serializers.ValidationError(errors)
        attrs["complaint"] = attrs.pop("complaint_reference", None)
        return attrs


class RefundCaseSerializer(serializers.ModelSerializer):
    state_display = serializers.CharField(source="get_state_display", read_only=True)
    transaction_reference = serializers.CharField(source="transaction.reference", read_only=True)
    merchant = serializers.CharField(source="transaction.merchant", read_only=True)
    paid_at = serializers.DateTimeField(source="transaction.paid_at", read_only=True)
    currency = serializers.CharField(source="transaction.currency", read_only=True)
    transaction_amount = serializers.SerializerMethodField(help_text="What the customer paid.")
    requested_amount = serializers.SerializerMethodField(help_text="What the customer asked back.")
    approved_amount = serializers.SerializerMethodField(
        help_text="What the refunds desk approved (at most the request); null until approved."
    )
    complaint_reference = serializers.CharField(
        source="complaint.reference", read_only=True, allow_null=True, help_text="The complaint it came from."
    )
    sla = SlaSerializer(source="sla_clock", read_only=True)

    class Meta:
        model = RefundCase
        fields = [
            "reference",
            "external_reference",
            "state",
            "state_display",
            "refund_type",
            "transaction_reference",
            "merchant",
            "transaction_amount",
            "currency",
            "paid_at",
            "requested_amount",
            "approved_amount",
            "reason",
            "complaint_reference",
            "evidence_requested",
            "rejection_reason",
            "failure_reason",
            "processor_reference",
            "settled_at",
            "created_at",
            "updated_at",
            "sla",
            "version",
        ]
        read_only_fields = fields
        extra_kwargs = {
            "rejection_reason": {"help_text": "Why the refund was refused, as the customer is told."},
            "failure_reason": {"help_text": "Why the last payment failed at the payments system."},
            "processor_reference": {"help_text": "The payments system's reference of the refund paid."},
        }

    @extend_schema_field(MONEY_SCHEMA)
    def get_transaction_amount(self, case: RefundCase) -> str:
        return money(case.transaction.amount, case.currency)

    @extend_schema_field(MONEY_SCHEMA)
    def get_requested_amount(self, case: RefundCase) -> str:
        return money(case.requested_amount, case.currency)

    @extend_schema_field({**MONEY_SCHEMA, "nullable": True})
    def get_approved_amount(self, case: RefundCase) -> str | None:
        return money(case.approved_amount, case.currency)


class RefundCaseFilterSerializer(serializers.Serializer):
    """Query parameters of the list; unknown values are refused, naming the parameter."""

    state = serializers.ChoiceField(choices=RefundState.choices, required=False)
    refund_type = serializers.ChoiceField(choices=RefundType.choices, required=False)
    external_reference = serializers.CharField(
        max_length=_max_length(RefundCase, "external_reference"), required=False
    )


class RefundCancelSerializer(VersionedActionSerializer):
    """Cancelling a refund case: why, and the version read."""


class EvidenceUploadSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=EvidenceKind.choices)
    file = serializers.FileField(help_text="A PDF, JPEG or PNG scan, photo or screenshot.")
    note = serializers.CharField(max_length=_max_length(RefundEvidence, "note"), allow_blank=True, default="")


class RefundEvidenceSerializer(serializers.ModelSerializer):
    # A plain string here: one enum for the kinds, the upload's, keeps the schema's enum names clean.
    kind = serializers.CharField(read_only=True, help_text="The kind sent with the upload.")
    file_name = serializers.SerializerMethodField()

    class Meta:
        model = RefundEvidence
        fields = ["id", "kind", "file_name", "note", "uploaded_at"]
        read_only_fields = fields

    def get_file_name(self, evidence: RefundEvidence) -> str:
        return evidence.file.name.rpartition("/")[2]


class SettlementReportSerializer(serializers.Serializer):
    outcome = serializers.ChoiceField(
        choices=[InstructionStatus.SETTLED, InstructionStatus.FAILED],
        help_text="`settled`: the money reached the customer; `failed`: it did not.",
    )
    processor_reference = serializers.CharField(
        max_length=_max_length(PaymentInstruction, "processor_reference"),
        allow_blank=True,
        default="",
        help_text="Your reference of the payment; required when settled.",
    )
    error = serializers.CharField(
        max_length=2000,
        allow_blank=True,
        default="",
        help_text="Why the payment failed; required when failed.",
    )


class PaymentInstructionSerializer(serializers.ModelSerializer):
    key = serializers.CharField(source="idempotency_key", read_only=True)
    refund_reference = serializers.CharField(source="case.reference", read_only=True)
    amount = serializers.SerializerMethodField()

    class Meta:
        model = PaymentInstruction
        fields = [
            "key",
            "refund_reference",
            "attempt",
            "amount",
            "currency",
            "status",
            "processor_reference",
            "failure_reason",
            "reported_at",
            "created_at",
        ]
        read_only_fields = fields

    @extend_schema_field(MONEY_SCHEMA)
    def get_amount(self, instruction: PaymentInstruction) -> str:
        return money(instruction.amount, instruction.currency)
