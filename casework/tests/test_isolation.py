"""Every partner door keeps to the caller's own cases, on every route under /api/v1/.

Another partner's case is a 404 on every route that names it (the read, each action, each
nested list), with the very answer an unknown reference gets, and nothing about it
changes; it is absent from every list under every filter; a create neither touches nor
names it. The payments system's door refuses every partner alike, whatever the key.

And a key opens only what its scopes say: a read-only key reads every route and writes
none, a key without the case type's scopes is refused, a revoked key is not a key.

``test_every_api_route_is_covered`` walks the URL resolver: a route added under /api/v1/
without a line in ``ROUTES`` fails it.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass, field

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import URLPattern, URLResolver, get_resolver
from rest_framework.test import APIClient

from accounts.api.views import AccountRequestViewSet
from accounts.models import AccountRequest, AccountStatus, LockReason, WalletAccount
from accounts.services import open_account_request
from accounts.tests.factories import serve
from casework.access import roles
from casework.models import IdempotencyKey, Partner, TransitionRecord
from casework.partners.credentials import issue_key, revoke_key
from casework.tests.api import CASE_SCOPES, assert_error, client_for, listed
from casework.tests.users import make_user
from complaints import services as complaint_services
from complaints.api.views import ComplaintViewSet
from complaints.models import Complaint
from complaints.tests.factories import file_complaint
from refunds import services as refund_services
from refunds.api.views import RefundCaseViewSet
from refunds.models import RefundCase, RefundState
from refunds.tests.factories import PNG, open_refund, refund_in_state

pytestmark = pytest.mark.usefixtures("media_root")

API_PREFIX = "api/v1/"
SHARED_REFERENCE = "SAME-1"  # both partners use it for their own case of each type
ALIGNED_CREATED_AT = dt.datetime(2026, 3, 2, 10, 15, tzinfo=dt.UTC)
ALIGNED_UPDATED_AT = dt.datetime(2026, 3, 5, 8, 0, tzinfo=dt.UTC)


@dataclass(frozen=True)
class CaseType:
    """One case type's partner door: its route prefix, scope, model and an unknown reference."""

    prefix: str
    scope: str
    model: type
    viewset: type
    unknown_reference: str


COMPLAINTS = CaseType("complaints", "complaints", Complaint, ComplaintViewSet, "CMP-19990101-999999")
ACCOUNT_REQUESTS = CaseType(
    "account-requests", "account-requests", AccountRequest, AccountRequestViewSet, "ACR-19990101-999999"
)
REFUND_CASES = CaseType("refund-cases", "refund-cases", RefundCase, RefundCaseViewSet, "RFD-19990101-999999")
CASE_TYPES = (COMPLAINTS, ACCOUNT_REQUESTS, REFUND_CASES)


def png() -> SimpleUploadedFile:
    return SimpleUploadedFile("voucher.png", PNG, content_type="image/png")


@dataclass(frozen=True)
class Route:
    """One method on one route, and a request that would succeed on the caller's own case."""

    method: str
    pattern: str  # as the URL resolver spells it, path parameters as {name}
    case_type: CaseType | None = None
    body: Callable[[], dict] = field(default=dict)
    format: str = "json"

    @property
    def names_a_case(self) -> bool:
        return "{reference}" in self.pattern

    @property
    def is_write(self) -> bool:
        return self.method != "GET"

    def url(self, reference: str = "") -> str:
        return "/" + API_PREFIX + self.pattern.replace("{reference}", reference)

    def call(self, client: APIClient, reference: str = "", **headers):
        if self.method == "GET":
            return client.get(self.url(reference), **headers)
        return client.post(self.url(reference), self.body(), format=self.format, **headers)

    def __str__(self) -> str:
        return f"{self.method} {self.pattern}"


# Each route on a case type, with what a call on the caller's own case sends.
CASE_ROUTES = [
    Route("GET", "complaints/", COMPLAINTS),
    Route("GET", "complaints/{reference}/", COMPLAINTS),
    Route("POST", "complaints/{reference}/withdraw/", COMPLAINTS, lambda: {"reason": "Merchant refunded"}),
    Route("GET", "complaints/{reference}/timeline/", COMPLAINTS),
    Route("GET", "complaints/{reference}/notes/", COMPLAINTS),
    Route(
        "POST", "complaints/{reference}/notes/", COMPLAINTS, lambda: {"body": "The customer sent a receipt."}
    ),
    Route("GET", "account-requests/", ACCOUNT_REQUESTS),
    Route("GET", "account-requests/{reference}/", ACCOUNT_REQUESTS),
    Route("POST", "account-requests/{reference}/cancel/", ACCOUNT_REQUESTS, lambda: {"reason": "Found it"}),
    Route("GET", "account-requests/{reference}/timeline/", ACCOUNT_REQUESTS),
    Route("GET", "refund-cases/", REFUND_CASES),
    Route("GET", "refund-cases/{reference}/", REFUND_CASES),
    Route("POST", "refund-cases/{reference}/cancel/", REFUND_CASES, lambda: {"reason": "Paid directly"}),
    Route("GET", "refund-cases/{reference}/timeline/", REFUND_CASES),
    Route("GET", "refund-cases/{reference}/evidence/", REFUND_CASES),
    Route(
        "POST",
        "refund-cases/{reference}/evidence/",
        REFUND_CASES,
        lambda: {"kind": "payment_voucher", "file": png()},
        format="multipart",
    ),
]
CREATE_ROUTES = [Route("POST", f"{case_type.prefix}/", case_type) for case_type in CASE_TYPES]
PAYMENTS_ROUTES = [
    Route("GET", "payment-instructions/{key}/"),
    Route("POST", "payment-instructions/{key}/report/", body=lambda: {"outcome": "settled"}),
]
ROUTES = CASE_ROUTES + CREATE_ROUTES + PAYMENTS_ROUTES
# The payments system's report of a provisional credit (refunds.api.provisional).
CREDIT_ROUTES = [
    Route("GET", "provisional-credits/{key}/"),
    Route("POST", "provisional-credits/{key}/credited/", body=lambda: {"processor_reference": "PSP-1"}),
]
NAMING_A_CASE = [route for route in CASE_ROUTES if route.names_a_case]
LISTS = [route for route in CASE_ROUTES if not route.names_a_case]


def create(client: APIClient, case_type: CaseType, body: dict):
    return client.post(f"/{API_PREFIX}{case_type.prefix}/", body, format="json")


PATH_PARAMETER = re.compile(r"\(\?P<(\w+)>[^)]*\)|<(?:\w+:)?(\w+)>")


def api_routes() -> set[tuple[str, str]]:
    """Every (method, route) the URL resolver serves under /api/v1/, path parameters as {name}."""
    found: set[tuple[str, str]] = set()

    def walk(patterns, prefix: str) -> None:
        for entry in patterns:
            route = prefix + str(entry.pattern).lstrip("^").rstrip("$")
            if isinstance(entry, URLResolver):
                walk(entry.url_patterns, route)
                continue
            assert isinstance(entry, URLPattern)
            if not route.startswith(API_PREFIX):
                continue
            actions = getattr(entry.callback, "actions", None)
            if actions is None:  # a plain view: the methods its class handles
                view_class = getattr(entry.callback, "cls", None) or entry.callback.view_class
                actions = {name: name for name in view_class.http_method_names if hasattr(view_class, name)}
            # (?P<reference>[A-Za-z0-9-]+) of a router, <str:reference> of path(): both {reference}.
            pattern = PATH_PARAMETER.sub(r"{\1\2}", route.removeprefix(API_PREFIX))
            found.update((method.upper(), pattern) for method in actions if method not in ("head", "options"))

    walk(get_resolver().url_patterns, "")
    return found


def test_every_api_route_is_covered(db):
    served = api_routes()
    # The payments system's credit reports are no partner's: refunds/tests/test_provisional_credit_doors.py
    # holds them to their own credentials; here they only count as covered.
    covered = {(route.method, route.pattern) for route in ROUTES + CREDIT_ROUTES}

    assert served - covered == set(), "routes under /api/v1/ with no isolation test: add them to ROUTES"
    assert covered - served == set(), "ROUTES names routes that no longer exist"


def test_every_case_type_viewset_is_covered():
    from casework.partners.views import PartnerCaseViewSet

    def subclasses(cls):
        for sub in cls.__subclasses__():
            yield sub
            yield from subclasses(sub)

    assert {case_type.viewset for case_type in CASE_TYPES} == set(subclasses(PartnerCaseViewSet))


# The two partners' cases: one of each type each, alike in every value a filter reads.


@pytest.fixture
def desk(db):
    return make_user("refunds.zhou", roles.REFUNDS_DESK)


def locked_account(number: str, served_by: Partner | None) -> WalletAccount:
    account = WalletAccount.objects.create(
        account_number=number,
        holder_name="Li Lei",
        phone_masked="138****8000",
        status=AccountStatus.LOCKED,
        lock_reason=LockReason.WRONG_PASSWORDS,
    )
    if served_by is not None:
        serve(served_by, account)
    return account


def cases_of(partner: Partner, agent, account_number: str) -> dict[CaseType, object]:
    complaint = file_complaint(partner, external_reference=SHARED_REFERENCE)
    account_request = open_account_request(
        actor=partner.user,
        partner=partner,
        account_number=locked_account(account_number, partner).account_number,
        external_reference=SHARED_REFERENCE,
    )
    refund = open_refund(partner.user, partner=partner, external_reference=SHARED_REFERENCE)
    # Something in every nested list, so a leak would show.
    complaint_services.add_partner_message(complaint=complaint, actor=partner.user, body="More details.")
    complaint_services.reply_to_partner(complaint=complaint, actor=agent, body="Thank you, received.")
    refund_services.add_evidence(case=refund, actor=partner.user, kind="payment_voucher", file=png())
    made = {COMPLAINTS: complaint, ACCOUNT_REQUESTS: account_request, REFUND_CASES: refund}
    for case_type, case in made.items():
        case_type.model.objects.filter(pk=case.pk).update(
            created_at=ALIGNED_CREATED_AT, updated_at=ALIGNED_UPDATED_AT
        )
    # An outcome too, as a decided complaint has, so the outcome filter has one to match.
    COMPLAINTS.model.objects.filter(pk=complaint.pk).update(outcome="partly_upheld")
    return {case_type: case_type.model.objects.get(pk=case.pk) for case_type, case in made.items()}


@pytest.fixture
def own(partner, agent) -> dict[CaseType, object]:
    return cases_of(partner, agent, "WLT-1000-0001")


@pytest.fixture
def theirs(other_partner, agent) -> dict[CaseType, object]:
    return cases_of(other_partner, agent, "WLT-2000-0002")


def footprint(case) -> tuple:
    """All a call could change about a case: its row, its records, what it holds."""
    case = type(case).objects.get(pk=case.pk)
    held = [
        getattr(case, name).count()
        for name in ("partner_messages", "evidence", "notes")
        if hasattr(case, name)
    ]
    records = TransitionRecord.objects.filter(case_reference=case.reference).count()
    return (case.state, case.version, case.updated_at, records, *held)


# Another partner's case: a 404, as if it did not exist.


@pytest.mark.parametrize("route", NAMING_A_CASE, ids=str)
def test_another_partners_case_is_not_found_on_every_route(api, partner, own, theirs, route):
    their_case = theirs[route.case_type]
    before = footprint(their_case)
    headers = {"HTTP_IDEMPOTENCY_KEY": "probe-1"} if route.is_write else {}

    response = route.call(api, their_case.reference, **headers)

    error = assert_error(response, 404, "not_found")
    unknown = assert_error(route.call(api, route.case_type.unknown_reference, **headers), 404, "not_found")
    assert error == unknown, "another partner's case must answer exactly as an unknown reference"
    assert their_case.reference not in response.content.decode()
    assert footprint(their_case) == before
    assert not IdempotencyKey.objects.filter(partner=partner).exists()
    # The same call on the caller's own case gets through: the 404 above is the scoping.
    assert route.call(api, own[route.case_type].reference).status_code in (200, 201)


@pytest.mark.parametrize("route", NAMING_A_CASE, ids=str)
def test_the_other_partner_reaches_its_own_case_on_every_route(other_api, theirs, route):
    response = route.call(other_api, theirs[route.case_type].reference)

    assert response.status_code in (200, 201), response.content


def filter_value(case, parameter: str) -> str:
    """The value of a list filter that matches ``case``."""
    if parameter == "created_before":
        return (case.created_at + dt.timedelta(seconds=1)).isoformat()
    if parameter == "q":  # words of its description (complaints.search)
        return case.description
    value = getattr(
        case, {"updated_since": "updated_at", "created_since": "created_at"}.get(parameter, parameter)
    )
    if isinstance(value, dt.datetime):
        return value.isoformat()
    return getattr(value, "code", value) if hasattr(value, "dimension") else str(value)


LIST_FILTERS = [
    pytest.param(route, parameter, id=f"{route.pattern}?{parameter}")
    for route in LISTS
    for parameter in [None, *route.case_type.viewset.filter_serializer_class().fields]
]


@pytest.mark.parametrize(("route", "parameter"), LIST_FILTERS)
def test_another_partners_cases_are_absent_from_every_list_and_filter(api, own, theirs, route, parameter):
    their_case, own_case = theirs[route.case_type], own[route.case_type]
    params = {} if parameter is None else {parameter: filter_value(their_case, parameter)}

    # Both partners' cases match the filter alike: only the caller's own comes back.
    assert listed(api, route.url(), **params) == [own_case.reference]


def test_every_list_filter_is_matched_by_the_case_it_comes_from(own):
    for route in LISTS:
        filters = route.case_type.viewset.filter_serializer_class
        for parameter in filters().fields:
            matching = filters(data={parameter: filter_value(own[route.case_type], parameter)})
            assert matching.is_valid(), (route.pattern, parameter, matching.errors)
            queryset = route.case_type.model.objects.filter(**matching.lookups())
            assert queryset.filter(pk=own[route.case_type].pk).exists(), (route.pattern, parameter)


# Creating: the caller's own case, whatever another partner has.


def test_a_complaint_filed_under_another_partners_reference_is_the_callers_own(
    api, partner, other_api, theirs
):
    body = {
        "category": "other",
        "customer_name": "Li Lei",
        "customer_phone": "13800138000",
        "description": "The app is slow.",
        "external_reference": SHARED_REFERENCE,
    }

    response = create(api, COMPLAINTS, body)

    assert response.status_code == 201, response.content
    assert Complaint.objects.get(reference=response.json()["reference"]).partner == partner
    assert_error(other_api.get(f"/api/v1/complaints/{response.json()['reference']}/"), 404, "not_found")


def test_an_unlock_of_an_account_another_partner_asked_for_does_not_name_their_request(api, theirs):
    their_request = theirs[ACCOUNT_REQUESTS]
    body = {"account_number": their_request.account.account_number, "external_reference": "ACME-U-9"}

    error = assert_error(create(api, ACCOUNT_REQUESTS, body), 400, "invalid")

    assert list(error["fields"]) == ["account_number"]
    assert their_request.reference not in str(error)


def test_a_refund_from_another_partners_complaint_is_refused_as_unknown(api, theirs):
    def refused(complaint_reference: str) -> dict:
        body = {
            "refund_type": "not_received",
            "transaction_reference": "TXN-ISO-1",
            "merchant": "Hangzhou Tea House",
            "transaction_amount": "800.00",
            "currency": "CNY",
            "paid_at": "2026-03-01T10:00:00+08:00",
            "requested_amount": "300.00",
            "reason": "Not received.",
            "complaint_reference": complaint_reference,
        }
        return assert_error(create(api, REFUND_CASES, body), 400, "invalid")["fields"]

    their_reference = theirs[COMPLAINTS].reference
    unknown = COMPLAINTS.unknown_reference

    assert refused(their_reference) == {
        name: [message.replace(unknown, their_reference) for message in messages]
        for name, messages in refused(unknown).items()
    }
    assert RefundCase.objects.filter(complaint=theirs[COMPLAINTS]).count() == 0


# The payments system's door: the same refusal for every partner and every key.


def test_no_partner_reads_or_reports_a_payment_instruction(api, other_partner, desk):
    case = refund_in_state(RefundState.PROCESSING, agent=other_partner.user, desk=desk, partner=other_partner)
    key = case.instructions.get().idempotency_key

    def call(route: Route, instruction_key: str):
        url = route.url().replace("{key}", instruction_key)
        return api.get(url) if route.method == "GET" else api.post(url, route.body(), format="json")

    for route in PAYMENTS_ROUTES:
        error = assert_error(call(route, key), 403, "permission_denied")

        assert error == assert_error(call(route, "RFD-19990101-999999-PAY-1"), 403, "permission_denied"), (
            route
        )
    case.refresh_from_db()
    assert case.state == RefundState.PROCESSING


# Scopes: what a key opens.


SCOPED = CASE_ROUTES + CREATE_ROUTES


def create_body(route: Route, partner: Partner) -> dict:
    return {
        COMPLAINTS: {
            "category": "other",
            "customer_name": "Li",
            "customer_phone": "13800138000",
            "description": "x",
        },
        ACCOUNT_REQUESTS: {"account_number": locked_account("WLT-3000-0003", partner).account_number},
        REFUND_CASES: {
            "refund_type": "not_received",
            "transaction_reference": "TXN-SCOPE-1",
            "merchant": "Tea House",
            "transaction_amount": "80.00",
            "currency": "CNY",
            "paid_at": "2026-03-01T10:00:00+08:00",
            "requested_amount": "30.00",
            "reason": "Not received.",
        },
    }[route.case_type]


def call(route: Route, client: APIClient, own: dict, partner: Partner):
    if route in CREATE_ROUTES:
        return create(client, route.case_type, create_body(route, partner))
    return route.call(client, own[route.case_type].reference)


@pytest.mark.parametrize("route", SCOPED, ids=str)
def test_a_read_only_key_reads_every_route_and_writes_none(partner, own, route):
    read_only = client_for(partner, scopes=[f"{case_type.scope}:read" for case_type in CASE_TYPES])
    before = {case_type: footprint(case) for case_type, case in own.items()}

    response = call(route, read_only, own, partner)

    if route.is_write:
        error = assert_error(response, 403, "permission_denied")
        assert f"{route.case_type.scope}:write" in error["message"]
        assert {case_type: footprint(case) for case_type, case in own.items()} == before
        assert route.case_type.model.objects.filter(partner=partner).count() == 1
    else:
        assert response.status_code == 200, response.content


@pytest.mark.parametrize("route", SCOPED, ids=str)
def test_a_key_without_the_case_types_scope_is_refused(partner, own, route):
    others = [scope for scope in CASE_SCOPES if not scope.startswith(f"{route.case_type.scope}:")]
    before = footprint(own[route.case_type])

    error = assert_error(
        call(route, client_for(partner, scopes=others), own, partner), 403, "permission_denied"
    )

    assert f"{route.case_type.scope}:write" in error["message"]
    if not route.is_write:
        assert f"{route.case_type.scope}:read" in error["message"]
    assert footprint(own[route.case_type]) == before


@pytest.mark.parametrize("route", SCOPED, ids=str)
def test_a_revoked_key_is_not_a_key(partner, own, route):
    api_key, key = issue_key(partner, name="revoked", scopes=list(CASE_SCOPES), actor=None)
    revoke_key(api_key, actor=None)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")
    before = footprint(own[route.case_type])

    assert_error(call(route, client, own, partner), 401, "authentication_failed")
    assert footprint(own[route.case_type]) == before
