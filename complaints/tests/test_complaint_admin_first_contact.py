"""The complaint add page as an intake form (issue 15): "Register" keeps today's behaviour,
"Register and resolve" runs ``services.register_and_resolve`` in one transaction; a refusal
lands on its field with everything typed kept, and nothing is saved."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Permission

from casework.models import SlaClock, TransitionRecord
from casework.tests.admin import admin_url, messages_of
from casework.tests.users import make_user
from complaints.models import Complaint, State
from complaints.tests.admin import ADD, registration

OUTCOME = {
    "verification_method": "sms_code",
    "code": "explained",
    "summary": "The payment was reversed by the bank; the 45 yuan is back within 24 hours.",
    # The business type and cause are the category's; the rest is what the call found.
    "product": "P02",
    "root_cause": "R04",
    "outcome": "not_upheld",
}


def nothing_saved() -> None:
    assert not Complaint.objects.exists()
    assert not TransitionRecord.objects.exists()
    assert not SlaClock.objects.exists()


def test_the_add_page_offers_both_buttons_and_the_resolution_part(client, agent):
    client.force_login(agent)
    page = client.get(ADD).content.decode()
    assert '<button type="submit" name="_save" class="button default">Register</button>' in page
    assert 'name="_resolve"' in page and "Register and resolve" in page
    assert 'data-first-contact-channels="phone chat email app"' in page
    for name in ("verification_method", "code", "summary"):
        assert f'name="{name}"' in page
    # Buttons above the fields: both come before the first field.
    assert page.index('name="_resolve"') < page.index('name="channel"')


def test_register_keeps_the_new_case_received_with_the_callers_verification(client, agent):
    client.force_login(agent)
    response = client.post(
        ADD,
        {**registration(), "verification_method": "sms_code", "code": "", "summary": "", "_save": "Register"},
    )
    complaint = Complaint.objects.get()
    assert response.status_code == 302
    assert response["Location"] == admin_url(complaint)
    assert complaint.state == State.RECEIVED
    assert (complaint.identity_verification_method, complaint.identity_verified_by) == ("sms_code", agent)
    assert complaint.resolution_summary == ""


def test_register_with_an_outcome_typed_is_refused_next_to_it_and_keeps_the_input(client, agent):
    client.force_login(agent)
    page = client.post(ADD, {**registration(), **OUTCOME, "_save": "Register"})

    assert page.status_code == 200
    errors = page.context["adminform"].form.errors
    assert "press Register and resolve" in errors["code"][0]
    assert OUTCOME["summary"] in page.content.decode()
    nothing_saved()


def test_register_and_resolve_lands_on_the_resolved_case(client, agent):
    client.force_login(agent)
    response = client.post(ADD, {**registration(), **OUTCOME, "_resolve": "Register and resolve"})
    complaint = Complaint.objects.get()
    assert response.status_code == 302
    assert response["Location"] == admin_url(complaint)
    assert (complaint.state, complaint.is_first_contact_resolution) == (State.RESOLVED, True)
    assert (complaint.resolution_code, complaint.identity_verification_method) == ("explained", "sms_code")
    assert complaint.resolution_summary == OUTCOME["summary"]
    page = client.get(response["Location"])
    assert messages_of(page) == [
        f"{complaint.reference} registered and resolved on first contact: explained, no fault found."
    ]
    transitions = TransitionRecord.objects.order_by("id").values_list("transition", flat=True)
    assert list(transitions) == ["register", "verify_identity", "accept", "resolve"]


@pytest.mark.parametrize(
    ("overrides", "field", "error"),
    [
        ({"summary": ""}, "summary", "Summarise the resolution as the customer was told it."),
        ({"code": ""}, "code", None),
        ({"verification_method": ""}, "verification_method", None),
        ({"channel": "partner_api"}, "channel", "resolved on first contact"),
        ({"amount": ""}, "amount", "Required for a complaint about a transaction failed or abnormal."),
    ],
)
def test_a_refusal_lands_on_its_field_keeps_the_input_and_saves_nothing(
    client, agent, overrides, field, error
):
    client.force_login(agent)
    data = {**registration(), **OUTCOME, **overrides, "_resolve": "Register and resolve"}
    response = client.post(ADD, data)
    assert response.status_code == 200
    form = response.context["adminform"].form
    assert list(form.errors) == [field]
    if error:
        assert error in form.errors[field][0]
    page = response.content.decode()
    for name in ("customer_name", "merchant", "device", "transaction_reference"):
        assert f'value="{data[name]}"' in page
    for name, value in OUTCOME.items():
        if data[name]:
            assert form[name].value() == value
    nothing_saved()


def test_a_user_who_may_not_resolve_sees_no_resolve_and_cannot_post_it(client, db):
    clerk = make_user("clerk.qian", None)
    clerk.user_permissions.set(
        Permission.objects.filter(
            content_type__app_label="complaints",
            codename__in=["add_complaint", "view_complaint", "verify_identity_complaint", "accept_complaint"],
        )
    )
    client.force_login(clerk)
    page = client.get(ADD).content.decode()
    assert "Register and resolve" not in page and 'name="summary"' not in page
    assert '<button type="submit" name="_save" class="button default">Register</button>' in page

    response = client.post(ADD, {**registration(), **OUTCOME, "_resolve": "Register and resolve"})
    assert response.status_code == 200
    assert "permission" in " ".join(response.context["adminform"].form.non_field_errors())
    nothing_saved()


def test_the_intake_page_lays_out_every_registration_field_once():
    from complaints.forms import REGISTRATION_FIELDS
    from complaints.intake import IntakeAdminMixin

    laid_out = [name for _title, options in IntakeAdminMixin.intake_fieldsets for name in options["fields"]]
    assert sorted(laid_out) == sorted(REGISTRATION_FIELDS)
