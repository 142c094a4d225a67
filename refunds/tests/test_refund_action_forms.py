"""A refund case's step and transition pages (issue 15, finished forms): one heading, the
case in short (its transaction and amount: a refund case holds no customer's numbers),
errors beside their field with the input kept, Cancel back to the case; a reader's page
goes "Back to list"."""

from __future__ import annotations

import pytest

from casework.tests.action_forms import (
    assert_finished_form,
    assert_view_only_page_goes_back_to_the_list,
    row_errors,
    top_errors,
)
from casework.tests.admin import admin_url
from refunds.models import RefundEvidence, RefundState
from refunds.tests.factories import open_refund, refund_in_state

pytestmark = pytest.mark.usefixtures("media_root")


def test_the_evidence_step_keeps_the_note_when_the_file_is_missing(client, agent, refunds_desk):
    case = refund_in_state(RefundState.UNDER_REVIEW, agent=agent, desk=refunds_desk)
    client.force_login(refunds_desk)
    url = admin_url(case, "step", "add-evidence")
    assert_finished_form(
        client.get(url),
        case,
        "Add evidence",
        summary_shows=(
            case.transaction.reference,
            case.transaction.merchant,
            "CNY 300.00",
            "Order cancelled",
        ),
    )

    response = client.post(url, {"version": case.version, "kind": "payment_voucher", "note": "Bank slip"})
    assert row_errors(response, "file") == ["This field is required."]
    assert row_errors(response, "note") == []
    assert top_errors(response) == ""
    assert 'value="Bank slip"' in response.content.decode()
    assert '<option value="payment_voucher" selected>' in response.content.decode()
    assert_finished_form(response, case, "Add evidence")
    assert not RefundEvidence.objects.exists()


def test_the_approve_page_puts_a_wrong_amount_beside_it_and_keeps_the_reason(client, agent, refunds_desk):
    case = refund_in_state(RefundState.UNDER_REVIEW, agent=agent, desk=refunds_desk)
    client.force_login(refunds_desk)
    url = admin_url(case, "transition", "approve")
    assert_finished_form(client.get(url), case, "Approve", summary_shows=(case.transaction.reference,))

    data = {"version": case.version, "amount": "400.00", "reason": "Partial refund agreed"}
    response = client.post(url, data)
    assert row_errors(response, "amount") == ["CNY 400.00 is more than the customer asked for (CNY 300.00)."]
    assert "Partial refund agreed</textarea>" in response.content.decode()
    assert_finished_form(response, case, "Approve")
    case.refresh_from_db()
    assert case.state == RefundState.UNDER_REVIEW


def test_a_reader_leaves_a_refund_case_back_to_the_list(client, agent, auditor):
    case = open_refund(agent)
    client.force_login(auditor)
    assert_view_only_page_goes_back_to_the_list(client.get(admin_url(case)))
