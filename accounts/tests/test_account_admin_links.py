"""Which accounts each partner serves, kept in the admin: an administrator links and ends
links, each with its basis; the other staff roles only read them."""

from __future__ import annotations

import pytest
from django.urls import reverse

from accounts import services
from accounts.models import PartnerAccountLink
from accounts.tests.admin import wallet_account
from casework.access import roles
from casework.privacy.masking import mask_account_number
from casework.tests.api import client_for
from casework.tests.users import make_user

pytestmark = pytest.mark.usefixtures("media_root")


LINKS = reverse("admin:accounts_partneraccountlink_changelist")


def test_an_administrator_links_an_account_to_a_partner_who_may_then_ask_for_it(
    client, django_user_model, partner
):
    root = django_user_model.objects.create_superuser("root", password="x-not-used-x")
    client.force_login(root)
    account = wallet_account()
    api = client_for(partner.user)
    body = {"account_number": account.account_number}
    assert api.post("/api/v1/account-requests/", body, format="json").status_code == 400

    page = client.post(
        reverse("admin:accounts_partneraccountlink_add"),
        {"partner": partner.pk, "account": account.pk, "basis": "Opened through ACME Pay's app, 2025-03."},
    )

    assert page.status_code == 302, page.content
    link = PartnerAccountLink.objects.get()
    assert (link.partner, link.account, link.created_by, link.ended_at) == (partner, account, root, None)
    assert link.history.get().history_user == root
    assert api.post("/api/v1/account-requests/", body, format="json").status_code == 201
    listed = client.get(LINKS).content.decode()
    assert mask_account_number(account.account_number) in listed and account.account_number not in listed


def test_a_link_needs_its_basis_and_a_second_current_link_is_refused_next_to_the_fields(
    client, django_user_model, partner
):
    client.force_login(django_user_model.objects.create_superuser("root", password="x-not-used-x"))
    account = wallet_account()
    add = reverse("admin:accounts_partneraccountlink_add")

    page = client.post(add, {"partner": partner.pk, "account": account.pk, "basis": ""})
    assert "basis" in page.context["adminform"].form.errors
    services.link_partner_to_account(partner=partner, account=account, basis="Core record.", actor=None)
    page = client.post(add, {"partner": partner.pk, "account": account.pk, "basis": "Again."})

    assert page.status_code == 200 and page.context["adminform"].form.errors
    assert PartnerAccountLink.objects.count() == 1


def test_ending_a_link_in_the_admin_keeps_it_and_shuts_the_partner_out(client, django_user_model, partner):
    root = django_user_model.objects.create_superuser("root", password="x-not-used-x")
    client.force_login(root)
    account = wallet_account()
    link = services.link_partner_to_account(
        partner=partner, account=account, basis="Core record.", actor=None
    )

    client.post(LINKS, {"action": "end_links", "_selected_action": [link.pk]})

    link.refresh_from_db()
    assert (link.ended_by, link.ended_at is not None) == (root, True)
    body = {"account_number": account.account_number}
    assert client_for(partner.user).post("/api/v1/account-requests/", body, format="json").status_code == 400


@pytest.mark.parametrize("role", [roles.SUPERVISOR, roles.RISK_OFFICER, roles.AUDITOR])
def test_supervisors_risk_officers_and_auditors_read_the_links_but_do_not_make_them(client, role, partner):
    client.force_login(make_user(f"reader.{role.replace(' ', '-')}", role))
    link = services.link_partner_to_account(
        partner=partner, account=wallet_account(), basis="Core record.", actor=None
    )

    assert client.get(LINKS).status_code == 200
    assert client.get(reverse("admin:accounts_partneraccountlink_change", args=[link.pk])).status_code == 200
    assert client.get(reverse("admin:accounts_partneraccountlink_add")).status_code == 403
    client.post(LINKS, {"action": "end_links", "_selected_action": [link.pk]})
    link.refresh_from_db()
    assert link.ended_at is None
