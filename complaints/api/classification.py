"""The classification at the partner door: codes read and written as their code strings
(``"B01"``), a list filtered by them.

A partner reads the business type, the cause, the channel code and the product, the
outcome and the redress paid; never the root cause, which is what the back office found
(as its findings are). It may classify what it files (``business_type``, ``cause``;
empty: the category's), judged by the service as staff input is, so a wrong dimension or
a retired code is a 400 naming the field.
"""

from __future__ import annotations

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from casework.core.errors import InvalidInput
from complaints.models import Complaint, Dimension, Outcome
from complaints.services import classification

CODE_MAX_LENGTH = 20


class CodeField(serializers.CharField):
    """A code a partner may send, as a string; the service judges it."""

    def __init__(self, **kwargs) -> None:
        super().__init__(allow_blank=True, default="", max_length=CODE_MAX_LENGTH, **kwargs)


def _code(help_text: str) -> serializers.SlugRelatedField:
    return serializers.SlugRelatedField(
        slug_field="code", read_only=True, allow_null=True, help_text=help_text
    )


class ClassifiedSerializer(serializers.Serializer):
    """What a partner reads of a complaint's classification (beside ``ComplaintSerializer``)."""

    FIELDS = ("business_type", "cause", "channel_code", "product", "outcome", "redress_amount")

    business_type = _code("The business type code, e.g. `B01` (payment), as a regulator counts it.")
    cause = _code("The cause code, e.g. `C03` (system failure).")
    channel_code = serializers.SerializerMethodField(help_text="The channel code it came by, e.g. `H08`.")
    product = _code("The product code, e.g. `P02`; empty until the complaint is resolved.")
    outcome = serializers.ChoiceField(
        choices=Outcome.choices,
        allow_blank=True,
        read_only=True,
        help_text="`upheld`, `partly_upheld` or `not_upheld`; empty until it is resolved.",
    )
    redress_amount = serializers.DecimalField(
        max_digits=14,
        decimal_places=2,
        read_only=True,
        allow_null=True,
        help_text="What the customer was paid, in the complaint's currency; null if nothing.",
    )

    @extend_schema_field(serializers.CharField())
    def get_channel_code(self, complaint: Complaint) -> str:
        # A listed complaint has it from its own row (complaints_for_partner), one just filed
        # from its registration (register_complaint); any other, read.
        if hasattr(complaint, "channel_code"):
            return complaint.channel_code or ""
        code = classification.channel_code(complaint)
        return code.code if code is not None else ""


class ClassificationFilters(serializers.Serializer):
    """The list's filters by classification; a code of another dimension or none is a 400
    naming the parameter (a retired code still finds the complaints it was given)."""

    business_type = serializers.CharField(
        required=False, max_length=CODE_MAX_LENGTH, help_text="Only complaints of this business type code."
    )
    cause = serializers.CharField(
        required=False, max_length=CODE_MAX_LENGTH, help_text="Only complaints of this cause code."
    )
    outcome = serializers.ChoiceField(
        choices=Outcome.choices, required=False, help_text="Only complaints resolved with this outcome."
    )

    @staticmethod
    def _code(dimension: str, value: str):
        try:
            return classification.code_for(dimension, value, retired_too=True)
        except InvalidInput as refusal:
            raise serializers.ValidationError(refusal.message) from refusal

    def validate_business_type(self, value: str):
        return self._code(Dimension.BUSINESS_TYPE, value)

    def validate_cause(self, value: str):
        return self._code(Dimension.CAUSE, value)
