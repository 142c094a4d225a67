"""An account request's step and transition pages (issue 15, finished forms): one heading,
the request in short with the account number masked, errors beside their field with the
input kept, Cancel back to the request; a reader's page goes "Back to list"."""

from __future__ import annotations

import pytest

from accounts.models import AccountRequest, RequestState
from accounts.tests.admin import open_request, verified_request, wallet_account
from casework.privacy.masking import mask_account_number
from casework.tests.action_forms import (
    assert_finished_form,
    assert_view_only_page_goes_back_to_the_list,
    row_errors,
    top_errors,
)
from casework.tests.admin import admin_url, visible_text

pytestmark = pytest.mark.usefixtures("media_root")


def test_collecting_authentication_shows_the_request_with_the_account_masked(client, agent):
    account = wallet_account(holder_name="Wang Fang")
    account_request = verified_request(agent, account=account)
    client.force_login(agent)
    page = client.get(admin_url(account_request, "step", "collect-authentication"))
    assert_finished_form(
        page,
        account_request,
        "Collect authentication",
        summary_shows=("Wang Fang", mask_account_number(account.account_number), "Locked out."),
    )
    assert account.account_number not in visible_text(page)


def test_an_outcome_left_out_is_said_beside_it_and_the_note_is_kept(client, agent):
    account_request = verified_request(agent)
    client.force_login(agent)
    response = client.post(
        admin_url(account_request, "step", "collect-authentication"),
        {"version": account_request.version, "method": "sms_code", "note": "Code sent to the phone on file"},
    )
    assert row_errors(response, "outcome") == ["This field is required."]
    assert row_errors(response, "method") == []
    assert top_errors(response) == ""
    assert 'value="Code sent to the phone on file"' in response.content.decode()
    assert_finished_form(response, account_request, "Collect authentication")
    assert not account_request.evidence.exists()


def test_the_verify_identity_page_keeps_the_note_when_the_method_is_missing(client, agent):
    account_request = open_request(agent)
    client.force_login(agent)
    url = admin_url(account_request, "transition", "verify_identity")
    assert_finished_form(client.get(url), account_request, "Verify identity")

    response = client.post(url, {"version": account_request.version, "method": "", "note": "Called back"})
    assert row_errors(response, "method") == ["This field is required."]
    assert "Called back</textarea>" in response.content.decode()
    assert_finished_form(response, account_request, "Verify identity")
    assert AccountRequest.objects.get(pk=account_request.pk).state == RequestState.SUBMITTED


def test_a_reader_leaves_a_request_back_to_the_list(client, agent, auditor):
    account_request = open_request(agent)
    client.force_login(auditor)
    assert_view_only_page_goes_back_to_the_list(client.get(admin_url(account_request)))
