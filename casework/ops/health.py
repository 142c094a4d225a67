"""``GET /healthz/``: is this process able to work? It asks the database for one row and
opens a connection to the broker, each within a short timeout, and answers 200 when both
answer, 503 naming the one that does not. No credentials: a load balancer calls it, and it
says nothing but "ok" or which dependency failed.

``DatabaseUnavailableMiddleware``: a request that finds the database gone (restarting,
failing over) answers 503 with Retry-After, in the API's error shape under /api/, instead
of a 500: the load balancer and partners retry a 503, and it is not a defect of ours."""

from __future__ import annotations

import logging
import time

from celery import current_app as celery_app
from django.conf import settings
from django.db import InterfaceError, OperationalError, connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.translation import gettext
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET
from kombu import Connection

logger = logging.getLogger(__name__)

BROKER_TIMEOUT_SECONDS = 2


def database_ok() -> bool:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            return cursor.fetchone() == (1,)
    except Exception:
        logger.exception("Health check: the database did not answer")
        return False


def broker_ok() -> bool:
    url = settings.CELERY_BROKER_URL  # what the Celery app was configured with
    try:
        with Connection(
            url,
            connect_timeout=BROKER_TIMEOUT_SECONDS,
            transport_options=celery_app.conf.broker_transport_options,
        ) as conn:
            conn.ensure_connection(max_retries=0, timeout=BROKER_TIMEOUT_SECONDS)
        return True
    except Exception:
        logger.exception("Health check: the broker did not answer")
        return False


@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    started = time.perf_counter()
    checks = {"database": database_ok(), "broker": broker_ok()}
    healthy = all(checks.values())
    return JsonResponse(
        {
            "status": "ok" if healthy else "unavailable",
            **{name: "ok" if fine else "unavailable" for name, fine in checks.items()},
            "took_ms": round((time.perf_counter() - started) * 1000, 1),
        },
        status=200 if healthy else 503,
    )


RETRY_AFTER_SECONDS = 5


class DatabaseUnavailableMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not isinstance(exception, OperationalError | InterfaceError):
            return None
        logger.warning("The database is unavailable: %s (answered 503)", exception)
        # Under /api/ the API's error-shape middleware words it as the API's error.
        response = HttpResponse(
            gettext("The back office is briefly unavailable. Try again in a few seconds."),
            status=503,
            content_type="text/plain; charset=utf-8",
        )
        response["Retry-After"] = str(RETRY_AFTER_SECONDS)
        return response
