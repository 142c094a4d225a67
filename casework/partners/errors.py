"""One error shape for every API failure:

    {"error": {"code": "...", "message": "...", "fields": {"name": ["..."]}}}

Domain refusals map to HTTP: illegal transition and concurrent change 409,
permission 403, invalid input 400 naming the field.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.urls import is_valid_path
from django.views.defaults import page_not_found
from drf_spectacular.utils import OpenApiResponse
from rest_framework import exceptions, serializers, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from casework.core.errors import (
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
    status.HTTP_400_BAD_REQUEST: (
        "Invalid input; `fields` names each field or parameter at fault: a query parameter this "
        "operation does not take, or an empty or repeated one, is refused by name, and a body that "
        "is not JSON, or nests deeper than the API takes, is refused on `body`."
    ),
    status.HTTP_401_UNAUTHORIZED: "No credentials, or credentials that are not valid.",
    status.HTTP_403_FORBIDDEN: "The credentials do not belong to an active partner, or lack this right.",
    status.HTTP_404_NOT_FOUND: "No such case among this partner's own.",
    status.HTTP_409_CONFLICT: (
        "`illegal_transition`: the case is not in a state that allows this; "
        "`concurrent_change`: the case changed since the version you sent. Reload and decide again."
    ),
    status.HTTP_413_REQUEST_ENTITY_TOO_LARGE: (
        "`request_too_large`: the body's `Content-Length` is over what this API takes, 1 MiB of "
        "JSON unless the back office set another limit; an upload may be as large as the evidence "
        "file limit plus that. Nothing was read or stored; `fields` names `body`."
    ),
    status.HTTP_415_UNSUPPORTED_MEDIA_TYPE: (
        "The body is not in a media type this operation reads: send `Content-Type: application/json` "
        "(`multipart/form-data` for file uploads)."
    ),
    status.HTTP_429_TOO_MANY_REQUESTS: (
        "Too many requests for this partner: wait the seconds `Retry-After` gives, then retry."
    ),
}


class ErrorSerializer(serializers.Serializer):
    code = serializers.CharField(
        help_text="Machine-readable: invalid, not_found, not_authenticated, authentication_failed, "
        "signature_replayed, permission_denied, illegal_transition, concurrent_change, throttled..."
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
    if isinstance(exc, exceptions.ParseError):
        # The body as a whole is at fault: not JSON, not a form, nested too deep.
        response.data = error_body("parse_error", str(exc.detail), {"body": [str(exc.detail)]})
    elif isinstance(exc, exceptions.ValidationError):
        fields = _flatten(exc.detail)
        first = next(iter(fields.items()))
        message = f"{first[0]}: {first[1][0]}" if first[0] != "non_field_errors" else first[1][0]
        response.data = error_body("invalid", message, fields)
    else:
        code = getattr(exc, "default_code", "error")
        detail = getattr(exc, "detail", str(exc))
        response.data = error_body(str(getattr(detail, "code", code) or code), str(detail))
    return response


API_PATH_PREFIX = "/api/"
NO_SUCH_ENDPOINT = "No such endpoint or case: check the path and the reference in it."


def is_api(request: HttpRequest) -> bool:
    return request.path.startswith(API_PATH_PREFIX)


def no_such_endpoint(request: HttpRequest, *args, **kwargs) -> HttpResponse:
    """The last route under /api/: a path no API route matches (an unknown endpoint, a
    reference with characters no reference has) is a 404 in the one error shape, whatever
    ``DEBUG`` says (Django's debug page would answer it otherwise), and for any method (a
    POST without the trailing slash is not redirected: the redirect would lose its body)."""
    message = NO_SUCH_ENDPOINT
    if not request.path_info.endswith("/") and is_valid_path(request.path_info + "/"):
        message = f"No such endpoint: every path of this API ends with a slash ({request.path}/)."
    return JsonResponse(error_body("not_found", message), status=status.HTTP_404_NOT_FOUND)


def not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """``handler404``: under /api/ the one error shape, as a partner's client expects; every
    other path gets Django's page."""
    if is_api(request):
        return JsonResponse(error_body("not_found", NO_SUCH_ENDPOINT), status=status.HTTP_404_NOT_FOUND)
    return page_not_found(request, exception)


# What an answer Django made on its own (a server error, a refused host) says in the one shape.
CODE_FOR_STATUS = {
    status.HTTP_400_BAD_REQUEST: "bad_request",
    status.HTTP_403_FORBIDDEN: "permission_denied",
    status.HTTP_404_NOT_FOUND: "not_found",
    status.HTTP_405_METHOD_NOT_ALLOWED: "method_not_allowed",
    status.HTTP_413_REQUEST_ENTITY_TOO_LARGE: "request_too_large",
}
SERVER_ERROR_MESSAGE = (
    "The back office failed to answer; it is not your request's fault. Retry later, with the "
    "same Idempotency-Key for a create."
)
# Headers the client acts on, kept when an answer is put in the one shape.
KEPT_HEADERS = ("Allow", "Retry-After", "WWW-Authenticate")


def in_the_error_shape(response: HttpResponse) -> HttpResponse:
    """``response`` (an error answer in another media type, such as Django's HTML pages) as
    the same status in the one error shape."""
    code = response.status_code
    if code == status.HTTP_503_SERVICE_UNAVAILABLE:  # the database restarting (casework.ops.health)
        body = error_body("service_unavailable", "The service is briefly unavailable: retry shortly.")
    elif code >= status.HTTP_500_INTERNAL_SERVER_ERROR:
        body = error_body("server_error", SERVER_ERROR_MESSAGE)
    else:
        body = error_body(CODE_FOR_STATUS.get(code, "error"), f"{response.reason_phrase}.")
    shaped = JsonResponse(body, status=code)
    for header in KEPT_HEADERS:
        if header in response:
            shaped[header] = response[header]
    return shaped


# Headers an error answer carries, documented on every operation that can answer with it.
ERROR_HEADERS = {
    str(status.HTTP_401_UNAUTHORIZED): {
        "WWW-Authenticate": {
            "description": 'How to authenticate: `Bearer realm="api"`, i.e. send '
            "`Authorization: Bearer <API key>`.",
            "schema": {"type": "string"},
            "required": True,
        }
    },
    str(status.HTTP_429_TOO_MANY_REQUESTS): {
        "Retry-After": {
            "description": "Seconds to wait before the next request is let through.",
            "schema": {"type": "integer", "minimum": 0},
            "required": True,
        }
    },
}
ERROR_RESPONSE_REF = {"$ref": "#/components/schemas/ErrorResponse"}


def _documented_error(code: int) -> dict:
    return {
        "description": ERROR_DESCRIPTIONS[code],
        "content": {"application/json": {"schema": ERROR_RESPONSE_REF}},
    }


def document_error_headers_and_media_types(result: dict, generator, request, public) -> dict:
    """Postprocessing hook (``SPECTACULAR_SETTINGS["POSTPROCESSING_HOOKS"]``): on every
    operation, whoever wrote it, a 401 documents ``WWW-Authenticate``, a 429 ``Retry-After``;
    every operation documents the 400 for a query parameter it does not take; and an operation
    that takes a body documents the 413 for a body over the size limit and the 415 for a body
    of another media type."""
    for methods in result.get("paths", {}).values():
        for operation in methods.values():
            if not isinstance(operation, dict) or "responses" not in operation:
                continue
            responses = operation["responses"]
            documented = [status.HTTP_400_BAD_REQUEST]
            if "requestBody" in operation:
                documented += [
                    status.HTTP_413_REQUEST_ENTITY_TOO_LARGE,
                    status.HTTP_415_UNSUPPORTED_MEDIA_TYPE,
                ]
            for code in documented:
                responses.setdefault(str(code), _documented_error(code))
            for code, headers in ERROR_HEADERS.items():
                if code in responses:
                    responses[code].setdefault("headers", {}).update(headers)
            operation["responses"] = dict(sorted(responses.items()))
    return result
