"""The payments system's door to provisional credits (Regulation E): read the instruction to
credit that the back office sent, and report the credit made.

As a settlement is reported (``views.PaymentInstructionViewSet``): under the instruction's
key, the same report twice is harmless (200, nothing changes), another processor reference
after the first is 409 ``conflicting_report``; a missing or overlong ``processor_reference``
is a 400 naming it; a stale ``version`` (or If-Match) is 409 ``concurrent_change``, and so
is losing a race with a second report at the same moment. A credit reported after its
deadline is recorded, marked ``late``: the complaint's longer limit is then refused.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_field,
)
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.permissions import BasePermission
from rest_framework.request import Request
from rest_framework.response import Response

from casework.partners.errors import ErrorResponseSerializer, error_responses
from casework.partners.permissions import HasKeyScope
from casework.partners.serializers import MONEY_SCHEMA, model_validators
from casework.partners.versions import IF_MATCH_HEADER, act_on_version, etag, etag_header
from casework.partners.views import KnownQueryParameters
from refunds.models import ProvisionalCredit
from refunds.services import credit_provisionally

from .serializers import money

KEY = OpenApiParameter(
    "key",
    str,
    OpenApiParameter.PATH,
    description="The credit instruction's idempotency key, as sent in its `webhook-id`, "
    "e.g. RFD-20261124-000007-PCR.",
)

CREDIT_FLOW = """\
**How a credit instruction reaches the payments system.** When the refunds desk opens a
provisional credit on a refund case (Regulation E, 12 CFR 1005.11(c)(2): the disputed amount
credited while the error is investigated), the back office POSTs one instruction to the
payments endpoint, signed as payment instructions are (Standard Webhooks), with `webhook-id`
= its `idempotency_key` (`<refund reference>-PCR`). The JSON body: `type`
("refund.provisional_credit"), `idempotency_key`, `refund_reference`, `transaction_reference`,
`amount` (a decimal string) and `currency`. Credit each key at most once, then report here.
If no error is found the back office sends `refund.provisional_credit_reversal` under
`<key>-REV`: debit the amount back once."""


class IsCreditReporter(BasePermission):
    """The caller may report provisional credits (the payments system's API user)."""

    message = _("These credentials do not belong to the payments system.")

    def has_permission(self, request, view) -> bool:
        return bool(
            request.user.is_authenticated and request.user.has_perm("refunds.credit_provisionalcredit")
        )


class ProvisionalCreditSerializer(serializers.ModelSerializer):
    key = serializers.CharField(source="idempotency_key", read_only=True)
    refund_reference = serializers.CharField(source="refund_case.reference", read_only=True)
    amount = serializers.SerializerMethodField()
    late = serializers.BooleanField(source="is_late", read_only=True, help_text="Not credited by `due_at`.")

    class Meta:
        model = ProvisionalCredit
        fields = [
            "key",
            "refund_reference",
            "amount",
            "currency",
            "state",
            "due_at",
            "late",
            "processor_reference",
            "credited_at",
            "reversed_at",
            "version",
        ]
        read_only_fields = fields

    @extend_schema_field(MONEY_SCHEMA)
    def get_amount(self, credit: ProvisionalCredit) -> str:
        return money(credit.amount, credit.currency)


class CreditReportSerializer(serializers.Serializer):
    processor_reference = serializers.CharField(
        validators=model_validators(ProvisionalCredit, "processor_reference"),
        help_text="Your reference of the credit made.",
    )
    version = serializers.IntegerField(
        required=False,
        min_value=0,
        help_text="The version you read; if the credit changed since, 409 concurrent_change. "
        "Same as If-Match.",
    )


@extend_schema(tags=["payments"])
class ProvisionalCreditViewSet(KnownQueryParameters, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """The payments system's door: read a credit instruction, report the credit made."""

    queryset = ProvisionalCredit.objects.select_related("refund_case")
    serializer_class = ProvisionalCreditSerializer
    permission_classes = [IsCreditReporter, HasKeyScope]
    api_scope = "settlements"
    pagination_class = None
    lookup_field = "idempotency_key"
    lookup_url_kwarg = "key"
    lookup_value_regex = r"[A-Za-z0-9._:-]+"

    @extend_schema(
        summary="Read a provisional credit",
        description="The credit as instructed and how it stands: `due` until it is reported, then "
        "`credited`; later `reversed` (no error found) or `final`.\n\n" + CREDIT_FLOW,
        parameters=[KEY, etag_header("provisional credit", 200)],
        responses={200: ProvisionalCreditSerializer, **error_responses(401, 403, 404, 429)},
    )
    def retrieve(self, request: Request, *args, **kwargs) -> Response:
        credit = self.get_object()
        return Response(self.get_serializer(credit).data, headers=etag(credit))

    @extend_schema(
        summary="Report a provisional credit made",
        description="The amount was credited to the customer, as your `processor_reference`. "
        "The customer is told. After `due_at` it is still recorded, with `late` true. The same "
        "report again is 200 and changes nothing; another reference is 409 `conflicting_report`."
        "\n\n" + CREDIT_FLOW,
        parameters=[KEY, IF_MATCH_HEADER, etag_header("provisional credit", 200)],
        request=CreditReportSerializer,
        examples=[
            OpenApiExample("Credited", value={"processor_reference": "PSP-PCR-4411"}, request_only=True),
            OpenApiExample(
                "Recorded as credited",
                value={
                    "key": "RFD-20261124-000007-PCR",
                    "refund_reference": "RFD-20261124-000007",
                    "amount": "300.00",
                    "currency": "USD",
                    "state": "credited",
                    "due_at": "2026-12-08T17:00:00-05:00",
                    "late": False,
                    "processor_reference": "PSP-PCR-4411",
                    "credited_at": "2026-11-26T10:02:00-05:00",
                    "reversed_at": None,
                    "version": 2,
                },
                response_only=True,
                status_codes=["200"],
            ),
        ],
        responses={
            200: OpenApiResponse(ProvisionalCreditSerializer, description="Recorded, or already recorded."),
            **error_responses(400, 401, 403, 404),
            409: OpenApiResponse(
                ErrorResponseSerializer,
                description="`conflicting_report`: already reported as another reference; "
                "`concurrent_change`: changed since the version you sent, or at the same moment; "
                "`illegal_transition`: reversed or made final before any credit was reported.",
            ),
            **error_responses(429),
        },
    )
    @action(detail=True, methods=["post"])
    def credited(self, request: Request, key: str) -> Response:
        credit = self.get_object()
        incoming = CreditReportSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        act_on_version(request, credit, incoming.validated_data.get("version"))
        credit = credit_provisionally(
            credit=credit,
            actor=request.user,
            processor_reference=incoming.validated_data["processor_reference"],
        )
        return Response(self.get_serializer(credit).data, headers=etag(credit))
