"""The staff door to extensions (``complaints.extension_steps``): the request form says what
it asks for, refuses what the service refuses in the service's words next to the field, a
waiting request shows on the complaint's page with Approve and Refuse for a supervisor who
did not ask, and a stale page is refused, never written over."""

from __future__ import annotations

import datetime as dt

import pytest

from casework.access import roles
from casework.core.errors import InvalidInput
from casework.models import ExtensionRequest, ExtensionState
from casework.sla.regimes import deployment_regime, regime_by_code
from casework.tests.admin import admin_url, messages_of
from casework.tests.users import make_user
from complaints import services
from complaints.tests.regimes import DAY_60, REASON, fresh, received_complaint


def step_labels(client, complaint) -> list[str]:
    page = client.get(admin_url(complaint))
    assert page.status_code == 200
    return [step["label"] for step in page.context["case_steps"]]


def posted(client, complaint, slug: str, **data):
    return client.post(admin_url(complaint, "step", slug), {"version": fresh(complaint).version, **data})


def test_the_request_form_says_which_tier_it_asks_for_and_what_it_needs(client, agent):
    complaint = received_complaint(agent, deployment_regime())
    client.force_login(agent)

    page = client.get(admin_url(complaint, "step", "request-extension"))

    assert page.status_code == 200
    help_text = page.context["transition"]["help_text"]
    assert "to 60 days (civil-law count) from receipt" in help_text
    assert "needs the complaint-handling lead's approval" in help_text
    assert "reason" in page.context["transition_form"].fields


def test_a_missing_reason_is_refused_next_to_the_field_in_the_services_words(client, agent):
    complaint = received_complaint(agent, deployment_regime())
    client.force_login(agent)

    response = posted(client, complaint, "request-extension", reason="")
    with pytest.raises(InvalidInput) as refused:
        services.request_extension(complaint=complaint, actor=agent, reason="")

    assert response.status_code == 200
    assert response.context["transition_form"].errors["reason"] == [refused.value.message]
    assert not ExtensionRequest.objects.exists()


def test_a_regime_without_an_extension_is_refused_the_same_by_the_form_and_the_service(client, agent):
    complaint = received_complaint(agent, regime_by_code("us-cfpb"))
    client.force_login(agent)

    assert "Request extension" not in step_labels(client, complaint)
    response = posted(client, complaint, "request-extension", reason=REASON)
    with pytest.raises(InvalidInput) as refused:
        services.request_extension(complaint=complaint, actor=agent, reason=REASON)

    assert response.context["transition_form"].errors["reason"] == [refused.value.message]


def test_reg_e_without_a_credit_is_refused_next_to_the_field(client, agent):
    complaint = received_complaint(agent, regime_by_code("us-reg-e"), currency="USD")
    client.force_login(agent)

    response = posted(client, complaint, "request-extension", reason=REASON)

    [error] = response.context["transition_form"].errors["reason"]
    assert "provisionally credited by" in error


def test_a_waiting_request_shows_on_the_page_with_approve_and_refuse_for_a_supervisor_only(
    client, agent, supervisor
):
    complaint = received_complaint(agent, deployment_regime())
    client.force_login(agent)
    response = posted(client, complaint, "request-extension", reason=REASON)
    assert "waits for approval" in " ".join(messages_of(response))
    assert ExtensionRequest.objects.get().state == ExtensionState.REQUESTED

    page = client.get(admin_url(complaint))
    [shown] = page.context["extension_requests"]()
    assert shown["is_waiting"] and shown["reason"] == REASON
    assert "Approve extension" not in step_labels(client, complaint)
    assert "Withdraw extension request" in step_labels(client, complaint)
    assert REASON in page.content.decode()

    client.force_login(supervisor)
    assert {"Approve extension", "Refuse extension"} <= set(step_labels(client, complaint))
    assert "Request extension" not in step_labels(client, complaint)


def test_the_asker_is_not_offered_approval_and_a_hand_made_post_is_forbidden(client, agent, supervisor):
    complaint = received_complaint(agent, deployment_regime())
    services.request_extension(complaint=complaint, actor=supervisor, reason=REASON)
    client.force_login(supervisor)

    assert "Approve extension" not in step_labels(client, complaint)
    response = posted(client, complaint, "approve-extension", note="")

    assert response.status_code == 403
    assert ExtensionRequest.objects.get().state == ExtensionState.REQUESTED


def test_approving_in_the_admin_moves_the_deadline(client, agent, supervisor):
    complaint = received_complaint(agent, deployment_regime())
    services.request_extension(complaint=complaint, actor=agent, reason=REASON)
    client.force_login(supervisor)

    response = posted(client, complaint, "approve-extension", note="Complex case.")

    assert response.status_code == 302
    assert fresh(complaint).sla_clock.resolution_due_at == DAY_60
    assert ExtensionRequest.objects.get().decided_by == supervisor


def test_an_approval_from_a_stale_page_is_refused_and_shows_the_case_as_it_is(client, agent, supervisor):
    lead = make_user("sup.qian", roles.SUPERVISOR)
    complaint = received_complaint(agent, deployment_regime())
    services.request_extension(complaint=complaint, actor=agent, reason=REASON)
    seen = fresh(complaint).version  # both supervisors opened the page at this version
    client.force_login(supervisor)
    client.post(admin_url(complaint, "step", "approve-extension"), {"version": seen, "note": ""})

    client.force_login(lead)
    response = client.post(
        admin_url(complaint, "step", "refuse-extension"), {"version": seen, "reason": "No."}
    )

    assert response.status_code == 200
    assert "changed by someone else" in " ".join(str(error) for error in response.context["top_errors"])
    stored = ExtensionRequest.objects.get()
    assert (stored.state, stored.decided_by) == (ExtensionState.APPROVED, supervisor)
    assert fresh(complaint).sla_clock.resolution_due_at == DAY_60


def test_refusing_needs_a_reason_next_to_the_field(client, agent, supervisor):
    complaint = received_complaint(agent, deployment_regime())
    services.request_extension(complaint=complaint, actor=agent, reason=REASON)
    client.force_login(supervisor)

    response = posted(client, complaint, "refuse-extension", reason="")

    assert "reason" in response.context["transition_form"].errors
    assert ExtensionRequest.objects.get().state == ExtensionState.REQUESTED
    assert fresh(complaint).sla_clock.resolution_due_at < DAY_60 - dt.timedelta(days=1)
