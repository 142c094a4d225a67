"""The payments system's door: reading payment instructions and reporting them settled or
failed, once, and only as the payments system."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from casework.models import TransitionRecord
from casework.tests.api import assert_error, client_for
from complaints.models import State as ComplaintState
from complaints.tests.factories import complaint_in_state
from refunds import services
from refunds.models import InstructionStatus, PaymentInstruction, RefundCase, RefundState
from refunds.tests.api import LIST_URL, detail_url, instruction_url, payload, report_url
from refunds.tests.factories import refund_in_state

# Evidence files land in a temporary folder (media_root).
pytestmark = pytest.mark.usefixtures("media_root")


def processing_case(*, partner, desk, payments, **overrides) -> tuple[RefundCase, PaymentInstruction]:
    case = refund_in_state(
        RefundState.PROCESSING, agent=partner.user, desk=desk, payments=payments, partner=partner, **overrides
    )
    return case, case.instructions.get()


def test_a_settled_report_refunds_the_case_and_resolves_its_complaint(
    api, partner, agent, refunds_desk, payments_system, payments_api
):
    complaint = complaint_in_state(
        ComplaintState.IN_PROGRESS, agent=agent, partner=partner, channel="partner_api"
    )
    opened = api.post(LIST_URL, payload(complaint_reference=complaint.reference), format="json")
    assert opened.status_code == 201, opened.content
    assert opened.json()["complaint_reference"] == complaint.reference
    case = RefundCase.objects.get(reference=opened.json()["reference"])
    services.start_review(case=case, actor=refunds_desk)
    services.approve_refund(case=case, actor=refunds_desk)
    services.submit_to_payments(case=case, actor=refunds_desk)
    instruction = case.instructions.get()

    response = payments_api.post(
        report_url(instruction.idempotency_key),
        {"outcome": "settled", "processor_reference": "PSP-778899"},
        format="json",
    )

    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["key"], body["refund_reference"], body["status"]) == (
        instruction.idempotency_key,
        case.reference,
        "settled",
    )
    assert (body["amount"], body["currency"], body["processor_reference"]) == ("300.00", "CNY", "PSP-778899")
    case.refresh_from_db()
    assert (case.state, case.processor_reference) == (RefundState.REFUNDED, "PSP-778899")
    complaint.refresh_from_db()
    assert (complaint.state, complaint.resolution_code) == (ComplaintState.RESOLVED, "refunded")
    seen = api.get(detail_url(case.reference)).json()
    assert (seen["state"], seen["processor_reference"]) == ("refunded", "PSP-778899")
    assert seen["settled_at"] is not None


def test_a_failed_report_fails_the_case_and_the_partner_sees_why(
    api, partner, refunds_desk, payments_system, payments_api
):
    case, instruction = processing_case(partner=partner, desk=refunds_desk, payments=payments_system)

    response = payments_api.post(
        report_url(instruction.idempotency_key),
        {"outcome": "failed", "error": "Beneficiary account closed"},
        format="json",
    )

    assert response.status_code == 200, response.content
    assert (response.json()["status"], response.json()["failure_reason"]) == (
        "failed",
        "Beneficiary account closed",
    )
    case.refresh_from_db()
    assert (case.state, case.failure_reason) == (RefundState.FAILED, "Beneficiary account closed")
    assert api.get(detail_url(case.reference)).json()["failure_reason"] == "Beneficiary account closed"


def test_the_same_report_again_is_harmless(partner, refunds_desk, payments_system, payments_api):
    case, instruction = processing_case(partner=partner, desk=refunds_desk, payments=payments_system)
    report = {"outcome": "settled", "processor_reference": "PSP-1"}
    first = payments_api.post(report_url(instruction.idempotency_key), report, format="json")
    version = RefundCase.objects.get(pk=case.pk).version

    again = payments_api.post(report_url(instruction.idempotency_key), report, format="json")

    assert (first.status_code, again.status_code) == (200, 200)
    assert again.json() == first.json()
    assert RefundCase.objects.get(pk=case.pk).version == version
    assert TransitionRecord.objects.filter(case_reference=case.reference, transition="settle").count() == 1


@pytest.mark.parametrize(
    "second",
    [
        {"outcome": "settled", "processor_reference": "PSP-2"},
        {"outcome": "failed", "error": "Timed out"},
    ],
)
def test_a_contradicting_report_is_a_conflict(partner, refunds_desk, payments_system, payments_api, second):
    case, instruction = processing_case(partner=partner, desk=refunds_desk, payments=payments_system)
    payments_api.post(
        report_url(instruction.idempotency_key),
        {"outcome": "settled", "processor_reference": "PSP-1"},
        format="json",
    )

    error = assert_error(
        payments_api.post(report_url(instruction.idempotency_key), second, format="json"),
        409,
        "conflicting_report",
    )

    assert "PSP-1" in error["message"]
    instruction.refresh_from_db()
    case.refresh_from_db()
    assert (instruction.status, instruction.processor_reference, case.state) == (
        InstructionStatus.SETTLED,
        "PSP-1",
        RefundState.REFUNDED,
    )


def test_a_report_on_an_unknown_instruction_is_not_found(payments_api):
    response = payments_api.post(
        report_url("RFD-20260101-000999-PAY-1"),
        {"outcome": "settled", "processor_reference": "PSP-1"},
        format="json",
    )

    assert_error(response, 404, "not_found")
    assert_error(payments_api.get(instruction_url("RFD-20260101-000999-PAY-1")), 404, "not_found")


@pytest.mark.parametrize(
    "report, field",
    [
        ({"outcome": "settled"}, "processor_reference"),
        ({"outcome": "failed"}, "error"),
        ({"outcome": "paid", "processor_reference": "PSP-1"}, "outcome"),
    ],
)
def test_a_report_without_what_its_outcome_needs_names_the_field(
    partner, refunds_desk, payments_system, payments_api, report, field
):
    _, instruction = processing_case(partner=partner, desk=refunds_desk, payments=payments_system)

    error = assert_error(
        payments_api.post(report_url(instruction.idempotency_key), report, format="json"), 400, "invalid"
    )

    assert list(error["fields"]) == [field]
    instruction.refresh_from_db()
    assert instruction.status == InstructionStatus.SENT


def test_only_the_payments_system_reports_and_reads_instructions(
    api, agent, refunds_desk, partner, payments_system, payments_api
):
    case, instruction = processing_case(partner=partner, desk=refunds_desk, payments=payments_system)
    report = {"outcome": "settled", "processor_reference": "PSP-1"}
    key = instruction.idempotency_key

    assert_error(api.post(report_url(key), report, format="json"), 403, "permission_denied")
    assert_error(
        client_for(refunds_desk).post(report_url(key), report, format="json"), 401, "not_authenticated"
    )
    assert_error(api.get(instruction_url(key)), 403, "permission_denied")
    assert_error(APIClient().post(report_url(key), report, format="json"), 401, "not_authenticated")
    assert_error(APIClient().get(instruction_url(key)), 401, "not_authenticated")
    instruction.refresh_from_db()
    assert instruction.status == InstructionStatus.SENT

    read = payments_api.get(instruction_url(key))

    assert read.status_code == 200, read.content
    assert (read.json()["status"], read.json()["attempt"], read.json()["refund_reference"]) == (
        "sent",
        1,
        case.reference,
    )
