"""The partner door to complaints: file one, list and read its own, withdraw one.

Thin, as every door: validate the input, scope to the calling partner, call one service,
render. Refusals come out in the one error shape of ``casework.api.errors``:

- 400 names the field or query parameter at fault. A complaint whose
  ``external_reference`` this partner already used is a 400 on ``external_reference``,
  not a 409: the service refuses it as invalid input (the admin sees the same refusal),
  sending the same body again can never succeed, and in this API 409 keeps one meaning
  a client can act on blindly: "the case moved under you, reload and decide again".
  Safe retries of a create will come with ``Idempotency-Key``.
- 404 for any complaint that is not the caller's own, another partner's included:
  never 403, so references cannot be probed.
- 409 ``illegal_transition`` when the complaint's state does not allow the action
  (withdrawing a withdrawn, resolved or closed complaint); 409 ``concurrent_change``
  when the caller sent a version (``If-Match`` or ``version``) that is no longer current.
"""

from __future__ import annotations

from django.db.models import QuerySet
from django.utils import timezone
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
)
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import JSONParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.reverse import reverse

from casework.api.errors import error_responses
from casework.api.versions import IF_MATCH_HEADER, act_on_version, etag, etag_header
from complaints.models import Channel, Complaint
from complaints.selectors import complaints_for_partner
from complaints.services import register_complaint, withdraw_complaint

from .serializers import (
    ComplaintCreateSerializer,
    ComplaintFilterSerializer,
    ComplaintSerializer,
    WithdrawSerializer,
)

REFERENCE = OpenApiParameter(
    "reference",
    str,
    OpenApiParameter.PATH,
    description="The back office's reference, e.g. CMP-20261124-000123.",
)


@extend_schema_view(
    list=extend_schema(
        summary="List this partner's complaints",
        description="Newest first, by cursor: follow `next` to read on. Only complaints this "
        "partner filed are listed.",
        parameters=[ComplaintFilterSerializer],
        responses={200: ComplaintSerializer(many=True), **error_responses(400, 401, 403, 429)},
    ),
    retrieve=extend_schema(
        summary="Read one complaint",
        parameters=[REFERENCE, etag_header("complaint", 200)],
        responses={
            200: OpenApiResponse(ComplaintSerializer, description="The complaint."),
            **error_responses(401, 403, 404, 429),
        },
    ),
)
@extend_schema(tags=["complaints"])
class ComplaintViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    serializer_class = ComplaintSerializer
    parser_classes = [JSONParser]
    lookup_field = "reference"
    lookup_value_regex = r"[A-Za-z0-9-]+"

    def get_queryset(self) -> QuerySet[Complaint]:
        if getattr(self, "swagger_fake_view", False):  # schema generation: no partner calls
            return Complaint.objects.none()
        return complaints_for_partner(self.request.user.partner)

    def filter_queryset(self, queryset: QuerySet[Complaint]) -> QuerySet[Complaint]:
        if self.action != "list":
            return queryset
        filters = ComplaintFilterSerializer(data=self.request.query_params)
        filters.is_valid(raise_exception=True)
        return queryset.filter(**filters.validated_data)

    def get_serializer_context(self) -> dict:
        return {**super().get_serializer_context(), "now": timezone.now()}

    def retrieve(self, request: Request, *args, **kwargs) -> Response:
        complaint = self.get_object()
        return Response(self.get_serializer(complaint).data, headers=etag(complaint))

    @extend_schema(
        summary="File a complaint",
        description="Registers the complaint as received on the partner API channel and starts "
        "its SLA clock. Each category needs its details (a failed transaction: `transaction_at`, "
        "`amount`, `transaction_reference`; a locked account: `account_number`; a refund not "
        "processed: `transaction_reference`, `amount`, `merchant`); a 400 names every one missing.",
        request=ComplaintCreateSerializer,
        parameters=[
            etag_header("complaint", 201),
            OpenApiParameter(
                "Location", str, OpenApiParameter.HEADER, response=[201], description="The complaint's URL."
            ),
        ],
        responses={
            201: OpenApiResponse(ComplaintSerializer, description="Filed; Location is its URL."),
            **error_responses(400, 401, 403, 429),
        },
    )
    def create(self, request: Request) -> Response:
        partner = request.user.partner
        incoming = ComplaintCreateSerializer(data=request.data, context={"partner": partner})
        incoming.is_valid(raise_exception=True)
        complaint = register_complaint(
            actor=request.user,
            partner=partner,
            channel=Channel.PARTNER_API,
            **incoming.validated_data,
        )
        location = reverse("complaint-detail", kwargs={"reference": complaint.reference}, request=request)
        return Response(
            self.get_serializer(complaint).data,
            status=status.HTTP_201_CREATED,
            headers={"Location": location, **etag(complaint)},
        )

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
        responses={
            200: OpenApiResponse(ComplaintSerializer, description="Withdrawn."),
            **error_responses(400, 401, 403, 404, 409, 429),
        },
    )
    @action(detail=True, methods=["post"])
    def withdraw(self, request: Request, reference: str) -> Response:
        complaint = self.get_object()
        incoming = WithdrawSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        act_on_version(request, complaint, incoming.validated_data.get("version"))
        complaint = withdraw_complaint(
            complaint=complaint, actor=request.user, reason=incoming.validated_data["reason"]
        )
        return Response(self.get_serializer(complaint).data, headers=etag(complaint))
