"""The auditor reads every page of the admin and changes nothing, whatever they post; and
nobody, not even a superuser, deletes a case or anything that keeps a history.

The tests walk ``admin.site``'s registry, so a model admin added later is walked too.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import re
from decimal import Decimal

import pytest
from django.apps import apps
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import RequestFactory
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from simple_history.admin import SimpleHistoryAdmin

from accounts.tests.factories import request_in_state
from casework.admin.cases import CaseAdmin
from casework.models import ApiScope, DeliveryAttempt, Notification, Team
from casework.partners.credentials import issue_key
from casework.tests.admin import forbidden, messages_of
from casework.tests.users import make_user
from complaints import services as complaint_services
from complaints.models import Complaint, State
from complaints.tests.factories import complaint_in_state, file_complaint
from refunds import services as refund_services
from refunds.tests.factories import PNG, advance, open_refund

# Who may log in and with which role is the administrator's business, not the trail's:
# the auditor reads who acted in the records, never the user accounts themselves.
NO_BUSINESS = {"auth.user", "auth.group"}

# Actions that only read. Every other action must not be offered to the auditor.
READ_ONLY_ACTIONS = {"export_csv"}

# What the auditor must find at least one of (so each change view is walked).
MUST_SHOW = {
    "complaints.complaint",
    "accounts.accountrequest",
    "accounts.walletaccount",
    "refunds.refundcase",
    "refunds.paymenttransaction",
    "casework.partner",
    "casework.partnerapikey",
    "casework.notification",
    "casework.slaclock",
    "casework.transitionrecord",
    "casework.team",
    "casework.businesscalendar",
    "casework.slapolicy",
}

# Enough for any form a transition or a step shows; the service must refuse it all the same.
PROBE = {
    "reason": "Auditor probe",
    "note": "Auditor probe",
    "body": "Auditor probe",
    "findings": "Auditor probe",
    "summary": "Auditor probe",
    "holding_response": "Auditor probe",
    "what": "Auditor probe",
    "code": "refunded",
    "method": "sms_code",
    "outcome": "passed",
    "kind": "other",
    "refund_type": "not_received",
    "amount": "1.00",
    "approved_amount": "1.00",
}

CHANGE_BUTTONS = ('name="_save"', 'name="_continue"', 'name="_addanother"', "_fsm_transition_to")


def label(model) -> str:
    return model._meta.label_lower


def url(model, view: str, *args) -> str:
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{view}", args=args)


@pytest.fixture
def world(agent, technician, supervisor, partner, media_root):
    """One of everything the admin lists: cases of each type with notes, messages,
    evidence, a payment instruction, a notice and its delivery attempt, a partner key."""
    escalated = complaint_in_state(State.ESCALATED, agent=agent)
    complaint_services.add_note(complaint=escalated, actor=agent, body="Customer calls back at 3 pm.")
    complaint_services.add_attachment(
        complaint=escalated,
        actor=agent,
        file=SimpleUploadedFile("receipt.png", PNG, content_type="image/png"),
        description="Receipt",
    )
    filed = file_complaint(partner)
    complaint_services.add_partner_message(complaint=filed, actor=partner.user, body="Receipt attached.")
    notice = Notification.objects.get(case_reference=escalated.reference)
    DeliveryAttempt.objects.create(notification=notice, succeeded=True, response_status=250)
    request = request_in_state("identity_verified", agent=agent, reviewer=supervisor, authenticated=True)
    desk = make_user("refunds.zhou", "refunds desk")
    refund = open_refund(agent, requested_amount=Decimal("30.00"))
    refund_services.add_evidence(
        case=refund,
        actor=agent,
        kind="payment_voucher",
        file=SimpleUploadedFile("voucher.png", PNG, content_type="image/png"),
    )
    refund = advance(refund, "start_review", "approve", "submit", desk=desk)
    issue_key(partner, name="call centre", scopes=[ApiScope.COMPLAINTS_WRITE], actor=supervisor)
    return [escalated, filed, request, refund]


def fingerprint() -> dict[str, list[dict]]:
    """Every row of every table but the sessions: what "changes nothing" compares."""
    return {
        label(model): list(model._default_manager.order_by("pk").values())
        for model in apps.get_models()
        if model._meta.app_label != "sessions" and model._meta.managed
    }


def first_of(model):
    return model._default_manager.order_by("pk").first()


# Registered only for the reveal view (casework.admin.customers): no list, no form to walk.
NO_PAGES = {"casework.customeridentifier"}


def registry():
    return sorted(
        (
            (model, model_admin)
            for model, model_admin in admin.site._registry.items()
            if label(model) not in NO_PAGES
        ),
        key=lambda item: label(item[0]),
    )


def test_the_auditor_reads_every_page_and_is_offered_no_change(client, auditor, world):
    client.force_login(auditor)
    walked = set()
    for model, model_admin in registry():
        listing = client.get(url(model, "changelist"))
        if label(model) in NO_BUSINESS:
            assert listing.status_code == 403, label(model)
            continue
        assert listing.status_code == 200, label(model)
        assert not listing.context["has_add_permission"], label(model)
        action_form = listing.context.get("action_form")
        offered = {name for name, _ in action_form.fields["action"].choices if name} if action_form else set()
        assert offered <= READ_ONLY_ACTIONS, (label(model), offered)
        assert url(model, "add") not in listing.content.decode(), label(model)

        obj = first_of(model)
        if obj is None:
            assert label(model) not in MUST_SHOW, f"the world has no {label(model)}"
            continue
        walked.add(label(model))
        page = client.get(url(model, "change", obj.pk))
        assert page.status_code == 200, label(model)
        content = page.content.decode()
        for button in CHANGE_BUTTONS:
            assert button not in content, (label(model), button)
        for link in ("/transition/", "/step/", url(model, "delete", obj.pk)):
            assert link not in content, (label(model), link)
        assert not page.context["has_change_permission"] and not page.context["has_delete_permission"]

        if isinstance(model_admin, SimpleHistoryAdmin):
            assert client.get(url(model, "history", obj.pk)).status_code == 200, label(model)
            version = obj.history.order_by("history_id").first()
            if version is not None:  # rows a migration made have no history
                old = client.get(url(model, "simple_history", obj.pk, version.history_id))
                assert old.status_code == 200, label(model)
                assert 'name="_save"' not in old.content.decode() and "Revert" not in old.content.decode()
    assert walked >= MUST_SHOW


def test_the_auditor_reads_each_case_type_with_its_notes_evidence_and_timeline(client, auditor, world):
    escalated, filed, request, refund = world
    client.force_login(auditor)
    pages = {
        case.reference: client.get(url(type(case), "change", case.pk)).content.decode() for case in world
    }
    assert "Customer calls back at 3 pm." in pages[escalated.reference]  # note, inline and on the timeline
    assert "receipt" in pages[escalated.reference]
    assert "Receipt attached." in pages[filed.reference]  # the partner's message
    assert "One-time code sent" in pages[request.reference]  # the evidence
    assert (
        "voucher" in pages[refund.reference]
        and refund.instructions.get().idempotency_key in pages[refund.reference]
    )
    for content in pages.values():
        assert "Field changes" in content and 'class="case-timeline"' in content


def posts(model, model_admin, obj, handler) -> list[tuple[str, dict]]:
    """Every URL of ``model_admin`` that writes, with what a writer would send."""
    targets = [
        (url(model, "add"), {}),
        (url(model, "delete", obj.pk), {"post": "yes"}),
        (
            url(model, "changelist"),
            {"action": "delete_selected", "_selected_action": [obj.pk], "post": "yes"},
        ),
    ]
    fields = {
        field.name: field.value_from_object(obj)
        for field in model._meta.concrete_fields
        if not field.is_relation and field.editable
    }
    changed = {key: value for key, value in fields.items() if value is not None}
    targets.append((url(model, "change", obj.pk), {**changed, **PROBE, "_save": "Save"}))
    for name in model_admin.actions or ():
        action = name if isinstance(name, str) else name.__name__
        targets.append((url(model, "changelist"), {"action": action, "_selected_action": [obj.pk]}))
    version = obj.history.order_by("history_id").first() if hasattr(obj, "history") else None
    if isinstance(model_admin, SimpleHistoryAdmin) and version is not None:
        targets.append((url(model, "simple_history", obj.pk, version.history_id), {**changed, **PROBE}))
    if isinstance(model_admin, CaseAdmin):
        version = {"version": obj.version}
        references = {"team": Team.objects.first().pk, "assigned_to": handler.pk, "handler": handler.pk}
        for name in model_admin.transition_services:
            targets.append((url(model, "transition", obj.pk, name), {**version, **PROBE, **references}))
            targets.append((url(model, "change", obj.pk), {**changed, **version, "_fsm_transition_to": name}))
        for step in model_admin.steps:
            upload = SimpleUploadedFile("probe.png", PNG, content_type="image/png")
            data = {**version, **PROBE, **references, "file": upload}
            targets.append((url(model, "step", obj.pk, step.slug), data))
    with contextlib.suppress(NoReverseMatch):  # the trail's export page
        targets.append((url(model, "export"), {"start": "2026-01-01", "end": "2026-12-31"}))
    return targets


# What the auditor may post and get an answer other than 403: a history version's form
# (405: it is read only, for everyone) and the trail's export (a read).
NOT_WRITES = ("/history/", "export")


def test_whatever_the_auditor_posts_is_refused_with_403_and_changes_nothing(client, auditor, world):
    handler = get_user_model().objects.get(username="refunds.zhou")  # a valid choice on every form
    client.force_login(auditor)
    refused = []
    for model, model_admin in registry():
        if label(model) in NO_BUSINESS:
            continue
        for obj in {first_of(model), *[case for case in world if isinstance(case, model)]} - {None}:
            for target, data in posts(model, model_admin, obj, handler):
                before = fingerprint()
                response = client.post(target, data)
                after = fingerprint()
                changed = [table for table in before if before[table] != after[table]]
                assert not changed, f"POST {target} {data} changed {changed}"
                shown = " ".join(messages_of(response)).lower()
                assert "done" not in shown and "successfully" not in shown, (target, shown)
                if any(part in target for part in NOT_WRITES) or data.get("action") in READ_ONLY_ACTIONS:
                    assert response.status_code in (200, 405), (target, response.status_code)
                    continue
                # A refused write is a 403, whatever the door: never a redirect with a message.
                assert response.status_code == 403, (target, data.get("action"), response.status_code)
                if "/step/" in target or "/transition/" in target:  # the refusal says why
                    assert "you do not have permission" in response.content.decode().lower(), target
                refused.append(target)
    # The walk walked: every transition and step of every case type was tried.
    assert len(refused) > 100
    for model, model_admin in registry():
        if isinstance(model_admin, CaseAdmin):
            for name in model_admin.transition_services:
                assert any(
                    f"{url(model, 'changelist')}" in t and f"/transition/{name}/" in t for t in refused
                )
            for step in model_admin.steps:
                assert any(f"/step/{step.slug}/" in t for t in refused), step.slug


def test_nobody_deletes_a_case_or_anything_with_a_history_not_even_a_superuser(db):
    root = get_user_model().objects.create_superuser("root", password="x-not-used-x")
    request = RequestFactory().get("/admin/")
    request.user = root
    for model, model_admin in registry():
        if label(model) in NO_BUSINESS:
            continue
        keeps_history = isinstance(model_admin, SimpleHistoryAdmin)
        if keeps_history or isinstance(model_admin, CaseAdmin) or label(model) in MUST_SHOW:
            assert not model_admin.has_delete_permission(request), label(model)
            assert "delete_selected" not in model_admin.get_actions(request), label(model)
        if isinstance(model_admin, CaseAdmin):
            for inline in model_admin.get_inline_instances(request, obj=None) or [
                inline_class(model, admin.site) for inline_class in model_admin.inlines
            ]:
                assert not inline.has_delete_permission(request), (label(model), type(inline).__name__)


def test_a_superuser_cannot_delete_a_case_through_the_admin(client, world):
    root = get_user_model().objects.create_superuser("root", password="x-not-used-x")
    client.force_login(root)
    for case in world:
        response = client.post(url(type(case), "delete", case.pk), {"post": "yes"})
        assert response.status_code == 403
        assert type(case).objects.filter(pk=case.pk).exists()
        history = case.history.order_by("history_id").first()
        old_version = url(type(case), "simple_history", case.pk, history.history_id)
        assert client.post(old_version, {}).status_code == 405


def test_the_auditor_holds_only_view_permissions_and_the_export(db):
    from django.contrib.auth.models import Group

    codes = set(Group.objects.get(name="auditor").permissions.values_list("codename", flat=True))
    assert {code for code in codes if not code.startswith("view_")} == {"export_transitionrecord"}
    # Every model the auditor reads in the admin, and the histories of each.
    for model in apps.get_models():
        if model._meta.app_label not in {"casework", "complaints", "accounts", "refunds"}:
            continue
        if model._meta.model_name in {"referencesequence", "idempotencykey"}:
            continue  # counters and a partner's replay cache: no audit content, not in the admin
        assert f"view_{model._meta.model_name}" in codes, label(model)


def test_the_auditor_gets_no_form_for_a_step_or_a_transition(client, auditor, world):
    escalated = world[0]
    client.force_login(auditor)
    for name in ("reassign", "add-note"):
        response = client.get(url(type(escalated), "step", escalated.pk, name))
        assert response.status_code == 403 and "transition_form" not in (response.context or {})
        assert "You do not have permission" in response.content.decode()
    response = client.get(url(type(escalated), "transition", escalated.pk, "return_findings"))
    assert response.status_code == 403 and "transition_form" not in (response.context or {})


def test_the_auditor_exports_the_trail_of_every_case_type(client, auditor, world):
    client.force_login(auditor)
    today = timezone.localdate()
    response = client.get(
        reverse("admin:casework_transitionrecord_export"),
        {"start": f"{today:%Y-%m-%d}", "end": f"{today + dt.timedelta(days=1):%Y-%m-%d}"},
    )
    exported = b"".join(response.streaming_content).decode("utf-8-sig")
    assert all(case.reference in exported for case in world)


# The role permission behind each transition whose permission is a rule (four eyes, the
# escalation team's findings): who lacks it is refused whatever the case.
RULE_PERMISSIONS = {
    ("complaints.complaint", "return_findings"): "complaints.return_findings_complaint",
    ("accounts.accountrequest", "approve"): "accounts.approve_accountrequest",
    ("refunds.refundcase", "approve"): "refunds.approve_refundcase",
}


def role_permission(model, name: str) -> str:
    transition = next(iter(getattr(model, name)._django_fsm.transitions.values()))
    if isinstance(transition.permission, str):
        return transition.permission
    return RULE_PERMISSIONS[(label(model), name)]


def test_a_role_without_a_transitions_or_steps_permission_gets_403_and_changes_nothing(
    client, technician, world
):
    """The technical team reads every case and moves almost none: each transition and step
    of each case type it may not run answers 403, in any state, and writes nothing."""
    handler = get_user_model().objects.get(username="refunds.zhou")
    references = {"team": Team.objects.first().pk, "assigned_to": handler.pk, "handler": handler.pk}
    client.force_login(technician)
    tried = set()
    for case in world:
        model, model_admin = type(case), admin.site._registry[type(case)]
        targets = [
            (name, url(model, "transition", case.pk, name))
            for name in model_admin.transition_services
            if not technician.has_perm(role_permission(model, name))
        ] + [
            (step.slug, url(model, "step", case.pk, step.slug))
            for step in model_admin.steps
            if not technician.has_perm(step.permission)
        ]
        for name, target in targets:
            upload = SimpleUploadedFile("probe.png", PNG, content_type="image/png")
            before = fingerprint()
            response = client.post(target, {"version": case.version, **PROBE, **references, "file": upload})
            assert fingerprint() == before, target
            assert response.status_code == 403, (target, response.status_code, messages_of(response))
            assert client.get(target).status_code == 403, target  # and no form to fill in
            tried.add((label(model), name))
    assert {model for model, _ in tried} == {label(type(case)) for case in world}
    assert len(tried) >= 20


def way_back(response) -> list[tuple[str, str]]:
    """The links the 403 page offers under "Nothing was changed.": (address, words)."""
    assert "Nothing was changed." in forbidden(response) or "没有任何内容被修改。" in forbidden(response)
    found = re.search(r'(?s)<ul class="way-back">(.*?)</ul>', response.content.decode())
    assert found, "no way back on the 403 page"
    return [
        (href, " ".join(words.split()))
        for href, words in re.findall(r'<a href="([^"]*)">([^<]*)</a>', found[1])
    ]


def test_a_refused_write_offers_the_way_back_to_its_case_never_where_the_referer_points(
    client, auditor, agent
):
    """Told no on the 403 page, a clerk is one click from the case or the list they were on.
    The link is rebuilt from the refused address (the admin's own routes), whatever Referer
    the request came with; a page the user may not see is never offered."""
    complaint = complaint_in_state(State.ESCALATED, agent=agent)
    change, changelist = url(Complaint, "change", complaint.pk), url(Complaint, "changelist")
    home = (reverse("admin:index"), "Back office home")
    elsewhere = {"HTTP_REFERER": "https://elsewhere.example/phish"}
    client.force_login(auditor)

    for target in (
        url(Complaint, "transition", complaint.pk, "resolve"),
        url(Complaint, "step", complaint.pk, "add-note"),
        change,
    ):
        response = client.post(target, {"version": complaint.version, **PROBE}, **elsewhere)
        assert way_back(response) == [(change, f"Back to {complaint.reference}"), home], target
        assert "elsewhere.example" not in response.content.decode()
    refused_action = {"action": "delete_selected", "_selected_action": [complaint.pk]}
    response = client.post(changelist, refused_action, **elsewhere)
    assert way_back(response) == [(changelist, "Back to the list of complaints"), home]
    response = client.get(
        url(Complaint, "transition", complaint.pk, "resolve"), HTTP_ACCEPT_LANGUAGE="zh-hans"
    )
    assert way_back(response) == [(change, f"返回 {complaint.reference}"), (home[0], "后台首页")]

    # Staff who may not see complaints: only the way home, neither the case nor the list.
    client.force_login(make_user("no.role", None))
    for response in (
        client.get(change, **elsewhere),
        client.post(url(Complaint, "transition", complaint.pk, "resolve"), {"version": 0}, **elsewhere),
        client.post(changelist, refused_action, **elsewhere),
    ):
        assert way_back(response) == [home]
    assert Complaint.objects.values_list("state", "version").get(pk=complaint.pk) == (
        State.ESCALATED,
        complaint.version,
    )


def test_the_refusal_page_has_the_admins_header_with_the_users_tools(client, auditor, agent):
    """A 403 in the admin is an admin page: log out and the language are where they always
    are, and there is no "View site" into a 404 (there is no public site)."""
    complaint = complaint_in_state(State.ESCALATED, agent=agent)
    client.force_login(auditor)

    response = client.post(
        url(Complaint, "transition", complaint.pk, "resolve"), {"version": complaint.version}
    )

    assert response.status_code == 403
    page = response.content.decode()
    assert 'id="user-tools"' in page
    assert 'id="logout-form"' in page
    assert 'id="language-choice"' in page
    assert "View site" not in page
    assert "View site" not in client.get(reverse("admin:index")).content.decode()


def test_a_permitted_user_refused_by_a_condition_is_told_why_on_the_page(client, agent):
    """Not a 403: the agent may accept, the complaint is not ready (no identity check yet)."""
    complaint = complaint_services.register_complaint(
        actor=agent,
        channel="phone",
        category="other",
        customer_name="Li Wei",
        customer_phone="+86 138 0013 8000",
        description="Cannot log in.",
    )
    client.force_login(agent)
    response = client.post(url(Complaint, "transition", complaint.pk, "accept"), {"version": 0}, follow=True)
    assert response.redirect_chain and response.status_code == 200
    assert "The caller's identity has not been verified" in " ".join(messages_of(response))
    complaint.refresh_from_db()
    assert complaint.state == State.RECEIVED


@pytest.mark.parametrize(
    "path",
    [
        "/admin/complaints/complaint/abc/history/",
        "/admin/complaints/complaint/1/history/abc/",
        "/admin/accounts/accountrequest/1%00/history/",
        "/admin/refunds/refundcase/x/history/1/",
    ],
)
def test_a_malformed_key_in_a_history_address_is_no_such_page(client, supervisor, path):
    client.force_login(supervisor)

    assert client.get(path).status_code == 404


@pytest.mark.parametrize(
    "path",
    [
        "/admin/complaints/complaint/?q=%00",
        "/admin/complaints/complaint/?q=138%0000",
        "/admin/accounts/walletaccount/?q=%00",
        "/admin/accounts/accountrequest/?q=%00",
        "/admin/refunds/refundcase/?q=x%00y",
        "/admin/casework/transitionrecord/?q=%00",
    ],
)
def test_a_nul_in_an_admin_search_finds_nothing_instead_of_failing(client, supervisor, path):
    client.force_login(supervisor)

    listing = client.get(path)

    assert listing.status_code == 200
    assert listing.context["cl"].result_count == 0
