"""The notification outbox.

A notice is a row written in the same transaction as the transition that caused it;
a Celery task delivers it after commit. Delivery claims the row first, so two workers
(or a worker and the retry sweep) never send the same notice twice; a failure is
retried by the sweep with backoff, never by a broker timer. The idempotency key
also travels as the e-mail's Message-ID, so a resend after a worker died mid-send is
recognisable downstream.
"""

from __future__ import annotations

import datetime as dt
import logging

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.mail import EmailMessage
from django.db import models, transaction
from django.db.models import F
from django.utils import timezone

from .models import Notification

logger = logging.getLogger(__name__)

MAX_BACKOFF_MINUTES = 60
FIRST_RETRY_AFTER = dt.timedelta(minutes=2)


def enqueue(
    *,
    idempotency_key: str,
    kind: str,
    recipient: str,
    subject: str,
    body: str,
    case: models.Model | None = None,
) -> Notification:
    """Write the notice (once per key) and deliver it after the surrounding commit."""
    defaults = {
        # The task delivers it at once; the retry sweep looks only after this.
        "next_attempt_at": timezone.now() + FIRST_RETRY_AFTER,
        "kind": kind,
        "recipient": recipient,
        "subject": subject[:200],
        "body": body,
    }
    if case is not None:
        defaults |= {
            "content_type": ContentType.objects.get_for_model(case),
            "object_id": case.pk,
            "case_reference": getattr(case, "reference", ""),
        }
    notification, created = Notification.objects.get_or_create(
        idempotency_key=idempotency_key, defaults=defaults
    )
    if created:
        transaction.on_commit(lambda: publish(notification.pk))
    return notification


def publish(notification_id: int) -> None:
    """Hand the notice to a worker. If the broker is down the row waits for the sweep."""
    from .tasks import deliver_notification

    try:
        deliver_notification.delay(notification_id)
    except Exception:
        logger.exception("Broker unavailable; notice %s will go out with the outbox sweep", notification_id)


def backoff(attempts: int) -> dt.timedelta:
    return dt.timedelta(minutes=min(2 ** max(attempts - 1, 0), MAX_BACKOFF_MINUTES))


def _send(notification: Notification) -> None:
    domain = settings.DEFAULT_FROM_EMAIL.rpartition("@")[2] or "backoffice"
    message = EmailMessage(
        subject=notification.subject,
        body=notification.body,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[notification.recipient],
        headers={
            "Message-ID": f"<{notification.idempotency_key}@{domain}>",
            "X-Idempotency-Key": notification.idempotency_key,
        },
    )
    message.send(fail_silently=False)


def deliver(notification_id: int) -> bool:
    """Send one pending notice; True if this call sent it."""
    now = timezone.now()
    with transaction.atomic():
        # The conditional UPDATE is the claim: it locks the row until commit, and a
        # second deliverer waits, then finds the notice no longer pending.
        claimed = Notification.objects.filter(pk=notification_id, status=Notification.Status.PENDING).update(
            attempts=F("attempts") + 1
        )
        if not claimed:
            return False
        notification = Notification.objects.get(pk=notification_id)
        try:
            _send(notification)
        except Exception as exc:  # any transport error: keep the row, retry later
            logger.warning("Notice %s failed (attempt %s): %s", notification.pk, notification.attempts, exc)
            notification.last_error = f"{type(exc).__name__}: {exc}"
            if notification.attempts >= settings.OUTBOX_MAX_ATTEMPTS:
                notification.status = Notification.Status.FAILED
            else:
                notification.next_attempt_at = now + backoff(notification.attempts)
            notification.save(update_fields=["last_error", "status", "next_attempt_at"])
            return False
        notification.status = Notification.Status.SENT
        notification.sent_at = now
        notification.last_error = ""
        notification.save(update_fields=["status", "sent_at", "last_error"])
    return True


def due_for_retry(now: dt.datetime, *, limit: int = 200) -> list[int]:
    """Pending notices whose next attempt is due, oldest first (read by index)."""
    return list(
        Notification.objects.filter(status=Notification.Status.PENDING, next_attempt_at__lte=now)
        .order_by("next_attempt_at")
        .values_list("pk", flat=True)[:limit]
    )
