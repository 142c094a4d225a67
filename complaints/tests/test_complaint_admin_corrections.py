"""The admin's step "Correct category, priority or channel": offered only to who may take
it, prefilled, refusals next to the field with nothing typed lost, and the correction on
the header, the timeline and the History page, in English and in Chinese."""

from __future__ import annotations

import pytest
from django.utils import timezone

from casework.tests.admin import admin_url, forbidden, messages_of, visible_text
from complaints.models import Complaint, State
from complaints.tests.factories import complaint_in_state, register

STEP = "Correct category, priority or channel"
REASON = "The caller asked about a refund that never came, not a failed payment."


def step_url(complaint: Complaint) -> str:
    return admin_url(complaint, "step", "correct")


def step_form(client, complaint: Complaint):
    page = client.get(step_url(complaint))
    assert page.status_code == 200, messages_of(page)
    return page.context["transition_form"]


def post(client, complaint: Complaint, **changes):
    form = step_form(client, complaint)
    data = {name: form[name].value() for name in ("version", "category", "priority", "channel")}
    return client.post(step_url(complaint), {**data, "reason": REASON, **changes}, follow=True)


def offers_the_step(client, complaint: Complaint) -> bool:
    return STEP in visible_text(client.get(admin_url(complaint)))


def test_the_step_is_offered_to_a_supervisor_and_to_the_holder_before_acceptance(
    client, agent, other_agent, supervisor
):
    received = register(agent)
    accepted = complaint_in_state(State.ACCEPTED, agent=agent)
    client.force_login(supervisor)
    assert offers_the_step(client, received) and offers_the_step(client, accepted)
    client.force_login(agent)
    assert offers_the_step(client, received)
    assert not offers_the_step(client, accepted)
    client.force_login(other_agent)
    assert not offers_the_step(client, received)


def test_who_may_not_correct_gets_no_form_and_their_post_changes_nothing(client, agent, other_agent):
    complaint = register(agent)
    client.force_login(other_agent)
    assert "You do not have permission" in forbidden(client.get(step_url(complaint)))
    response = client.post(
        step_url(complaint), {"version": complaint.version, "category": "refund", "reason": REASON}
    )
    forbidden(response)
    assert Complaint.objects.get(pk=complaint.pk).category == "transaction"


def test_the_form_opens_with_the_values_the_complaint_has(client, agent, supervisor):
    complaint = register(agent, priority="high", channel="chat")
    client.force_login(supervisor)
    form = step_form(client, complaint)
    assert (form["category"].value(), form["priority"].value(), form["channel"].value()) == (
        "transaction",
        "high",
        "chat",
    )
    assert form.fields["reason"].required


def test_a_supervisor_corrects_and_sees_it_on_the_case_page(client, agent, supervisor):
    complaint = register(agent)
    client.force_login(supervisor)

    response = post(client, complaint, category="refund", priority="urgent")

    assert response.redirect_chain[-1][0] == admin_url(complaint)
    complaint = Complaint.objects.get(pk=complaint.pk)
    assert (complaint.category, complaint.priority) == ("refund", "urgent")
    assert complaint.sla_clock.policy.priority == "urgent"
    due = timezone.localtime(complaint.sla_clock.resolution_due_at)
    assert messages_of(response) == [
        f"{complaint.reference} corrected: refund not processed, urgent priority, by phone hotline; "
        f"resolution due {due:%Y-%m-%d %H:%M}."
    ]
    text = visible_text(response)
    assert "Category: refund not processed" in text and "Priority: urgent" in text
    assert (
        "Category changed from transaction failed or abnormal to refund not processed; "
        "Priority changed from normal to urgent"
    ) in text
    assert REASON in text
    history = visible_text(client.get(admin_url(complaint, "history")))
    assert "refund not processed" in history and REASON in history


def test_an_empty_reason_is_refused_next_to_it_and_the_choices_stay(client, agent, supervisor):
    complaint = register(agent)
    client.force_login(supervisor)

    response = post(client, complaint, category="refund", priority="high", reason="  ")

    form = response.context["transition_form"]
    assert list(form.errors) == ["reason"]
    assert (form["category"].value(), form["priority"].value()) == ("refund", "high")
    assert Complaint.objects.get(pk=complaint.pk).category == "transaction"


def test_no_change_is_refused_on_the_category_and_the_reason_stays(client, agent, supervisor):
    complaint = register(agent)
    client.force_login(supervisor)

    response = post(client, complaint)

    form = response.context["transition_form"]
    assert form.errors["category"] == [
        "Nothing to correct: choose another category, priority or channel than the complaint has."
    ]
    assert form["reason"].value() == REASON


def test_a_category_whose_details_are_missing_is_refused_on_the_category(client, agent, supervisor):
    complaint = register(agent, category="other", transaction_reference="", amount=None, merchant="")
    client.force_login(supervisor)

    response = post(client, complaint, category="refund")

    form = response.context["transition_form"]
    assert "needs its transaction reference, amount, merchant" in form.errors["category"][0]
    assert (form["category"].value(), form["reason"].value()) == ("refund", REASON)
    assert Complaint.objects.get(pk=complaint.pk).category == "other"


def test_a_page_opened_before_someone_else_changed_the_case_is_refused(client, agent, supervisor):
    complaint = register(agent)
    client.force_login(supervisor)
    form = step_form(client, complaint)
    data = {name: form[name].value() for name in ("version", "priority", "channel")}
    client.force_login(agent)
    post(client, complaint, priority="high")  # the holder corrects it first

    client.force_login(supervisor)
    response = client.post(step_url(complaint), {**data, "category": "refund", "reason": REASON}, follow=True)

    assert "changed by someone else" in response.content.decode()
    complaint = Complaint.objects.get(pk=complaint.pk)
    assert (complaint.category, complaint.priority) == ("transaction", "high")


@pytest.mark.parametrize("page", ["step", "case"])
def test_the_correction_reads_in_chinese(chinese_admin, agent, page):
    complaint = register(agent)
    post(chinese_admin, complaint, category="refund")
    url = step_url(complaint) if page == "step" else admin_url(complaint)
    text = visible_text(chinese_admin.get(url))
    if page == "step":
        assert "更正类别、优先级或渠道" in text and "更正原因" in text
        assert "Why it is corrected" not in text
    else:
        assert "类别由“交易失败或异常”改为“退款未处理”" in text
        assert "类别： 退款未处理" in text  # noqa: RUF001 (the Chinese colon)
        assert "changed from" not in text
