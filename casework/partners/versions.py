"""Versions on the wire: every case's ``version`` travels as a strong ETag, and a partner
that acts on a case may send back the version it read (``If-Match`` or ``version`` in the
body). A stale one is 409 ``concurrent_change`` whatever else is wrong with the action
(checked first; the service's claim refuses one that goes stale meanwhile), never
overwritten; no version at all means "as it stands"."""

from __future__ import annotations

import re

from django.db import models
from drf_spectacular.utils import OpenApiParameter
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request

from casework.cases.transitions import require_version

IF_MATCH = re.compile(r'^"(\d+)"$', re.ASCII)


def etag(case: models.Model) -> dict[str, str]:
    """The response header that carries the case's version."""
    return {"ETag": f'"{case.version}"'}


def expected_version(request: Request, body_version: int | None) -> int | None:
    """The version the caller says it acts on, from If-Match or the body; None if it gave none."""
    header = request.headers.get("If-Match", "").strip()
    header_version = None
    if header and header != "*":
        match = IF_MATCH.match(header)
        if match is None:
            raise ValidationError(
                {"If-Match": ['Send the version you read as a strong ETag, e.g. "3" (with the quotes).']}
            )
        header_version = int(match.group(1))
    if header_version is not None and body_version is not None and header_version != body_version:
        raise ValidationError({"version": ["Does not match the If-Match header; send one version."]})
    return body_version if body_version is not None else header_version


def act_on_version(request: Request, case: models.Model, body_version: int | None) -> None:
    """Act on the version the caller read, if it sent one: a stale one is 409
    ``concurrent_change`` before the action's legality is looked at (a case that moved
    on is "changed since you read it", not "cannot do that now"), and the service's
    claim refuses one that goes stale meanwhile, never overwriting."""
    require_version(case, expected_version(request, body_version))


def etag_header(case_name: str, *statuses: int) -> OpenApiParameter:
    """Schema: the ETag response header of these statuses."""
    return OpenApiParameter(
        "ETag",
        str,
        OpenApiParameter.HEADER,
        response=list(statuses),
        description=f'The {case_name}\'s version as a strong ETag, e.g. "3"; send it back in If-Match.',
    )


IF_MATCH_HEADER = OpenApiParameter(
    "If-Match",
    str,
    OpenApiParameter.HEADER,
    description='The ETag you read, e.g. "3"; a stale one is 409 concurrent_change.',
)
