"""The partner door to account requests: ask for an unlock, list and read its own, cancel one.

A partner asks, on its customer's behalf, for a locked wallet account to be unlocked; the
back office verifies the customer, collects proof and decides (four eyes, the risk officer
for suspicious-activity locks). Thin, as every door: validate the input, scope to the
calling partner, call one service, render. Refusals come out in the one error shape of
``casework.partners.errors``:

- A partner acts only on the wallet accounts linked to it (``PartnerAccountLink``, made by
  the wallet company). An account that is not linked to it, whether or not it exists and
  whatever its status, is one answer: 400 on ``account_number`` with the very message an
  unknown number gets, so a partner learns nothing about accounts it does not serve.
- For a linked account, 400 on ``account_number`` when it is active (nothing to unlock) or
  already has an open request; an ``external_reference`` this partner already used is 400
  on ``external_reference``.
- A judicially frozen account is not an error: the request is recorded and refused at
  once by the judicial-freeze rule, so the answer is 201 with ``state`` "rejected" and the
  ``rejection_reason`` to tell the customer. The account stays frozen: only the court's
  release order lifts it, in the wallet core.
- 404 for any request that is not the caller's own, another partner's included: never
  403, so references cannot be probed.
- 409 ``illegal_transition`` when the request has ended (executed, rejected, cancelled,
  expired) and cannot be cancelled; 409 ``concurrent_change`` when the caller sent a
  version (``If-Match`` or ``version``) that is no longer current.
"""

from __future__ import annotations

from django.db.models import QuerySet
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiResponse,
    extend_schema,
)
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.models import AccountRequest, RequestKind
from accounts.selectors import account_requests_for_partner
from accounts.services import JUDICIAL_FREEZE_REFUSAL, cancel_request, open_account_request
from casework.models import Partner
from casework.partners.errors import error_responses
from casework.partners.idempotency import idempotent
from casework.partners.versions import IF_MATCH_HEADER, etag_header
from casework.partners.views import (
    LOCATION_HEADER,
    PartnerCaseViewSet,
    partner_case_schema,
    reference_parameter,
    versioned_action_examples,
)

from .serializers import (
    ACCOUNT_REQUEST_EXAMPLE,
    AccountRequestCancelSerializer,
    AccountRequestCreateSerializer,
    AccountRequestFilterSerializer,
    AccountRequestSerializer,
)

REFERENCE = reference_parameter("ACR-20261124-000045")


@partner_case_schema(
    noun="account request",
    plural="account requests",
    serializer=AccountRequestSerializer,
    filters=AccountRequestFilterSerializer,
    reference=REFERENCE,
)
@extend_schema(tags=["account requests"])
class AccountRequestViewSet(PartnerCaseViewSet):
    api_scope = "account-requests"
    model = AccountRequest
    serializer_class = AccountRequestSerializer
    filter_serializer_class = AccountRequestFilterSerializer
    create_serializer_class = AccountRequestCreateSerializer
    detail_route = "account-request-detail"

    def cases_for(self, partner: Partner) -> QuerySet[AccountRequest]:
        return account_requests_for_partner(partner)

    def open_case(self, partner: Partner, data: dict) -> AccountRequest:
        return open_account_request(actor=self.request.user, partner=partner, kind=RequestKind.UNLOCK, **data)

    def read_back(self, partner: Partner, case: AccountRequest) -> AccountRequest:
        # As every other answer reads it: scoped, with whether the partner serves the account.
        return self.cases_for(partner).get(pk=case.pk)

    @idempotent
    @extend_schema(
        summary="Ask for a locked account to be unlocked",
        description="Records the customer's unlock request and starts its SLA clock; staff then "
        "verify the customer, collect proof and decide. The request takes the account's current "
        "lock reason.\n\n"
        "**A judicially frozen account** is not a 400: the request is recorded and refused at "
        "once, so the answer is **201 with `state` `rejected`** and the `rejection_reason` to "
        "tell the customer; the account stays frozen (only the court's release order lifts it).\n\n"
        "**Only accounts linked to your partner** (by the wallet company, from its record that "
        "you serve the customer) can be asked for. Any other number, whether the account exists "
        "or not, gets one answer: 400 on `account_number`, the same message as an unknown number.\n\n"
        "For a linked account: 400 on `account_number` when it is active (nothing to unlock) or "
        "already has an open request; 400 on `external_reference` when this partner already used it.",
        request=AccountRequestCreateSerializer,
        parameters=[etag_header("account request", 201), LOCATION_HEADER],
        responses={
            201: OpenApiResponse(
                AccountRequestSerializer,
                description="Recorded; Location is its URL. `state` is `submitted`, or `rejected` "
                "with its `rejection_reason` when the account is under a judicial freeze.",
                examples=[
                    OpenApiExample(
                        "Judicial freeze: recorded and refused at once",
                        value={
                            "reference": "ACR-20261124-000045",
                            "external_reference": "ACME-U-77",
                            "kind": "unlock",
                            "state": "rejected",
                            "state_display": "rejected",
                            "account_number": "WLT-****-0913",
                            "account_status": "frozen",
                            "lock_reason": "judicial_freeze",
                            "rejection_reason": JUDICIAL_FREEZE_REFUSAL,
                            "created_at": "2026-11-24T09:30:00+08:00",
                            "executed_at": None,
                            "sla": {
                                "resolution_due_at": "2026-11-25T09:30:00+08:00",
                                "is_breached": False,
                                "status": "on_track",
                            },
                            "version": 1,
                        },
                        response_only=True,
                        status_codes=["201"],
                    )
                ],
            ),
            **error_responses(400, 401, 403, 429),
        },
    )
    def create(self, request: Request) -> Response:
        return self.create_case(request)

    @extend_schema(
        summary="Cancel an account request",
        description="The customer no longer wants it: an open request (submitted, identity "
        "verified, pending review or approved) becomes cancelled, its SLA clock stops and the "
        "account is left as it is. Send the version you read (If-Match or `version`) to be "
        "sure nobody changed it since; without one, it is cancelled as it stands.",
        parameters=[REFERENCE, IF_MATCH_HEADER, etag_header("account request", 200)],
        request=AccountRequestCancelSerializer,
        examples=versioned_action_examples(
            asked="Cancel the version read",
            reason="The customer unlocked the account in the app.",
            answered="Cancelled",
            case=ACCOUNT_REQUEST_EXAMPLE,
            state="cancelled",
        ),
        responses={
            200: OpenApiResponse(AccountRequestSerializer, description="Cancelled."),
            **error_responses(400, 401, 403, 404, 409, 429),
        },
    )
    @action(detail=True, methods=["post"])
    def cancel(self, request: Request, reference: str) -> Response:
        return self.act(
            request,
            AccountRequestCancelSerializer,
            lambda case, reason: cancel_request(request=case, actor=request.user, reason=reason),
        )
