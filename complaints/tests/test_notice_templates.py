"""A supervisor's template writes the notice: the most specific one for the complaint's
category and the customer's language, its placeholders filled from the notice's own
context; the notice's file templates write what it leaves out."""

# ruff: noqa: RUF001  (Chinese punctuation in the texts)
from __future__ import annotations

import pytest

from casework.models import CustomerMessage, MessageTemplate
from casework.notices import customers
from complaints import services
from complaints.models import Complaint
from complaints.tests.factories import register


@pytest.fixture(autouse=True)
def awake(settings):
    settings.CUSTOMER_QUIET_HOURS = ""
    settings.CUSTOMER_HOTLINE = "95017"


def verified(agent, **contact) -> Complaint:
    complaint = register(agent, customer_name="Li Wei", **contact)
    return services.verify_identity(complaint=complaint, actor=agent, method="callback")


def told(complaint: Complaint) -> CustomerMessage:
    [message] = CustomerMessage.objects.filter(case_reference=complaint.reference)
    return message


def template(**fields) -> MessageTemplate:
    values = {
        "purpose": MessageTemplate.Purpose.NOTICE,
        "code": "acceptance",
        "title": "Acceptance",
        "language": "en",
        "subject": "[{reference}] accepted",
        "body": "Dear {customer_name},\n\nWe answer {reference} by {due_date}. Call {hotline}.",
    }
    values.update(fields)
    made = MessageTemplate(**values)
    made.full_clean()
    made.save()
    return made


def test_a_supervisors_template_writes_the_acceptance_e_mail(agent):
    template()
    complaint = verified(
        agent, customer_email="li.wei@example.com", preferred_channel="email", customer_language="en"
    )

    services.accept_complaint(complaint=complaint, actor=agent)

    message = told(complaint)
    due = customers.local_date(complaint.sla_clock.resolution_due_at)
    assert message.subject == f"[{complaint.reference}] accepted"
    assert message.body_text == (
        f"Dear Li Wei,\n\nWe answer {complaint.reference} by {due.day} {due:%B} {due.year}. Call 95017."
    )
    assert f"<p>We answer {complaint.reference}" in message.body_html
    assert "Questions? Call us on 95017" in message.body_html  # the notices' own signature


def test_without_an_sms_text_the_template_leaves_the_sms_to_the_notices_file(agent):
    template(language="zh-hans")
    complaint = verified(agent)

    services.accept_complaint(complaint=complaint, actor=agent)

    message = told(complaint)
    assert message.channel == "sms"
    assert message.body_text.startswith(f"您的投诉{complaint.reference}已受理")


def test_the_categorys_template_wins_and_an_sms_text_is_used_for_sms(agent):
    template(language="zh-hans", sms_body="通用：{reference}")
    template(
        language="zh-hans",
        category="slow_service",
        title="Failed payments",
        sms_body="{reference}已受理，{due_date}前答复。",
    )
    complaint = verified(agent, category="slow_service")

    services.accept_complaint(complaint=complaint, actor=agent)

    due = customers.local_date(complaint.sla_clock.resolution_due_at)
    assert (
        told(complaint).body_text
        == f"{complaint.reference}已受理，{due.year}年{due.month}月{due.day}日前答复。"
    )


def test_an_inactive_or_other_language_template_leaves_the_notice_to_its_files(agent):
    template(is_active=False)
    template(language="en", code="decision", title="Decision")
    complaint = verified(agent)  # Chinese, by SMS

    services.accept_complaint(complaint=complaint, actor=agent)

    assert told(complaint).body_text.startswith(f"您的投诉{complaint.reference}已受理")
