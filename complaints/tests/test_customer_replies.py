"""Staff write to the customer: from a reply template or blank, by SMS or e-mail, sent once
through the outbox and kept exactly as sent; both doors refuse the same input."""

# ruff: noqa: RUF001  (Chinese punctuation in the texts)
from __future__ import annotations

import pytest

from casework.core.errors import InvalidInput, PermissionRefused
from casework.models import ContactOptOut, CustomerMessage, MessageTemplate, TransitionRecord
from casework.tests.admin import act, admin_url, messages_of
from complaints import services
from complaints.models import Complaint, State
from complaints.tests.factories import complaint_in_state, file_complaint, register


@pytest.fixture(autouse=True)
def awake(settings):
    settings.CUSTOMER_QUIET_HOURS = ""


def sent(complaint: Complaint) -> list[CustomerMessage]:
    return list(CustomerMessage.objects.filter(case_reference=complaint.reference, kind="staff_reply"))


def screenshot_template(language: str = "en") -> MessageTemplate:
    template = MessageTemplate(
        purpose=MessageTemplate.Purpose.REPLY,
        code="screenshot",
        title="Ask for a screenshot",
        language=language,
        subject="About {reference}",
        body="Dear {customer_name},\n\nPlease reply with a screenshot of the payment.\n\n{agent_name}",
        sms_body="{reference}: please reply with a screenshot of the payment. {agent_name}",
    )
    template.full_clean()
    template.save()
    return template


def test_an_sms_reply_goes_once_through_the_outbox_and_is_kept_as_sent(agent):
    complaint = complaint_in_state(State.IN_PROGRESS, agent=agent)

    message = services.reply_to_customer(
        complaint=complaint, actor=agent, channel="sms", text="  We found the payment; it is back today.  "
    )

    assert sent(complaint) == [message]
    assert (message.channel, message.address, message.author) == ("sms", complaint.customer_phone, agent)
    assert message.body_text == "We found the payment; it is back today."
    assert message.notification.body == message.body_text and message.notification.channel == "sms"
    step = TransitionRecord.objects.filter(object_id=complaint.pk, transition="reply_to_customer").get()
    assert step.actor == agent and step.data == {"channel": "sms", "template": ""}


def test_an_e_mail_reply_has_a_subject_an_html_part_and_threads_with_the_case(agent):
    complaint = complaint_in_state(State.IN_PROGRESS, agent=agent, customer_email="li.wei@example.com")

    message = services.reply_to_customer(
        complaint=complaint,
        actor=agent,
        channel="email",
        text="First line.\n\nSee https://wallet.example/help",
    )

    assert message.subject == f"About your complaint {complaint.reference}"
    assert "<p>First line.</p>" in message.body_html
    assert '<a href="https://wallet.example/help"' in message.body_html
    assert message.message_id and message.address == "li.wei@example.com"


@pytest.mark.parametrize(
    ("changes", "field", "words"),
    [
        ({"channel": "email"}, "channel", "no e-mail address"),
        ({"channel": "fax"}, "channel", "Choose SMS or e-mail"),
        ({"text": "   "}, "text", "Write what the customer is told"),
        ({"text": "字" * 336}, "text", "At most 335 characters by SMS; this is 336"),
    ],
)
def test_a_reply_that_cannot_go_is_refused_naming_its_field(agent, changes, field, words):
    complaint = complaint_in_state(State.IN_PROGRESS, agent=agent)

    with pytest.raises(InvalidInput) as refused:
        services.reply_to_customer(
            complaint=complaint, actor=agent, **({"channel": "sms", "text": "Hi"} | changes)
        )

    assert refused.value.field == field and words in refused.value.message
    assert sent(complaint) == []


def test_a_customer_known_by_e_mail_only_is_replied_to_by_e_mail_not_sms(agent):
    complaint = complaint_in_state(
        State.IN_PROGRESS,
        agent=agent,
        channel="email",
        customer_phone="",
        customer_email="li.wei@example.com",
    )

    with pytest.raises(InvalidInput) as refused:
        services.reply_to_customer(complaint=complaint, actor=agent, channel="sms", text="Hello")
    message = services.reply_to_customer(complaint=complaint, actor=agent, channel="email", text="Hello")

    assert refused.value.field == "channel" and "reply by e-mail" in refused.value.message
    assert message.address == "li.wei@example.com"


def test_a_partners_customer_and_an_ended_complaint_take_no_reply(agent, partner):
    filed = file_complaint(partner)
    withdrawn = services.withdraw_complaint(complaint=register(agent), actor=agent, reason="Called back")

    assert not services.may_reply(filed) and not services.may_reply(withdrawn)
    with pytest.raises(InvalidInput, match="reply through the partner"):
        services.reply_to_customer(complaint=filed, actor=agent, channel="sms", text="Hello")


def test_an_auditor_may_not_write_to_the_customer(agent, auditor):
    complaint = complaint_in_state(State.IN_PROGRESS, agent=agent)

    with pytest.raises(PermissionRefused):
        services.reply_to_customer(complaint=complaint, actor=auditor, channel="sms", text="Hello")


def test_the_reply_form_opens_from_a_template_filled_for_this_complaint(client, agent):
    agent.first_name = "Wang"
    agent.save()
    complaint = complaint_in_state(State.IN_PROGRESS, agent=agent, customer_language="en")
    template = screenshot_template()
    client.force_login(agent)

    blank = client.get(admin_url(complaint, "step", "reply")).content.decode()
    page = client.get(admin_url(complaint, "step", "reply") + f"?template={template.pk}")

    assert "Ask for a screenshot" in blank and f"?template={template.pk}" in blank
    form = page.context["transition_form"]
    assert (
        form["text"].value() == f"{complaint.reference}: please reply with a screenshot of the payment. Wang"
    )
    assert (form["channel"].value(), form["template_code"].value()) == ("sms", "screenshot")


def test_the_agent_edits_and_sends_and_the_case_says_how_it_went(client, agent):
    complaint = complaint_in_state(State.IN_PROGRESS, agent=agent)
    client.force_login(agent)

    page = act(
        client,
        admin_url(complaint, "step", "reply"),
        channel="sms",
        text="请回复付款截图，谢谢。",
        template_code="screenshot",
    )

    [message] = sent(complaint)
    assert message.body_text == "请回复付款截图，谢谢。" and message.template_code == "screenshot"
    assert page.redirect_chain[-1][0] == admin_url(complaint)
    assert any("reply by SMS, queued" in text for text in messages_of(page))


def test_the_admin_refuses_e_mail_without_an_address_next_to_the_channel_and_keeps_the_text(client, agent):
    complaint = complaint_in_state(State.IN_PROGRESS, agent=agent)
    client.force_login(agent)

    page = act(client, admin_url(complaint, "step", "reply"), channel="email", text="Keep this text")

    form = page.context["transition_form"]
    assert "no e-mail address" in form.errors["channel"][0]
    assert form["text"].value() == "Keep this text"
    assert sent(complaint) == []


def test_a_reply_from_a_page_opened_before_someone_changed_the_case_is_refused(client, agent):
    complaint = complaint_in_state(State.IN_PROGRESS, agent=agent)
    client.force_login(agent)
    url = admin_url(complaint, "step", "reply")
    version = client.get(url).context["transition_form"]["version"].value()
    services.wait_for_customer(complaint=complaint, actor=agent, reason="Asked for the bank statement")

    page = client.post(url, {"version": version, "channel": "sms", "text": "Stale reply"})

    assert "changed by someone else" in page.content.decode()
    assert sent(complaint) == []


def test_a_reply_to_a_customer_who_opted_out_is_kept_and_not_sent(client, agent):
    complaint = complaint_in_state(State.IN_PROGRESS, agent=agent)
    ContactOptOut.objects.create(channel="sms", address=complaint.customer_phone)
    client.force_login(agent)

    page = act(client, admin_url(complaint, "step", "reply"), channel="sms", text="Hello")

    [message] = sent(complaint)
    assert message.status == "suppressed" and message.notification is None
    assert any("the customer opted out" in text for text in messages_of(page))
