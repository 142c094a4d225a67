"""Bad input to the partner API is a 4xx in the one error shape naming what is at fault,
never a 500, and nothing is stored; on every route under /api/v1/ (the routes are
``test_isolation``'s, which fails when a route is added without a line there).

- a cursor whose position is no value of the list's order, an empty or out-of-range page
  size, a time filter with no UTC date: 400 on the parameter;
- a query parameter the operation does not take, an empty or a repeated one: 400 on it;
- a JSON body nested too deep: 400 on ``body``; a body over the size limit: 413;
- every error under /api/ is JSON in the one shape, whatever ``DEBUG`` says.
"""

from __future__ import annotations

import base64
import json
import re

import pytest
from django.test import Client
from django.urls import path, resolve
from drf_spectacular.generators import SchemaGenerator
from rest_framework.test import APIClient
from rest_framework.views import APIView

from casework.access import roles
from casework.models import Partner
from casework.tests.api import assert_error, client_for
from casework.tests.test_isolation import (
    API_PREFIX,
    CASE_ROUTES,
    CREDIT_ROUTES,
    LISTS,
    PAYMENTS_ROUTES,
    ROUTES,
    Route,
    cases_of,
    create_body,
    footprint,
)
from casework.tests.users import make_user
from complaints.models import Complaint
from config import urls as project_urls
from refunds.models import RefundState
from refunds.tests.factories import PAYMENTS_SYSTEM, refund_in_state

pytestmark = pytest.mark.usefixtures("media_root")

PAGED = [
    route for route in CASE_ROUTES if route.method == "GET" and not route.pattern.endswith("{reference}/")
]
JSON_WRITES = [route for route in ROUTES if route.method == "POST" and route.format == "json"]


def cursor(query: str) -> str:
    return base64.b64encode(query.encode()).decode()


@pytest.fixture
def own(partner, agent) -> dict:
    return cases_of(partner, agent, "WLT-1000-0001")


@pytest.fixture
def payments_api(db) -> APIClient:
    user = make_user("payments-system", PAYMENTS_SYSTEM)
    return client_for(Partner.objects.create(code="payments", name="Payments system", user=user))


@pytest.fixture
def instruction_key(partner) -> str:
    desk = make_user("refunds.zhou", roles.REFUNDS_DESK)
    case = refund_in_state(RefundState.PROCESSING, agent=partner.user, desk=desk, partner=partner)
    return case.instructions.get().idempotency_key


@pytest.fixture
def caller(api, payments_api, own, instruction_key):
    """``call(route, params=..., body=...)``: the route on the caller's own case (the payments
    system's on its instruction), with query parameters, or a raw JSON body."""

    def call(route: Route, params: dict | str | None = None, body: str | None = None):
        client = payments_api if route in PAYMENTS_ROUTES else api
        url = route.url(own[route.case_type].reference if route.names_a_case else "")
        url = url.replace("{key}", instruction_key)
        if isinstance(params, str):
            url, params = f"{url}?{params}", None
        if route.method == "GET":
            return client.get(url, params)
        if params:
            url = f"{url}?{'&'.join(f'{name}={value}' for name, value in params.items())}"
        if body is not None:
            return client.generic("POST", url, body, content_type="application/json")
        if route.case_type is not None and not route.names_a_case:  # a create
            return client.post(url, create_body(route, None), format="json")
        return client.post(url, route.body(), format=route.format)

    return call


def untouched(own: dict):
    """Every case of the caller's as it stands, to compare after a refused call."""
    return {case_type: footprint(case) for case_type, case in own.items()}


def case_counts(own: dict) -> dict:
    return {case_type: case_type.model.objects.count() for case_type in own}


# 9. Cursors and time filters


MANGLED_CURSORS = {
    "not a date": cursor("o=0&r=0&p=notadate"),
    "a NUL": cursor("o=0&r=0&p=\x00"),
    "no UTC date": cursor("o=0&r=0&p=0001-01-01 00:00:00"),
    "a month 13": cursor("p=2026-13-01 00:00:00%2B00:00"),
    "not base64": "not-a-cursor",
    "empty": "",
}


@pytest.mark.parametrize("value", MANGLED_CURSORS.values(), ids=MANGLED_CURSORS)
@pytest.mark.parametrize("route", PAGED, ids=str)
def test_a_cursor_whose_position_is_no_time_is_refused_naming_it_on_every_list(caller, route, value):
    error = assert_error(caller(route, {"cursor": value}), 400, "invalid")

    assert list(error["fields"]) == ["cursor"]


@pytest.mark.parametrize("value", ["0", "201", "ten", "\u0665"])
@pytest.mark.parametrize("route", PAGED, ids=str)
def test_a_page_size_that_is_not_1_to_200_is_refused_naming_it(caller, route, value):
    error = assert_error(caller(route, {"page_size": value}), 400, "invalid")

    assert error["fields"] == {"page_size": ["A whole number from 1 to 200."]}


TIME_FILTERS = ["created_since", "created_before", "updated_since"]


@pytest.mark.parametrize("value", ["0001-01-01T00:00:00", "0001-01-01T00:00:00+01:00"])
@pytest.mark.parametrize("parameter", TIME_FILTERS)
@pytest.mark.parametrize("route", LISTS, ids=str)
def test_a_time_filter_with_no_utc_date_is_refused_naming_it(caller, route, parameter, value):
    error = assert_error(caller(route, {parameter: value}), 400, "invalid")

    assert list(error["fields"]) == [parameter]


# 9 and 10. JSON bodies: nested too deep, too large


@pytest.mark.parametrize("depth", [17, 1000, 100_000])
@pytest.mark.parametrize("route", JSON_WRITES, ids=str)
def test_a_json_body_nested_too_deep_is_refused_naming_the_body(caller, own, route, depth):
    before, counts = untouched(own), case_counts(own)

    response = caller(route, body="[" * depth + "]" * depth)

    error = assert_error(response, 400, "parse_error")
    assert error["fields"] == {"body": ["The JSON body nests deeper than 16 levels of objects and arrays."]}
    assert untouched(own) == before
    assert case_counts(own) == counts


def test_a_json_body_as_deep_as_the_limit_is_read(api):
    nested: list = []  # an object holding 15 levels of arrays: 16 levels, the limit
    for _ in range(14):
        nested = [nested]

    # Read, then refused by the serializer for what it says, not for its depth.
    error = assert_error(
        api.post("/api/v1/complaints/", {"description": nested}, format="json"), 400, "invalid"
    )
    assert "description" in error["fields"]


@pytest.mark.parametrize("route", JSON_WRITES, ids=str)
def test_a_json_body_over_the_limit_is_refused_with_413_and_nothing_is_stored(caller, own, settings, route):
    settings.API_MAX_BODY_BYTES = 4096
    before, counts = untouched(own), case_counts(own)
    body = json.dumps({"reason": "x" * 4096, "body": "x", "description": "x"})

    response = caller(route, body=body)

    error = assert_error(response, 413, "request_too_large")
    assert list(error["fields"]) == ["body"]
    assert str(len(body)) in error["message"]
    assert untouched(own) == before
    assert case_counts(own) == counts


def test_a_ten_megabyte_description_is_refused_by_the_default_limit(api, partner):
    body = {**create_body(CASE_ROUTES[0], partner), "description": "x" * (10 * 1024 * 1024)}

    assert_error(api.post("/api/v1/complaints/", body, format="json"), 413, "request_too_large")
    assert not Complaint.objects.filter(partner=partner).exists()


def test_an_upload_may_be_as_large_as_the_evidence_limit_plus_the_api_limit(caller, own, settings):
    upload = next(route for route in ROUTES if route.format == "multipart")
    settings.API_MAX_BODY_BYTES = 16  # smaller than the upload: the evidence limit counts too
    assert caller(upload).status_code == 201

    settings.EVIDENCE_MAX_BYTES = 16  # now the upload is over both together
    before = own[upload.case_type].evidence.count()
    assert_error(caller(upload), 413, "request_too_large")
    assert own[upload.case_type].evidence.count() == before


# 12. Query parameters: only those the schema lists, each once, never empty


@pytest.mark.parametrize("route", ROUTES, ids=str)
def test_an_unknown_query_parameter_is_refused_naming_it_on_every_operation(caller, own, route):
    before, counts = untouched(own), case_counts(own)

    error = assert_error(caller(route, {"search": "x", "reference": "CMP-1"}), 400, "invalid")

    assert sorted(error["fields"]) == ["reference", "search"]
    assert error["fields"]["search"][0].startswith("Unknown query parameter: this operation takes ")
    assert untouched(own) == before
    assert case_counts(own) == counts


def list_parameters(route: Route) -> list[str]:
    return [*route.case_type.viewset.filter_serializer_class().fields, "cursor", "page_size"]


EMPTY_PARAMETERS = [
    pytest.param(route, parameter, id=f"{route.pattern}?{parameter}=")
    for route in LISTS
    for parameter in list_parameters(route)
]


@pytest.mark.parametrize(("route", "parameter"), EMPTY_PARAMETERS)
def test_an_empty_list_parameter_is_refused_naming_it(caller, route, parameter):
    error = assert_error(caller(route, f"{parameter}="), 400, "invalid")

    assert list(error["fields"]) == [parameter]


@pytest.mark.parametrize("route", LISTS, ids=str)
def test_a_list_parameter_given_twice_is_refused_naming_it(caller, route):
    error = assert_error(caller(route, "page_size=1&page_size=2"), 400, "invalid")

    assert error["fields"] == {"page_size": ["Give this query parameter once."]}


def test_every_operation_takes_exactly_the_query_parameters_its_schema_lists():
    documented = {
        (method.upper(), route): {p["name"] for p in operation.get("parameters", []) if p["in"] == "query"}
        for route, methods in SchemaGenerator().get_schema(request=None, public=True)["paths"].items()
        for method, operation in methods.items()
    }
    taken = {}
    for route in ROUTES + CREDIT_ROUTES:
        schema_path = f"/{API_PREFIX}{route.pattern}"
        match = resolve(re.sub(r"\{\w+\}", "X", schema_path))
        view = match.func.cls(**match.func.initkwargs)
        view.action = match.func.actions[route.method.lower()]
        taken[(route.method, schema_path)] = view.query_parameters()

    assert taken == documented


# 13. Every answer under /api/ is in the one shape, whatever DEBUG says


class FailingView(APIView):
    """A view under /api/ that fails: how a server error reaches the partner."""

    authentication_classes: list = []
    permission_classes: list = []

    def get(self, request):
        raise RuntimeError("the back office failed")


urlpatterns = [path("api/v1/failing/", FailingView.as_view()), *project_urls.urlpatterns]


@pytest.fixture(params=[False, True], ids=["DEBUG off", "DEBUG on"])
def debug(request, settings):
    settings.DEBUG = request.param
    settings.ROOT_URLCONF = __name__
    return request.param


def assert_shaped(response, status: int, code: str) -> dict:
    assert response["Content-Type"] == "application/json", response.content[:200]
    return assert_error(response, status, code)


@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/complaints/%C2%95/notes/",
        "/api/v1/complaints/CMP%20123/",
        "/api/v1/no-such-endpoint/",
        "/api/v2/",
        "/api/v1/complaints/CMP-1/escalate/",
    ],
)
def test_a_path_no_api_route_matches_is_a_json_404(api, debug, url):
    assert_shaped(api.get(url), 404, "not_found")
    assert_shaped(api.post(url, {}, format="json"), 404, "not_found")


def test_a_post_without_the_trailing_slash_is_a_json_404_naming_the_slash(api, debug):
    error = assert_shaped(api.post("/api/v1/complaints", {}, format="json"), 404, "not_found")

    assert "/api/v1/complaints/" in error["message"]


def test_a_method_a_route_does_not_take_is_a_json_405(api, debug, own):
    complaint = own[CASE_ROUTES[0].case_type]

    response = api.delete(f"/api/v1/complaints/{complaint.reference}/")

    assert_shaped(response, 405, "method_not_allowed")
    assert "GET" in response["Allow"]


def test_a_server_error_under_the_api_is_a_json_500(debug):
    response = Client(raise_request_exception=False).get("/api/v1/failing/")

    error = assert_shaped(response, 500, "server_error")
    assert "the back office failed" not in response.content.decode()
    assert error["fields"] == {}


def test_a_host_the_back_office_does_not_serve_is_a_json_400(db, debug):
    response = Client().get("/api/v1/complaints/", HTTP_HOST="attacker.example")

    assert_shaped(response, 400, "bad_request")


def test_a_client_asking_for_html_gets_json(api, debug):
    response = api.get("/api/v1/complaints/", HTTP_ACCEPT="text/html")

    assert response["Content-Type"].startswith("application/json")


def test_outside_the_api_django_answers_as_before(client, debug):
    assert client.get("/no-such-page/")["Content-Type"].startswith("text/html")
