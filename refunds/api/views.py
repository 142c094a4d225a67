"""Two doors to refund cases: partners open and follow them, the payments system reports how
each payment instruction ended.

Thin, as every door: validate the input, scope to the caller, call one service, render.
Refusals come out in the one error shape of ``casework.partners.errors``:

- 400 names the field at fault: an amount with more decimal places than its currency has,
  a refund above what is still refundable on the payment (counting its other refund
  cases) on ``requested_amount``, a payment recorded with another amount or currency,
  an ``external_reference`` this partner already used, a bad evidence ``file``.
- 404 for any refund case that is not the caller's own, another partner's included; for
  the payments system, for an instruction this back office never sent.
- 409 ``illegal_transition`` when the case's state does not allow the action (cancelling a
  case whose money is with payments or that has ended, evidence after the decision);
  ``concurrent_change`` for a stale version; ``idempotency_key_reused`` for a create's key
  sent again with another body; ``conflicting_report`` for a settlement report that
  contradicts the one received before.
"""

from __future__ import annotations

from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import MultiPartParser
from rest_framework.permissions import BasePermission
from rest_framework.request import Request
from rest_framework.response import Response

from casework.models import Partner
from casework.partners.errors import ErrorResponseSerializer, error_responses
from casework.partners.idempotency import idempotent
from casework.partners.permissions import HasKeyScope
from casework.partners.versions import IF_MATCH_HEADER, etag_header
from casework.partners.views import (
    LOCATION_HEADER,
    KnownQueryParameters,
    PartnerCaseViewSet,
    UploadedFirstPagination,
    partner_case_schema,
    reference_parameter,
    versioned_action_examples,
)
from refunds.models import PaymentInstruction, RefundCase
from refunds.selectors import refund_cases_for_partner
from refunds.services import add_evidence, cancel_refund, open_refund_case, report_settlement

from .serializers import (
    REFUND_CASE_EXAMPLE,
    EvidenceUploadSerializer,
    PaymentInstructionSerializer,
    RefundCancelSerializer,
    RefundCaseCreateSerializer,
    RefundCaseFilterSerializer,
    RefundCaseSerializer,
    RefundEvidenceSerializer,
    SettlementReportSerializer,
)

REFERENCE = reference_parameter("RFD-20261124-000007")
KEY = OpenApiParameter(
    "key",
    str,
    OpenApiParameter.PATH,
    description="The instruction's idempotency key, as sent in its `webhook-id`, "
    "e.g. RFD-20261124-000007-PAY-1.",
)


@partner_case_schema(
    noun="refund case",
    plural="refund cases",
    serializer=RefundCaseSerializer,
    filters=RefundCaseFilterSerializer,
    reference=REFERENCE,
)
@extend_schema(tags=["refund cases"])
class RefundCaseViewSet(PartnerCaseViewSet):
    api_scope = "refund-cases"
    model = RefundCase
    serializer_class = RefundCaseSerializer
    filter_serializer_class = RefundCaseFilterSerializer
    create_serializer_class = RefundCaseCreateSerializer
    detail_route = "refund-case-detail"
    paged_actions = PartnerCaseViewSet.paged_actions | {"evidence_list"}

    def cases_for(self, partner: Partner) -> QuerySet[RefundCase]:
        return refund_cases_for_partner(partner)

    def open_case(self, partner: Partner, data: dict) -> RefundCase:
        return open_refund_case(actor=self.request.user, partner=partner, **data)

    @idempotent
    @extend_schema(
        summary="Open a refund case",
        description="Records the customer's claim to money back on one payment and starts the "
        "refund deadline. The payment is recorded on first sight; a later case on the same "
        "`transaction_reference` must give the same amount and currency. Amounts are decimal "
        'strings ("300.00"), never JSON numbers, with at most the currency\'s decimal places. '
        "A partial refund is allowed; more than is still refundable on the payment, "
        "counting its other open or paid refund cases, is a 400 on `requested_amount`. Send an "
        "`Idempotency-Key` to retry safely.",
        request=RefundCaseCreateSerializer,
        parameters=[etag_header("refund case", 201), LOCATION_HEADER],
        responses={
            201: OpenApiResponse(RefundCaseSerializer, description="Opened; Location is its URL."),
            **error_responses(400, 401, 403, 429),
        },
    )
    def create(self, request: Request) -> Response:
        return self.create_case(request)

    @extend_schema(
        summary="Cancel a refund case",
        description="The customer no longer wants the refund: a case not yet with the payments "
        "system (requested, under review, awaiting evidence, approved, or failed at payments) "
        "becomes cancelled and frees its amount on the payment. A case being paid or ended is "
        "409 `illegal_transition`. Send the version you read (If-Match or `version`) to be sure "
        "nobody changed it since; without one, it is cancelled as it stands.",
        parameters=[REFERENCE, IF_MATCH_HEADER, etag_header("refund case", 200)],
        request=RefundCancelSerializer,
        examples=versioned_action_examples(
            asked="Cancel the version read",
            reason="The merchant refunded the customer directly.",
            answered="Cancelled",
            case=REFUND_CASE_EXAMPLE,
            state="cancelled",
            updated_at="2026-11-24T10:05:00+08:00",
        ),
        responses={
            200: OpenApiResponse(RefundCaseSerializer, description="Cancelled."),
            **error_responses(400, 401, 403, 404, 409, 429),
        },
    )
    @action(detail=True, methods=["post"])
    def cancel(self, request: Request, reference: str) -> Response:
        return self.act(
            request,
            RefundCancelSerializer,
            lambda case, reason: cancel_refund(case=case, actor=request.user, reason=reason),
        )

    @idempotent
    @extend_schema(
        summary="Attach evidence to a refund case",
        description="One file per request (multipart/form-data): a payment voucher, proof of goods "
        "or delivery, a chat screenshot. PDF, JPEG or PNG, checked whole, not only by its name: "
        "the extension, the part's Content-Type and the bytes agree; an image decodes in full "
        "within the pixel limit with nothing after its end (it is kept without its metadata); a "
        "PDF parses, ends at its %%EOF and has no JavaScript, launch action or embedded file; "
        "no larger than the limit. Otherwise a 400 on `file`. Evidence is taken "
        "until the decision (requested, under review, awaiting evidence), then 409 "
        "`illegal_transition`. On a case awaiting evidence the review resumes and the deadline "
        "runs again.",
        parameters=[REFERENCE],
        request={"multipart/form-data": EvidenceUploadSerializer},
        examples=[
            OpenApiExample(
                "A payment voucher",
                summary="Three form fields; `file` is the file's own part (curl: -F file=@voucher.png)",
                value={"kind": "payment_voucher", "file": "voucher.png", "note": "Bank app screenshot"},
                request_only=True,
                media_type="multipart/form-data",
            ),
            OpenApiExample(
                "Attached",
                value={
                    "id": 41,
                    "kind": "payment_voucher",
                    "file_name": "voucher.png",
                    "size": 182044,
                    "content_type": "image/png",
                    "note": "Bank app screenshot",
                    "uploaded_at": "2026-11-24T10:12:00+08:00",
                    "sent_by": "you",
                },
                response_only=True,
                status_codes=["201"],
            ),
        ],
        responses={
            201: OpenApiResponse(RefundEvidenceSerializer, description="Attached."),
            **error_responses(400, 401, 403, 404, 409, 429),
        },
    )
    # One route, two methods: the upload (the action) and the list (mapped on GET) share its
    # parser and its cursor.
    @action(
        detail=True,
        methods=["post"],
        parser_classes=[MultiPartParser],
        pagination_class=UploadedFirstPagination,
    )
    def evidence(self, request: Request, reference: str) -> Response:
        case = self.get_object()
        incoming = EvidenceUploadSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        evidence = add_evidence(case=case, actor=request.user, **incoming.validated_data)
        return Response(
            RefundEvidenceSerializer(evidence, context=self.get_serializer_context()).data,
            status=status.HTTP_201_CREATED,
        )

    @evidence.mapping.get
    @extend_schema(
        summary="List a refund case's evidence",
        description="Every evidence file on the case, oldest first, by cursor: what you sent and "
        "what the back office added, as metadata (name, size, type, when, by whom: `you` or the "
        "`back office`); the files themselves stay in the back office. Another partner's case is "
        "a 404.",
        parameters=[REFERENCE],
        responses={200: RefundEvidenceSerializer(many=True), **error_responses(400, 401, 403, 404, 429)},
    )
    def evidence_list(self, request: Request, reference: str) -> Response:
        return self.nested_page(self.get_object().evidence.all(), RefundEvidenceSerializer)


class IsPaymentsSystem(BasePermission):
    """The caller is the payments system's API user."""

    message = _("These credentials do not belong to the payments system.")

    def has_permission(self, request, view) -> bool:
        return bool(request.user.is_authenticated and request.user.has_perm("refunds.report_settlement"))


INSTRUCTION_FLOW = """\
**How an instruction reaches the payments system.** When the refunds desk submits an approved
refund (or retries a failed one), the back office POSTs one payment instruction per attempt
to the payments endpoint it is configured with, signed per
[Standard Webhooks](https://www.standardwebhooks.com/):

| header | value |
| --- | --- |
| `webhook-id` | the instruction's idempotency key, e.g. `RFD-20261124-000007-PAY-1` |
| `webhook-timestamp` | seconds since the epoch when it was sent |
| `webhook-signature` | `v1,<base64>`: HMAC-SHA256 of `{webhook-id}.{webhook-timestamp}.{body}` |

The JSON body: `type` ("refund.payment_instruction"), `idempotency_key`, `refund_reference`,
`attempt`, `transaction_reference`, `merchant`, `amount` (a decimal string) and `currency`.
The secret is the one the payments system and the back office share (`whsec_<base64>`).
A delivery that is not answered 2xx is sent again, with the same `webhook-id`: pay each key
at most once. Then report here, under the same key, how it ended."""

PAYMENTS_403 = OpenApiResponse(
    ErrorResponseSerializer, description="The credentials are not the payments system's (a partner's, say)."
)
PAYMENTS_404 = OpenApiResponse(ErrorResponseSerializer, description="No instruction was sent under this key.")


@extend_schema(tags=["payments"])
class PaymentInstructionViewSet(KnownQueryParameters, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """The payments system's door: read an instruction, report how it ended."""

    queryset = PaymentInstruction.objects.select_related("case")
    serializer_class = PaymentInstructionSerializer
    permission_classes = [IsPaymentsSystem, HasKeyScope]
    api_scope = "settlements"
    pagination_class = None
    lookup_field = "idempotency_key"
    lookup_url_kwarg = "key"
    lookup_value_regex = r"[A-Za-z0-9._:-]+"

    @extend_schema(
        summary="Read a payment instruction",
        description="The instruction as the back office sent it and how it stands: `sent` until "
        "it is reported, then `settled` or `failed`.\n\n" + INSTRUCTION_FLOW,
        parameters=[KEY],
        responses={
            200: PaymentInstructionSerializer,
            **error_responses(401),
            403: PAYMENTS_403,
            404: PAYMENTS_404,
            **error_responses(429),
        },
    )
    def retrieve(self, request: Request, *args, **kwargs) -> Response:
        return super().retrieve(request, *args, **kwargs)

    @extend_schema(
        summary="Report how a payment instruction ended",
        description="`settled` with your `processor_reference`: the refund case becomes refunded, "
        "and the complaint it came from, if it is being worked on, is resolved. `failed` with the "
        "`error`: the case fails and the refunds desk decides to retry (a new instruction, a new "
        "key) or not. The same report again is harmless: 200 and nothing changes. A report that "
        "contradicts the first (settled after failed, another processor reference) is 409 "
        "`conflicting_report`.\n\n" + INSTRUCTION_FLOW,
        parameters=[KEY],
        request=SettlementReportSerializer,
        examples=[
            OpenApiExample(
                "Settled",
                value={"outcome": "settled", "processor_reference": "PSP-778899"},
                request_only=True,
            ),
            OpenApiExample(
                "Failed",
                value={"outcome": "failed", "error": "Beneficiary account closed"},
                request_only=True,
            ),
            OpenApiExample(
                "Recorded as settled",
                value={
                    "key": "RFD-20261124-000007-PAY-1",
                    "refund_reference": "RFD-20261124-000007",
                    "attempt": 1,
                    "amount": "300.00",
                    "currency": "CNY",
                    "status": "settled",
                    "processor_reference": "PSP-778899",
                    "failure_reason": "",
                    "reported_at": "2026-11-25T10:02:00+08:00",
                    "created_at": "2026-11-25T10:00:00+08:00",
                },
                response_only=True,
                status_codes=["200"],
            ),
        ],
        responses={
            200: OpenApiResponse(PaymentInstructionSerializer, description="Recorded, or already recorded."),
            **error_responses(400, 401),
            403: PAYMENTS_403,
            404: PAYMENTS_404,
            409: OpenApiResponse(
                ErrorResponseSerializer,
                description="`conflicting_report`: this instruction was already reported otherwise.",
            ),
            **error_responses(429),
        },
    )
    @action(detail=True, methods=["post"])
    def report(self, request: Request, key: str) -> Response:
        incoming = SettlementReportSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        instruction = report_settlement(idempotency_key=key, actor=request.user, **incoming.validated_data)
        return Response(self.get_serializer(self.get_queryset().get(pk=instruction.pk)).data)
