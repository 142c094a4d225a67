"""What holds for every request under /api/, before and after any view: the body's size is
capped, and every error answer is in the API's one error shape, whatever ``DEBUG`` says.

Both are placed first in ``MIDDLEWARE``: the size is judged before anything reads the body
(the signature check reads it whole, the idempotency hash parses it), and the shape is
judged on the answer of everything inside, Django's own error pages included.
"""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from rest_framework import status

from casework.partners.errors import error_body, in_the_error_shape, is_api

MULTIPART = "multipart/form-data"


def body_limit(request: HttpRequest) -> int:
    """The most bytes a body of this request may have: ``API_MAX_BODY_BYTES`` for JSON (and
    anything else); an upload the evidence file limit plus that, for its other parts."""
    if request.content_type == MULTIPART:
        return settings.EVIDENCE_MAX_BYTES + settings.API_MAX_BODY_BYTES
    return settings.API_MAX_BODY_BYTES


def declared_length(request: HttpRequest) -> int:
    # As Django reads it: the body is the Content-Length bytes that follow, no more.
    try:
        return max(int(request.META.get("CONTENT_LENGTH") or 0), 0)
    except ValueError:
        return 0


class ApiBodyLimitMiddleware:
    """A body over its limit is a 413 before a byte of it is read."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if is_api(request):
            length, limit = declared_length(request), body_limit(request)
            if length > limit:
                message = f"The body is {length} bytes; this API takes at most {limit} bytes here."
                return JsonResponse(
                    error_body("request_too_large", message, {"body": [message]}),
                    status=status.HTTP_413_REQUEST_ENTITY_TOO_LARGE,
                )
        return self.get_response(request)


class ApiErrorShapeMiddleware:
    """Under /api/ an error answer in another media type (Django's debug or plain pages for a
    server error, a refused host, a bad request) is replaced by the same status in the one
    error shape: a partner's client parses every error the same way."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if (
            is_api(request)
            and response.status_code >= status.HTTP_400_BAD_REQUEST
            and not response.get("Content-Type", "").startswith("application/json")
        ):
            return in_the_error_shape(response)
        return response
