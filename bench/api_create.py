"""Benchmark: filing a complaint through the partner API against a bare DRF create view on
the same database, so the cost of what the real door does is a number, not a guess.

The real door (POST /api/v1/complaints/) authenticates the key, checks its scope and the
partner's throttle, validates the category's details, numbers the complaint, starts its
SLA clock on the matching policy, writes the transition record (hash-chained) and the
history row, and, with an ``Idempotency-Key``, remembers the answer. The bare view is
the same key authentication and a ``ModelSerializer`` that saves the row (with a clock,
which the table requires) and nothing else.

Requests go through Django's test client in this process (no network, no web server), one
after another, so the figures are the server side's per-request cost on one core:

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/bo_bench \\
      .venv/bin/python bench/api_create.py --requests 400

It runs on a fresh test database (``test_<name>``), never the demo's.
"""

from __future__ import annotations

import argparse
import statistics
import time
import uuid

from common import connection, scratch_database
from django.test.utils import CaptureQueriesContext, override_settings
from django.urls import include, path
from django.utils import timezone
from rest_framework import generics, serializers

from casework.api.authentication import PartnerKeyAuthentication
from casework.api.permissions import HasKeyScope, IsPartner
from casework.models import SlaClock, SlaPolicy, Team
from complaints.models import Complaint

BODY = {
    "category": "transaction",
    "customer_name": "Zhao Lei",
    "customer_phone": "13911002233",
    "account_number": "WLT-8800-1203",
    "description": "Paid at the till, the payment failed, the balance dropped.",
    "transaction_at": "2026-11-20T09:30:00+08:00",
    "amount": "36.80",
    "transaction_reference": "QM20261120093000",
    "merchant": "QuickMart store 0417",
}


class BareComplaintSerializer(serializers.ModelSerializer):
    class Meta:
        model = Complaint
        fields = [
            "reference",
            "category",
            "customer_name",
            "customer_phone",
            "account_number",
            "description",
            "transaction_at",
            "amount",
            "transaction_reference",
            "merchant",
        ]
        read_only_fields = ["reference"]


class BareComplaintCreate(generics.CreateAPIView):
    """What a first draft of the endpoint would be: authenticate, validate, insert."""

    serializer_class = BareComplaintSerializer
    authentication_classes = [PartnerKeyAuthentication]
    permission_classes = [IsPartner, HasKeyScope]
    throttle_classes = []
    api_scope = "complaints"

    def perform_create(self, serializer) -> None:
        policy = SlaPolicy.objects.filter(case_type="complaint", is_active=True).first()
        now = timezone.now()
        clock = SlaClock.objects.create(
            policy=policy,
            started_at=now,
            first_response_due_at=now,
            resolution_due_at=now,
            resolution_warn_at=now,
        )
        serializer.save(
            reference=f"BARE-{uuid.uuid4().hex[:20]}",
            partner=self.request.user.partner,
            registered_by=self.request.user,
            team=Team.objects.get(code="frontline"),
            channel="partner_api",
            sla_clock=clock,
        )


urlpatterns = [
    path("bench/bare-complaints/", BareComplaintCreate.as_view()),
    path("", include("config.urls")),
]


def run(client, url: str, count: int, *, idempotent: bool) -> tuple[float, float, int]:
    """Requests per second, median ms, and the queries of the last request."""
    samples = []
    queries = 0
    for i in range(count):
        headers = {"HTTP_IDEMPOTENCY_KEY": f"bench-{uuid.uuid4()}"} if idempotent else {}
        body = {**BODY, "transaction_reference": f"QM{i:012d}"}
        connection.queries_log.clear()  # the log keeps 9000 queries; count this request's alone
        with CaptureQueriesContext(connection) as captured:
            start = time.perf_counter()
            response = client.post(url, body, format="json", **headers)
            samples.append(time.perf_counter() - start)
        assert response.status_code == 201, response.content
        queries = len(captured)
    return count / sum(samples), statistics.median(samples) * 1000, queries


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=400)
    args = parser.parse_args()

    with scratch_database(), override_settings(ROOT_URLCONF=__name__):
        from django.contrib.auth.models import Group, User
        from rest_framework.test import APIClient

        from casework.api.credentials import issue_key
        from casework.models import ApiScope, Partner

        user = User.objects.create_user("bench.partner")
        user.groups.add(Group.objects.get(name="partner"))
        partner = Partner.objects.create(
            code="bench", name="Bench Pay", user=user, rate_limit="1000000/minute"
        )
        key = issue_key(partner, name="bench", scopes=[ApiScope.COMPLAINTS_WRITE], actor=None)[1]
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")

        warm = max(20, args.requests // 10)
        run(client, "/bench/bare-complaints/", warm, idempotent=False)
        run(client, "/api/v1/complaints/", warm, idempotent=False)

        print(f"database: {connection.vendor}; {args.requests} sequential creates each, after {warm} warm-up")
        results = {
            "bare DRF create (ModelSerializer.save)": run(
                client, "/bench/bare-complaints/", args.requests, idempotent=False
            ),
            "POST /api/v1/complaints/": run(client, "/api/v1/complaints/", args.requests, idempotent=False),
            "POST /api/v1/complaints/ with Idempotency-Key": run(
                client, "/api/v1/complaints/", args.requests, idempotent=True
            ),
        }
        bare_rate = next(iter(results.values()))[0]
        for label, (rate, median_ms, queries) in results.items():
            print(
                f"{label:48s} {rate:7.1f} req/s  median {median_ms:6.2f} ms  {queries:3d} queries  "
                f"{rate / bare_rate:5.2f} x bare"
            )


if __name__ == "__main__":
    main()
