"""Revealing one masked value: to who may, with a valid reason, by POST with the CSRF token,
and logged whether it was shown or refused; the log is read by auditors and written by
nobody."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Permission
from django.contrib.contenttypes.models import ContentType
from django.urls import reverse

from accounts.tests.factories import request_in_state, wallet_account
from casework.models import RevealLog
from casework.tests.admin import admin_url
from casework.tests.masked_numbers import ACCOUNT, PHONE, STORED_PHONE, reveal_url
from casework.tests.users import make_user
from complaints.models import Complaint
from complaints.tests.factories import register

REVEAL_LOG = reverse("admin:casework_reveallog_changelist")


@pytest.fixture
def superuser(django_user_model):
    return django_user_model.objects.create_superuser("root", "root@example.com", "pw")


# Revealing one value.


def test_a_permitted_user_reveals_one_value_and_it_is_logged(client, complaint, agent):
    client.force_login(agent)
    response = client.post(
        reveal_url(complaint, "customer_phone"),
        {"reveal_reason": "Calling the customer back"},
        HTTP_ACCEPT="application/json",
    )
    assert response.status_code == 200
    assert response.json() == {"field": "customer_phone", "value": STORED_PHONE, "case": complaint.reference}
    assert "no-store" in response["Cache-Control"]
    log = RevealLog.objects.get()
    assert (log.user, log.case, log.case_reference, log.field_name, log.outcome, log.reason) == (
        agent,
        complaint,
        complaint.reference,
        "customer_phone",
        RevealLog.Outcome.REVEALED,
        "Calling the customer back",
    )
    assert log.content_type == ContentType.objects.get_for_model(Complaint)


def test_a_reveal_asked_for_without_json_answers_a_page(client, complaint, supervisor):
    client.force_login(supervisor)
    response = client.post(reveal_url(complaint, "account_number"), {"reveal_reason": "Audit of the call"})
    assert response.status_code == 200
    content = response.content.decode()
    assert ACCOUNT in content and admin_url(complaint) in content
    assert RevealLog.objects.get().field_name == "account_number"


def test_the_account_behind_a_request_is_revealed_on_the_request(client, agent, risk_officer):
    account = wallet_account(account_number="WLT-7000-4321")
    account_request = request_in_state("submitted", agent=agent, reviewer=agent, account=account)
    client.force_login(risk_officer)
    response = client.post(
        reveal_url(account_request, "account"),
        {"reveal_reason": "Risk check"},
        HTTP_ACCEPT="application/json",
    )
    assert response.json()["value"] == "WLT-7000-4321"
    log = RevealLog.objects.get()
    assert (log.case, log.case_reference) == (account_request, account_request.reference)


@pytest.mark.parametrize("role", ["auditor", "technician"])
def test_a_user_without_the_permission_is_refused_and_the_try_is_logged(client, complaint, role, request):
    user = request.getfixturevalue(role)
    client.force_login(user)
    response = client.post(reveal_url(complaint, "customer_phone"), HTTP_ACCEPT="application/json")
    assert response.status_code == 403
    assert PHONE not in response.content.decode()
    assert not RevealLog.objects.filter(outcome=RevealLog.Outcome.REVEALED).exists()
    refused = RevealLog.objects.get()
    assert (refused.user, refused.outcome, refused.field_name) == (
        user,
        RevealLog.Outcome.REFUSED,
        "customer_phone",
    )


@pytest.mark.parametrize("reason", ["", "   ", "x" * 301])
def test_a_reveal_without_a_valid_reason_shows_nothing_and_is_logged(client, complaint, agent, reason):
    client.force_login(agent)
    response = client.post(
        reveal_url(complaint, "customer_phone"), {"reveal_reason": reason}, HTTP_ACCEPT="application/json"
    )
    assert response.status_code == 400
    assert PHONE not in response.content.decode()
    [error] = response.json()["errors"]["reveal_reason"]
    assert error in ("This field is required.", "Ensure this value has at most 300 characters (it has 301).")
    log = RevealLog.objects.get()
    assert (log.user, log.outcome, log.field_name, log.reason) == (
        agent,
        RevealLog.Outcome.NO_REASON,
        "customer_phone",
        reason.strip()[:300],
    )


def test_a_reveal_page_without_a_reason_asks_for_one_next_to_the_field(client, complaint, supervisor):
    client.force_login(supervisor)
    response = client.post(reveal_url(complaint, "account_number"))
    assert response.status_code == 400
    page = response.content.decode()
    assert ACCOUNT not in page
    assert 'name="reveal_reason"' in page and "This field is required." in page
    assert RevealLog.objects.get().outcome == RevealLog.Outcome.NO_REASON
    again = client.post(reveal_url(complaint, "account_number"), {"reveal_reason": "Calling back"})
    assert again.status_code == 200 and ACCOUNT in again.content.decode()
    assert RevealLog.objects.filter(outcome=RevealLog.Outcome.REVEALED, reason="Calling back").count() == 1


def reveal_with_a_nul(client, complaint, user):
    client.force_login(user)
    return client.post(
        reveal_url(complaint, "customer_phone"),
        {"reveal_reason": "call\x00back"},
        HTTP_ACCEPT="application/json",
    )


def assert_a_nul_is_refused_and_logged(client, complaint, agent, technician) -> None:
    response = reveal_with_a_nul(client, complaint, agent)
    assert response.status_code == 400
    assert response.json()["errors"]["reveal_reason"] == ["Null characters are not allowed."]
    page = client.post(reveal_url(complaint, "customer_phone"), {"reveal_reason": "\x00"})
    assert page.status_code == 400 and "Null characters are not allowed." in page.content.decode()
    assert reveal_with_a_nul(client, complaint, technician).status_code == 403
    logged = list(RevealLog.objects.order_by("pk").values_list("user__username", "outcome", "reason"))
    assert logged == [
        ("agent.wang", "no_reason", "call\ufffdback"),
        ("agent.wang", "no_reason", "\ufffd"),
        ("tech.chen", "refused", "call\ufffdback"),
    ]


def test_a_nul_in_the_reason_is_an_error_on_the_field_and_the_try_is_logged(
    client, complaint, agent, technician
):
    assert_a_nul_is_refused_and_logged(client, complaint, agent, technician)


@pytest.mark.postgres
def test_postgres_a_nul_in_the_reason_is_an_error_on_the_field_and_the_try_is_logged(
    require_postgres, client, complaint, agent, technician
):
    assert_a_nul_is_refused_and_logged(client, complaint, agent, technician)


@pytest.mark.postgres
@pytest.mark.parametrize(
    "args",
    [
        ("complaints", "complaint", "1\x00", "customer_phone"),
        ("complaints", "complaint", "99999999999999999999999", "customer_phone"),
        ("complaints", "complaint", "{pk}", "customer_phone\x00"),
        ("complaints\x00", "complaint", "{pk}", "customer_phone"),
    ],
)
def test_postgres_a_nul_or_a_huge_number_in_the_reveal_url_is_a_404(
    require_postgres, client, complaint, agent, args
):
    client.force_login(agent)
    url = reverse("admin:casework_reveal", args=[part.format(pk=complaint.pk) for part in args])
    assert client.post(url, {"reveal_reason": "Callback"}).status_code == 404
    assert not RevealLog.objects.exists()


def test_reveal_is_post_only(client, complaint, agent):
    client.force_login(agent)
    response = client.get(reveal_url(complaint, "customer_phone"))
    assert response.status_code == 405
    assert PHONE not in response.content.decode()
    assert not RevealLog.objects.exists()


def test_reveal_needs_the_csrf_token(complaint, agent):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(agent)
    assert client.post(reveal_url(complaint, "customer_phone")).status_code == 403
    assert not RevealLog.objects.exists()


def test_only_masked_fields_can_be_revealed(client, complaint, agent):
    client.force_login(agent)
    assert client.post(reveal_url(complaint, "description")).status_code == 404
    assert client.post(reveal_url(complaint, "customer_name")).status_code == 404
    url = reverse("admin:casework_reveal", args=["complaints", "complaint", 999999, "customer_phone"])
    assert client.post(url).status_code == 404
    assert not RevealLog.objects.exists()


def test_a_user_may_reveal_only_what_they_may_view(client, agent):
    complaint = register(agent, customer_phone=PHONE)
    outsider = make_user("risk.only", None)
    outsider.user_permissions.add(Permission.objects.get(codename="reveal_personal_data"))
    client.force_login(outsider)
    assert client.post(reveal_url(complaint, "customer_phone")).status_code == 403
    assert RevealLog.objects.get().outcome == RevealLog.Outcome.REFUSED


# The log: read by auditors, written by nobody.


def test_auditors_read_the_log_filtered_by_user_date_and_model(client, complaint, agent, auditor):
    client.force_login(agent)
    client.post(reveal_url(complaint, "customer_phone"), {"reveal_reason": "Callback"})
    client.force_login(auditor)
    response = client.get(REVEAL_LOG)
    assert response.status_code == 200
    content = response.content.decode()
    assert complaint.reference in content and "agent.wang" in content and "Callback" in content
    assert PHONE not in content
    complaint_type = ContentType.objects.get_for_model(Complaint).pk
    year = RevealLog.objects.get().revealed_at.year
    for query in (
        {"user__id__exact": agent.pk},
        {"content_type__id__exact": complaint_type},
        {"outcome": "revealed"},
        {"revealed_at__year": year},
    ):
        assert len(client.get(REVEAL_LOG, query).context["cl"].result_list) == 1, query
    assert client.get(REVEAL_LOG, {"revealed_at__year": year - 1}).context["cl"].result_count == 0


def test_the_log_cannot_be_added_changed_or_deleted_even_by_a_superuser(client, complaint, agent, superuser):
    client.force_login(agent)
    client.post(reveal_url(complaint, "customer_phone"), {"reveal_reason": "Callback"})
    log = RevealLog.objects.get()
    client.force_login(superuser)
    change = reverse("admin:casework_reveallog_change", args=[log.pk])
    assert client.get(change).status_code == 200
    assert 'name="_save"' not in client.get(change).content.decode()
    assert client.post(change, {"reason": "tampered"}).status_code == 403
    assert client.get(reverse("admin:casework_reveallog_add")).status_code == 403
    assert (
        client.post(reverse("admin:casework_reveallog_delete", args=[log.pk]), {"post": "yes"}).status_code
        == 403
    )
    bulk = client.post(REVEAL_LOG, {"action": "delete_selected", "_selected_action": [log.pk], "post": "yes"})
    assert bulk.status_code == 403  # an action not offered is refused as such
    log.refresh_from_db()
    assert log.reason == "Callback"
