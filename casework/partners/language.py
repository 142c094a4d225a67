"""The partner API speaks English whatever the caller's Accept-Language: its messages and
``*_display`` values are part of a machine contract, and a partner's HTTP client sending
``Accept-Language: zh-CN`` by default must not change what it parses. The admin follows the
staff member's choice (``LocaleMiddleware``)."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.utils import translation

API_PREFIX = "/api/"
API_LANGUAGE = "en"


class EnglishApiMiddleware:
    """Placed after ``LocaleMiddleware``: under /api/ the language is English."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not request.path.startswith(API_PREFIX):
            return self.get_response(request)
        with translation.override(API_LANGUAGE):
            request.LANGUAGE_CODE = API_LANGUAGE
            response = self.get_response(request)
        response.headers.setdefault("Content-Language", API_LANGUAGE)
        return response
