"""What every partner-door test does: call with a user's token, read an error, read a list.

The fixtures built on these (``api``, ``other_api``, ``fresh_throttle_counts``) are in the
root ``conftest.py``."""

from __future__ import annotations

from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from casework.models import ApiScope, Partner
from casework.partners.credentials import issue_key

CASE_SCOPES = [scope for scope in ApiScope.values if scope != ApiScope.SETTLEMENTS_REPORT]


def key_for(partner: Partner, scopes: list[str] | None = None, **options) -> str:
    """A new API key of the partner's: every case type read and write unless ``scopes`` says
    otherwise, and settlement reports too if the partner is the payments system."""
    if scopes is None:
        scopes = list(CASE_SCOPES)
        if partner.user.has_perm("refunds.report_settlement"):
            scopes = [ApiScope.SETTLEMENTS_REPORT]
    return issue_key(partner, name="tests", scopes=scopes, actor=None, **options)[1]


def client_for(who, scopes: list[str] | None = None) -> APIClient:
    """An API client calling as a partner (given as itself or its API user) with a new key;
    for a staff user, one logged in to the admin, which opens no API door."""
    client = APIClient()
    partner = who if isinstance(who, Partner) else getattr(who, "partner", None)
    if partner is None:
        client.force_login(who)
        return client
    client.credentials(HTTP_AUTHORIZATION="Bearer " + key_for(partner, scopes))
    return client


def assert_error(response, status: int, code: str) -> dict:
    """The one error shape every door answers with; returns its ``error`` object."""
    assert response.status_code == status, response.content
    body = response.json()
    assert set(body) == {"error"}
    assert set(body["error"]) == {"code", "message", "fields"}
    assert body["error"]["code"] == code
    assert body["error"]["message"]
    return body["error"]


def references_on(page: dict) -> list[str]:
    return [row["reference"] for row in page["results"]]


def listed(api: APIClient, url: str, **params) -> list[str]:
    """The references one page of a list shows, in its order."""
    response = api.get(url, params)
    assert response.status_code == 200, response.content
    return references_on(response.json())


def assert_pages_by_cursor(api: APIClient, url: str, made: list[str]) -> None:
    """Three cases made oldest first come back newest first, two to a page, by cursor."""
    first = api.get(url, {"page_size": 2}).json()
    second = api.get(first["next"]).json()

    assert references_on(first) == made[:0:-1]
    assert references_on(second) == made[:1]
    assert second["next"] is None


def count_list_queries(api: APIClient, url: str) -> tuple[int, int]:
    """The queries one list call costs, and how many rows it showed (after a first call,
    which also notes the key's last use)."""
    api.get(url)
    with CaptureQueriesContext(connection) as queries:
        response = api.get(url)
    assert response.status_code == 200
    return len(queries), len(response.json()["results"])
