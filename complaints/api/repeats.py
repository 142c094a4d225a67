"""What a partner reads of repeats and likely duplicates (``complaints.repeats``): on the
answer to a create and on a complaint read alone, never on the list (one more query per
complaint shown).

Only among the partner's own complaints: the back office may know the customer complained
by phone or through another partner, and a partner must never learn of those cases, not
even that they exist. So the partner's ``repeat`` is the repeat rule run over what it filed
itself, and its ``likely_duplicates`` are its own open complaints the rule names.
"""

from __future__ import annotations

from drf_spectacular.utils import OpenApiExample, extend_schema_field, extend_schema_serializer
from rest_framework import serializers

from complaints import repeats
from complaints.models import Complaint

from .serializers import COMPLAINT_EXAMPLE, ComplaintSerializer


class RepeatSerializer(serializers.Serializer):
    is_repeat = serializers.BooleanField(
        help_text="You filed a complaint for the same customer on the same transaction reference "
        "or in the same category within the repeat window (30 days unless the back office set "
        "another) before this one."
    )
    repeat_of = serializers.CharField(
        allow_null=True, help_text="The reference of the earliest of them; null if none."
    )
    complaints_in_window = serializers.IntegerField(
        help_text="Your complaints for this customer on this matter in the window, this one "
        "included (as WeChat Pay's `user_complaint_times`): 1 when it is not a repeat."
    )


class DuplicateSerializer(serializers.Serializer):
    reference = serializers.CharField()
    external_reference = serializers.CharField(help_text="Your reference, as you filed it.")
    state = serializers.CharField()
    category = serializers.CharField()
    created_at = serializers.DateTimeField()


COMPLAINT_DETAIL_EXAMPLE = {
    **COMPLAINT_EXAMPLE,
    "repeat": {"is_repeat": True, "repeat_of": "CMP-20261120-000042", "complaints_in_window": 2},
    "likely_duplicates": [
        {
            "reference": "CMP-20261120-000042",
            "external_reference": "ACME-C-0990",
            "state": "in_progress",
            "category": "transaction",
            "created_at": "2026-11-20T16:40:00+08:00",
        }
    ],
}


@extend_schema_serializer(
    examples=[
        OpenApiExample(
            "A repeat",
            summary="Filed again for the same customer and transaction",
            value=COMPLAINT_DETAIL_EXAMPLE,
            response_only=True,
        )
    ]
)
class ComplaintDetailSerializer(ComplaintSerializer):
    """A complaint read alone (or just filed): with its repeat and likely duplicates among
    the partner's own complaints."""

    repeat = serializers.SerializerMethodField()
    likely_duplicates = serializers.SerializerMethodField()

    class Meta(ComplaintSerializer.Meta):
        fields = [*ComplaintSerializer.Meta.fields, "repeat", "likely_duplicates"]
        read_only_fields = fields

    def _related(self, complaint: Complaint) -> list[Complaint]:
        cached = getattr(complaint, "_partner_related", None)
        if cached is None:
            if complaint.customer_id is None or complaint.partner_id is None:
                cached = []
            else:
                cached = list(
                    repeats.related_complaints(
                        customer_id=complaint.customer_id,
                        category=complaint.category,
                        transaction_reference=complaint.transaction_reference,
                        at=complaint.created_at,
                        partner_id=complaint.partner_id,
                        exclude_pk=complaint.pk,
                    )
                )
            complaint._partner_related = cached
        return cached

    @extend_schema_field(RepeatSerializer)
    def get_repeat(self, complaint: Complaint) -> dict:
        seen = repeats.repeat_among(complaint, self._related(complaint))
        return {
            "is_repeat": seen.is_repeat,
            "repeat_of": seen.repeat_of.reference if seen.repeat_of else None,
            "complaints_in_window": seen.count,
        }

    @extend_schema_field(DuplicateSerializer(many=True))
    def get_likely_duplicates(self, complaint: Complaint) -> list[dict]:
        return [
            {
                "reference": other.reference,
                "external_reference": other.external_reference,
                "state": other.state,
                "category": other.category,
                "created_at": serializers.DateTimeField().to_representation(other.created_at),
            }
            for other in self._related(complaint)
            if other.is_duplicate
        ]
