"""The notification outbox: written with the caller's transaction, keyed once, delivered once,
retried with backoff, and given up after the configured number of attempts."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.mail.backends.base import BaseEmailBackend
from django.db import transaction
from django.utils import timezone

from casework.models import Notification
from casework.notices import outbox


class RefusingBackend(BaseEmailBackend):
    """An e-mail backend whose relay refuses every connection, like a relay that is down."""

    def send_messages(self, email_messages):
        raise ConnectionRefusedError("SMTP relay at mail.wallet.example:25 refused the connection")


REFUSING_BACKEND = f"{__name__}.RefusingBackend"


def enqueue(key: str = "complaint-1-escalation-v3") -> Notification:
    return outbox.enqueue(
        idempotency_key=key,
        kind="escalation",
        recipient="tech-team@wallet.example",
        subject="[CMP-20261125-000001] escalated to Technical team",
        body="Ledger shows a debit without a merchant settlement.",
    )


def test_enqueue_writes_the_row_in_the_callers_transaction(db, django_capture_on_commit_callbacks):
    with (
        django_capture_on_commit_callbacks() as callbacks,
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        enqueue()
        assert Notification.objects.count() == 1  # visible inside the transaction
        raise RuntimeError("the transition failed after the notice was written")
    assert not Notification.objects.exists()
    assert callbacks == []  # nothing is handed to a worker for a rolled-back notice


def test_enqueue_publishes_only_after_commit(db, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as callbacks:
        notice = enqueue()
    assert notice.status == Notification.Status.PENDING
    assert len(callbacks) == 1


def test_the_same_idempotency_key_gives_one_row(db, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as callbacks:
        first = enqueue()
        second = enqueue()
    assert first.pk == second.pk
    assert Notification.objects.count() == 1
    assert len(callbacks) == 1  # the repeat does not publish again


def test_deliver_sends_once(db, mailoutbox):
    notice = enqueue()
    assert outbox.deliver(notice.pk) is True
    assert outbox.deliver(notice.pk) is False
    assert len(mailoutbox) == 1
    message = mailoutbox[0]
    assert message.to == ["tech-team@wallet.example"]
    assert message.subject.startswith("[CMP-20261125-000001]")
    assert message.extra_headers["X-Idempotency-Key"] == notice.idempotency_key
    notice.refresh_from_db()
    assert notice.status == Notification.Status.SENT
    assert notice.attempts == 1 and notice.sent_at is not None


def test_a_failing_transport_leaves_the_notice_pending_with_backoff(db, settings, mailoutbox):
    settings.EMAIL_BACKEND = REFUSING_BACKEND
    notice = enqueue()
    before = timezone.now()
    assert outbox.deliver(notice.pk) is False
    after = timezone.now()
    notice.refresh_from_db()
    assert notice.status == Notification.Status.PENDING
    assert notice.attempts == 1
    assert notice.last_error == (
        "ConnectionRefusedError: SMTP relay at mail.wallet.example:25 refused the connection"
    )
    assert before + outbox.backoff(1) <= notice.next_attempt_at <= after + outbox.backoff(1)
    assert outbox.backoff(1) == dt.timedelta(minutes=1)
    assert mailoutbox == []


def test_retries_back_off_and_only_due_notices_are_retried(db, settings):
    settings.EMAIL_BACKEND = REFUSING_BACKEND
    notice = enqueue()
    outbox.deliver(notice.pk)
    first_retry = Notification.objects.get(pk=notice.pk).next_attempt_at
    assert notice.pk not in outbox.due_for_retry(timezone.now())
    assert notice.pk in outbox.due_for_retry(first_retry)
    before = timezone.now()
    outbox.deliver(notice.pk)
    second_retry = Notification.objects.get(pk=notice.pk).next_attempt_at
    assert before + dt.timedelta(minutes=2) <= second_retry <= timezone.now() + dt.timedelta(minutes=2)
    assert [outbox.backoff(n).total_seconds() // 60 for n in (1, 2, 3, 4, 7, 20)] == [1, 2, 4, 8, 60, 60]


def test_a_notice_is_given_up_after_the_maximum_attempts(db, settings, mailoutbox):
    settings.EMAIL_BACKEND = REFUSING_BACKEND
    settings.OUTBOX_MAX_ATTEMPTS = 3
    notice = enqueue()
    for _ in range(3):
        assert outbox.deliver(notice.pk) is False
    notice.refresh_from_db()
    assert notice.status == Notification.Status.FAILED
    assert notice.attempts == 3
    assert "refused the connection" in notice.last_error
    assert notice.pk not in outbox.due_for_retry(timezone.now() + dt.timedelta(days=1))
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    assert outbox.deliver(notice.pk) is False  # failed is final: an operator re-queues by hand
    assert mailoutbox == []


def test_a_notice_that_failed_once_goes_out_on_retry(db, settings, mailoutbox):
    settings.EMAIL_BACKEND = REFUSING_BACKEND
    notice = enqueue()
    outbox.deliver(notice.pk)
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    assert outbox.deliver(notice.pk) is True
    notice.refresh_from_db()
    assert (notice.status, notice.attempts, notice.last_error) == (Notification.Status.SENT, 2, "")
    assert len(mailoutbox) == 1
