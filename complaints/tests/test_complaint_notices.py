"""The notices a complaint's customer is sent without anyone remembering to: acceptance,
extension and decision, each once, in the customer's language, on their channel; and the
contact rule both doors share (preferring e-mail needs an address)."""

from __future__ import annotations

import re

import pytest
from django.utils import timezone

from casework.core.errors import InvalidInput
from casework.models import CustomerMessage
from casework.notices import customers, outbox
from complaints import services
from complaints.models import Complaint
from complaints.services import customer_notices
from complaints.survey import links
from complaints.tests.factories import CLASSIFIED, REFUNDED, register


@pytest.fixture(autouse=True)
def awake(settings):
    settings.CUSTOMER_QUIET_HOURS = ""


def verified(agent, **contact) -> Complaint:
    complaint = register(agent, customer_name="李伟", **contact)
    return services.verify_identity(complaint=complaint, actor=agent, method="callback")


def messages(complaint: Complaint) -> list[CustomerMessage]:
    return list(CustomerMessage.objects.filter(case_reference=complaint.reference))


def in_chinese(date) -> str:
    return f"{date.year}年{date.month}月{date.day}日"


def test_acceptance_tells_the_reference_the_deadline_and_how_to_reach_us(agent, settings):
    settings.CUSTOMER_HOTLINE = "95017"
    complaint = services.accept_complaint(complaint=verified(agent), actor=agent)

    [message] = messages(complaint)
    deadline = customers.local_date(complaint.sla_clock.resolution_due_at)
    assert message.kind == "acceptance" and message.language == "zh-hans"
    assert message.body_text == (
        f"您的投诉{complaint.reference}已受理，我们将于{in_chinese(deadline)}前答复。咨询请致电95017。"  # noqa: RUF001 (Chinese punctuation)
    )
    assert len(message.body_text) <= 70


def test_acceptance_by_e_mail_in_english_says_what_happens_next(agent):
    complaint = verified(
        agent, customer_email="li.wei@example.com", preferred_channel="email", customer_language="en"
    )
    services.accept_complaint(complaint=complaint, actor=agent)

    [message] = messages(complaint)
    deadline = customers.local_date(complaint.sla_clock.resolution_due_at)
    assert message.subject == f"Your complaint {complaint.reference} is accepted"
    assert "Dear 李伟," in message.body_text
    assert f"give you our answer by {deadline:%-d %B %Y} at the latest" in message.body_text
    assert "Call us on 95017" in message.body_text
    assert (
        f"<p>We have accepted your complaint. Its reference is {complaint.reference}.</p>"
        in message.body_html
    )


def test_the_extension_is_told_only_after_the_holding_response_with_its_reason_and_new_deadline(
    holding_reply_regime, agent
):
    complaint = services.accept_complaint(complaint=verified(agent), actor=agent)
    before = customers.local_date(complaint.sla_clock.resolution_due_at)
    services.start_complaint(complaint=complaint, actor=agent)
    assert [m.kind for m in messages(complaint)] == ["acceptance"]

    services.send_holding_response(complaint=complaint, actor=agent, holding_response="需商户收单行核查")

    _acceptance, extension = messages(complaint)
    after = customers.local_date(complaint.sla_clock.resolution_due_at)
    assert after > before
    assert extension.kind == "extension"
    assert (
        extension.body_text
        == f"投诉{complaint.reference}需延长至{in_chinese(after)}前答复。原因：需商户收单行核查"  # noqa: RUF001 (Chinese punctuation)
    )


def test_the_decision_says_the_outcome_and_where_to_go_if_not_satisfied(agent):
    complaint = services.accept_complaint(complaint=verified(agent, customer_language="en"), actor=agent)

    services.resolve_complaint(
        **REFUNDED,
        complaint=complaint,
        actor=agent,
        code="refunded",
        summary="The 88.00 CNY went back to your balance.",
    )

    decision = messages(complaint)[-1]
    assert decision.kind == "decision" and decision.channel == "sms"
    complaint.refresh_from_db()
    assert decision.body_text == (
        f"Complaint {complaint.reference} decided: refunded or credited. Not satisfied? Call 95017, or the "
        f"regulator: the People's Bank of China's consumer hotline 12363. Rate us: "
        f"{customer_notices.survey_url(complaint)}"
    )
    rendered = customer_notices.customers.texts.render_notice(
        "decision",
        customer_notices.shared_context()
        | {"reference": complaint.reference, "contact": customer_notices.customer_contact(complaint)}
        | {"outcome": "refunded or credited", "summary": complaint.resolution_summary},
        "en",
    )
    assert "The 88.00 CNY went back to your balance." in rendered.text
    assert "tell us within 14 days and we will look at it again" in rendered.text


def test_the_decision_names_the_regulators_channel_and_links_the_survey(agent, settings):
    settings.CUSTOMER_REGULATOR_CHANNEL = "金融消费者投诉热线 12378"
    settings.PUBLIC_BASE_URL = "https://wallet.example"
    complaint = services.accept_complaint(complaint=verified(agent), actor=agent)

    services.resolve_complaint(
        **CLASSIFIED, complaint=complaint, actor=agent, code="explained", summary="已向客户解释"
    )

    decision = messages(complaint)[-1]
    assert "金融消费者投诉热线 12378" in decision.body_text
    [link] = re.findall(r"https://\S+", decision.body_text)
    assert link.startswith(f"https://wallet.example/survey/{complaint.reference}.")
    complaint.refresh_from_db()
    assert links.reference_from_token(link.rstrip("/").rsplit("/", 1)[1]) == complaint.reference


def test_a_first_contact_resolution_sends_the_decision_alone(agent):
    complaint = services.register_and_resolve(
        actor=agent,
        verification_method="callback",
        code="explained",
        summary="Told the caller the payment was reversed within the hour.",
        product="P01",
        root_cause="R05",
        outcome="not_upheld",
        channel="phone",
        category="other",
        customer_name="Li Wei",
        customer_phone="13800138000",
        description="Asked why a payment showed twice.",
    )

    assert [m.kind for m in messages(complaint)] == ["decision"]


def test_each_notice_goes_out_once_per_event(agent):
    complaint = services.accept_complaint(complaint=verified(agent), actor=agent)
    services.resolve_complaint(
        **CLASSIFIED, complaint=complaint, actor=agent, code="explained", summary="Explained"
    )
    customer_notices.tell_decided(complaint, actor=agent)  # the same event, told again

    due = outbox.due_for_retry(timezone.now() + outbox.FIRST_RETRY_AFTER)
    assert [outbox.deliver(pk) for pk in due] == [True, True]
    services.reopen_complaint(complaint=complaint, actor=agent, reason="Customer disagrees")
    services.resolve_complaint(
        **CLASSIFIED, complaint=complaint, actor=agent, code="corrected", summary="Corrected"
    )

    assert [m.kind for m in messages(complaint)] == [
        "acceptance",
        "decision",
        "decision",
    ]  # a second decision


def test_preferring_e_mail_without_an_address_is_refused_naming_the_field(agent):
    with pytest.raises(InvalidInput) as refused:
        register(agent, preferred_channel="email")

    assert refused.value.field == "customer_email"
    assert "Give the customer's e-mail address, or choose SMS" in str(refused.value)
    assert not Complaint.objects.exists()


def test_a_rejected_or_withdrawn_complaint_sends_no_decision_notice(agent):
    rejected = register(agent)
    services.reject_complaint(complaint=rejected, actor=agent, reason="Duplicate of an open complaint")

    assert messages(rejected) == []


def test_every_chinese_sms_says_its_words_in_70_characters_with_its_reference_and_date(
    holding_reply_regime, agent
):
    complaint = services.accept_complaint(complaint=verified(agent), actor=agent)
    services.send_holding_response(complaint=complaint, actor=agent, holding_response="需商户收单行核查交易")
    services.resolve_complaint(
        **CLASSIFIED, complaint=complaint, actor=agent, code="explained", summary="已向客户解释"
    )

    deadline = in_chinese(customers.local_date(complaint.sla_clock.resolution_due_at))
    # The decision's survey link comes after its words, in a part of its own.
    told = {message.kind: message.body_text.split(" 评价：")[0] for message in messages(complaint)}  # noqa: RUF001
    assert {kind: len(text) <= 70 for kind, text in told.items()} == dict.fromkeys(told, True), told
    assert all(complaint.reference in text for text in told.values())
    assert deadline in told["extension"] and "12363" in told["decision"]
