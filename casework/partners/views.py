"""What every case type's partner door shares: scoped to the calling partner, looked up by
reference, listed newest first with validated filters, read with its version as an ETag,
its timeline read oldest first. Every operation takes the query parameters its schema lists
and no other (:class:`KnownQueryParameters`).

A case type's viewset names its serializers and how a partner's cases are selected;
:func:`partner_case_schema` documents the list, the read and the timeline the same way for
each. A nested resource (``/{reference}/timeline/``, ``/evidence/``, ``/notes/``) is reached
only through :meth:`PartnerCaseViewSet.get_object`, so another partner's case is a 404 there
too, never an empty list.
"""

from __future__ import annotations

from collections.abc import Callable

from django.db import models
from django.db.models import QuerySet
from django.utils import timezone
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
)
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.reverse import reverse

from casework.models import Partner
from casework.partners.errors import error_responses
from casework.partners.pagination import CreatedCursorPagination
from casework.partners.serializers import PartnerCaseFilterSerializer
from casework.partners.timeline import TimelineEntrySerializer, partner_timeline
from casework.partners.versions import act_on_version, etag, etag_header

LOCATION_HEADER = OpenApiParameter(
    "Location", str, OpenApiParameter.HEADER, response=[201], description="The new case's URL."
)


def reference_parameter(example: str) -> OpenApiParameter:
    return OpenApiParameter(
        "reference", str, OpenApiParameter.PATH, description=f"The back office's reference, e.g. {example}."
    )


class OldestFirstPagination(CreatedCursorPagination):
    """What a case holds (its timeline, evidence, notes), in the order it happened, by cursor."""

    ordering = ("created_at", "id")


class UploadedFirstPagination(OldestFirstPagination):
    ordering = ("uploaded_at", "id")


def request_and_answer(
    *, asked: str, request: dict, answered: str, answer: dict, status: int
) -> list[OpenApiExample]:
    """A documented request and the answer it gets."""
    return [
        OpenApiExample(asked, value=request, request_only=True),
        OpenApiExample(answered, value=answer, response_only=True, status_codes=[str(status)]),
    ]


def versioned_action_examples(
    *, asked: str, reason: str, answered: str, case: dict, state: str, **changed
) -> list[OpenApiExample]:
    """The request and the answer of a partner's action on the version it read (withdraw,
    cancel): the case comes back in ``state``, one version on."""
    return request_and_answer(
        asked=asked,
        request={"reason": reason, "version": 0},
        answered=answered,
        answer={**case, "state": state, "state_display": state, "version": 1, **changed},
        status=200,
    )


def partner_case_schema(
    *,
    noun: str,
    plural: str,
    serializer: type[serializers.Serializer],
    filters: type[serializers.Serializer],
    reference: OpenApiParameter,
):
    """Schema for a case type's list, read and timeline, phrased for that case type."""
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
        timeline=extend_schema(
            summary=f"Read a {noun}'s timeline",
            description=f"Every change of state of the {noun}, oldest first, by cursor: what "
            "happened, from which state to which, when, and who acted: `you`, the `back office` "
            "or the `system` (the clock, a rule, a linked case ending). A reason is shown only "
            "where you gave it yourself. Steps that leave the state as it was stay in the back "
            f"office. Another partner's {noun} is a 404.",
            parameters=[reference],
            responses={200: TimelineEntrySerializer(many=True), **error_responses(400, 401, 403, 404, 429)},
        ),
    )


def refuse_unknown_query_parameters(request: Request, accepted: set[str]) -> None:
    """A 400 naming each query parameter the operation does not take, or takes once but was
    sent more than once: a misspelt filter must not answer as if no filter were asked."""
    takes = ", ".join(sorted(accepted)) or "none"
    errors = {}
    for name in request.query_params:
        if name not in accepted:
            errors[name] = [f"Unknown query parameter: this operation takes {takes}."]
        elif len(request.query_params.getlist(name)) > 1:
            errors[name] = ["Give this query parameter once."]
    if errors:
        raise ValidationError(errors)


class KnownQueryParameters:
    """An operation takes the query parameters its schema lists (a list its filters, a
    paged one its cursor and page size) and refuses any other, after the caller is known."""

    # The actions that answer a page by cursor.
    paged_actions: frozenset[str] = frozenset()

    def query_parameters(self) -> set[str]:
        if self.action in self.paged_actions and self.paginator is not None:
            return self.paginator.query_parameters()
        return set()

    def initial(self, request: Request, *args, **kwargs) -> None:
        super().initial(request, *args, **kwargs)
        refuse_unknown_query_parameters(request, self.query_parameters())


class PartnerCaseViewSet(
    KnownQueryParameters, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    """List and read the calling partner's own cases; anything else is a 404."""

    model: type[models.Model]
    filter_serializer_class: type[PartnerCaseFilterSerializer]
    create_serializer_class: type[serializers.Serializer]  # the body of a create
    detail_route: str  # e.g. "complaint-detail", for the Location of a created case
    paged_actions = frozenset({"list", "timeline"})
    lookup_field = "reference"
    lookup_value_regex = r"[A-Za-z0-9-]+"

    def cases_for(self, partner: Partner) -> QuerySet:
        raise NotImplementedError

    def get_queryset(self) -> QuerySet:
        if getattr(self, "swagger_fake_view", False):  # schema generation: no partner calls
            return self.model.objects.none()
        return self.cases_for(self.request.user.partner)

    def query_parameters(self) -> set[str]:
        accepted = super().query_parameters()
        if self.action == "list":
            accepted |= set(self.filter_serializer_class().fields)
        return accepted

    def filter_queryset(self, queryset: QuerySet) -> QuerySet:
        if self.action != "list":
            return queryset
        # A plain dict, not the QueryDict: DRF reads an empty value in a QueryDict as a form's
        # empty field, i.e. as not sent; ?state= is a state nobody has, refused as such.
        filters = self.filter_serializer_class(data=self.request.query_params.dict())
        filters.is_valid(raise_exception=True)
        return queryset.filter(**filters.lookups())

    def get_serializer_context(self) -> dict:
        # One instant per response, so every row of a page is judged at the same time.
        return {**super().get_serializer_context(), "now": timezone.now()}

    def retrieve(self, request: Request, *args, **kwargs) -> Response:
        return self.rendered(self.get_object())

    @action(detail=True, methods=["get"], pagination_class=OldestFirstPagination)
    def timeline(self, request: Request, reference: str) -> Response:
        return self.nested_page(partner_timeline(self.get_object()), TimelineEntrySerializer)

    def nested_page(self, queryset: QuerySet, serializer: type[serializers.Serializer]) -> Response:
        """One page of what a case holds, by the action's cursor; the serializer gets the
        request, so it can tell the partner's own entries from the back office's."""
        page = self.paginate_queryset(queryset)
        return self.get_paginated_response(
            serializer(page, many=True, context=self.get_serializer_context()).data
        )

    def open_case(self, partner: Partner, data: dict) -> models.Model:
        """Open the case the partner sent (``data``: its validated body) through the case
        type's service."""
        raise NotImplementedError

    def read_back(self, partner: Partner, case: models.Model) -> models.Model:
        """The case just opened, as the answer shows it; by default as the service left it."""
        return case

    def create_case(self, request: Request) -> Response:
        """A partner's create, the same for every case type: the body checked by the create
        serializer (which is given the partner), the case opened by the service, the answer
        a 201 with its Location and ETag. Each viewset's ``create`` calls this under
        ``@idempotent`` and its own schema."""
        partner = request.user.partner
        incoming = self.create_serializer_class(data=request.data, context={"partner": partner})
        incoming.is_valid(raise_exception=True)
        case = self.open_case(partner, incoming.validated_data)
        return self.rendered(self.read_back(partner, case), created=True)

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
