"""Customers' e-mail comes back into the case: read from a real IMAP mailbox (dovecot on
the loopback), filed on the case of the notice it answers, once however often it is
fetched; mail that answers no case opens a complaint; files pass the evidence checks."""

from __future__ import annotations

import pytest
from django.core.management import call_command

from casework.cases import timeline
from casework.intake import mailbox
from casework.models import CustomerMessage, Handback, HandbackKind
from casework.notices.replies import reply_address
from casework.tests.customer_mail import CUSTOMER, customer_email, reply_to, sent_notice
from casework.tests.files import picture
from complaints.admin import ComplaintAdmin
from complaints.models import Complaint, State
from complaints.services.customer_messages import INTAKE_USERNAME
from complaints.tests.factories import complaint_in_state

pytestmark = pytest.mark.django_db


def received_on(case) -> list[CustomerMessage]:
    return list(
        CustomerMessage.objects.filter(object_id=case.pk, direction=CustomerMessage.Direction.INCOMING)
    )


def test_a_reply_fetched_from_the_mailbox_resumes_the_complaint_awaiting_the_customer(
    agent, complaints_mailbox
):
    complaint = complaint_in_state(State.AWAITING_CUSTOMER, agent=agent)
    assert complaint.sla_clock.is_paused
    notice = sent_notice(complaint)
    complaints_mailbox.append(reply_to(notice, "My statement shows the debit twice."))

    call_command("fetch_mail")

    complaint.refresh_from_db()
    assert complaint.state == State.IN_PROGRESS
    assert not complaint.sla_clock.is_paused
    [reply] = received_on(complaint)
    assert (reply.status, reply.channel, reply.address) == ("received", "email", CUSTOMER)
    assert reply.body_text == "My statement shows the debit twice."
    assert Handback.objects.get(holder=agent).kind == HandbackKind.CUSTOMER_REPLIED
    assert complaints_mailbox.unseen() == 0
    entries = timeline.timeline(complaint, ComplaintAdmin.timeline_sources)
    # The notice it answers, then the reply.
    assert [entry.what for entry in entries if entry.kind == "customer message"] == [
        "Acceptance notice by e-mail to l***@example.com",
        "reply by e-mail",
    ]


def test_the_same_mail_fetched_twice_is_filed_once(agent, complaints_mailbox):
    complaint = complaint_in_state(State.AWAITING_CUSTOMER, agent=agent)
    complaints_mailbox.append(reply_to(sent_notice(complaint)))
    assert mailbox.fetch().filed == 1
    # A crash after the filing's commit, before the mail was marked seen.
    complaints_mailbox.mark_all_unseen()

    assert mailbox.fetch().filed == 1

    assert len(received_on(complaint)) == 1
    assert complaints_mailbox.unseen() == 0


def test_a_reply_quoting_our_message_id_finds_its_case_and_tells_the_holder(agent, complaints_mailbox):
    complaint = complaint_in_state(State.IN_PROGRESS, agent=agent)
    notice = sent_notice(complaint)
    complaints_mailbox.append(customer_email("complaints@wallet.example", in_reply_to=notice.message_id))

    mailbox.fetch()

    complaint.refresh_from_db()
    assert complaint.state == State.IN_PROGRESS  # filed, nothing to resume
    assert len(received_on(complaint)) == 1
    assert Handback.objects.filter(holder=agent, kind=HandbackKind.CUSTOMER_REPLIED).count() == 1


def test_a_forged_reply_address_from_an_unknown_sender_opens_a_new_complaint(agent, complaints_mailbox):
    complaint = complaint_in_state(State.AWAITING_CUSTOMER, agent=agent)
    forged = reply_address(sent_notice(complaint).pk).replace("+r.", "+r.9")
    complaints_mailbox.append(
        customer_email(
            forged, "我的账户被冻结了,请帮忙。", sender="zhang.san@example.com", subject="账户冻结"
        )
    )

    mailbox.fetch()

    complaint.refresh_from_db()
    assert complaint.state == State.AWAITING_CUSTOMER
    opened = Complaint.objects.get(customer_email="zhang.san@example.com")
    assert (opened.state, opened.channel, opened.preferred_channel) == ("received", "email", "email")
    assert opened.customer_language == "zh-hans"
    assert opened.assigned_to is None and opened.team.code == "frontline"
    assert opened.registered_by.username == INTAKE_USERNAME
    assert "我的账户被冻结了" in opened.description
    [message] = received_on(opened)
    assert message.kind == "customer_email"
    assert opened.customer_phone == ""  # not known yet: asked for when they are verified
    [note] = opened.notes.all()
    assert "phone is not known yet: ask for it when you verify their identity" in note.body


def test_an_unknown_thread_from_a_known_customer_opens_a_complaint_with_their_phone(
    agent, complaints_mailbox
):
    earlier = complaint_in_state(State.IN_PROGRESS, agent=agent)
    Complaint.objects.filter(pk=earlier.pk).update(customer_email=CUSTOMER)
    complaints_mailbox.append(
        customer_email("complaints@wallet.example", "A new problem.", in_reply_to="<unknown@x>")
    )

    mailbox.fetch()

    opened = Complaint.objects.exclude(pk=earlier.pk).get()
    assert opened.customer_phone == earlier.customer_phone
    assert not opened.notes.exists()


def test_an_attachment_passes_the_evidence_checks_or_is_refused_with_a_note(
    agent, complaints_mailbox, media_root
):
    complaint = complaint_in_state(State.AWAITING_CUSTOMER, agent=agent)
    complaints_mailbox.append(
        reply_to(
            sent_notice(complaint),
            attachments=(
                ("statement.png", "image/png", picture("PNG")),
                ("statement.exe", "application/octet-stream", b"MZ\x90\x00"),
            ),
        )
    )

    mailbox.fetch()

    [attachment] = complaint.attachments.all()
    assert attachment.file.name.endswith(".png")
    [note] = complaint.notes.all()
    assert "'statement.exe' is not an accepted evidence file" in note.body
    assert len(received_on(complaint)) == 1


def test_a_reply_on_a_closed_complaint_is_filed_and_says_it_was_not_reopened(agent, complaints_mailbox):
    complaint = complaint_in_state(State.CLOSED, agent=agent)
    complaints_mailbox.append(reply_to(sent_notice(complaint, kind="decision"), "I am still not happy."))

    mailbox.fetch()

    complaint.refresh_from_db()
    assert complaint.state == State.CLOSED
    assert len(received_on(complaint)) == 1
    [note] = complaint.notes.all()
    assert "was not reopened" in note.body
    assert Handback.objects.filter(holder=agent).exists()


def test_an_automatic_reply_resumes_nothing(agent, complaints_mailbox):
    complaint = complaint_in_state(State.AWAITING_CUSTOMER, agent=agent)
    complaints_mailbox.append(
        reply_to(
            sent_notice(complaint), "I am out of the office.", headers={"Auto-Submitted": "auto-replied"}
        )
    )

    mailbox.fetch()

    complaint.refresh_from_db()
    assert complaint.state == State.AWAITING_CUSTOMER
    [message] = received_on(complaint)
    assert message.kind == "automatic_reply"
