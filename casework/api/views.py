"""What every case type's partner door shares: scoped to the calling partner, looked up by
reference, listed newest first with validated filters, read with its version as an ETag.

A case type's viewset names its serializers and how a partner's cases are selected;
:func:`partner_case_schema` documents the list and the read the same way for each.
"""

from __future__ import annotations

from collections.abc import Callable

from django.db import models
from django.db.models import QuerySet
from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.parsers import JSONParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.reverse import reverse

from casework.models import Partner

from .errors import error_responses
from .versions import act_on_version, etag, etag_header

LOCATION_HEADER = OpenApiParameter(
    "Location", str, OpenApiParameter.HEADER, response=[201], description="The new case's URL."
)


def reference_parameter(example: str) -> OpenApiParameter:
    return OpenApiParameter(
        "reference", str, OpenApiParameter.PATH, description=f"The back office's reference, e.g. {example}."
    )


def partner_case_schema(
    *,
    noun: str,
    plural: str,
    serializer: type[serializers.Serializer],
    filters: type[serializers.Serializer],
    reference: OpenApiParameter,
):
    """Schema for a case type's list and read, phrased for that case type."""
    return extend_schema_view(
        list=extend_schema(
            summary=f"List this partner's {plural}",
            description=f"Newest first, by cursor: follow `next` to read on. Only {plural} this "
            "partner sent are listed.",
            parameters=[filters],
            responses={200: serializer(many=True), **error_responses(400, 401, 403, 429)},
        ),
        retrieve=extend_schema(
            summary=f"Read one {noun}",
            description=f"The {noun} as it stands now, its version in the ETag. Another "
            f"partner's {noun} is a 404, never a 403.",
            parameters=[reference, etag_header(noun, 200)],
            responses={
                200: OpenApiResponse(serializer, description=f"The {noun}."),
                **error_responses(401, 403, 404, 429),
            },
        ),
    )


class PartnerCaseViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """List and read the calling partner's own cases; anything else is a 404."""

    model: type[models.Model]
    filter_serializer_class: type[serializers.Serializer]
    detail_route: str  # e.g. "complaint-detail", for the Location of a created case
    parser_classes = [JSONParser]
    lookup_field = "reference"
    lookup_value_regex = r"[A-Za-z0-9-]+"

    def cases_for(self, partner: Partner) -> QuerySet:
        raise NotImplementedError

    def get_queryset(self) -> QuerySet:
        if getattr(self, "swagger_fake_view", False):  # schema generation: no partner calls
            return self.model.objects.none()
        return self.cases_for(self.request.user.partner)

    def filter_queryset(self, queryset: QuerySet) -> QuerySet:
        if self.action != "list":
            return queryset
        filters = self.filter_serializer_class(data=self.request.query_params)
        filters.is_valid(raise_exception=True)
        return queryset.filter(**filters.validated_data)

    def get_serializer_context(self) -> dict:
        # One instant per response, so every row of a page is judged at the same time.
        return {**super().get_serializer_context(), "now": timezone.now()}

    def retrieve(self, request: Request, *args, **kwargs) -> Response:
        return self.rendered(self.get_object())

    def act(
        self,
        request: Request,
        body: type[serializers.Serializer],
        service: Callable[[models.Model, str], models.Model],
    ) -> Response:
        """Run a partner's action on its case with the reason and the version it read: a stale
        version is 409 ``concurrent_change`` from the service's claim, never an overwrite."""
        case = self.get_object()
        incoming = body(data=request.data)
        incoming.is_valid(raise_exception=True)
        act_on_version(request, case, incoming.validated_data.get("version"))
        return self.rendered(service(case, incoming.validated_data["reason"]))

    def rendered(self, case: models.Model, *, created: bool = False) -> Response:
        """The case as the partner sees it, with its version; a new one with its Location."""
        headers = etag(case)
        if created:
            location = reverse(self.detail_route, kwargs={"reference": case.reference}, request=self.request)
            headers["Location"] = location
        return Response(
            self.get_serializer(case).data,
            status=status.HTTP_201_CREATED if created else status.HTTP_200_OK,
            headers=headers,
        )
