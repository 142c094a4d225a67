"""What reads a complaint's phone copes with none: the case list and My work show the
customer's masked e-mail and "no phone yet", notices go by e-mail and never by SMS, an
SMS never lands on it, an unknown sender's mail opens one, the caller gives the phone
when they are verified, and a refund case opened from it knows its customer by e-mail."""

from __future__ import annotations

import logging
from decimal import Decimal

from anymail.inbound import AnymailInboundMessage
from django.urls import reverse

from casework.intake.mail import file_customer_email
from casework.intake.texts import case_of_phone, file_customer_sms
from casework.models import CustomerMessage, Notification, TransitionRecord
from casework.tests.admin import admin_url
from casework.tests.customer_mail import customer_email
from complaints import services
from complaints.models import Complaint
from complaints.tests.admin import CHANGELIST
from complaints.tests.factories import CLASSIFIED, register
from refunds.models import RefundType
from refunds.models.cases import customer_lock_keys, customer_of
from refunds.services import open_refund_case_from_complaint

MY_WORK = reverse("admin-my-work")
ADDRESS = "wang.fang@example.com"


def by_email(agent, **overrides) -> Complaint:
    values = {
        "channel": "email",
        "category": "other",
        "customer_phone": "",
        "customer_email": ADDRESS,
        "preferred_channel": "email",
    }
    return register(agent, **{**values, **overrides})


def test_the_case_list_and_my_work_show_the_masked_e_mail_and_no_phone_yet(client, agent):
    complaint = by_email(agent, customer_name="Wang Fang")
    client.force_login(agent)

    for page in (client.get(CHANGELIST), client.get(MY_WORK)):
        assert page.status_code == 200
        text = page.content.decode()
        assert complaint.reference in text
        assert "w***@example.com" in text and "(no phone yet)" in text
        assert ADDRESS not in text


def test_a_complaint_without_a_phone_is_found_by_the_customers_e_mail(client, agent):
    complaint = by_email(agent)
    register(agent)  # another customer's
    client.force_login(agent)

    page = client.get(CHANGELIST, {"q": "Wang.Fang@Example.com"})

    assert list(page.context["cl"].result_list) == [complaint]


def test_a_complaint_without_a_phone_is_told_by_e_mail_and_never_by_sms(agent, settings):
    settings.CUSTOMER_QUIET_HOURS = ""
    complaint = by_email(agent, preferred_channel="sms")  # the choice made before the phone is known

    services.verify_identity(complaint=complaint, actor=agent, method="security_questions")
    services.accept_complaint(complaint=complaint, actor=agent)
    services.start_complaint(complaint=complaint, actor=agent)
    services.resolve_complaint(
        **CLASSIFIED, complaint=complaint, actor=agent, code="explained", summary="No fault found"
    )

    told = CustomerMessage.objects.filter(case_reference=complaint.reference).order_by("id")
    assert [(message.kind, message.channel, message.address) for message in told] == [
        ("acceptance", "email", ADDRESS),
        ("decision", "email", ADDRESS),
    ]
    assert not Notification.objects.filter(channel=Notification.Channel.SMS).exists()


def test_a_complaint_with_neither_phone_nor_e_mail_is_not_told_and_says_why_in_the_log(agent, caplog):
    complaint = by_email(agent)
    # Only a row changed outside the services can get here: clean() refuses it.
    Complaint.objects.filter(pk=complaint.pk).update(customer_email="")
    complaint.refresh_from_db()
    services.verify_identity(complaint=complaint, actor=agent, method="security_questions")

    with caplog.at_level(logging.WARNING, logger="complaints.services.customer_notices"):
        services.accept_complaint(complaint=complaint, actor=agent)

    assert complaint.state == "accepted"
    assert not CustomerMessage.objects.filter(case_reference=complaint.reference).exists()
    assert not Notification.objects.filter(case_reference=complaint.reference).exists()
    assert f"Complaint {complaint.reference} has neither a phone nor an e-mail address" in caplog.text


def test_an_sms_never_lands_on_a_complaint_without_a_phone(agent):
    by_email(agent)

    assert case_of_phone("") is None
    assert file_customer_sms("13900002222", "Any news?") is None
    assert not CustomerMessage.objects.filter(direction=CustomerMessage.Direction.INCOMING).exists()


def test_an_unknown_senders_mail_opens_a_complaint_without_a_phone(agent):
    mail = customer_email("complaints@wallet.example", "My payment failed.", sender=ADDRESS)

    file_customer_email(AnymailInboundMessage.parse_raw_mime_bytes(mail.as_bytes()))

    opened = Complaint.objects.get()
    assert (opened.channel, opened.customer_phone, opened.customer_email) == ("email", "", ADDRESS)
    [note] = opened.notes.all()
    assert "The customer's phone is not known yet: ask for it when you verify their identity" in note.body
    assert "service number" not in note.body


def test_a_known_customers_mail_takes_the_phone_they_gave_before(agent):
    gave_it = by_email(agent, customer_phone="13900002222")
    by_email(agent)  # a later one, before they gave it again
    mail = customer_email("complaints@wallet.example", "Another problem.", sender=ADDRESS)

    file_customer_email(AnymailInboundMessage.parse_raw_mime_bytes(mail.as_bytes()))

    opened = Complaint.objects.latest("id")
    assert opened.customer_phone == gave_it.customer_phone == "+8613900002222"
    assert not opened.notes.exists()


def test_the_caller_gives_their_phone_when_verified_and_sms_then_finds_the_complaint(client, agent):
    complaint = by_email(agent)
    client.force_login(agent)
    url = admin_url(complaint, "step", "verify-identity")
    assert 'name="customer_phone"' in client.get(url).content.decode()

    refused = client.post(
        url, {"version": complaint.version, "method": "security_questions", "customer_phone": "12345"}
    )
    assert refused.context["transition_form"].errors["customer_phone"] == [
        "Enter a valid phone number, e.g. 13800138000 or +86 138 0013 8000."
    ]
    done = client.post(
        url, {"version": complaint.version, "method": "security_questions", "customer_phone": "139 0000 2222"}
    )

    assert done.status_code == 302
    complaint.refresh_from_db()
    assert (complaint.customer_phone, complaint.identity_verification_method) == (
        "+8613900002222",
        "security_questions",
    )
    record = TransitionRecord.objects.filter(case_reference=complaint.reference).latest("id")
    assert (record.transition, record.data) == (
        "verify_identity",
        {"method": "security_questions", "fields": ["customer_phone"]},
    )
    assert complaint.history.latest().customer_phone == "+8613900002222"
    assert case_of_phone("+8613900002222") == complaint


def test_verifying_a_caller_whose_phone_is_on_file_asks_for_no_phone(client, agent):
    complaint = register(agent)
    client.force_login(agent)

    page = client.get(admin_url(complaint, "step", "verify-identity")).content.decode()

    assert 'name="method"' in page and 'name="customer_phone"' not in page


def test_a_refund_case_from_a_complaint_without_a_phone_knows_its_customer_by_e_mail(agent):
    details = {
        "category": "refund",
        "amount": Decimal("30.00"),
        "merchant": "FamilyMart",
        "account_number": "",
    }
    theirs = by_email(agent, transaction_reference="TX-7001", **details)
    someone_elses = by_email(
        agent, customer_email="li.lei@example.com", transaction_reference="TX-7002", **details
    )
    [case, other] = (
        open_refund_case_from_complaint(complaint=complaint, actor=agent, refund_type=RefundType.NOT_RECEIVED)
        for complaint in (theirs, someone_elses)
    )

    assert customer_lock_keys(case) == [f"email:{ADDRESS}"]
    assert list(type(case).objects.filter(customer_of(case))) == [case]
    assert list(type(other).objects.filter(customer_of(other))) == [other]
