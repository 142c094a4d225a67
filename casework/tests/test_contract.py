"""The API keeps the contract its OpenAPI schema states, for every operation in it.

schemathesis generates requests from the schema (its examples, boundary "coverage" cases,
then random fuzzing; valid and invalid inputs) and sends them in-process to the WSGI app,
authenticated with real API keys (the partner's for case operations, the payments system's
for payment instructions), on a database seeded with real cases of the calling partner.
Each answer is checked: no 5xx, a documented status code, the documented content type, a
body valid under the documented schema, and the documented required headers.

The operations are read from the schema drf-spectacular generates, and none is excluded:
an endpoint added later is tested without touching this file. ``CONTRACT_MAX_EXAMPLES``
(100 by default, about 40 s for 21 operations on 2 cores; 300 for a deeper run) bounds the
fuzzed examples per operation. Generation is derandomized and keeps no example database,
so CI and a laptop send the same requests. How many requests went out, per operation and
status, is written to ``$VAR_DIR/contract-stats.json`` and printed (``-s`` shows it).
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import time
from collections import Counter, defaultdict
from collections.abc import Iterator
from pathlib import Path

import jsonschema
import pytest
import schemathesis
from django.conf import settings as django_settings
from django.core.cache import cache
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from django.urls import resolve
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.renderers import OpenApiJsonRenderer
from hypothesis import HealthCheck, settings
from rest_framework.test import APIClient
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from accounts.models import AccountStatus, LockReason
from accounts.tests.factories import wallet_account
from casework.access import roles
from casework.models import Partner
from casework.tests.api import key_for
from casework.tests.users import make_user
from complaints.tests.factories import complaint_in_state
from config.wsgi import application
from refunds.models import RefundCase
from refunds.services import open_provisional_credit
from refunds.tests.factories import PAYMENTS_SYSTEM, advance
from refunds.tests.provisional import refund_under

MAX_EXAMPLES = int(os.environ.get("CONTRACT_MAX_EXAMPLES", "100"))
EXAMPLE_ACCOUNT_NUMBER = "WLT-6201-7788"
UNTHROTTLED = "100000/minute"  # the contract's callers are never throttled into undocumented 429s
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    response_headers_conformance,  # e.g. WWW-Authenticate on a 401, documented as required
]


def generated_schema() -> dict:
    """The schema /api/schema/ serves, as the JSON a partner downloads."""
    schema = SchemaGenerator().get_schema(request=None, public=True)
    return json.loads(OpenApiJsonRenderer().render(schema))


CONFIG = schemathesis.Config.from_dict(
    {
        "generation": {"max-examples": MAX_EXAMPLES, "deterministic": True, "database": "none"},
        # Each example is a real request that writes to the database: slow by Hypothesis's
        # measure, and invalid inputs are drawn by filtering; neither is a fault of the API.
        "suppress-health-check": ["too_slow", "filter_too_much"],
    }
)
schema = schemathesis.openapi.from_dict(generated_schema(), config=CONFIG)

_stats: dict[str, Counter] = defaultdict(Counter)


def collection_of(path: str) -> str:
    """The collection an operation's path lies under: ``/api/v1/complaints/`` for
    ``/api/v1/complaints/{reference}/withdraw/``."""
    return path.split("{", 1)[0]


def view_scope(path: str) -> str:
    """The ``api_scope`` of the view that answers this path (path parameters filled in)."""
    match = resolve(re.sub(r"\{[^}]+\}", "x", path))
    return match.func.cls.api_scope


@contextlib.contextmanager
def connection_kept_open() -> Iterator[None]:
    """The WSGI handler closes "old" database connections as each request starts and ends, and
    the test's transaction lives on that connection: keep it, as Django's test client does."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


@pytest.fixture
def contract_world(db, fresh_throttle_counts):
    """A partner and the payments system with keys, and real cases of the partner's in
    several states: the references that reads and actions by reference will hit."""
    partner = Partner.objects.create(
        code="contract",
        name="Contract Pay",
        user=make_user("partner-contract", roles.PARTNER),
        rate_limit=UNTHROTTLED,
    )
    payments_user = make_user("payments-system", PAYMENTS_SYSTEM)
    payments = Partner.objects.create(
        code="payments", name="Payments system", user=payments_user, rate_limit=UNTHROTTLED
    )
    agent = make_user("agent.contract", roles.AGENT)
    desk = make_user("refunds.contract", roles.REFUNDS_DESK)
    second = make_user("refunds.contract2", roles.REFUNDS_DESK)
    partner_key, payments_key = key_for(partner), key_for(payments)

    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {partner_key}")

    def created(path: str, body: dict) -> str:
        response = client.post(path, body, format="json")
        assert response.status_code == 201, response.content
        return response.json()["reference"]

    complaint = {
        "category": "transaction",
        "customer_name": "Li Wei",
        "customer_phone": "+86 138 0013 8000",
        "description": "Paid twice for one order.",
        "transaction_at": "2026-11-20T10:00:00+08:00",
        "amount": "88.00",
        "transaction_reference": "TX-CONTRACT-1",
    }
    complaints = [created("/api/v1/complaints/", complaint) for _ in range(2)]
    complaints.append(complaint_in_state("resolved", agent=agent, partner=partner).reference)

    # The account the schema's example names is locked too, so sending the example succeeds.
    wallet_account(account_number=EXAMPLE_ACCOUNT_NUMBER, served_by=partner)
    account_requests = [
        created(
            "/api/v1/account-requests/", {"account_number": wallet_account(served_by=partner).account_number}
        ),
        created(
            "/api/v1/account-requests/",
            {
                "account_number": wallet_account(
                    status=AccountStatus.FROZEN, lock_reason=LockReason.JUDICIAL_FREEZE, served_by=partner
                ).account_number
            },
        ),
    ]

    def refund(number: int) -> str:
        return created(
            "/api/v1/refund-cases/",
            {
                "refund_type": "not_received",
                "transaction_reference": f"TXN-CONTRACT-{number}",
                "merchant": "Hangzhou Tea House",
                "transaction_amount": "800.00",
                "currency": "CNY",
                "paid_at": "2026-11-20T10:00:00+08:00",
                "requested_amount": "300.00",
                "reason": "Order cancelled by the merchant.",
            },
        )

    refunds = [refund(number) for number in range(1, 4)]
    # One refund being paid (its instruction sent) and one whose payment failed: the payments
    # system's instructions to read and report on.
    instructions = []
    for reference, steps in [
        (refunds[1], ("start_review", "approve", "submit")),
        (refunds[2], ("start_review", "approve", "submit", "fail")),
    ]:
        case = RefundCase.objects.get(reference=reference)
        case = advance(case, *steps, desk=desk, second=second, payments=payments_user)
        instructions.extend(case.instructions.values_list("idempotency_key", flat=True))
    # Provisional credits (Reg E) instructed to the payments system, to read and report.
    credits = [
        open_provisional_credit(refund_case=refund_under(agent, desk), actor=desk).idempotency_key
        for _ in range(2)
    ]

    yield {
        "keys": {"settlements": payments_key},
        "default_key": partner_key,
        "real": {
            "/api/v1/complaints/": complaints,
            "/api/v1/account-requests/": account_requests,
            "/api/v1/refund-cases/": refunds,
            "/api/v1/payment-instructions/": instructions,
            "/api/v1/provisional-credits/": credits,
        },
        "calls": Counter(),
    }
    # Thousands of requests were counted against these partners' allowances in the cache;
    # a later test whose partner gets the same id must not start throttled.
    cache.clear()


@pytest.fixture(scope="module")
def contract_stats():
    started = time.monotonic()
    yield
    total = sum(sum(counts.values()) for counts in _stats.values())
    report = {
        "requests": total,
        "operations": len(_stats),
        "max_examples": MAX_EXAMPLES,
        "seconds": round(time.monotonic() - started, 1),
        "by_operation": {label: dict(sorted(counts.items())) for label, counts in sorted(_stats.items())},
    }
    var_dir = Path(os.environ.get("VAR_DIR", django_settings.BASE_DIR / "var"))
    var_dir.mkdir(parents=True, exist_ok=True)
    (var_dir / "contract-stats.json").write_text(json.dumps(report, indent=2))
    print(f"\ncontract: {total} requests over {len(_stats)} operations in {report['seconds']} s")


@schema.parametrize()
# The seeded database is shared by the examples of one operation on purpose: later requests
# meet what earlier ones changed.
@settings(suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_the_api_keeps_its_contract(case, contract_world, contract_stats):
    operation = case.operation
    calls = contract_world["calls"]
    calls[operation.label] += 1
    real = contract_world["real"].get(collection_of(operation.path), [])
    if case.path_parameters and real and calls[operation.label] % 2:
        # Every other request names a real case of the caller's, so reads and actions reach
        # it (and change it: a second withdraw meets a withdrawn complaint); the rest keep
        # the generated value, which names no case: 404.
        first = next(iter(case.path_parameters))
        case.path_parameters[first] = real[(calls[operation.label] // 2) % len(real)]
    key = contract_world["keys"].get(view_scope(operation.path), contract_world["default_key"])
    with connection_kept_open():
        response = case.call(app=application, headers={"Authorization": f"Bearer {key}"})
    _stats[operation.label][str(response.status_code)] += 1
    case.validate_response(response, checks=CHECKS)


# What the schema promises besides the answers: every error documented in the one shape,
# with the headers a client needs, and examples that are what the API really reads and writes.

ERROR_SHAPE = {"$ref": "#/components/schemas/ErrorResponse"}


def operations(document: dict):
    for path, methods in document["paths"].items():
        for method, operation in methods.items():
            if isinstance(operation, dict) and "responses" in operation:
                yield f"{method.upper()} {path}", operation


def test_every_operation_documents_its_errors_in_the_one_shape():
    document = generated_schema()
    missing = []
    for label, operation in operations(document):
        parameters = {parameter["in"] for parameter in operation.get("parameters", [])}
        # 400 everywhere: every operation refuses a query parameter it does not take.
        expected = {"400", "401", "403", "429"}
        if "path" in parameters:
            expected.add("404")
        if "requestBody" in operation:
            expected.update({"413", "415"})
        responses = operation["responses"]
        missing += [f"{label}: {code}" for code in sorted(expected - set(responses))]
        for code, response in responses.items():
            if code.startswith("4") and response["content"]["application/json"]["schema"] != ERROR_SHAPE:
                missing.append(f"{label}: {code} is not in the one error shape")
        if "WWW-Authenticate" not in responses.get("401", {}).get("headers", {}):
            missing.append(f"{label}: 401 without WWW-Authenticate")
        if "Retry-After" not in responses.get("429", {}).get("headers", {}):
            missing.append(f"{label}: 429 without Retry-After")
    assert missing == []


def test_every_create_and_action_shows_a_request_and_an_answer():
    document = generated_schema()
    missing = []
    for label, operation in operations(document):
        if "requestBody" not in operation:
            continue
        if not any(media.get("examples") for media in operation["requestBody"]["content"].values()):
            missing.append(f"{label}: no request example")
        answers = [
            media
            for code, response in operation["responses"].items()
            if code.startswith("2")
            for media in response.get("content", {}).values()
        ]
        if not any(media.get("examples") for media in answers):
            missing.append(f"{label}: no answer example")
    assert missing == []


def json_schema_of(openapi_schema):
    """OpenAPI 3.0's ``nullable`` as JSON Schema says it; the rest reads the same."""
    if isinstance(openapi_schema, list):
        return [json_schema_of(item) for item in openapi_schema]
    if not isinstance(openapi_schema, dict):
        return openapi_schema
    converted = {name: json_schema_of(value) for name, value in openapi_schema.items() if name != "nullable"}
    if not openapi_schema.get("nullable"):
        return converted
    if "type" in converted and "enum" not in converted:
        return {**converted, "type": [converted["type"], "null"]}
    return {"anyOf": [converted, {"type": "null"}]}


def test_every_example_is_valid_under_its_schema():
    document = json_schema_of(generated_schema())
    root = jsonschema.Draft7Validator(document)
    invalid = []

    def check(label: str, media: dict) -> None:
        for name, example in media.get("examples", {}).items():
            for error in root.evolve(schema=media["schema"]).iter_errors(example["value"]):
                invalid.append(f"{label} example {name!r}: {error.json_path}: {error.message}")

    for label, operation in operations(document):
        for media_type, media in operation.get("requestBody", {}).get("content", {}).items():
            if media_type == "application/json":  # a multipart example cannot hold the file itself
                check(f"{label} request", media)
        for code, response in operation["responses"].items():
            for media in response.get("content", {}).values():
                check(f"{label} {code}", media)
    assert invalid == []


def test_a_path_under_the_api_that_no_route_matches_is_a_404_in_the_one_shape(api, client):
    # A reference with characters no reference has, or an endpoint that does not exist:
    # Django's HTML page would break a partner's client reading the error shape.
    for path in ("/api/v1/complaints/CMP%20123/", "/api/v1/complaints/CMP-1/escalate/", "/api/v2/"):
        response = api.get(path)

        assert response.status_code == 404, path
        assert response["Content-Type"] == "application/json", path
        assert response.json()["error"]["code"] == "not_found", path
    # Outside the API, Django's own page as before.
    assert client.get("/no-such-page/")["Content-Type"].startswith("text/html")
