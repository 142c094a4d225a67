"""What filing a complaint through the partner API costs in queries (issue 18): a fixed
number, none of them a second read of what the registration has already read."""

from __future__ import annotations

import uuid

from django.db import connection
from django.test.utils import CaptureQueriesContext

from casework.tests.api import client_for
from complaints.tests.api import LIST_URL, payload

# Authentication with the API user's permissions, the idempotency claim, the regime, the
# codes, the team, the customer, the repeat check, the policy and its regime's limits, the
# clock and its history row, the reference, the complaint and its history row, the
# transition record, routing, the answer's related complaints, the remembered answer:
# 18, and BEGIN and COMMIT. Elsewhere than PostgreSQL the permissions are a query of their own.
STATEMENTS = 20 if connection.vendor == "postgresql" else 21


def filed(api) -> list[str]:
    with CaptureQueriesContext(connection) as captured:
        response = api.post(
            LIST_URL,
            payload(external_reference=""),
            format="json",
            HTTP_IDEMPOTENCY_KEY=uuid.uuid4().hex,
        )
    assert response.status_code == 201, response.content
    return [query["sql"] for query in captured]


def test_filing_a_complaint_for_a_known_customer_costs_a_fixed_number_of_queries(partner):
    api = client_for(partner)
    filed(api)  # the customer recorded, the key's last use noted

    statements = filed(api)

    assert len(statements) == STATEMENTS, "\n".join(statements)
    assert len(filed(api)) == STATEMENTS, "the same whatever the customer's earlier complaints"


def test_filing_reads_nothing_twice(partner):
    api = client_for(partner)
    filed(api)

    statements = filed(api)

    codes = [sql for sql in statements if 'FROM "complaints_classificationcode"' in sql]
    assert len(codes) == 1, codes  # the business type, the cause and the channel code at once
    existence_checks = [sql for sql in statements if sql.startswith('SELECT 1 AS "a"')]
    assert not existence_checks, existence_checks  # the service judged those keys itself
    # One pair at most: the request's own transaction, a savepoint within the test's.
    savepoints = [sql for sql in statements if "SAVEPOINT" in sql]
    assert len(savepoints) <= 2, "a known customer is found without a savepoint:\n" + "\n".join(statements)
    if connection.vendor == "postgresql":
        assert not [sql for sql in statements if sql.startswith('SELECT ct."app_label"')]
        assert not [sql for sql in statements if sql.startswith("SELECT ct.app_label")]
