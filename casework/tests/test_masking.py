"""Personal data is masked in the staff door and the partner API, and revealed one value at a
time, with a log, to the roles that need it (casework.privacy.masking). Here: the masks, what each
role sees, and editing a masked field; revealing and its log, and notices, exports and the
API have their own ``test_masking_*.py`` modules."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse

from accounts.tests.factories import request_in_state, wallet_account
from casework.access import roles
from casework.privacy.masking import (
    REVEAL_PERMISSION,
    mask_account_number,
    mask_id_number,
    mask_phone,
    may_reveal,
)
from casework.tests.admin import admin_url
from casework.tests.masked_numbers import ACCOUNT, PHONE, STORED_PHONE, reveal_url
from casework.tests.users import make_user
from complaints.models import State
from complaints.tests.admin import form_data
from complaints.tests.factories import complaint_in_state, register


@pytest.fixture
def clerk(db):
    """May edit complaints but not reveal: the permission is a role's, not the edit's."""
    user = make_user("clerk.qian", None)
    user.user_permissions.add(
        *Permission.objects.filter(
            content_type__app_label="complaints", codename__in=["view_complaint", "change_complaint"]
        )
    )
    return type(user).objects.get(pk=user.pk)


# The masks.


@pytest.mark.parametrize(
    ("value", "masked"),
    [
        ("13911002233", "139****2233"),
        ("+86 138 0013 8000", "+86 138 **** 8000"),
        ("138-0013-8000", "138-****-8000"),
        ("88012345", "****2345"),  # a landline: the last four only
        ("12345", "***45"),
        ("1234", "****"),
        ("", ""),
        (None, ""),
    ],
)
def test_a_phone_number_keeps_its_prefix_and_last_four(value, masked):
    assert mask_phone(value) == masked


@pytest.mark.parametrize(
    ("value", "masked"),
    [
        ("WLT-8800-1203", "WLT-****-1203"),
        ("6222000011112222", "************2222"),
        ("1234567", "*****67"),
        ("987", "***"),
        ("", ""),
    ],
)
def test_an_account_number_keeps_its_product_code_and_last_four(value, masked):
    assert mask_account_number(value) == masked


@pytest.mark.parametrize(
    ("value", "masked"),
    [
        ("110101199003071234", "1101**********1234"),
        ("11010119900307123X", "1101**********123X"),
        ("12345678", "****5678"),
        ("X1", "**"),
        ("", ""),
    ],
)
def test_an_id_number_keeps_its_region_and_last_four(value, masked):
    assert mask_id_number(value) == masked


def test_the_roles_that_call_customers_may_reveal_and_auditors_may_not(
    agent, complaints_officer, supervisor, risk_officer, technician, auditor
):
    assert [may_reveal(user) for user in (agent, complaints_officer, supervisor, risk_officer)] == [True] * 4
    assert [may_reveal(user) for user in (technician, auditor)] == [False, False]
    refunds_desk = make_user("desk.zhou", roles.REFUNDS_DESK)
    assert not refunds_desk.has_perm(REVEAL_PERMISSION)
    assert auditor.has_perm("casework.view_reveallog") and supervisor.has_perm("casework.view_reveallog")
    assert not agent.has_perm("casework.view_reveallog")


# What each role sees: masks, never the number.


@pytest.mark.parametrize("role", ["agent", "auditor"])
def test_the_complaint_list_and_change_form_show_no_full_number(client, complaint, role, request):
    client.force_login(request.getfixturevalue(role))
    for url in (reverse("admin:complaints_complaint_changelist"), admin_url(complaint)):
        page = client.get(url).content.decode()
        assert PHONE not in page and ACCOUNT not in page, url
    page = client.get(admin_url(complaint)).content.decode()
    assert "+86 139 **** 2233" in page and "WLT-****-1203" in page


def test_the_reveal_button_is_offered_only_to_who_may_reveal(client, complaint, agent, auditor):
    client.force_login(agent)
    page = client.get(admin_url(complaint)).content.decode()
    assert reveal_url(complaint, "customer_phone") in page
    assert reveal_url(complaint, "account_number") in page
    assert "casework/reveal.js" in page
    client.force_login(auditor)
    page = client.get(admin_url(complaint)).content.decode()
    assert reveal_url(complaint, "customer_phone") not in page


def test_searching_by_the_full_number_still_finds_the_complaint(client, complaint, agent, auditor):
    register(agent, customer_phone="13600002222")
    client.force_login(auditor)
    response = client.get(reverse("admin:complaints_complaint_changelist"), {"q": PHONE})
    assert list(response.context["cl"].result_list) == [complaint]
    # The search box and the links keep the query as typed; the rows do not show the number.
    rows = response.content.decode().split("<tbody>")[1].split("</tbody>")[0]
    rows = re.sub(r"_changelist_filters=[^\"]*", "", rows)
    assert complaint.reference in rows and PHONE not in rows


# Searching: a masked value is found whole, never walked out a character at a time.

WALLETS = reverse("admin:accounts_walletaccount_changelist")
COMPLAINTS = reverse("admin:complaints_complaint_changelist")


def prefixes_and_parts(value: str) -> list[str]:
    """Every beginning and end of ``value`` but the whole, and its groups of characters."""
    return sorted(
        {value[:end] for end in range(1, len(value))}
        | {value[start:] for start in range(1, len(value))}
        | set(value.split("-"))
    )


@pytest.mark.parametrize("role", ["technician", "agent"])
def test_a_prefix_walk_of_a_wallet_account_number_finds_nothing(client, db, role, request):
    # Names and masked phones without the number's characters: any hit would be the number's.
    account = wallet_account(account_number=ACCOUNT, holder_name="Zhang San", phone_masked="457****6969")
    wallet_account(account_number="WLT-8801-7777", holder_name="Zhou Yan", phone_masked="956****7777")
    client.force_login(request.getfixturevalue(role))
    for term in prefixes_and_parts(ACCOUNT):
        response = client.get(WALLETS, {"q": term})
        assert response.status_code == 200, term
        assert response.context["cl"].result_count == 0, term
        assert "0 results" in response.content.decode(), term
    found = client.get(WALLETS, {"q": ACCOUNT})
    assert list(found.context["cl"].result_list) == [account]
    rows = found.content.decode().split("<tbody>")[1].split("</tbody>")[0]
    assert ACCOUNT not in re.sub(r"_changelist_filters=[^\"]*", "", rows)


@pytest.mark.parametrize(
    ("url", "lookup"),
    [
        (WALLETS, "account_number__startswith"),
        (WALLETS, "account_number__gt"),
        (COMPLAINTS, "customer_phone__startswith"),
        (COMPLAINTS, "account_number__contains"),
        (reverse("admin:accounts_accountrequest_changelist"), "account__account_number__startswith"),
    ],
)
def test_a_masked_field_is_no_filter_in_the_url(client, technician, agent, url, lookup):
    wallet_account(account_number=ACCOUNT)
    register(agent, customer_phone=PHONE, account_number=ACCOUNT)
    client.force_login(technician)
    assert client.get(url, {lookup: ACCOUNT[:5]}).status_code == 400
    assert client.get(url, {lookup: PHONE[:5]}).status_code == 400


def test_a_list_is_not_sorted_by_a_masked_value(client, technician):
    # Neither the order made nor its reverse is the numbers' order, nor are the names'.
    numbers = ["WLT-3000-0001", "WLT-1000-0003", "WLT-2000-0002"]
    for holder, number in zip(("Holder B", "Holder A", "Holder C"), numbers, strict=True):
        wallet_account(account_number=number, holder_name=holder)
    client.force_login(technician)
    for order in (None, "0", "-0", "0.1", "-0.3"):  # column 0: the masked account number
        response = client.get(WALLETS, {"o": order} if order else {})
        shown = [account.account_number for account in response.context["cl"].result_list]
        assert shown not in (sorted(numbers), sorted(numbers, reverse=True)), order
    assert "sortable column-masked_account_number" not in client.get(WALLETS).content.decode()


def test_a_prefix_of_a_phone_finds_no_complaint(client, agent, technician):
    register(agent, customer_phone=PHONE, customer_name="Zhang San")
    client.force_login(technician)
    for term in ("139", "1391100", PHONE[:-1], PHONE[1:]):
        assert client.get(COMPLAINTS, {"q": term}).context["cl"].result_count == 0, term
    assert client.get(COMPLAINTS, {"q": PHONE}).context["cl"].result_count == 1


@pytest.mark.parametrize("role", ["agent", "auditor"])
def test_an_account_request_and_its_account_show_no_full_number(client, agent, supervisor, role, request):
    account = wallet_account(account_number="WLT-7000-4321")
    account_request = request_in_state("submitted", agent=agent, reviewer=supervisor, account=account)
    client.force_login(request.getfixturevalue(role))
    for url in (
        reverse("admin:accounts_accountrequest_changelist"),
        admin_url(account_request),
        reverse("admin:accounts_walletaccount_changelist"),
        admin_url(account),
        admin_url(account, "history"),
    ):
        response = client.get(url)
        assert response.status_code == 200, url
        content = response.content.decode()
        assert "WLT-7000-4321" not in content, url
        assert "WLT-****-4321" in content, url


def test_a_refund_case_from_a_complaint_shows_no_full_number(client, agent, auditor):
    complaint = complaint_in_state(
        State.IN_PROGRESS, agent=agent, category="refund", customer_phone=PHONE, account_number=ACCOUNT
    )
    from refunds.services import open_refund_case_from_complaint

    case = open_refund_case_from_complaint(complaint=complaint, actor=agent, refund_type="returned")
    client.force_login(auditor)
    for url in (reverse("admin:refunds_refundcase_changelist"), admin_url(case)):
        content = client.get(url).content.decode()
        assert PHONE not in content and ACCOUNT not in content, url


def test_the_history_of_changes_masks_old_and_new_numbers(client, complaint, agent, auditor):
    client.force_login(agent)
    data = form_data(client.get(admin_url(complaint)))
    assert (
        client.post(
            admin_url(complaint),
            {
                **data,
                "customer_phone": "13700009999",
                "change_reason": "The customer corrected it on the call",
            },
        ).status_code
        == 302
    )
    client.force_login(auditor)
    content = client.get(admin_url(complaint, "history")).content.decode()
    assert "+86 139 **** 2233" in content and "+86 137 **** 9999" in content
    assert PHONE not in content and "13700009999" not in content
    version = complaint.history.earliest()
    old = client.get(admin_url(complaint, "simple_history", version.history_id)).content.decode()
    assert PHONE not in old and "+86 139 **** 2233" in old
    for user in (auditor, agent):  # the change form's own list of field changes, too
        client.force_login(user)
        page = client.get(admin_url(complaint)).content.decode()
        assert PHONE not in page and "13700009999" not in page


# Editing: the stored number is never shown, nor overwritten with its mask.


def test_the_change_form_input_is_empty_and_saving_keeps_the_number(client, complaint, clerk):
    client.force_login(clerk)
    response = client.get(admin_url(complaint))
    assert PHONE not in response.content.decode()
    data = form_data(response)
    assert data["customer_phone"] == "" and data["account_number"] == ""
    assert (
        client.post(
            admin_url(complaint),
            {**data, "customer_name": "Zhang Wei", "change_reason": "The customer corrected it on the call"},
        ).status_code
        == 302
    )
    complaint.refresh_from_db()
    assert (complaint.customer_name, complaint.customer_phone, complaint.account_number) == (
        "Zhang Wei",
        STORED_PHONE,
        ACCOUNT,
    )
    assert (
        "customer_phone"
        not in complaint.history.latest().diff_against(complaint.history.earliest()).changed_fields
    )


def test_posting_the_mask_back_keeps_the_number(client, complaint, clerk):
    client.force_login(clerk)
    data = form_data(client.get(admin_url(complaint)))
    data.update(customer_phone="+86 139 **** 2233", account_number="WLT-****-1203")
    assert client.post(admin_url(complaint), data).status_code == 302
    complaint.refresh_from_db()
    assert (complaint.customer_phone, complaint.account_number) == (STORED_PHONE, ACCOUNT)
    assert complaint.history.count() == 1  # nothing changed, nothing written


def test_a_partly_masked_number_is_refused(client, complaint, clerk):
    client.force_login(clerk)
    data = form_data(client.get(admin_url(complaint)))
    response = client.post(admin_url(complaint), {**data, "customer_phone": "139**112233"})
    assert response.status_code == 200
    assert "a masked value cannot be saved" in response.context["adminform"].form.errors["customer_phone"][0]
    complaint.refresh_from_db()
    assert complaint.customer_phone == STORED_PHONE


def test_a_new_number_typed_in_replaces_the_old_one(client, complaint, clerk):
    client.force_login(clerk)
    data = form_data(client.get(admin_url(complaint)))
    assert (
        client.post(
            admin_url(complaint),
            {
                **data,
                "account_number": "WLT-8800-9999",
                "change_reason": "The customer corrected it on the call",
            },
        ).status_code
        == 302
    )
    complaint.refresh_from_db()
    assert (complaint.customer_phone, complaint.account_number) == (STORED_PHONE, "WLT-8800-9999")


def test_a_reader_gets_no_input_for_the_number(client, complaint, auditor):
    client.force_login(auditor)
    page = client.get(admin_url(complaint)).content.decode()
    assert 'name="customer_phone"' not in page and 'name="account_number"' not in page


def test_the_outbox_shows_a_customers_phone_and_e_mail_masked_and_a_teams_mailbox_as_it_is(
    client, agent, auditor, settings
):
    from casework.models import Notification
    from complaints import services
    from complaints.tests.factories import register

    settings.CUSTOMER_QUIET_HOURS = ""
    by_sms = register(agent, customer_phone=PHONE)
    by_mail = register(agent, customer_email="wang.fang@example.com", preferred_channel="email")
    for complaint in (by_sms, by_mail):
        services.verify_identity(complaint=complaint, actor=agent, method="callback")
        services.accept_complaint(complaint=complaint, actor=agent)
    client.force_login(auditor)

    listed = client.get(reverse("admin:casework_notification_changelist")).content.decode()
    notice = Notification.objects.get(recipient="wang.fang@example.com")
    page = client.get(reverse("admin:casework_notification_change", args=[notice.pk])).content.decode()

    assert STORED_PHONE not in listed and "wang.fang@example.com" not in listed
    assert "w***@example.com" in listed and "w***@example.com" in page
    assert "wang.fang@example.com" not in page
