"""Rules of a complaint asked in one place and refused the same at each door: whether a
holding response (an extension) may be asked for (``services.extensions.extension_refusal``,
the admin's step and the service), and a partner's reference used once (the service, for
the API and the shell)."""

from __future__ import annotations

import pytest

from casework.core.errors import InvalidInput
from casework.tests.admin import admin_url
from complaints import services
from complaints.models import Complaint, State
from complaints.services.extensions import extension_refusal
from complaints.tests.factories import complaint_in_state, file_complaint

HOLDING_RESPONSE = "We are waiting for the card scheme's trace."
# PSD2 has one extension (the holding reply); a second is refused in these words.
ALREADY_SENT = "EU: Payment Services Directive 2 (PSD2) (2015) allows no further extension of this complaint."
NOT_OPEN = "An extension is asked for only on an open complaint."


def offered_steps(client, complaint: Complaint) -> list[str]:
    page = client.get(admin_url(complaint))
    assert page.status_code == 200
    return [step["label"] for step in page.context["case_steps"]]


def refused_in_the_admin(client, complaint: Complaint) -> list[str]:
    """Post the step's form by hand (the page no longer offers it): what the form says."""
    response = client.post(
        admin_url(complaint, "step", "request-extension"),
        {"version": complaint.version, "reason": HOLDING_RESPONSE},
    )
    assert response.status_code == 200, "the step was taken"
    return response.context["transition_form"].errors["reason"]


def test_a_holding_response_is_offered_while_the_complaint_is_open_and_none_was_sent(client, agent):
    complaint = complaint_in_state(State.IN_PROGRESS, agent=agent)
    client.force_login(agent)

    assert extension_refusal(complaint) is None
    assert "Request extension" in offered_steps(client, complaint)


def test_a_second_holding_response_is_refused_in_the_same_words_by_both_doors(
    holding_reply_regime, client, agent
):
    complaint = complaint_in_state(State.IN_PROGRESS, agent=agent)
    services.send_holding_response(complaint=complaint, actor=agent, holding_response=HOLDING_RESPONSE)
    complaint.refresh_from_db()
    client.force_login(agent)

    with pytest.raises(InvalidInput) as refused:
        services.send_holding_response(complaint=complaint, actor=agent, holding_response=HOLDING_RESPONSE)

    assert extension_refusal(complaint) is not None
    assert (refused.value.field, refused.value.message) == ("reason", ALREADY_SENT)
    assert "Request extension" not in offered_steps(client, complaint)
    assert refused_in_the_admin(client, complaint) == [ALREADY_SENT]


def test_a_holding_response_on_an_ended_complaint_is_refused_in_the_same_words_by_both_doors(client, agent):
    complaint = complaint_in_state(State.REJECTED, agent=agent)
    client.force_login(agent)

    with pytest.raises(InvalidInput) as refused:
        services.send_holding_response(complaint=complaint, actor=agent, holding_response=HOLDING_RESPONSE)

    assert extension_refusal(complaint) is not None
    assert (refused.value.field, refused.value.message) == ("reason", NOT_OPEN)
    assert "Request extension" not in offered_steps(client, complaint)
    assert refused_in_the_admin(client, complaint) == [NOT_OPEN]
    complaint.refresh_from_db()
    assert complaint.holding_response_at is None


def test_a_partner_reference_used_again_is_refused_by_the_service_as_the_api_refuses_it(api, partner):
    first = file_complaint(partner, external_reference="ACME-C-77")

    with pytest.raises(InvalidInput) as refused:
        file_complaint(partner, external_reference="ACME-C-77")
    answer = api.post(
        "/api/v1/complaints/",
        {
            "category": "other",
            "customer_name": "Han Meimei",
            "customer_phone": "13900001111",
            "description": "The app is slow.",
            "external_reference": "ACME-C-77",
        },
        format="json",
    )

    said = f"You already filed a complaint with this reference: {first.reference}."
    assert (refused.value.field, refused.value.message) == ("external_reference", said)
    assert answer.status_code == 400
    assert answer.json()["error"]["fields"] == {"external_reference": [said]}
    assert Complaint.objects.count() == 1
