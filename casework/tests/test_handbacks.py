"""Hand-backs on complaints: the holder is told when findings return, a partner writes or the
customer replies (a row for My work and one e-mail through the outbox, once), nobody when
nobody holds the case or the holder did it; the holder's page view or next action sees it."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.models import User
from django.urls import reverse
from django.utils import translation

from casework.models import Handback, HandbackKind, Notification
from casework.workspace import handbacks, queues
from complaints import services
from complaints.models import Complaint, State
from complaints.tests.api import notes_url
from complaints.tests.factories import complaint_in_state, file_complaint

FINDINGS = "Duplicate debit; reversal posted"


def _with_email(user: User) -> User:
    user.email = f"{user.username}@wallet.example"
    user.save(update_fields=["email"])
    return user


def _escalated(agent) -> Complaint:
    return complaint_in_state(State.ESCALATED, agent=agent)


def _told(case) -> list[Notification]:
    return list(Notification.objects.filter(kind=handbacks.NOTICE_KIND, object_id=case.pk).order_by("id"))


def test_returned_findings_are_handed_back_to_the_agent_holding_the_complaint(agent, technician):
    _with_email(agent)
    complaint = _escalated(agent)

    services.return_findings(complaint=complaint, actor=technician, findings=FINDINGS)

    [handback] = Handback.objects.all()
    assert (handback.case, handback.holder, handback.kind, handback.seen_at) == (
        complaint,
        agent,
        HandbackKind.FINDINGS_RETURNED,
        None,
    )
    [notice] = _told(complaint)
    assert notice.recipient == agent.email
    assert notice.subject == f"[{complaint.reference}] Findings returned"
    assert f"Findings returned on complaint {complaint.reference}." in notice.body
    assert f"By: {technician.username}" in notice.body
    assert FINDINGS in notice.body
    assert f"{settings.BACKOFFICE_BASE_URL}/admin/complaints/complaint/{complaint.pk}/change/" in notice.body
    assert notice.case_reference == complaint.reference


def test_the_notice_is_written_in_the_deployments_language_whoever_acted(agent, technician):
    _with_email(agent)
    complaint = _escalated(agent)

    with translation.override("zh-hans"):  # the technician works in Chinese
        services.return_findings(complaint=complaint, actor=technician, findings=FINDINGS)

    [notice] = _told(complaint)
    assert notice.subject == f"[{complaint.reference}] Findings returned"


def test_the_same_event_told_again_is_told_once(agent, technician):
    _with_email(agent)
    complaint = _escalated(agent)
    services.return_findings(complaint=complaint, actor=technician, findings=FINDINGS)
    complaint.refresh_from_db()

    # A retry of the telling (a task run again) for the same event: the same version.
    again = handbacks.hand_back(complaint, kind=HandbackKind.FINDINGS_RETURNED, actor=technician)

    assert again == Handback.objects.get()
    assert len(_told(complaint)) == 1


def test_a_holder_without_an_email_address_still_sees_it_on_my_work(agent, technician):
    complaint = _escalated(agent)  # the agent fixture has no address

    services.return_findings(complaint=complaint, actor=technician, findings=FINDINGS)

    assert Handback.objects.get().holder == agent
    assert _told(complaint) == []
    assert queues.counts(agent).handed_back == 1


def test_a_partners_message_through_the_api_is_handed_back_to_the_holder(api, partner, agent):
    _with_email(agent)
    complaint = queues.take(case=file_complaint(partner), actor=agent)

    body = {"body": "The customer sent the receipt."}
    response = api.post(notes_url(complaint.reference), body, format="json")

    assert response.status_code == 201, response.content
    [handback] = Handback.objects.all()
    assert (handback.holder, handback.kind) == (agent, HandbackKind.PARTNER_MESSAGE)
    [notice] = _told(complaint)
    assert "The customer sent the receipt." in notice.body
    assert f"By: {partner.name}" in notice.body


def test_each_message_is_its_own_hand_back(partner, agent):
    complaint = queues.take(case=file_complaint(partner), actor=agent)

    services.add_partner_message(complaint=complaint, actor=partner.user, body="Receipt attached.")
    services.add_partner_message(complaint=complaint, actor=partner.user, body="And the bank statement.")

    assert Handback.objects.filter(holder=agent).count() == 2
    assert queues.counts(agent).handed_back == 1  # one case handed back


def test_nobody_is_told_when_nobody_holds_the_complaint(partner, agent):
    complaint = file_complaint(partner)  # in the frontline's queue, held by nobody

    services.add_partner_message(complaint=complaint, actor=partner.user, body="Receipt attached.")

    assert not Handback.objects.exists()
    assert not Notification.objects.filter(kind=handbacks.NOTICE_KIND).exists()
    # The team sees it where it waits: the unassigned queue.
    assert [row.case for row in queues.team_queue(agent)] == [complaint]


def test_the_holder_recording_the_customers_reply_is_not_told_of_it(agent):
    complaint = complaint_in_state(State.AWAITING_CUSTOMER, agent=agent)

    services.customer_replied(complaint=complaint, actor=agent, reason="Sent the statement")

    assert not Handback.objects.exists()


def test_a_colleague_recording_the_customers_reply_tells_the_holder(agent, supervisor):
    complaint = complaint_in_state(State.AWAITING_CUSTOMER, agent=agent)

    services.customer_replied(complaint=complaint, actor=supervisor, reason="Sent the statement")

    assert Handback.objects.get().kind == HandbackKind.CUSTOMER_REPLIED


# Seen: the holder's page view, or their next step.


def test_the_holders_next_step_sees_what_came_back(agent, technician):
    complaint = _escalated(agent)
    services.return_findings(complaint=complaint, actor=technician, findings=FINDINGS)
    assert queues.counts(agent).handed_back == 1

    services.send_holding_response(complaint=complaint, actor=agent, holding_response="We need a week more.")

    assert Handback.objects.get().seen_at is not None
    assert queues.counts(agent).handed_back == 0


def test_someone_elses_step_leaves_it_unseen(agent, technician, supervisor):
    complaint = _escalated(agent)
    services.return_findings(complaint=complaint, actor=technician, findings=FINDINGS)

    services.send_holding_response(complaint=complaint, actor=supervisor, holding_response="A week more.")

    assert Handback.objects.get().seen_at is None


def test_replying_to_the_partner_sees_the_message(partner, agent):
    complaint = queues.take(case=file_complaint(partner), actor=agent)
    services.add_partner_message(complaint=complaint, actor=partner.user, body="Receipt attached.")
    complaint.refresh_from_db()

    services.reply_to_partner(complaint=complaint, actor=agent, body="Thank you.")

    assert Handback.objects.get().seen_at is not None


def test_the_case_page_shows_it_to_the_holder_once(client, agent, technician):
    complaint = _escalated(agent)
    services.return_findings(complaint=complaint, actor=technician, findings=FINDINGS)
    page = reverse("admin:complaints_complaint_change", args=[complaint.pk])

    client.force_login(technician)
    assert "Handed back to you" not in client.get(page).content.decode()
    assert Handback.objects.get().seen_at is None  # not theirs to see

    client.force_login(agent)
    first = client.get(page).content.decode()
    assert "Handed back to you:" in first
    assert "Findings returned just now" in first
    assert Handback.objects.get().seen_at is not None
    assert "Handed back to you" not in client.get(page).content.decode()


def test_the_case_page_says_it_in_chinese(client, agent, technician):
    complaint = _escalated(agent)
    services.return_findings(complaint=complaint, actor=technician, findings=FINDINGS)
    client.force_login(agent)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "zh-hans"

    page = client.get(reverse("admin:complaints_complaint_change", args=[complaint.pk])).content.decode()

    assert "转回给您：" in page and "核查结果已返回（刚刚）" in page  # noqa: RUF001


# My work.


def test_my_work_counts_and_marks_the_case_handed_back(client, agent, technician):
    complaint = _escalated(agent)
    quiet = complaint_in_state(State.IN_PROGRESS, agent=agent)
    services.return_findings(complaint=complaint, actor=technician, findings=FINDINGS)

    rows = {row.case.pk: row.handed_back for row in queues.my_cases(agent)}
    assert rows == {complaint.pk: "Findings returned", quiet.pk: ""}
    client.force_login(agent)
    page = client.get(reverse("admin-my-work")).content.decode()
    assert "<strong>1</strong> handed back to me" in page
    assert '<span class="handback-badge">Findings returned</span>' in page

    client.get(reverse("admin:complaints_complaint_change", args=[complaint.pk]))

    page = client.get(reverse("admin-my-work")).content.decode()
    assert "<strong>0</strong> handed back to me" in page
    assert "handback-badge" not in page


def test_a_case_handed_back_then_reassigned_leaves_my_count(agent, other_agent, technician, supervisor):
    complaint = _escalated(agent)
    services.return_findings(complaint=complaint, actor=technician, findings=FINDINGS)

    services.assign_complaint(complaint=complaint, actor=supervisor, assigned_to=other_agent, reason="Leave")

    assert queues.counts(agent).handed_back == 0
    assert queues.counts(other_agent).handed_back == 0  # nothing came back to them
