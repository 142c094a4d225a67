"""One error shape for every API failure:

    {"error": {"code": "...", "message": "...", "fields": {"name": ["..."]}}}

Domain refusals map to HTTP: illegal transition and concurrent change 409,
permission 403, invalid input 400 naming the field.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.http import Http404
from drf_spectacular.utils import OpenApiResponse
from rest_framework import exceptions, serializers, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from casework.errors import (
    CaseworkError,
    ConcurrentChange,
    InvalidInput,
    PermissionRefused,
    TransitionRefused,
)

STATUS_FOR = {
    TransitionRefused: status.HTTP_409_CONFLICT,
    ConcurrentChange: status.HTTP_409_CONFLICT,
    PermissionRefused: status.HTTP_403_FORBIDDEN,
    InvalidInput: status.HTTP_400_BAD_REQUEST,
}
# Refusals a service raises as its own CaseworkError subclass, known by their code.
STATUS_FOR_CODE = {
    "not_found": status.HTTP_404_NOT_FOUND,
    "conflicting_report": status.HTTP_409_CONFLICT,
    "idempotency_key_reused": status.HTTP_409_CONFLICT,
}


def status_for(exc: CaseworkError) -> int:
    """The status of its code if listed, else of its class or nearest base; else 400."""
    if exc.code in STATUS_FOR_CODE:
        return STATUS_FOR_CODE[exc.code]
    for klass in type(exc).__mro__:
        if klass in STATUS_FOR:
            return STATUS_FOR[klass]
    return status.HTTP_400_BAD_REQUEST


ERROR_DESCRIPTIONS = {
    status.HTTP_400_BAD_REQUEST: "Invalid input; `fields` names each field or parameter at fault.",
    status.HTTP_401_UNAUTHORIZED: "No credentials, or credentials that are not valid.",
    status.HTTP_403_FORBIDDEN: "The credentials do not belong to an active partner, or lack this right.",
    status.HTTP_404_NOT_FOUND: "No such case among this partner's own.",
    status.HTTP_409_CONFLICT: (
        "`illegal_transition`: the case is not in a state that allows this; "
        "`concurrent_change`: the case changed since the version you sent. Reload and decide again."
    ),
    status.HTTP_429_TOO_MANY_REQUESTS: "Too many requests for this partner; retry later.",
}


class ErrorSerializer(serializers.Serializer):
    code = serializers.CharField(
        help_text="Machine-readable: invalid, not_found, not_authenticated, authentication_failed, "
        "permission_denied, illegal_transition, concurrent_change, throttled..."
    )
    message = serializers.CharField(help_text="What went wrong, in words a person can act on.")
    fields = serializers.DictField(
        child=serializers.ListField(child=serializers.CharField()),
        help_text="Messages per field or query parameter at fault; empty when none is.",
    )


class ErrorResponseSerializer(serializers.Serializer):
    """Every error answer of the API: one object under ``error``."""

    error = ErrorSerializer()


def error_responses(*statuses: int) -> dict[int, OpenApiResponse]:
    """Schema entries for the error statuses an endpoint can answer, all in the one shape."""
    return {
        code: OpenApiResponse(ErrorResponseSerializer, description=ERROR_DESCRIPTIONS[code])
        for code in statuses
    }


def error_body(code: str, message: str, fields: dict | None = None) -> dict:
    return {"error": {"code": code, "message": message, "fields": fields or {}}}


def _flatten(detail) -> dict[str, list[str]]:
    if isinstance(detail, dict):
        return {
            str(key): [str(item) for item in (value if isinstance(value, list) else [value])]
            for key, value in detail.items()
        }
    items = detail if isinstance(detail, list) else [detail]
    return {"non_field_errors": [str(item) for item in items]}


def exception_handler(exc, context):
    if isinstance(exc, CaseworkError):
        fields = {exc.field: [exc.message]} if exc.field else {}
        return Response(error_body(exc.code, exc.message, fields), status=status_for(exc))
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied()
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, exceptions.ValidationError):
        fields = _flatten(exc.detail)
        first = next(iter(fields.items()))
        message = f"{first[0]}: {first[1][0]}" if first[0] != "non_field_errors" else first[1][0]
        response.data = error_body("invalid", message, fields)
    else:
        code = getattr(exc, "default_code", "error")
        detail = getattr(exc, "detail", str(exc))
        response.data = error_body(str(getattr(detail, "code", code) or code), str(detail))
    return response
