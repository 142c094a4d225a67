"""The partner door to complaints: file one, list and read its own, withdraw one.

Thin, as every door: validate the input, scope to the calling partner, call one service,
render. Refusals come out in the one error shape of ``casework.partners.errors``:

- 400 names the field or query parameter at fault. A complaint whose
  ``external_reference`` this partner already used is a 400 on ``external_reference``,
  not a 409: the service refuses it as invalid input (the admin sees the same refusal),
  sending the same body again can never succeed, and in this API 409 keeps one meaning
  a client can act on blindly: "the case moved under you, reload and decide again".
  A create retried with the same ``Idempotency-Key`` and body returns the first answer.
- 404 for any complaint that is not the caller's own, another partner's included:
  never 403, so references cannot be probed.
- 409 ``illegal_transition`` when the complaint's state does not allow the action
  (withdrawing a withdrawn, resolved or closed complaint; a message on a complaint that
  has ended); 409 ``concurrent_change`` when the caller sent a version (``If-Match`` or
  ``version``) that is no longer current.

The complaint's ``notes/`` are the messages between the partner and the back office
(``PartnerMessage``): what the partner adds, and the replies staff chose to share. The
back office's internal notes (``ComplaintNote``) are another model and never leave it.
"""

from __future__ import annotations

from django.db.models import QuerySet
from drf_spectacular.utils import (
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
)
from rest_framework import status
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from casework.models import Partner
from casework.partners.errors import error_responses
from casework.partners.idempotency import idempotent
from casework.partners.versions import IF_MATCH_HEADER, etag_header
from casework.partners.views import (
    LOCATION_HEADER,
    OldestFirstPagination,
    PartnerCaseViewSet,
    partner_case_schema,
    reference_parameter,
    request_and_answer,
    versioned_action_examples,
)
from complaints.models import Channel, Complaint
from complaints.selectors import complaints_for_partner, with_regime_limits
from complaints.services import add_partner_message, register_complaint, withdraw_complaint

from .repeats import ComplaintDetailSerializer
from .search import SearchedPagination
from .serializers import (
    COMPLAINT_EXAMPLE,
    ComplaintCreateSerializer,
    ComplaintFilterSerializer,
    ComplaintSerializer,
    PartnerMessageCreateSerializer,
    PartnerMessageSerializer,
    WithdrawSerializer,
)

CUSTOMER_ADDED = "The customer reached the merchant: they see no payment on their side."
REFERENCE = reference_parameter("CMP-20261124-000123")


@extend_schema_view(
    retrieve=extend_schema(
        responses={
            200: OpenApiResponse(ComplaintDetailSerializer, description="The complaint."),
            **error_responses(401, 403, 404, 429),
        }
    )
)
@partner_case_schema(
    noun="complaint",
    plural="complaints",
    serializer=ComplaintSerializer,
    filters=ComplaintFilterSerializer,
    reference=REFERENCE,
)
@extend_schema(tags=["complaints"])
class ComplaintViewSet(PartnerCaseViewSet):
    api_scope = "complaints"
    model = Complaint
    serializer_class = ComplaintSerializer
    filter_serializer_class = ComplaintFilterSerializer
    create_serializer_class = ComplaintCreateSerializer
    detail_route = "complaint-detail"
    pagination_class = SearchedPagination
    paged_actions = PartnerCaseViewSet.paged_actions | {"messages"}

    def get_serializer_class(self):
        # Read alone or just filed: with its repeat and likely duplicates (complaints.api.repeats).
        if self.action in ("create", "retrieve"):
            return ComplaintDetailSerializer
        return super().get_serializer_class()

    def cases_for(self, partner: Partner) -> QuerySet[Complaint]:
        complaints = complaints_for_partner(partner)
        # Only what shows a complaint reads its regime's limits (its decision basis).
        return with_regime_limits(complaints) if self.action in ("list", "retrieve") else complaints

    def open_case(self, partner: Partner, data: dict) -> Complaint:
        return register_complaint(
            actor=self.request.user, partner=partner, channel=Channel.PARTNER_API, **data
        )

    @idempotent
    @extend_schema(
        summary="File a complaint",
        description="Registers the complaint as received on the partner API channel and starts "
        "its SLA clock. Each category needs its details (a failed transaction: `transaction_at`, "
        "`amount`, `transaction_reference`; a locked account: `account_number`; a refund not "
        "processed: `transaction_reference`, `amount`, `merchant`); a 400 names every one missing. "
        "The answer says whether it repeats one you filed for the same customer (`repeat`) and "
        "which of your open complaints it likely duplicates (`likely_duplicates`).",
        request=ComplaintCreateSerializer,
        parameters=[etag_header("complaint", 201), LOCATION_HEADER],
        responses={
            201: OpenApiResponse(ComplaintDetailSerializer, description="Filed; Location is its URL."),
            **error_responses(400, 401, 403, 429),
        },
    )
    def create(self, request: Request) -> Response:
        return self.create_case(request)

    @extend_schema(
        summary="Withdraw a complaint",
        description="The customer no longer pursues it: an open complaint becomes withdrawn and "
        "its SLA clock stops. Send the version you read (If-Match or `version`) to be sure "
        "nobody changed it since; without one, it is withdrawn as it stands.",
        parameters=[
            REFERENCE,
            IF_MATCH_HEADER,
            etag_header("complaint", 200),
        ],
        request=WithdrawSerializer,
        examples=versioned_action_examples(
            asked="Withdraw the version read",
            reason="The customer found the money back in the balance.",
            answered="Withdrawn",
            case=COMPLAINT_EXAMPLE,
            state="withdrawn",
            turn="nobody",
            updated_at="2026-11-24T10:05:00+08:00",
        ),
        responses={
            200: OpenApiResponse(ComplaintSerializer, description="Withdrawn."),
            **error_responses(400, 401, 403, 404, 409, 429),
        },
    )
    @action(detail=True, methods=["post"])
    def withdraw(self, request: Request, reference: str) -> Response:
        return self.act(
            request,
            WithdrawSerializer,
            lambda complaint, reason: withdraw_complaint(
                complaint=complaint, actor=request.user, reason=reason
            ),
        )

    @extend_schema(
        summary="Read the messages on a complaint",
        description="The messages between you and the back office on this complaint, oldest "
        "first, by cursor: what you added, and the replies staff chose to share with you "
        "(`sent_by` `back office`, never a staff member's name). The back office's internal "
        "notes are not among them. Another partner's complaint is a 404.",
        parameters=[REFERENCE],
        responses={200: PartnerMessageSerializer(many=True), **error_responses(400, 401, 403, 404, 429)},
    )
    # The path (and so the published operation ids, complaints_notes_list and _create) says
    # "notes"; what it holds are partner messages, never the back office's internal notes.
    @action(
        detail=True,
        methods=["get"],
        url_path="notes",
        url_name="notes",
        pagination_class=OldestFirstPagination,
    )
    def messages(self, request: Request, reference: str) -> Response:
        return self.nested_page(self.get_object().partner_messages.all(), PartnerMessageSerializer)

    @messages.mapping.post
    @idempotent
    @extend_schema(
        summary="Add a message to a complaint",
        description="Something the customer added (more details, a new phone number) or a "
        "question for the back office, in plain text up to 4000 characters; staff read it with "
        "the complaint and may reply. The complaint's state does not change: staff decide what "
        "follows. Taken while the complaint is open or resolved (a resolved one may still be "
        "reopened); one closed, rejected or withdrawn is 409 `illegal_transition`: file a new "
        "complaint instead.",
        parameters=[REFERENCE],
        request=PartnerMessageCreateSerializer,
        examples=request_and_answer(
            asked="What the customer added",
            request={"body": CUSTOMER_ADDED},
            answered="Added",
            answer={
                "id": 7,
                "sent_by": "you",
                "body": CUSTOMER_ADDED,
                "created_at": "2026-11-24T11:20:00+08:00",
            },
            status=201,
        ),
        responses={
            201: OpenApiResponse(PartnerMessageSerializer, description="Added."),
            **error_responses(400, 401, 403, 404, 409, 429),
        },
    )
    def add_message(self, request: Request, reference: str) -> Response:
        complaint = self.get_object()
        incoming = PartnerMessageCreateSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        message = add_partner_message(complaint=complaint, actor=request.user, **incoming.validated_data)
        return Response(PartnerMessageSerializer(message).data, status=status.HTTP_201_CREATED)
