"""The staff door to refund cases, driven through the test client as a logged-in user:
every transition button, the refusals (the reason shown, nothing written) and the steps.
The changelist and the readers, opening a case, and four eyes have their own
``test_refund_admin_*.py`` modules; fixtures for the desk and the payments system are in
this package's conftest."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from casework.models import Notification, TransitionRecord
from casework.tests import files
from casework.tests.admin import act, admin_url, forbidden, messages_of
from refunds import services
from refunds.models import InstructionStatus, PaymentInstruction, RefundCase, RefundEvidence, RefundState
from refunds.tests.admin import unchanged
from refunds.tests.factories import PNG, open_refund, refund_in_state

pytestmark = pytest.mark.usefixtures("media_root")


# Every transition button, through the admin.


def test_a_refund_through_every_button_until_it_is_paid(client, agent, refunds_desk, payments_system):
    case = open_refund(agent)
    client.force_login(refunds_desk)
    page = client.get(admin_url(case)).content.decode()
    assert admin_url(case, "transition", "start_review") in page
    assert admin_url(case, "step", "add-evidence") in page

    response = act(client, admin_url(case, "transition", "start_review"), reason="Mine")
    assert f"{case}: start review done; it is now under review." in messages_of(response)

    response = act(
        client, admin_url(case, "transition", "request_evidence"), what="The merchant's cancellation e-mail"
    )
    assert f"{case}: request evidence done; it is now awaiting evidence." in messages_of(response)
    case.refresh_from_db()
    assert case.evidence_requested == "The merchant's cancellation e-mail"
    assert case.sla_clock.is_paused
    assert "paused: waiting on the customer" in client.get(admin_url(case)).content.decode()

    response = act(client, admin_url(case, "transition", "evidence_received"), reason="Came by post")
    assert f"{case}: evidence received done; it is now under review." in messages_of(response)

    approve = admin_url(case, "transition", "approve")
    assert "Approve" in client.get(admin_url(case)).content.decode()
    form = client.get(approve).context["transition_form"]
    assert form["amount"].value() == Decimal("300.00")  # what was asked, as CNY is written
    response = act(client, approve, amount="250.00", reason="Delivery fee is the merchant's to keep")
    assert f"{case}: approve done; it is now approved." in messages_of(response)
    case.refresh_from_db()
    assert (case.approved_amount, case.approved_by) == (Decimal("250.00"), refunds_desk)

    response = act(client, admin_url(case, "transition", "submit_to_payments"))
    assert f"{case}: submit to payments done; it is now processing." in messages_of(response)
    first = PaymentInstruction.objects.get(case=case)
    assert (first.attempt, first.amount, first.status) == (1, Decimal("250.00"), InstructionStatus.SENT)
    notice = Notification.objects.get(idempotency_key=first.idempotency_key)
    assert notice.channel == Notification.Channel.WEBHOOK

    services.report_settlement(
        idempotency_key=first.idempotency_key,
        actor=payments_system,
        outcome="failed",
        error="Beneficiary account closed",
    )
    page = client.get(admin_url(case)).content.decode()
    assert "Beneficiary account closed" in page and first.idempotency_key in page
    response = act(client, admin_url(case, "transition", "retry"))
    assert f"{case}: retry payment done; it is now processing." in messages_of(response)
    second = PaymentInstruction.objects.get(case=case, attempt=2)

    services.report_settlement(
        idempotency_key=second.idempotency_key,
        actor=payments_system,
        outcome="settled",
        processor_reference="PSP-778899",
    )
    case.refresh_from_db()
    assert case.state == RefundState.REFUNDED
    page = client.get(admin_url(case)).content.decode()
    for shown in ("PSP-778899", "CNY 250.00", second.idempotency_key, "settled"):
        assert shown in page, shown
    assert "/transition/" not in page and "/step/" not in page  # nothing left to do
    trail = list(
        TransitionRecord.objects.filter(case_reference=case.reference)
        .order_by("id")
        .values_list("transition", "actor_label")
    )
    assert trail == [
        ("open", "agent.wang"),
        ("start_review", "refunds.zhou"),
        ("request_evidence", "refunds.zhou"),
        ("evidence_received", "refunds.zhou"),
        ("approve", "refunds.zhou"),
        ("submit_to_payments", "refunds.zhou"),
        ("fail", "partner:payments"),
        ("retry", "refunds.zhou"),
        ("settle", "partner:payments"),
    ]


def test_a_rejection_needs_its_reason_and_a_cancellation_takes_one(client, agent, refunds_desk):
    rejected = refund_in_state(RefundState.UNDER_REVIEW, agent=agent, desk=refunds_desk)
    cancelled = refund_in_state(RefundState.APPROVED, agent=agent, desk=refunds_desk)
    client.force_login(refunds_desk)

    url = admin_url(rejected, "transition", "reject")
    assert act(client, url).context["transition_form"].errors["reason"] == ["This field is required."]
    response = act(client, url, reason="Delivered and signed for on 21 November.")
    assert f"{rejected}: reject done; it is now rejected." in messages_of(response)
    rejected.refresh_from_db()
    assert rejected.rejection_reason == "Delivered and signed for on 21 November."
    assert rejected.sla_clock.stopped_at is not None

    response = act(client, admin_url(cancelled, "transition", "cancel"), reason="Merchant paid it back")
    assert f"{cancelled}: cancel done; it is now cancelled." in messages_of(response)
    record = TransitionRecord.objects.filter(case_reference=cancelled.reference).latest("id")
    assert (record.transition, record.reason) == ("cancel", "Merchant paid it back")


# Refusals: the reason shown, nothing written.


@pytest.mark.parametrize(
    ("amount", "message"),
    [
        ("400.00", "CNY 400.00 is more than the customer asked for (CNY 300.00)."),
        ("120.005", "CNY has 2 decimal places; 120.005 has more."),
        ("0", "The amount must be more than zero."),
    ],
)
def test_a_wrong_approval_amount_is_a_field_error_and_changes_nothing(
    client, agent, refunds_desk, amount, message
):
    case = refund_in_state(RefundState.UNDER_REVIEW, agent=agent, desk=refunds_desk)
    before = unchanged(case)
    client.force_login(refunds_desk)
    response = act(client, admin_url(case, "transition", "approve"), amount=amount)
    assert response.status_code == 200
    assert response.context["transition_form"].errors["amount"] == [message]
    assert message not in messages_of(response)  # beside the field only, not said twice at the top
    assert unchanged(case) == before


def test_a_transition_from_the_wrong_state_is_refused_with_the_reason(client, agent, refunds_desk):
    case = refund_in_state(RefundState.APPROVED, agent=agent, desk=refunds_desk)
    before = unchanged(case)
    client.force_login(refunds_desk)
    url = admin_url(case, "transition", "reject")
    assert "Cannot reject this refund case: it is approved." in messages_of(client.get(url, follow=True))
    response = client.post(url, {"version": case.version, "reason": "Changed my mind"}, follow=True)
    assert response.redirect_chain[-1][0] == admin_url(case)
    assert "Cannot reject this refund case: it is approved." in messages_of(response)
    assert unchanged(case) == before


def test_posting_a_transition_by_hand_without_permission_is_refused(client, agent, refunds_desk):
    case = refund_in_state(RefundState.UNDER_REVIEW, agent=agent, desk=refunds_desk)
    before = unchanged(case)
    client.force_login(agent)  # opens and cancels refunds; reviews and approves none
    page = client.get(admin_url(case)).content.decode()
    assert admin_url(case, "transition", "approve") not in page
    assert admin_url(case, "transition", "request_evidence") not in page
    assert admin_url(case, "transition", "cancel") in page

    for name, data, refusal in (
        ("approve", {"reason": "Fine"}, "You do not have permission to approve refunds."),
        (
            "request_evidence",
            {"what": "A receipt"},
            "You do not have permission to request evidence on this refund case.",
        ),
        ("reject", {"reason": "No"}, "You do not have permission to reject this refund case."),
    ):
        response = client.post(admin_url(case, "transition", name), {"version": case.version, **data})
        assert refusal in forbidden(response), name
    assert "You do not have permission to approve refunds." in forbidden(
        client.get(admin_url(case, "transition", "approve"))
    )
    response = client.post(
        admin_url(case, "step", "assign-handler"),
        {"version": case.version, "handler": refunds_desk.pk},
    )
    assert "You do not have permission to assign handler on this refund case." in forbidden(response)
    assert unchanged(case) == before


def test_a_stale_page_is_refused_and_overwrites_nothing(client, agent, refunds_desk, other_refunds_desk):
    case = refund_in_state(RefundState.UNDER_REVIEW, agent=agent, desk=refunds_desk)
    client.force_login(refunds_desk)
    url = admin_url(case, "transition", "request_evidence")
    seen = client.get(url).context["transition_form"]["version"].value()

    # Meanwhile a colleague takes the case over.
    services.assign_handler(
        case=RefundCase.objects.get(pk=case.pk),
        actor=other_refunds_desk,
        handler=other_refunds_desk,
        reason="Taking it over",
    )
    before = unchanged(case)
    stale = f"{case} was changed by someone else after you opened it; reload and try again."
    # Each form comes back with its input and the case as it is now, refused at the top.
    response = client.post(url, {"version": seen, "what": "A receipt"})
    assert stale in response.context["transition_form"].non_field_errors()
    assert response.context["transition_form"]["what"].value() == "A receipt"
    response = client.post(
        admin_url(case, "step", "add-evidence"),
        {"version": seen, "kind": "payment_voucher", "file": files.upload("voucher.png", PNG)},
    )
    assert stale in response.context["transition_form"].non_field_errors()
    assert response.context["transition_form"]["kind"].value() == "payment_voucher"
    assert unchanged(case) == before
    case.refresh_from_db()
    assert (case.handler, case.evidence_requested) == (other_refunds_desk, "")
    assert not RefundEvidence.objects.exists()


# Steps: the handler and the evidence.


def test_the_desk_assigns_a_handler(client, agent, refunds_desk, other_refunds_desk):
    case = open_refund(agent)
    client.force_login(refunds_desk)
    form = client.get(admin_url(case, "step", "assign-handler")).context["transition_form"]
    assert set(form.fields["handler"].queryset) == {refunds_desk, other_refunds_desk}  # not the agent
    response = act(
        client,
        admin_url(case, "step", "assign-handler"),
        handler=other_refunds_desk.pk,
        reason="Tea merchants",
    )
    assert f"{case}: assign handler done." in messages_of(response)
    case.refresh_from_db()
    assert case.handler == other_refunds_desk
    record = TransitionRecord.objects.filter(case_reference=case.reference).latest("id")
    assert (record.transition, record.reason) == ("assign", "Tea merchants")


def test_evidence_added_to_a_waiting_case_resumes_the_review(client, agent, refunds_desk, media_root):
    case = refund_in_state(RefundState.AWAITING_EVIDENCE, agent=agent, desk=refunds_desk)
    client.force_login(agent)
    response = act(
        client,
        admin_url(case, "step", "add-evidence"),
        kind="payment_voucher",
        file=SimpleUploadedFile("voucher.png", PNG, content_type="image/png"),
        note="Bank statement line",
    )
    evidence = RefundEvidence.objects.get()
    assert f"{case}: added payment voucher: voucher.png; it is now under review." in messages_of(response)
    # In a folder of its own nobody can guess: the case's reference does not find it.
    assert re.fullmatch(rf"refunds/{case.reference}/[0-9a-f]{{24}}/voucher\.png", evidence.file.name)
    assert evidence.file.read() == PNG
    assert evidence.uploaded_by == agent
    assert evidence.file.url in response.content.decode()  # the inline links it
    case.refresh_from_db()
    assert case.state == RefundState.UNDER_REVIEW and not case.sla_clock.is_paused


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        (
            "voucher.exe",
            b"MZ\x90\x00" + bytes(60),
            "'voucher.exe' is not an accepted evidence file; send one of: pdf, jpg, jpeg, png.",
        ),
        ("voucher.png", b"MZ\x90\x00" + bytes(60), "'voucher.png' is not really a PNG file."),
        ("voucher.png", PNG + bytes(2048), "'voucher.png' is larger than the 1 KB limit."),
    ],
)
def test_a_bad_evidence_file_is_a_field_error_and_nothing_is_written(
    client, agent, refunds_desk, media_root, settings, name, content, message
):
    settings.EVIDENCE_MAX_BYTES = 1024
    case = refund_in_state(RefundState.AWAITING_EVIDENCE, agent=agent, desk=refunds_desk)
    before = unchanged(case)
    client.force_login(agent)
    response = act(
        client,
        admin_url(case, "step", "add-evidence"),
        kind="proof_of_goods",
        file=files.upload(name, content),
    )
    assert response.status_code == 200  # the form again, the refusal on the file
    assert response.context["transition_form"].errors["file"] == [message]
    assert not RefundEvidence.objects.exists()
    assert unchanged(case) == before
    assert not any(media_root.iterdir())


def test_evidence_is_not_added_after_the_decision(client, agent, refunds_desk):
    case = refund_in_state(RefundState.APPROVED, agent=agent, desk=refunds_desk)
    client.force_login(agent)
    assert admin_url(case, "step", "add-evidence") not in client.get(admin_url(case)).content.decode()
    response = client.post(
        admin_url(case, "step", "add-evidence"),
        {"version": case.version, "kind": "other", "file": files.upload("late.png", PNG)},
        follow=True,
    )
    assert f"Evidence is added before the decision; {case} is approved." in messages_of(response)
    assert not RefundEvidence.objects.exists()
