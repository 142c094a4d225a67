"""Retention: a case that ended longer ago than its period is pseudonymised, what counts
stays, and the chain still verifies (and still catches a change, before or after)."""

from __future__ import annotations

import datetime as dt
import io
import json
import threading
from decimal import Decimal

import pytest
from dateutil.relativedelta import relativedelta
from django.contrib.contenttypes.models import ContentType
from django.core.files.base import ContentFile
from django.core.management import CommandError, call_command
from django.db import connection, transaction
from django.utils import timezone

from accounts.models import RequestState
from accounts.tests.factories import request_in_state, wallet_account
from casework.access import roles
from casework.core.chain import chain_faults
from casework.models import (
    Customer,
    CustomerIdentifier,
    CustomerMessage,
    PseudonymisationLog,
    RetentionPolicy,
    TransitionRecord,
)
from casework.models.retention import PSEUDONYMISED
from casework.privacy import retention
from casework.supervision import dashboard
from casework.tests.files import pdf
from casework.tests.users import make_user
from casework.trail.anchors import write_anchor
from complaints import services
from complaints.models import Complaint, ComplaintAttachment, ComplaintNote, State
from complaints.returns import monthly
from complaints.returns.periods import parse_period
from complaints.tests.factories import _run, complaint_in_state, register
from refunds.models import RefundState
from refunds.tests.factories import refund_in_state

PHONE = "+8613912345678"
NAME = "Zhang Xiaoming"
EMAIL = "zhang.xm@example.cn"
ACCOUNT = "6222000099990001"
# Beyond the seeded five years: everything that ended today has expired then.
LATER = relativedelta(months=61)


def closed_complaint(agent, technician, **overrides):
    """A closed complaint with every kind of record that holds personal data: the
    acceptance message, a note and an attachment naming the customer, its trail."""
    values = {
        "customer_name": NAME,
        "customer_phone": PHONE,
        "customer_email": EMAIL,
        "account_number": ACCOUNT,
        "description": f"{NAME} ({PHONE}) paid 88 yuan; the money left the balance.",
        **overrides,
    }
    complaint = register(agent, **values)
    complaint = services.verify_identity(complaint=complaint, actor=agent, method="sms_code")
    complaint = services.accept_complaint(complaint=complaint, actor=agent, reason=f"Verified {PHONE}")
    services.add_note(complaint=complaint, actor=agent, body=f"Called back on {PHONE}, spoke to {NAME}.")
    services.add_attachment(
        complaint=complaint,
        actor=agent,
        file=ContentFile(pdf(), name="statement.pdf"),
        description=f"Bank statement of {NAME}",
    )
    complaint.refresh_from_db()
    for step in ("start", "resolve", "close"):
        complaint = _run(step, complaint, agent=agent, technician=technician, team=None)
    return complaint


def figures(now: dt.datetime):
    """What the supervisors and the regulator see: the dashboard and the month's return."""
    period = parse_period(f"{now:%Y-%m}", kinds=monthly.KINDS)
    return dashboard.dashboard(now=now, period_days=30), monthly.monthly_return(period)


def verify() -> str:
    out = io.StringIO()
    call_command("verify_audit_chain", stdout=out)
    return out.getvalue()


def every_value(model, **filters) -> str:
    """Every column of every matching row, as one text to search for a leftover value."""
    return json.dumps(list(model._base_manager.filter(**filters).values()), default=str, ensure_ascii=False)


@pytest.fixture
def closed(agent, technician, media_root, django_capture_on_commit_callbacks):
    return closed_complaint(agent, technician)


def test_an_expired_complaint_is_pseudonymised_its_figures_unchanged_and_the_chain_holds(
    closed, agent, media_root, django_capture_on_commit_callbacks
):
    still_open = complaint_in_state(State.IN_PROGRESS, agent=agent, customer_phone=PHONE)
    attachment = ComplaintAttachment.objects.get(complaint=closed)
    stored = media_root / attachment.file.name
    assert stored.exists()
    now = timezone.now()
    before = figures(now)
    write_anchor(now)  # the anchors counted the seals the sweep must leave as they are

    with django_capture_on_commit_callbacks(execute=True):
        done = retention.run(now + LATER)

    assert done["complaint"] == 1
    closed.refresh_from_db()
    assert closed.pseudonymised_at is not None
    assert closed.customer_name == PSEUDONYMISED and closed.description == PSEUDONYMISED
    assert (str(closed.customer_phone or ""), closed.customer_email, closed.account_number) == ("", "", "")
    # What counts stays.
    assert (closed.state, closed.category, closed.channel, str(closed.amount)) == (
        State.CLOSED,
        "transaction",
        "phone",
        "88.00",
    )
    assert figures(now) == before
    # No value is left anywhere: the case, its history, its note, the trail, the message.
    content_type = ContentType.objects.get_for_model(Complaint)
    for text in (
        every_value(Complaint, pk=closed.pk),
        every_value(Complaint.history.model, id=closed.pk),
        every_value(ComplaintNote, complaint=closed),
        every_value(ComplaintNote.history.model, complaint_id=closed.pk),
        every_value(ComplaintAttachment.history.model, complaint_id=closed.pk),
        every_value(TransitionRecord, content_type=content_type, object_id=closed.pk),
        every_value(CustomerMessage, content_type=content_type, object_id=closed.pk),
    ):
        for value in (NAME, PHONE, PHONE[3:], EMAIL, ACCOUNT):
            assert value not in text
    # The file is gone; its row keeps a marker with the hash of what it held.
    attachment.refresh_from_db()
    assert not stored.exists()
    assert attachment.file.name.startswith(f"{PSEUDONYMISED} sha256:")
    log = PseudonymisationLog.objects.get(object_id=closed.pk)
    assert log.outcome == PseudonymisationLog.Outcome.DONE and log.period_months == 60
    assert log.files[0]["sha256"] in attachment.file.name
    assert log.rows["complaints.historicalcomplaint"] >= 1 and log.rows["casework.transitionrecord"] >= 1
    # The chain verifies, the anchors too, and the open case is untouched.
    assert "hold their seals and chains" in verify()
    still_open.refresh_from_db()
    assert str(still_open.customer_phone) == PHONE and still_open.pseudonymised_at is None
    # Its customer keeps the identifiers while a case of theirs still holds them.
    assert CustomerIdentifier.objects.filter(customer=closed.customer, value=PHONE).exists()


def test_a_second_sweep_finds_nothing_more(closed, django_capture_on_commit_callbacks):
    later = timezone.now() + LATER
    with django_capture_on_commit_callbacks(execute=True):
        assert retention.run(later)["complaint"] == 1
        assert retention.run(later)["complaint"] == 0
    assert PseudonymisationLog.objects.count() == 1


def test_nothing_expires_before_its_period(closed):
    assert retention.run(timezone.now() + relativedelta(months=59))["complaint"] == 0
    closed.refresh_from_db()
    assert closed.customer_name == NAME


def test_a_supervisors_shorter_period_applies_at_the_next_sweep(closed, django_capture_on_commit_callbacks):
    RetentionPolicy.objects.filter(record_type="complaint").update(period_months=1)
    with django_capture_on_commit_callbacks(execute=True):
        assert retention.run(timezone.now() + relativedelta(months=2))["complaint"] == 1


def test_a_pseudonymised_row_changed_afterwards_is_caught(closed, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        retention.run(timezone.now() + LATER)
    history = Complaint.history.model
    row = history.objects.filter(id=closed.pk).exclude(chain_redaction="").first()
    history.objects.filter(pk=row.pk).update(customer_name="Someone Else")
    with pytest.raises(CommandError, match="do not match their chain"):
        verify()
    # So is a rewritten transition record.
    record = TransitionRecord.objects.filter(object_id=closed.pk).exclude(redaction_hash="").first()
    TransitionRecord.objects.filter(pk=record.pk).update(reason="Nothing happened")
    faults = [row for row, _why in chain_faults(history)]
    assert [fault.pk for fault in faults] == [row.pk]


def test_a_row_changed_before_the_sweep_is_reported_not_laundered(closed, django_capture_on_commit_callbacks):
    history = Complaint.history.model
    first = history.objects.filter(id=closed.pk).order_by("chain_seq").first()
    history.objects.filter(pk=first.pk).update(customer_name="Forged Name")

    with django_capture_on_commit_callbacks(execute=True):
        retention.run(timezone.now() + LATER)

    log = PseudonymisationLog.objects.get(object_id=closed.pk)
    assert log.outcome == PseudonymisationLog.Outcome.PARTIAL
    assert len(log.tampered) == 1 and f"row #{first.pk}" in log.tampered[0]
    first = history.objects.get(pk=first.pk)
    assert (first.customer_name, first.chain_redaction) == ("Forged Name", "")  # left as found
    with pytest.raises(CommandError, match=f"row #{first.pk}"):
        verify()
    # The rest of the case's rows were pseudonymised all the same.
    assert history.objects.filter(id=closed.pk).exclude(pk=first.pk).exclude(chain_redaction="").exists()


def test_the_customer_is_forgotten_once_none_of_their_cases_holds_their_data(
    agent, technician, media_root, django_capture_on_commit_callbacks
):
    complaint = closed_complaint(agent, technician)
    customer = complaint.customer
    assert CustomerIdentifier.objects.filter(customer=customer).count() == 3
    with django_capture_on_commit_callbacks(execute=True):
        retention.run(timezone.now() + LATER)
    customer = Customer.objects.get(pk=customer.pk)
    assert customer.pseudonymised_at is not None
    assert not CustomerIdentifier.objects.filter(customer=customer).exists()
    complaint.refresh_from_db()
    assert complaint.customer_id == customer.pk  # still counted as one customer's
    # The same phone later is a new customer.
    again = register(agent, customer_phone=PHONE)
    assert again.customer_id != customer.pk


# Serialized: the migrated roles and periods come back for the tests after it (the browser's).
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_case_another_sweeper_holds_is_skipped_not_waited_for(
    agent, technician, media_root, require_postgres
):
    """The sweep locks what it takes (skip_locked): a case locked elsewhere is left for
    the next run, and nobody waits."""
    complaint = closed_complaint(agent, technician)
    later = timezone.now() + LATER
    locked, release = threading.Event(), threading.Event()

    def hold():
        try:
            with transaction.atomic():
                Complaint.objects.select_for_update().get(pk=complaint.pk)
                locked.set()
                release.wait(10)
        finally:
            connection.close()

    holder = threading.Thread(target=hold)
    holder.start()
    try:
        assert locked.wait(10)
        assert retention.run(later)["complaint"] == 0
    finally:
        release.set()
        holder.join()
    assert retention.run(later)["complaint"] == 1


def test_account_requests_and_refund_cases_expire_too(
    agent, supervisor, media_root, django_capture_on_commit_callbacks
):
    account = wallet_account(account_number=ACCOUNT, holder_name=NAME)
    request = request_in_state(
        RequestState.REJECTED,
        agent=agent,
        reviewer=supervisor,
        account=account,
    )
    desk = make_user("refunds.retention", roles.REFUNDS_DESK)
    refund = refund_in_state(RefundState.CANCELLED, agent=agent, desk=desk, reason=f"{NAME} was never served")
    with django_capture_on_commit_callbacks(execute=True):
        done = retention.run(timezone.now() + LATER)
    assert (done["account_request"], done["refund"]) == (1, 1)
    request.refresh_from_db()
    refund.refresh_from_db()
    assert request.customer_statement == PSEUDONYMISED and request.pseudonymised_at is not None
    assert refund.reason == PSEUDONYMISED and refund.state == RefundState.CANCELLED
    assert refund.requested_amount == Decimal("300.00")
    assert "Forgot my password" not in every_value(type(request).history.model, id=request.pk)
    assert NAME not in every_value(type(refund).history.model, id=refund.pk)
    assert "hold their seals and chains" in verify()
