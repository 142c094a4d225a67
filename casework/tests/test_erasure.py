"""The erasure request as a case: recorded after the identity check, decided by someone else
(four eyes), executed once the customer's cases have ended; what the rules need is kept
until its period ends, the rest goes, the customer is told, and the chain still verifies."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from dateutil.relativedelta import relativedelta
from django.contrib.contenttypes.models import ContentType
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from casework.access import roles
from casework.core.errors import ConcurrentChange, InvalidInput, PermissionRefused, TransitionRefused
from casework.erasure import services as erasure
from casework.models import (
    Customer,
    CustomerIdentifier,
    CustomerMessage,
    ErasureRequest,
    ErasureState,
    Notification,
    PseudonymisationLog,
)
from casework.models.retention import PSEUDONYMISED
from casework.notices import customers
from casework.privacy import access
from casework.tests.users import make_user
from complaints.models import Complaint, State, SurveyResponse
from complaints.tests.factories import complaint_in_state

PHONE = "+8613612345678"
OTHER_PHONE = "+8613698765432"


@pytest.fixture
def second_supervisor(db):
    return make_user("zhou.supervisor", roles.SUPERVISOR, email="zhou.supervisor@example.cn")


def ended_long_ago(complaint: Complaint, months: int = 61) -> Complaint:
    Complaint.objects.filter(pk=complaint.pk).update(updated_at=timezone.now() - relativedelta(months=months))
    complaint.refresh_from_db()
    return complaint


@pytest.fixture
def customer_cases(agent):
    """A customer with a complaint closed six years ago and one closed today (with a survey
    comment); another customer's closed complaint beside them."""
    old = ended_long_ago(complaint_in_state(State.CLOSED, agent=agent, customer_phone=PHONE))
    recent = complaint_in_state(State.CLOSED, agent=agent, customer_phone=PHONE)
    SurveyResponse.objects.create(complaint=recent, rating=2, comment=f"Slow. Call me on {PHONE}.")
    other = complaint_in_state(State.CLOSED, agent=agent, customer_phone=OTHER_PHONE)
    assert old.customer_id == recent.customer_id != other.customer_id
    return old, recent, other


def record(customer: Customer, actor, **overrides) -> ErasureRequest:
    values = {
        "received_via": "hotline",
        "request_text": "Please delete everything you hold about me.",
        "identity_verified": True,
        "reply_channel": "sms",
        "reply_address": PHONE,
        "language": "zh-hans",
        **overrides,
    }
    return erasure.record_request(customer=customer, actor=actor, **values)


def verify() -> str:
    out = io.StringIO()
    call_command("verify_audit_chain", stdout=out)
    return out.getvalue()


def test_approved_by_a_second_person_it_erases_what_expired_and_keeps_what_the_rules_need(
    customer_cases, agent, supervisor, second_supervisor, django_capture_on_commit_callbacks
):
    old, recent, other = customer_cases
    request = record(old.customer, agent)
    assert request.state == ErasureState.RECEIVED and request.reference.startswith("ERA-")
    assert request.due_at == request.received_at + dt.timedelta(days=30)

    with django_capture_on_commit_callbacks(execute=True):
        erasure.approve(
            request, actor=supervisor, note="Identity checked on the call.", version=request.version
        )

    request.refresh_from_db()
    assert request.state == ErasureState.EXECUTED and request.decided_by == supervisor
    # The case whose period had run out is pseudonymised now, logged with who executed it.
    old.refresh_from_db()
    assert old.pseudonymised_at is not None and old.customer_name == PSEUDONYMISED
    assert PseudonymisationLog.objects.get(object_id=old.pk).actor == supervisor
    # The one the rules still need is kept, and said to be kept until its period ends;
    # what no rule needs (the survey's comment) goes now.
    recent.refresh_from_db()
    assert recent.pseudonymised_at is None and str(recent.customer_phone) == PHONE
    assert SurveyResponse.objects.get(complaint=recent).comment == PSEUDONYMISED
    assert SurveyResponse.objects.get(complaint=recent).rating == 2
    kept = request.outcome["kept"]
    assert [item["reference"] for item in kept] == [recent.reference]
    until = customers.local_date(recent.updated_at + relativedelta(months=60)).isoformat()
    assert kept[0]["until"] == until  # the day in the customer's time zone
    assert [item["reference"] for item in request.outcome["erased"]] == [old.reference]
    assert request.outcome["identifiers_removed"] is False
    # Nothing of the other customer's changed.
    other.refresh_from_db()
    assert other.pseudonymised_at is None
    # The customer is told, at the address the request gave, what went and what stays.
    message = CustomerMessage.objects.get(
        content_type=ContentType.objects.get_for_model(ErasureRequest), object_id=request.pk
    )
    assert message.kind == erasure.EXECUTED_NOTICE and message.address == PHONE
    assert request.reference in message.body_text and until in message.body_text
    assert message.notification is not None
    # Every step is in the trail, and the chain still verifies.
    assert "every link holds" in verify()


def test_the_one_who_recorded_it_may_not_decide(customer_cases, supervisor, agent):
    request = record(customer_cases[0].customer, supervisor)
    with pytest.raises(PermissionRefused, match="someone else must approve or refuse it"):
        erasure.approve(request, actor=supervisor)
    with pytest.raises(PermissionRefused):
        erasure.approve(request, actor=agent)  # no permission to decide at all
    request.refresh_from_db()
    assert request.state == ErasureState.RECEIVED


def test_a_running_case_holds_the_execution_until_it_ends(customer_cases, agent, supervisor):
    old = customer_cases[0]
    running = complaint_in_state(State.IN_PROGRESS, agent=agent, customer_phone=PHONE)
    assert running.customer_id == old.customer_id
    request = record(old.customer, agent)

    erasure.approve(request, actor=supervisor)
    request.refresh_from_db()
    assert request.state == ErasureState.APPROVED
    with pytest.raises(TransitionRefused, match=running.reference):
        erasure.execute(request, actor=supervisor)
    assert erasure.run()["executed"] == 0

    Complaint.objects.filter(pk=running.pk).update(state=State.CLOSED)
    assert erasure.run()["executed"] == 1
    request.refresh_from_db()
    assert request.state == ErasureState.EXECUTED and request.outcome["kept"]


def test_a_refusal_needs_its_reason_and_the_customer_is_told_it(customer_cases, agent, supervisor):
    request = record(customer_cases[0].customer, agent)
    with pytest.raises(InvalidInput) as refused:
        erasure.refuse(request, actor=supervisor, note="  ")
    assert refused.value.field == "decision_note"

    erasure.refuse(request, actor=supervisor, note="We could not confirm it is you who asked.")
    request.refresh_from_db()
    assert request.state == ErasureState.REFUSED
    message = CustomerMessage.objects.get(kind=erasure.REFUSED_NOTICE, object_id=request.pk)
    assert "We could not confirm it is you who asked." in message.body_text
    customer_cases[0].refresh_from_db()
    assert customer_cases[0].pseudonymised_at is None  # a refusal erases nothing


def test_a_decision_on_a_stale_page_is_refused(customer_cases, agent, supervisor, second_supervisor):
    request = record(customer_cases[0].customer, agent)
    seen = request.version
    stale = ErasureRequest.objects.get(pk=request.pk)
    erasure.refuse(request, actor=second_supervisor, note="Not the customer.")
    with pytest.raises(ConcurrentChange):
        erasure.approve(stale, actor=supervisor, version=seen)
    request.refresh_from_db()
    assert request.state == ErasureState.REFUSED


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"identity_verified": False}, "identity_verified"),
        ({"reply_address": "12345"}, "reply_address"),
        ({"reply_channel": "email", "reply_address": "not an address"}, "reply_address"),
        ({"request_text": ""}, "request_text"),
        ({"received_via": "pigeon"}, "received_via"),
    ],
)
def test_bad_input_is_refused_naming_the_field(customer_cases, agent, overrides, field):
    with pytest.raises(InvalidInput) as refused:
        record(customer_cases[0].customer, agent, **overrides)
    assert refused.value.field == field
    assert not ErasureRequest.objects.exists()


def test_one_running_request_per_customer(customer_cases, agent, other_agent):
    first = record(customer_cases[0].customer, agent)
    with pytest.raises(InvalidInput, match=first.reference) as refused:
        record(customer_cases[0].customer, other_agent)
    assert refused.value.field == "customer"


def test_decision_makers_are_warned_once_before_the_answer_is_due(customer_cases, agent, second_supervisor):
    request = record(customer_cases[0].customer, agent)
    assert erasure.warn_due_soon(request.due_at - dt.timedelta(days=6)) == 0
    assert erasure.warn_due_soon(request.due_at - dt.timedelta(days=4)) == 1
    assert erasure.warn_due_soon(request.due_at - dt.timedelta(days=3)) == 0
    warned = Notification.objects.filter(kind=erasure.DUE_SOON)
    assert set(warned.values_list("recipient", flat=True)) == {second_supervisor.email}
    assert all(request.reference in notice.subject for notice in warned)


def test_with_nothing_left_the_customer_identifiers_go(agent, supervisor):
    only = ended_long_ago(complaint_in_state(State.CLOSED, agent=agent, customer_phone=PHONE))
    request = record(only.customer, agent)
    erasure.approve(request, actor=supervisor)
    request.refresh_from_db()
    assert request.outcome["identifiers_removed"] is True
    assert not CustomerIdentifier.objects.filter(customer=only.customer).exists()
    assert request.reply_address == PHONE  # the answer still has somewhere to go


def test_the_subject_access_export_holds_the_erasure_requests(customer_cases, agent, supervisor):
    request = record(customer_cases[0].customer, agent)
    erasure.refuse(request, actor=supervisor, note="Not the customer.")
    document = access.customer_data(customer_cases[0].customer)
    (exported,) = document["erasure_requests"]
    assert exported["reference"] == request.reference and exported["request"]["state"] == "refused"
    assert [step["transition"] for step in exported["trail"]] == ["register", "refuse"]
    assert exported["messages"][0]["kind"] == erasure.REFUSED_NOTICE


# --- the admin ------------------------------------------------------------------------------


def add_url() -> str:
    return reverse("admin:casework_erasurerequest_add")


def test_the_admin_records_with_errors_next_to_the_field_and_nothing_lost(customer_cases, client, agent):
    client.force_login(agent)
    form = {
        "phone": PHONE,
        "received_via": "hotline",
        "request_text": "删除我的全部个人信息",
        "reply_channel": "sms",
        "reply_address": PHONE,
        "language": "zh-hans",
    }
    page = client.post(add_url(), form)
    assert page.status_code == 400
    html = page.content.decode()
    assert "Verify the customer&#x27;s identity" in html.split("field-identity_verified")[1][:600]
    assert "删除我的全部个人信息" in html
    assert not ErasureRequest.objects.exists()

    done = client.post(add_url(), {**form, "identity_verified": "on"})
    created = ErasureRequest.objects.get()
    assert done.status_code == 302 and done["Location"].endswith(f"/{created.pk}/change/")
    assert created.recorded_by == agent and created.customer_id == customer_cases[0].customer_id


def decide_url(request: ErasureRequest) -> str:
    return reverse("admin:casework_erasurerequest_decide", args=[request.pk])


def test_the_admin_decision_four_eyes_and_a_stale_page(
    customer_cases, client, agent, supervisor, second_supervisor
):
    request = record(customer_cases[0].customer, supervisor)
    client.force_login(supervisor)
    page = client.get(reverse("admin:casework_erasurerequest_change", args=[request.pk]))
    assert "another supervisor decides on it" in page.content.decode()
    assert (
        client.post(decide_url(request), {"version": request.version, "decision": "approve"}).status_code
        == 403
    )

    client.force_login(second_supervisor)
    stale = client.post(
        decide_url(request),
        {"version": request.version - 1, "decision": "refuse", "decision_note": "Kept text"},
    )
    assert stale.status_code == 400
    assert "changed by someone else" in stale.content.decode() and "Kept text" in stale.content.decode()
    empty = client.post(
        decide_url(request), {"version": request.version, "decision": "refuse", "decision_note": ""}
    )
    assert empty.status_code == 400 and "the customer is told it" in empty.content.decode()

    done = client.post(decide_url(request), {"version": request.version, "decision": "approve"})
    assert done.status_code == 302
    request.refresh_from_db()
    assert request.state == ErasureState.EXECUTED
    page = client.get(reverse("admin:casework_erasurerequest_change", args=[request.pk]))
    assert customer_cases[1].reference in page.content.decode()  # kept, with its date


def test_auditors_read_erasure_requests_but_never_decide(customer_cases, client, agent, auditor):
    request = record(customer_cases[0].customer, agent)
    client.force_login(auditor)
    assert client.get(reverse("admin:casework_erasurerequest_changelist")).status_code == 200
    assert client.get(add_url()).status_code == 403
    assert (
        client.post(decide_url(request), {"version": request.version, "decision": "approve"}).status_code
        == 403
    )
