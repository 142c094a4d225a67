"""A rule of the shared layer refused the same at each of its doors: "Deliver now" is the
outbox service's to allow (``outbox.deliver_now``), and the admin's action only offers it."""

from __future__ import annotations

import pytest
from django.urls import reverse

from casework.core.errors import PermissionRefused
from casework.models import Notification
from casework.notices import outbox


@pytest.fixture
def pending(db) -> Notification:
    return outbox.enqueue(
        idempotency_key="escalation-1",
        kind="escalation",
        recipient="tech@wallet.example",
        subject="[CMP-1] escalated",
        body="Please look at it.",
    )


def deliver_now(client, *notices: Notification):
    return client.post(
        reverse("admin:casework_notification_changelist"),
        {"action": "retry_now", "_selected_action": [notice.pk for notice in notices]},
    )


def test_deliver_now_is_refused_by_the_service_to_a_user_who_may_only_read_notices(
    auditor, pending, mailoutbox
):
    with pytest.raises(PermissionRefused, match=r"^You do not have permission to deliver notices\.$"):
        outbox.deliver_now([pending.pk], actor=auditor)

    pending.refresh_from_db()
    assert (pending.status, pending.attempts, len(mailoutbox)) == (Notification.Status.PENDING, 0, 0)


def test_deliver_now_is_refused_by_the_service_without_a_user(pending, mailoutbox):
    with pytest.raises(PermissionRefused):
        outbox.deliver_now([pending.pk], actor=None)

    assert len(mailoutbox) == 0


def test_deliver_now_is_not_offered_in_the_admin_to_a_user_who_may_only_read_notices(
    client, auditor, pending, mailoutbox
):
    client.force_login(auditor)
    changelist = client.get(reverse("admin:casework_notification_changelist"))
    assert changelist.status_code == 200
    assert "Deliver now" not in changelist.content.decode()

    response = deliver_now(client, pending)  # posted by hand: the action is not there to run

    assert response.status_code == 403
    pending.refresh_from_db()
    assert (pending.status, len(mailoutbox)) == (Notification.Status.PENDING, 0)


def test_a_supervisor_delivers_now_through_the_service_from_either_door(client, supervisor, mailoutbox):
    first = outbox.enqueue(
        idempotency_key="n-1", kind="escalation", recipient="a@wallet.example", subject="s", body="b"
    )
    second = outbox.enqueue(
        idempotency_key="n-2", kind="escalation", recipient="b@wallet.example", subject="s", body="b"
    )

    assert outbox.deliver_now([first.pk], actor=supervisor) == 1
    client.force_login(supervisor)
    response = deliver_now(client, first, second)

    assert response.status_code == 302
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.status, second.status) == (Notification.Status.SENT, Notification.Status.SENT)
    assert len(mailoutbox) == 2
