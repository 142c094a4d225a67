"""Idempotency keys: a partner may send a create again, safely, under the same key.

A create sent with an ``Idempotency-Key`` header runs once per partner and key. The key's
row is written first, in the same transaction as the create, and the answer is stored on
it before the commit: a crash keeps neither, a retry finds both.

- The same key with the same request (method, path and body) gets the stored answer
  again, with ``Idempotent-Replayed: true``, however the case has moved since.
- The same key with another request is 409 ``idempotency_key_reused``, naming the header.
- While the first request is still running, a retry under its key waits on the key's
  unique row (PostgreSQL holds the second insert until the first transaction ends; SQLite
  serialises writers) and then gets the first one's answer; had the first failed, the
  retry runs as if it were the first.
- Only a successful (2xx) answer is remembered: a refused create keeps no key, so the
  partner can correct the body and send it again under the same key.
- A key older than ``IDEMPOTENCY_KEY_TTL_HOURS`` is new again; :func:`purge_expired`
  deletes such rows (hourly, from beat).

A viewset adopts it with one line, above its ``@extend_schema``::

    @idempotent
    @extend_schema(...)
    def create(self, request): ...
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import inspect
import json
from collections.abc import Callable, Mapping
from decimal import Decimal

from django.conf import settings
from django.core.files import File
from django.db import connection, transaction
from django.http import QueryDict
from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse
from rest_framework.exceptions import ValidationError
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.settings import api_settings

from casework.core.errors import CaseworkError
from casework.models import IdempotencyKey, Partner
from casework.partners.errors import ErrorResponseSerializer

HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"
MAX_KEY_LENGTH = IdempotencyKey._meta.get_field("key").max_length
# What a replay sends again besides the status and body.
KEPT_RESPONSE_HEADERS = ("Location", "ETag")
PURGE_BATCH = 5000


class IdempotencyKeyReused(CaseworkError):
    """The key already answered a different request (API 409)."""

    code = "idempotency_key_reused"


def time_to_live() -> dt.timedelta:
    return dt.timedelta(hours=getattr(settings, "IDEMPOTENCY_KEY_TTL_HOURS", 24))


def key_from(request: Request) -> str | None:
    """The request's key, ``None`` without the header; an empty or too long one is refused."""
    raw = request.headers.get(HEADER)
    if raw is None:
        return None
    key = raw.strip()
    if not key:
        raise ValidationError({HEADER: ["Send a key (a UUID, say), or leave the header out."]})
    if len(key) > MAX_KEY_LENGTH:
        raise ValidationError({HEADER: [f"At most {MAX_KEY_LENGTH} characters; this one has {len(key)}."]})
    return key


def _file_digest(file: File) -> dict:
    digest = hashlib.sha256()
    for chunk in file.chunks():
        digest.update(chunk)
    file.seek(0)  # the view reads it again
    return {"file": file.name, "size": file.size, "sha256": digest.hexdigest()}


def _canonical(value):
    if isinstance(value, QueryDict):  # a form: each name with all its values
        return {name: [_canonical(item) for item in value.getlist(name)] for name in value}
    if isinstance(value, Mapping):
        return {str(name): _canonical(item) for name, item in value.items()}
    if isinstance(value, list | tuple):
        return [_canonical(item) for item in value]
    if isinstance(value, File):
        return _file_digest(value)
    if isinstance(value, Decimal):
        return str(value)
    return value


def request_hash(request: Request) -> str:
    """SHA-256 of the parsed body, written canonically: key order and spacing do not count."""
    canonical = json.dumps(
        _canonical(request.data), sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str
    )
    return hashlib.sha256(canonical.encode()).hexdigest()


def _insert_unless_taken(row: IdempotencyKey) -> bool:
    """Insert the key's row unless the partner's key is taken; True (and its pk set) if it went in.

    ``INSERT … ON CONFLICT DO NOTHING RETURNING``, one statement: a taken key costs no
    failed insert and no savepoint to roll it back, and a request under the same key still
    in flight makes this wait for its transaction, as the plain insert did.
    """
    meta = IdempotencyKey._meta
    fields = [field for field in meta.concrete_fields if not field.primary_key]
    quote = connection.ops.quote_name
    conflict = ", ".join(quote(meta.get_field(name).column) for name in ("partner", "key"))
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {quote(meta.db_table)} ({', '.join(quote(field.column) for field in fields)}) "
            f"VALUES ({', '.join(['%s'] * len(fields))}) "
            f"ON CONFLICT ({conflict}) DO NOTHING RETURNING {quote(meta.pk.column)}",
            [field.get_db_prep_save(field.pre_save(row, add=True), connection) for field in fields],
        )
        inserted = cursor.fetchone()
    if inserted is None:
        return False
    row.pk = inserted[0]
    row._state.adding = False
    return True


def _claim(
    partner: Partner, key: str, *, method: str, path: str, fingerprint: str
) -> tuple[IdempotencyKey, bool]:
    """The key's row, locked for this transaction, and whether this request is its first.

    A request under the same key still in flight holds the unique row: the insert waits
    for its transaction to end, then fails, and the answer it stored is read here.
    """
    now = timezone.now()
    request = {"request_method": method, "request_path": path, "request_hash": fingerprint}
    fresh = {**request, "response_status": None, "response_headers": {}, "response_body": None}
    while True:
        row = IdempotencyKey(
            partner=partner, key=key, created_at=now, expires_at=now + time_to_live(), **fresh
        )
        if _insert_unless_taken(row):
            return row, True
        row = IdempotencyKey.objects.select_for_update().filter(partner=partner, key=key).first()
        if row is None:  # purged between the two statements: try the insert again
            continue
        if row.expires_at <= now:
            # Expired: the key is new again and its old answer forgotten.
            for name, value in fresh.items():
                setattr(row, name, value)
            row.created_at, row.expires_at = now, now + time_to_live()
            row.save()
            return row, True
        if {name: getattr(row, name) for name in request} != request:
            raise IdempotencyKeyReused(
                f"This {HEADER} was used for a different request (another body, or another "
                f"endpoint) on {timezone.localtime(row.created_at):%Y-%m-%d %H:%M}; send a new key "
                "for a new request.",
                field=HEADER,
            )
        return row, False


def _replay(row: IdempotencyKey) -> Response:
    headers = {**row.response_headers, REPLAYED_HEADER: "true"}
    return Response(row.response_body, status=row.response_status, headers=headers)


def _remember(row: IdempotencyKey, response: Response) -> None:
    # Stored as the client read it: plain JSON, whatever types the serializer produced.
    row.response_body = None if response.data is None else json.loads(JSONRenderer().render(response.data))
    row.response_status = response.status_code
    row.response_headers = {
        name: response[name] for name in KEPT_RESPONSE_HEADERS if response.has_header(name)
    }
    row.save(update_fields=["response_status", "response_headers", "response_body"])


REPLAYED_PARAMETER = OpenApiParameter(
    REPLAYED_HEADER,
    str,
    OpenApiParameter.HEADER,
    response=[201],
    description=f"`true` when this is the stored answer to an earlier request with the same {HEADER}.",
)
REUSED_DESCRIPTION = (
    f"`idempotency_key_reused`: this {HEADER} already answered a different request; send a new key."
)


def _documented(create: Callable) -> None:
    """Add the header, the replay marker and the 409 to the create's schema."""
    base = getattr(create, "kwargs", {}).get("schema") or api_settings.DEFAULT_SCHEMA_CLASS
    if not inspect.isclass(base):
        base = base.__class__
    key_parameter = OpenApiParameter(
        HEADER,
        str,
        OpenApiParameter.HEADER,
        required=False,
        description=f"Makes the create safe to retry: a unique value per request (a UUID, say), at "
        f"most {MAX_KEY_LENGTH} characters, remembered {time_to_live() / dt.timedelta(hours=1):g} "
        "hours. The same key with the same body gets the first answer again (with "
        "`Idempotent-Replayed: true`), even while the first is still running (the retry waits for "
        "it); with another body it is 409 `idempotency_key_reused`. A refused request keeps no "
        "key: correct it and send it again under the same key.",
    )

    class IdempotentSchema(base):
        def get_override_parameters(self):
            return [*super().get_override_parameters(), key_parameter, REPLAYED_PARAMETER]

        def get_response_serializers(self):
            responses = super().get_response_serializers()
            if not isinstance(responses, dict):
                return responses
            conflict = responses.get(409)
            if isinstance(conflict, OpenApiResponse):
                conflict = OpenApiResponse(
                    conflict.response, description=f"{conflict.description} {REUSED_DESCRIPTION}"
                )
            else:
                conflict = OpenApiResponse(ErrorResponseSerializer, description=REUSED_DESCRIPTION)
            return {**responses, 409: conflict}

    create.kwargs = {**getattr(create, "kwargs", {}), "schema": IdempotentSchema}


def idempotent(create: Callable) -> Callable:
    """Run a partner's create once per ``Idempotency-Key``; replay its answer to a retry."""

    @functools.wraps(create)
    def run_once(view, request: Request, *args, **kwargs) -> Response:
        key = key_from(request)
        if key is None:
            return create(view, request, *args, **kwargs)
        fingerprint = request_hash(request)  # parses the body: bad JSON is a 400 before any key
        with transaction.atomic():
            row, first = _claim(
                request.user.partner, key, method=request.method, path=request.path, fingerprint=fingerprint
            )
            if not first:
                return _replay(row)
            response = create(view, request, *args, **kwargs)
            if not 200 <= response.status_code < 300:
                transaction.set_rollback(True)  # nothing to remember: the key stays free
                return response
            _remember(row, response)
        return response

    _documented(run_once)
    return run_once


def purge_expired(now: dt.datetime) -> int:
    """Delete the keys that expired by ``now``, a batch at a time; returns how many."""
    deleted = 0
    while True:
        batch = list(
            IdempotencyKey.objects.filter(expires_at__lte=now).values_list("pk", flat=True)[:PURGE_BATCH]
        )
        if not batch:
            return deleted
        # A key renewed since it was read keeps its row: the expiry is checked again.
        deleted += IdempotencyKey.objects.filter(pk__in=batch, expires_at__lte=now).delete()[0]
