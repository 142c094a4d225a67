"""Notes, attachments and messages with the partner through the admin: signed by the user,
and, unlike notes, messages are read by the partner."""

from __future__ import annotations

import re

from django.core.files.uploadedfile import SimpleUploadedFile

from casework.tests.admin import admin_url
from casework.tests.files import PNG
from complaints import services
from complaints.models import ComplaintAttachment, ComplaintNote, State
from complaints.tests.admin import open_change_form
from complaints.tests.factories import complaint_in_state, register

# Notes and attachments.


def test_a_note_added_inline_is_signed_by_the_user(client, agent):
    complaint = register(agent)
    client.force_login(agent)
    data = open_change_form(client, complaint)
    response = client.post(
        admin_url(complaint), {**data, "notes-TOTAL_FORMS": "1", "notes-0-body": "Customer called again."}
    )
    assert response.status_code == 302
    note = ComplaintNote.objects.get()
    assert (note.complaint, note.author, note.body) == (complaint, agent, "Customer called again.")


def test_an_attachment_added_inline_is_signed_by_the_user(client, agent, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    complaint = register(agent)
    client.force_login(agent)
    data = open_change_form(client, complaint)
    voucher = SimpleUploadedFile("voucher.png", PNG, content_type="image/png")
    response = client.post(
        admin_url(complaint),
        {
            **data,
            "attachments-TOTAL_FORMS": "1",
            "attachments-0-file": voucher,
            "attachments-0-description": "Payment voucher",
        },
    )
    assert response.status_code == 302
    attachment = ComplaintAttachment.objects.get()
    assert (attachment.uploaded_by, attachment.description) == (agent, "Payment voucher")
    stored_as = rf"complaints/{complaint.reference}/[0-9a-f]{{24}}/voucher\.png"  # a folder nobody guesses
    assert re.fullmatch(stored_as, attachment.file.name)
    assert attachment.history.get().history_user == agent


def test_a_reader_with_note_permission_adds_notes_from_the_button(client, agent, technician):
    complaint = complaint_in_state(State.ESCALATED, agent=agent)
    client.force_login(technician)
    client.post(admin_url(complaint, "step", "add-note"), {"body": "Looking at the ledger now."})
    assert ComplaintNote.objects.get().author == technician


# Messages with the partner: the partner reads them, unlike notes.


def test_staff_reply_to_the_partner_inline_and_the_partner_reads_it(client, agent, partner):
    from casework.tests.api import client_for
    from complaints.models import PartnerMessage
    from complaints.tests.factories import file_complaint

    complaint = file_complaint(partner)
    services.add_partner_message(complaint=complaint, actor=partner.user, body="The customer sent a receipt.")
    client.force_login(agent)
    data = open_change_form(client, complaint)

    # Form 0 is the partner's message, shown read-only; form 1 is the reply.
    response = client.post(
        admin_url(complaint),
        {**data, "partner_messages-TOTAL_FORMS": "2", "partner_messages-1-body": "Thank you, received."},
    )

    assert response.status_code == 302
    reply = PartnerMessage.objects.get(is_from_partner=False)
    assert (reply.complaint, reply.author, reply.body) == (complaint, agent, "Thank you, received.")
    assert reply.history.get().history_user == agent
    read = client_for(partner).get(f"/api/v1/complaints/{complaint.reference}/notes/").json()["results"]
    assert [(message["sent_by"], message["body"]) for message in read] == [
        ("you", "The customer sent a receipt."),
        ("back office", "Thank you, received."),
    ]


def test_a_complaint_no_partner_filed_has_no_messages_inline(client, agent):
    complaint = register(agent)
    client.force_login(agent)

    response = client.get(admin_url(complaint))

    prefixes = [inline.formset.prefix for inline in response.context["inline_admin_formsets"]]
    assert "partner_messages" not in prefixes
    assert "notes" in prefixes


def test_an_ended_complaint_shows_its_messages_but_takes_no_reply(client, agent, partner):
    from complaints.tests.factories import file_complaint

    complaint = file_complaint(partner)
    services.add_partner_message(complaint=complaint, actor=partner.user, body="Any news?")
    services.withdraw_complaint(complaint=complaint, actor=partner.user)
    client.force_login(agent)

    response = client.get(admin_url(complaint))

    inline = next(
        inline
        for inline in response.context["inline_admin_formsets"]
        if inline.formset.prefix == "partner_messages"
    )
    assert len(inline.formset.initial_forms) == 1
    assert inline.formset.extra_forms == []
