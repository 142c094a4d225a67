"""Personal data is masked in the staff door and the partner API, and revealed one value at a
time, with a log, to the roles that need it (casework.masking)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth.models import Permission
from django.contrib.contenttypes.models import ContentType
from django.template.loader import render_to_string
from django.urls import reverse

from accounts.models import WalletAccount
from accounts.tests.factories import request_in_state, wallet_account
from casework import roles
from casework.masking import (
    REVEAL_PERMISSION,
    mask_account_number,
    mask_id_number,
    mask_phone,
    may_reveal,
)
from casework.models import Notification, RevealLog, TransitionRecord
from casework.tests.admin import admin_url
from casework.tests.users import make_user
from complaints.models import Complaint, State
from complaints.tests.admin import form_data
from complaints.tests.factories import complaint_in_state, file_complaint, register

PHONE = "13911002233"
# Kept in E.164, however it was typed (casework.phones).
STORED_PHONE = "+8613911002233"
ACCOUNT = "WLT-8800-1203"
REVEAL_LOG = reverse("admin:casework_reveallog_changelist")


def reveal_url(obj, field: str) -> str:
    meta = obj._meta
    return reverse("admin:casework_reveal", args=[meta.app_label, meta.model_name, obj.pk, field])


@pytest.fixture
def complaint(agent) -> Complaint:
    return register(agent, category="account_locked", customer_phone=PHONE, account_number=ACCOUNT)


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


@pytest.fixture
def superuser(django_user_model):
    return django_user_model.objects.create_superuser("root", "root@example.com", "pw")


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


# Notices: to mailboxes whose readers may not reveal, the numbers masked and a link instead.

BASE_URL = "https://backoffice.wallet.example"


def notice_templates() -> set[str]:
    """Every notice text an app renders: ``<app>/templates/<app>/*.txt``."""
    return {
        f"{path.parent.name}/{path.name}"
        for path in Path(settings.BASE_DIR).glob("*/templates/*/*.txt")
        if path.parent.parent.name == "templates"
    }


def assert_masked_with_a_link(body: str, case, numbers: tuple[str, ...], shown: tuple[str, ...] = ()) -> None:
    for number in numbers:
        assert number not in body, body
    for masked in shown:
        assert masked in body, body
    assert f"{BASE_URL}{admin_url(case)}" in body, body


def test_every_notice_template_masks_the_numbers_and_links_to_the_case(
    settings, agent, supervisor, technical_team
):
    from refunds.services import open_refund_case_from_complaint

    settings.BACKOFFICE_BASE_URL = BASE_URL
    complaint = complaint_in_state(
        State.IN_PROGRESS, agent=agent, category="refund", customer_phone=PHONE, account_number=ACCOUNT
    )
    refund = open_refund_case_from_complaint(complaint=complaint, actor=agent, refund_type="returned")
    rendered = []
    for kind in ("due_soon", "breach"):
        rendered.append(("complaints/clock_notice.txt", {"case": complaint, "kind": kind}, complaint, ()))
    context = {"complaint": complaint, "team": technical_team, "reason": "Ledger check", "actor": agent}
    rendered.append(("complaints/escalation_notice.txt", context, complaint, ("WLT-****-1203",)))
    for kind in ("reminder", "due_soon", "breach"):
        rendered.append(("refunds/clock_notice.txt", {"case": refund, "kind": kind}, refund, ()))
    rendered.append(("refunds/failed_notice.txt", {"case": refund, "error": "timeout"}, refund, ()))
    numbers = {PHONE, ACCOUNT}
    for at, state in enumerate(("submitted", "identity_verified", "pending_review", "approved")):
        account = wallet_account(account_number=f"WLT-770{at}-432{at}")
        numbers.add(account.account_number)
        account_request = request_in_state(state, agent=agent, reviewer=supervisor, account=account)
        for kind in ("due_soon", "breach"):
            shown = (f"WLT-****-432{at}",)
            rendered.append(
                ("accounts/clock_notice.txt", {"case": account_request, "kind": kind}, account_request, shown)
            )
    assert {template for template, *_ in rendered} == notice_templates()
    for template, context, case, shown in rendered:
        assert_masked_with_a_link(render_to_string(template, context), case, tuple(numbers), shown)


def test_the_escalation_e_mail_written_by_the_service_masks_the_account(settings, agent, technical_team):
    settings.BACKOFFICE_BASE_URL = BASE_URL
    complaint = complaint_in_state(State.ESCALATED, agent=agent, customer_phone=PHONE, account_number=ACCOUNT)
    notice = Notification.objects.get(kind="escalation", case_reference=complaint.reference)
    assert_masked_with_a_link(notice.body, complaint, (PHONE, ACCOUNT), ("WLT-****-1203",))


def test_a_notice_written_before_notices_masked_is_shown_masked(client, agent, supervisor, auditor):
    complaint = complaint_in_state(State.ESCALATED, agent=agent, customer_phone=PHONE, account_number=ACCOUNT)
    notice = Notification.objects.get(kind="escalation", case_reference=complaint.reference)
    # What an old notice held: the numbers in full, the account since corrected on the complaint.
    old_body = f"Customer: Li Wei (account {ACCOUNT}), phone {PHONE}."
    Notification.objects.filter(pk=notice.pk).update(body=old_body)
    Complaint.objects.filter(pk=complaint.pk).update(account_number="WLT-8800-5555")
    complaint.refresh_from_db()
    complaint.save()  # a history row with the new number; the old one stays in the history
    client.force_login(auditor)
    page = client.get(reverse("admin:casework_notification_change", args=[notice.pk])).content.decode()
    assert ACCOUNT not in page and PHONE not in page
    assert "(account WLT-****-1203), phone 139****2233." in page
    notice.refresh_from_db()
    assert notice.body == old_body  # stored as it was sent


# Exports and the partner API.


def test_the_exported_trail_masks_the_account_number(client, agent, supervisor, auditor):
    account = wallet_account(account_number="WLT-7000-4321")
    request_in_state("submitted", agent=agent, reviewer=supervisor, account=account)
    client.force_login(auditor)
    ids = list(TransitionRecord.objects.values_list("pk", flat=True))
    response = client.post(
        reverse("admin:casework_transitionrecord_changelist"),
        {"action": "export_csv", "_selected_action": ids},
    )
    exported = b"".join(response.streaming_content).decode()
    assert "WLT-****-4321" in exported
    assert "WLT-7000-4321" not in exported


def test_the_api_answers_masked_numbers_on_create_read_and_list(api, partner):
    body = {
        "category": "account_locked",
        "customer_name": "Li Wei",
        "customer_phone": "+86 139 1100 2233",
        "account_number": ACCOUNT,
        "description": "Locked out after a new phone.",
    }
    created = api.post("/api/v1/complaints/", body, format="json")
    assert created.status_code == 201, created.content
    reference = created.json()["reference"]
    read = api.get(f"/api/v1/complaints/{reference}/").json()
    [listed] = api.get("/api/v1/complaints/").json()["results"]
    for answer in (created.json(), read, listed):
        assert (answer["customer_phone"], answer["account_number"]) == ("+86 139 **** 2233", "WLT-****-1203")
    assert ACCOUNT not in json.dumps(listed) and "1100" not in json.dumps(listed)
    stored = Complaint.objects.get(reference=reference)
    assert (stored.customer_phone, stored.account_number) == ("+8613911002233", ACCOUNT)


def test_the_api_masks_the_account_of_a_request(api, partner):
    wallet_account(account_number="WLT-7000-4321", served_by=partner)
    created = api.post("/api/v1/account-requests/", {"account_number": "WLT-7000-4321"}, format="json")
    assert created.status_code == 201, created.content
    read = api.get(f"/api/v1/account-requests/{created.json()['reference']}/").json()
    assert created.json()["account_number"] == read["account_number"] == "WLT-****-4321"


def test_a_partner_complaint_without_an_account_answers_an_empty_string(api, partner):
    complaint = file_complaint(partner, customer_phone="13900001111")
    answer = api.get(f"/api/v1/complaints/{complaint.reference}/").json()
    assert (answer["customer_phone"], answer["account_number"]) == ("+86 139 **** 1111", "")


def test_the_resolution_an_unlock_writes_on_its_complaint_masks_the_account(agent, supervisor):
    from accounts import services as account_services

    account = wallet_account(account_number="WLT-7000-4321")
    complaint = complaint_in_state(
        State.IN_PROGRESS, agent=agent, category="account_locked", account_number=account.account_number
    )
    account_request = account_services.open_unlock_request_from_complaint(complaint=complaint, actor=agent)
    account_services.add_evidence(request=account_request, actor=agent, method="sms_code", outcome="passed")
    account_services.submit_for_review(request=account_request, actor=agent)
    account_services.approve_request(request=account_request, actor=supervisor)
    account_services.execute_request(request=account_request, actor=supervisor)
    complaint.refresh_from_db()
    assert complaint.state == State.RESOLVED
    summary = f"Account WLT-****-4321 unlocked through {account_request.reference}."
    assert complaint.resolution_summary == summary  # the partner reads it through the API


def test_a_wallet_account_is_named_masked():
    assert str(WalletAccount(account_number="WLT-7000-4321", status="locked")) == "WLT-****-4321 (locked)"
