"""What a partner sends and sees of a refund case, and what the payments system reports.

A partner sees the case as it sent it and how it stands: state, the amounts, what the
customer was asked to send, why it was rejected or why the payment failed, the payments
system's reference, the deadline. Never the internal side: handler, approvers, staff
notes, payment instructions.

Money travels as a decimal string with its currency code ("300.00", "CNY"), shown at the
currency's minor units (JPY "1200", BHD "4.500").
"""

from __future__ import annotations

import mimetypes
from decimal import Decimal

from django.utils.translation import gettext
from drf_spectacular.utils import OpenApiExample, extend_schema_field, extend_schema_serializer
from rest_framework import serializers

from casework.core.errors import InvalidInput
from casework.core.limits import max_length_of
from casework.partners.serializers import (
    MONEY_SCHEMA,
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
from refunds.money import check_currency, in_minor_units


def money(amount: Decimal | None, currency: str) -> str | None:
    """The amount as the wire shows it: a string at the currency's minor units."""
    if amount is None:
        return None
    return str(in_minor_units(amount, currency))


@extend_schema_serializer(
    examples=[
        OpenApiExample(
            "Part of a payment back",
            value={
                "refund_type": "not_received",
                "transaction_reference": "TXN-2026-004417",
                "merchant": "Hangzhou Tea House",
                "transaction_amount": "800.00",
                "currency": "CNY",
                "paid_at": "2026-11-21T15:40:00+08:00",
                "requested_amount": "300.00",
                "reason": "Order cancelled by the merchant; money not returned.",
                "external_reference": "ACME-R-310",
            },
            request_only=True,
        )
    ]
)
class RefundCaseCreateSerializer(serializers.Serializer):
    refund_type = serializers.ChoiceField(choices=RefundType.choices)
    transaction_reference = serializers.CharField(
        validators=model_validators(PaymentTransaction, "reference"),
        help_text="The wallet's reference of the customer's original payment.",
    )
    merchant = serializers.CharField(
        validators=model_validators(PaymentTransaction, "merchant"), help_text="Whom the customer paid."
    )
    transaction_amount = MoneyField(
        validators=model_validators(PaymentTransaction, "amount"),
        help_text="What the customer paid, in `currency`.",
    )
    currency = serializers.CharField(help_text="ISO 4217 code of the payment, e.g. CNY.")
    paid_at = PaymentTimeField(help_text="When the customer paid: not in the future, not before 2000.")
    requested_amount = MoneyField(
        validators=model_validators(RefundCase, "requested_amount"),
        help_text="What the customer asks back: at most what is still refundable on the payment, "
        "counting its other refund cases.",
    )
    reason = serializers.CharField(
        validators=model_validators(RefundCase, "reason"),
        help_text="Why the customer asks for the money back.",
    )
    external_reference = serializers.CharField(
        validators=model_validators(RefundCase, "external_reference"),
        allow_blank=True,
        default="",
        help_text="The partner's own id for this refund; unique per partner when given.",
    )
    complaint_reference = serializers.CharField(
        required=False,
        max_length=max_length_of(Complaint, "reference"),
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
            raise serializers.ValidationError(
                gettext("You filed no complaint with the reference %(reference)s.") % {"reference": value}
            )
        if not complaint.is_open:
            raise serializers.ValidationError(
                gettext("Complaint %(reference)s is %(state)s; a refund case follows an open complaint.")
                % {"reference": complaint.reference, "state": complaint.get_state_display()}
            )
        return complaint

    def validate(self, attrs: dict) -> dict:
        refuse_extra_decimal_places(attrs, ["transaction_amount", "requested_amount"])
        attrs["complaint"] = attrs.pop("complaint_reference", None)
        return attrs


# What a partner reads of a refund case just opened: the example the schema shows.
REFUND_CASE_EXAMPLE = {
    "reference": "RFD-20261124-000007",
    "external_reference": "ACME-R-310",
    "state": "requested",
    "state_display": "requested",
    "refund_type": "not_received",
    "transaction_reference": "TXN-2026-004417",
    "merchant": "Hangzhou Tea House",
    "transaction_amount": "800.00",
    "currency": "CNY",
    "paid_at": "2026-11-21T15:40:00+08:00",
    "requested_amount": "300.00",
    "approved_amount": None,
    "reason": "Order cancelled by the merchant; money not returned.",
    "complaint_reference": None,
    "evidence_requested": "",
    "rejection_reason": "",
    "failure_reason": "",
    "processor_reference": "",
    "settled_at": None,
    "created_at": "2026-11-24T09:30:00+08:00",
    "updated_at": "2026-11-24T09:30:00+08:00",
    "sla": {"resolution_due_at": "2026-12-08T18:00:00+08:00", "is_breached": False, "status": "on_track"},
    "version": 0,
}


@extend_schema_serializer(
    examples=[
        OpenApiExample(
            "Requested",
            summary="A refund case as opened",
            value=REFUND_CASE_EXAMPLE,
            response_only=True,
        )
    ]
)
class RefundCaseSerializer(CaseSerializer):
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


class RefundCaseFilterSerializer(PartnerCaseFilterSerializer):
    """Query parameters of the list; unknown values are refused, naming the parameter."""

    state = serializers.ChoiceField(choices=RefundState.choices, required=False)
    refund_type = serializers.ChoiceField(choices=RefundType.choices, required=False)
    external_reference = serializers.CharField(
        max_length=max_length_of(RefundCase, "external_reference"), required=False
    )


class RefundCancelSerializer(VersionedActionSerializer):
    """Cancelling a refund case: why, and the version read."""


class EvidenceUploadSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=EvidenceKind.choices)
    file = serializers.FileField(help_text="A PDF, JPEG or PNG scan, photo or screenshot.")
    note = serializers.CharField(
        validators=model_validators(RefundEvidence, "note"), allow_blank=True, default=""
    )


class RefundEvidenceSerializer(serializers.ModelSerializer):
    """One evidence file's metadata (never the file itself), and who sent it."""

    # Reads the calling partner's user from the context's request.

    # A plain string here: one enum for the kinds, the upload's, keeps the schema's enum names clean.
    kind = serializers.CharField(read_only=True, help_text="The kind sent with the upload.")
    file_name = serializers.SerializerMethodField()
    size = serializers.SerializerMethodField(help_text="In bytes; null if the file cannot be read now.")
    content_type = serializers.SerializerMethodField(help_text="application/pdf, image/jpeg or image/png.")
    note = serializers.SerializerMethodField(help_text="The note you sent with your upload; empty on others.")
    # Named as a message's sender: one name for the one choice set in the schema.
    sent_by = serializers.SerializerMethodField(help_text="Who uploaded it: `you`, or the `back office`.")

    class Meta:
        model = RefundEvidence
        fields = ["id", "kind", "file_name", "size", "content_type", "note", "uploaded_at", "sent_by"]
        read_only_fields = fields

    def _is_yours(self, evidence: RefundEvidence) -> bool:
        return evidence.uploaded_by_id == self.context["request"].user.pk

    def get_file_name(self, evidence: RefundEvidence) -> str:
        return evidence.file.name.rpartition("/")[2]

    @extend_schema_field({"type": "integer", "nullable": True})
    def get_size(self, evidence: RefundEvidence) -> int | None:
        try:
            return evidence.file.size
        except OSError:  # moved or lost in storage: the record stands, its size is unknown
            return None

    def get_content_type(self, evidence: RefundEvidence) -> str:
        # Uploads are checked whole to be what their extension says (casework.core.evidence).
        return mimetypes.guess_type(evidence.file.name)[0] or "application/octet-stream"

    def get_note(self, evidence: RefundEvidence) -> str:
        # Staff's notes on their own uploads are the back office's working notes.
        return evidence.note if self._is_yours(evidence) else ""

    @extend_schema_field(serializers.ChoiceField(choices=[Actor.YOU, Actor.BACK_OFFICE]))
    def get_sent_by(self, evidence: RefundEvidence) -> str:
        return Actor.YOU if self._is_yours(evidence) else Actor.BACK_OFFICE


class SettlementReportSerializer(serializers.Serializer):
    outcome = serializers.ChoiceField(
        choices=[InstructionStatus.SETTLED, InstructionStatus.FAILED],
        help_text="`settled`: the money reached the customer; `failed`: it did not.",
    )
    processor_reference = serializers.CharField(
        validators=model_validators(PaymentInstruction, "processor_reference"),
        allow_blank=True,
        default="",
        help_text="Your reference of the payment; required when settled.",
    )
    error = serializers.CharField(
        validators=model_validators(PaymentInstruction, "failure_reason"),
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
