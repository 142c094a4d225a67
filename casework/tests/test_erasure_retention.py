"""The erasure request's own record: kept as the proof the request was answered for its
period (36 months from its end, ``RecordType.ERASURE_REQUEST``), then what it held of the
customer goes, as a case's does, and the chain still verifies."""

from __future__ import annotations

import io

from dateutil.relativedelta import relativedelta
from django.contrib.contenttypes.models import ContentType
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from casework.erasure import services as erasure
from casework.models import (
    CustomerMessage,
    ErasureRequest,
    ErasureState,
    PseudonymisationLog,
    RecordType,
    RetentionPolicy,
    TransitionRecord,
)
from casework.models.retention import PSEUDONYMISED
from casework.privacy import retention
from complaints.models import State
from complaints.tests.factories import complaint_in_state

PHONE = "+8613612345678"


def recorded(agent, phone: str = PHONE) -> ErasureRequest:
    """An erasure request from a customer with a closed complaint, to be answered by SMS."""
    complaint = complaint_in_state(State.CLOSED, agent=agent, customer_phone=phone)
    return erasure.record_request(
        customer=complaint.customer,
        actor=agent,
        received_via="hotline",
        request_text=f"Delete everything about me, my phone is {phone}.",
        identity_verified=True,
        reply_channel="sms",
        reply_address=phone,
        language="zh-hans",
    )


def refused(agent, supervisor, phone: str = PHONE) -> ErasureRequest:
    request = recorded(agent, phone)
    erasure.refuse(request, actor=supervisor, note=f"The caller on {phone} could not answer the checks.")
    request.refresh_from_db()
    return request


def ended_months_ago(request: ErasureRequest, months: int) -> ErasureRequest:
    ErasureRequest.objects.filter(pk=request.pk).update(
        decided_at=timezone.now() - relativedelta(months=months)
    )
    request.refresh_from_db()
    return request


def test_the_period_is_seeded_with_its_rule(db):
    policy = RetentionPolicy.objects.get(record_type=RecordType.ERASURE_REQUEST)
    assert policy.period_months == 36 and "PIPL art. 56" in policy.legal_basis


def test_after_its_period_the_request_keeps_its_proof_and_loses_the_customer(agent, supervisor):
    old = ended_months_ago(refused(agent, supervisor), 37)
    young = ended_months_ago(refused(agent, supervisor, phone="+8613698765432"), 35)
    old_outcome, old_decided = old.outcome, old.decided_at

    done = retention.run()

    assert done[RecordType.ERASURE_REQUEST] == 1
    old.refresh_from_db()
    assert old.pseudonymised_at is not None
    assert old.request_text == PSEUDONYMISED and old.reply_address == PSEUDONYMISED
    # The refusal's reason stays readable without the number it named.
    assert old.decision_note == f"The caller on {PSEUDONYMISED} could not answer the checks."
    # The proof stays: state, dates, who decided, the outcome.
    assert old.state == ErasureState.REFUSED and old.decided_at == old_decided and old.outcome == old_outcome
    # Every history row and the trail lose the phone too.
    for row in old.history.all():
        assert PHONE not in row.request_text + row.reply_address + row.decision_note
    content_type = ContentType.objects.get_for_model(ErasureRequest)
    for record in TransitionRecord.objects.filter(content_type=content_type, object_id=old.pk):
        assert PHONE[3:] not in record.reason + str(record.data)
    message = CustomerMessage.objects.get(content_type=content_type, object_id=old.pk)
    assert message.address == PSEUDONYMISED and message.body_text == PSEUDONYMISED
    log = PseudonymisationLog.objects.get(content_type=content_type, object_id=old.pk)
    assert log.case_reference == old.reference and log.period_months == 36 and log.outcome == "done"
    # One still inside its period is left whole.
    young.refresh_from_db()
    assert young.pseudonymised_at is None and "+8613698765432" in young.request_text
    # Once done, a second sweep finds nothing, and the chain verifies.
    assert retention.run()[RecordType.ERASURE_REQUEST] == 0
    out = io.StringIO()
    call_command("verify_audit_chain", stdout=out)
    assert "every link holds" in out.getvalue()


def test_an_open_request_is_never_swept_however_old(agent, supervisor):
    request = recorded(agent)
    ErasureRequest.objects.filter(pk=request.pk).update(
        received_at=timezone.now() - relativedelta(months=48),
        decided_at=timezone.now() - relativedelta(months=48),
    )
    assert retention.run()[RecordType.ERASURE_REQUEST] == 0
    request.refresh_from_db()
    assert request.pseudonymised_at is None and request.reply_address == PHONE


def test_the_admin_shows_a_pseudonymised_request(agent, supervisor, client):
    request = ended_months_ago(refused(agent, supervisor), 40)
    retention.run()
    client.force_login(supervisor)
    page = client.get(reverse("admin:casework_erasurerequest_change", args=[request.pk]))
    assert page.status_code == 200
    body = page.content.decode()
    assert PHONE not in body and PHONE[-4:] not in body.split("<main")[-1].split("</main>")[0]
    assert "pseudonymised at" in body.lower()


def test_the_clock_counts_from_the_execution_not_the_approval(agent, supervisor):
    months = RetentionPolicy.objects.get(record_type=RecordType.ERASURE_REQUEST).period_months
    request = recorded(agent)
    erasure.approve(request, actor=supervisor, version=request.version)
    request.refresh_from_db()
    assert request.state == ErasureState.EXECUTED
    # Approved long ago, executed only recently (it waited for a case): still inside.
    ErasureRequest.objects.filter(pk=request.pk).update(
        decided_at=timezone.now() - relativedelta(months=months + 12),
        executed_at=timezone.now() - relativedelta(months=months - 1),
    )
    assert retention.run()[RecordType.ERASURE_REQUEST] == 0
    ErasureRequest.objects.filter(pk=request.pk).update(
        executed_at=timezone.now() - relativedelta(months=months + 1)
    )
    assert retention.run()[RecordType.ERASURE_REQUEST] == 1
