"""Bulk reassignment from a case list ("Assign to…", casework.admin.bulk): each case through
its service, in the trail with the reason; the refused ones named, the rest still go."""

from __future__ import annotations

import re

from django.contrib.messages import get_messages
from django.urls import reverse

from casework.access import roles
from casework.models import TransitionRecord
from casework.tests.users import make_user
from complaints import services
from complaints.models import Complaint, State
from complaints.tests.factories import complaint_in_state, register
from refunds.models import RefundCase
from refunds.tests.factories import open_refund

COMPLAINTS = reverse("admin:complaints_complaint_changelist")
REFUNDS = reverse("admin:refunds_refundcase_changelist")


def _pick(client, url: str, cases):
    return client.post(
        url, {"action": "assign_to", "_selected_action": [case.pk for case in cases], "index": 0}
    )


def _versions(page) -> dict[str, str]:
    return dict(re.findall(r'name="(version-\d+)" value="(\d+)"', page.content.decode()))


def _assign(client, url: str, cases, page, **data):
    return client.post(
        f"{url}?open=any",
        {
            "action": "assign_to",
            "_selected_action": [case.pk for case in cases],
            "index": 0,
            "_assign": "1",
            "next": url,
            **_versions(page),
            **data,
        },
    )


def _messages(response) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


def test_the_supervisor_assigns_the_selected_complaints_each_in_the_trail(
    client, supervisor, agent, other_agent
):
    first, second = register(agent), register(agent)
    client.force_login(supervisor)

    page = _pick(client, COMPLAINTS, [first, second])
    assert page.status_code == 200
    assert page.context["title"] == "Assign 2 complaints"
    assert first.reference in page.content.decode() and second.reference in page.content.decode()

    done = _assign(
        client, COMPLAINTS, [first, second], page, holder=other_agent.pk, reason="Wang is on leave"
    )

    assert done.status_code == 302 and done.url == COMPLAINTS
    assert set(Complaint.objects.filter(assigned_to=other_agent)) == {first, second}
    records = TransitionRecord.objects.filter(transition="assign", actor=supervisor)
    assert sorted(records.values_list("case_reference", "reason")) == sorted(
        [(first.reference, "Wang is on leave"), (second.reference, "Wang is on leave")]
    )
    assert _messages(done) == [f"2 cases assigned to agent.zhao: {first.reference}, {second.reference}."]


def test_a_finished_case_and_one_changed_meanwhile_are_named_and_the_rest_go(
    client, supervisor, agent, other_agent
):
    finished = complaint_in_state(State.RESOLVED, agent=agent)
    changed, fine = register(agent), register(agent)
    client.force_login(supervisor)
    page = _pick(client, f"{COMPLAINTS}?open=any", [finished, changed, fine])
    # Someone else moves one while the supervisor fills in the page.
    services.assign_complaint(complaint=changed, actor=supervisor, assigned_to=agent, reason="Back to Wang")

    done = _assign(client, COMPLAINTS, [finished, changed, fine], page, holder=other_agent.pk, reason="Leave")

    assert Complaint.objects.get(pk=fine.pk).assigned_to == other_agent
    assert Complaint.objects.get(pk=finished.pk).assigned_to == agent
    assert Complaint.objects.get(pk=changed.pk).assigned_to == agent
    success, refused = _messages(done)
    assert success == f"1 case assigned to agent.zhao: {fine.reference}."
    assert refused.startswith("Not assigned (2): ")
    assert f"{finished.reference} is resolved: only an open complaint is reassigned." in refused
    assert f"{changed.reference} was changed by someone else after you opened it" in refused


def test_bad_input_is_shown_next_to_its_field_and_nothing_is_assigned(client, supervisor, agent):
    case = register(agent)
    client.force_login(supervisor)
    page = _pick(client, COMPLAINTS, [case])

    again = _assign(client, COMPLAINTS, [case], page, holder="", reason="")

    assert again.status_code == 200
    assert set(again.context["form"].errors) == {"holder", "reason"}
    assert Complaint.objects.get(pk=case.pk).version == case.version


def test_someone_who_cannot_hold_complaints_is_refused_on_the_field(client, supervisor, agent):
    cases = [register(agent), register(agent)]
    outsider = make_user("outsider", None)  # staff, in no role
    client.force_login(supervisor)
    page = _pick(client, COMPLAINTS, cases)

    again = _assign(client, COMPLAINTS, cases, page, holder=outsider.pk, reason="Try")

    assert again.status_code == 200
    assert again.context["form"].errors["holder"] == [
        "outsider is not active back-office staff who can work complaints."
    ]
    assert not Complaint.objects.filter(assigned_to=outsider).exists()


def test_only_who_may_assign_is_offered_the_action(client, agent, supervisor):
    case = register(agent)
    client.force_login(agent)
    assert "assign_to" not in client.get(COMPLAINTS).content.decode()
    assert _pick(client, COMPLAINTS, [case]).status_code == 403
    client.force_login(supervisor)
    assert 'value="assign_to"' in client.get(COMPLAINTS).content.decode()


def test_refund_cases_are_handed_to_the_refunds_desk(client, supervisor, agent):
    desk = make_user("refunds.qian", roles.REFUNDS_DESK)
    cases = [open_refund(agent), open_refund(agent)]
    client.force_login(supervisor)
    page = _pick(client, REFUNDS, cases)
    assert agent.username not in [str(user) for user in page.context["form"].fields["holder"].queryset]

    done = _assign(client, REFUNDS, cases, page, holder=desk.pk, reason="Monday's desk")

    assert done.status_code == 302
    assert set(RefundCase.objects.filter(handler=desk)) == set(cases)
    assert TransitionRecord.objects.filter(transition="assign", reason="Monday's desk").count() == 2
