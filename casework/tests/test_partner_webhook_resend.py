"""Re-sending partner webhooks by hand from the admin: the same event id again, a given-up
webhook delivered, a failed re-send said so, and only for who may deliver notices."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse
from django.utils import timezone

from casework.access import roles
from casework.core.errors import PermissionRefused
from casework.models import DeliveryAttempt, Notification
from casework.notices import outbox, webhooks
from casework.tests.admin import messages_of
from casework.tests.partner_endpoint import ACME_SECRET, accepted, partner_complaint, partner_events
from casework.tests.users import make_user


@pytest.fixture
def superuser(django_user_model):
    return django_user_model.objects.create_superuser("root", "root@wallet.example", "pw")


@pytest.fixture
def operator(db):
    """A supervisor who was also given the right to act on notices."""
    user = make_user("ops.lin", roles.SUPERVISOR)
    user.user_permissions.add(Permission.objects.get(codename="change_notification"))
    return type(user).objects.get(pk=user.pk)


def resend(client, *notices: Notification):
    return client.post(
        reverse("admin:casework_notification_changelist"),
        {"action": "resend", "_selected_action": [notice.pk for notice in notices]},
        follow=True,
    )


@pytest.fixture
def delivered_event(db, agent, subscribed, endpoint) -> Notification:
    accepted(partner_complaint(agent, subscribed), agent)
    notice = partner_events().get()
    assert outbox.deliver(notice.pk) is True
    notice.refresh_from_db()
    return notice


def test_re_send_sends_a_sent_webhook_again_with_the_same_id(client, superuser, delivered_event, endpoint):
    first_sent_at = delivered_event.sent_at
    client.force_login(superuser)
    response = resend(client, delivered_event)

    first, again = endpoint.received
    assert again.headers["webhook-id"] == first.headers["webhook-id"] == delivered_event.idempotency_key
    assert again.body == first.body
    webhooks.verify(ACME_SECRET, again.headers, again.body, now=timezone.now())
    latest = delivered_event.delivery_attempts.first()
    assert (latest.succeeded, latest.response_status, latest.triggered_by) == (True, 204, superuser)
    delivered_event.refresh_from_db()
    assert (delivered_event.status, delivered_event.sent_at) == (Notification.Status.SENT, first_sent_at)
    assert messages_of(response) == [
        f"Re-sent {delivered_event.idempotency_key} to {endpoint.url}/acme/ (HTTP 204): delivered."
    ]


def test_re_send_delivers_a_webhook_that_was_given_up(
    client, settings, operator, agent, subscribed, endpoint
):
    settings.OUTBOX_MAX_ATTEMPTS = 1
    endpoint.status = 500
    accepted(partner_complaint(agent, subscribed), agent)
    notice = partner_events().get()
    outbox.deliver(notice.pk)
    notice.refresh_from_db()
    assert notice.status == Notification.Status.FAILED

    endpoint.status = 204
    client.force_login(operator)
    response = resend(client, notice)

    notice.refresh_from_db()
    assert (notice.status, notice.last_error) == (Notification.Status.SENT, "")
    assert notice.sent_at is not None
    attempts = notice.delivery_attempts.order_by("attempted_at", "pk")
    assert [(a.succeeded, a.triggered_by) for a in attempts] == [(False, None), (True, operator)]
    assert "delivered" in messages_of(response)[0]


def test_a_failed_re_send_says_so_and_leaves_the_notice_as_it_was(
    client, superuser, delivered_event, endpoint
):
    endpoint.status = 500
    client.force_login(superuser)
    response = resend(client, delivered_event)

    delivered_event.refresh_from_db()
    assert delivered_event.status == Notification.Status.SENT
    assert delivered_event.pk not in outbox.due_for_retry(timezone.now() + dt.timedelta(days=1))
    latest = delivered_event.delivery_attempts.first()
    assert (latest.succeeded, latest.response_status, latest.triggered_by) == (False, 500, superuser)
    [message] = messages_of(response)
    assert message.startswith(f"Re-sent {delivered_event.idempotency_key} to {endpoint.url}/acme/: failed, ")
    assert message.endswith(
        "answered HTTP 500 Internal Server Error: partner system down for maintenance. It stays sent."
    )


def test_re_send_skips_pending_notices_and_e_mails(
    client, superuser, agent, subscribed, endpoint, mailoutbox
):
    accepted(partner_complaint(agent, subscribed), agent)
    pending = partner_events().get()
    mail = outbox.enqueue(
        idempotency_key="mail-1", kind="escalation", recipient="t@wallet.example", subject="s", body="b"
    )
    outbox.deliver(mail.pk)
    client.force_login(superuser)
    response = resend(client, pending, mail)

    assert endpoint.received == [] and len(mailoutbox) == 1
    assert not DeliveryAttempt.objects.filter(triggered_by=superuser).exists()
    assert messages_of(response) == [
        "Skipped 2 notice(s): only webhook notices already sent or given up are re-sent "
        "(a pending one goes out with Deliver now)."
    ]


def test_a_user_without_the_permission_cannot_re_send(client, auditor, delivered_event, endpoint):
    client.force_login(auditor)  # may read notices, not act on them
    changelist = client.get(reverse("admin:casework_notification_changelist"))
    assert changelist.status_code == 200
    assert "Re-send webhook" not in changelist.content.decode()

    response = resend(client, delivered_event)  # posted by hand: the action is not there to run
    assert response.status_code == 403
    assert len(endpoint.received) == 1
    assert delivered_event.delivery_attempts.count() == 1


def test_the_re_send_service_refuses_a_user_without_the_permission(auditor, delivered_event):
    with pytest.raises(PermissionRefused, match="permission to re-send"):
        outbox.resend(delivered_event.pk, actor=auditor)


def test_a_supervisor_may_re_send(supervisor, delivered_event, endpoint):
    assert outbox.resend(delivered_event.pk, actor=supervisor).succeeded
    assert len(endpoint.received) == 2
    assert delivered_event.delivery_attempts.filter(triggered_by=supervisor).count() == 1


def test_the_notice_page_shows_its_delivery_attempts(client, supervisor, delivered_event):
    client.force_login(supervisor)
    page = client.get(reverse("admin:casework_notification_change", args=[delivered_event.pk]))
    assert page.status_code == 200
    [inline] = page.context["inline_admin_formsets"]
    assert [form.original for form in inline] == list(delivered_event.delivery_attempts.all())
    assert "delivered" in page.content.decode()


def test_the_notice_list_filters_by_channel_and_finds_a_case_reference(client, supervisor, delivered_event):
    client.force_login(supervisor)
    url = reverse("admin:casework_notification_changelist")
    webhooks_only = client.get(url, {"channel__exact": "webhook"})
    assert list(webhooks_only.context["cl"].result_list) == [delivered_event]
    found = client.get(url, {"q": delivered_event.case_reference})
    assert list(found.context["cl"].result_list) == [delivered_event]
    assert list(client.get(url, {"channel__exact": "email"}).context["cl"].result_list) == []
