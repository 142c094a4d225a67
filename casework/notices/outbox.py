"""The notification outbox.

A notice is a row written in the same transaction as the transition that caused it;
a Celery task delivers it after commit. Delivery claims the row first, so two workers
(or a worker and the retry sweep) never send the same notice twice; a failure is
retried by the sweep with backoff, never by a broker timer. The idempotency key
also travels as the e-mail's Message-ID and as the webhook's ``webhook-id``, so a resend
after a worker died mid-send is recognisable downstream.

Three channels: e-mail, SMS (through ``sms.gateway()``), and a signed HTTP POST (Standard
Webhooks, see ``webhooks``) whose body is the stored JSON text, byte for byte. Any answer
but 2xx, a timeout or a refused connection is a failure like a refusing mail relay: kept,
retried, given up in the end.

A notice to a customer (``customers``) has its ``CustomerMessage``: its e-mail goes
multipart with the HTML and the threading headers stored there, and the message's status
follows the notice's (sent, failed). One held for quiet hours is written with a later
``not_before``: no task is sent for it, the retry sweep sends it when that time comes.

Every try, by a worker, the sweep or an operator's re-send, leaves a ``DeliveryAttempt``:
when, how long, what the other side answered, or why there was no answer.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import logging
import time
import urllib.error
import urllib.request
from collections.abc import Iterable, Iterator
from urllib.parse import urlsplit

from celery import current_app
from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.mail import EmailMultiAlternatives
from django.db import models, transaction
from django.db.models import F
from django.utils import timezone, translation
from django.utils.functional import Promise
from django.utils.translation import gettext

from casework.core.actors import Actor
from casework.core.errors import PermissionRefused, TransitionRefused
from casework.models import CustomerMessage, DeliveryAttempt, Notification
from casework.notices import replies, sms, webhooks

# The Celery task that delivers one notice (``casework.tasks``), sent by name: the task
# module imports this one, not the other way round.
DELIVER_TASK = "casework.tasks.deliver_notification"


logger = logging.getLogger(__name__)

MAX_BACKOFF_MINUTES = 60
FIRST_RETRY_AFTER = dt.timedelta(minutes=2)


# --- what a notice is written in, and how its kind is named ------------------------------


@contextlib.contextmanager
def notice_language() -> Iterator[None]:
    """Write a notice's subject and body inside this: a notice to a team's mailbox, a
    handler or a customer is in the deployment's language (``settings.LANGUAGE_CODE``),
    whichever language the request, task or shell that triggered it ran in."""
    with translation.override(settings.LANGUAGE_CODE):
        yield


_kind_labels: dict[str, Promise] = {}


def register_kind(kind: str, label: Promise) -> str:
    """Name a notice's ``kind`` in words staff read (the timeline, the outbox list); the
    code stays what is stored and filtered on. Returns the code, for the caller to use."""
    _kind_labels[kind] = label
    return kind


def kind_label(kind: str) -> str:
    """A notice's kind in the active language; an unregistered one as it is, "_" as " "."""
    label = _kind_labels.get(kind)
    return str(label) if label is not None else kind.replace("_", " ")


def kind_choices() -> list[tuple[str, str]]:
    """Every registered kind with its label, for a list's filter."""
    return sorted(((kind, str(label)) for kind, label in _kind_labels.items()), key=lambda pair: pair[1])


def enqueue(
    *,
    idempotency_key: str,
    kind: str,
    recipient: str,
    subject: str,
    body: str,
    case: models.Model | None = None,
    channel: str = Notification.Channel.EMAIL,
    signing_key: str = "",
    not_before: dt.datetime | None = None,
) -> Notification:
    """Write the notice (once per key) and deliver it after the surrounding commit, or,
    given ``not_before`` (an SMS in the customer's quiet hours), by the retry sweep then.

    A webhook notice goes to an http(s) URL, carries a JSON body and names the secret
    that signs it (``signing_key``); a mistake there is the caller's, refused at once.
    """
    if channel == Notification.Channel.WEBHOOK:
        _check_webhook(recipient=recipient, body=body, signing_key=signing_key)
    defaults = {
        # The task delivers it at once; the retry sweep looks only after this.
        "next_attempt_at": not_before or timezone.now() + FIRST_RETRY_AFTER,
        "kind": kind,
        "channel": channel,
        "recipient": recipient,
        "subject": subject[:200],
        "body": body,
        "signing_key": signing_key,
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
    if created and not_before is None:
        transaction.on_commit(lambda: publish(notification.pk))
    return notification


def publish(notification_id: int) -> None:
    """Hand the notice to a worker. If the broker is down the row waits for the sweep."""
    try:
        current_app.send_task(DELIVER_TASK, args=(notification_id,))
    except Exception:
        logger.exception("Broker unavailable; notice %s will go out with the outbox sweep", notification_id)


def backoff(attempts: int) -> dt.timedelta:
    return dt.timedelta(minutes=min(2 ** max(attempts - 1, 0), MAX_BACKOFF_MINUTES))


def _check_webhook(*, recipient: str, body: str, signing_key: str) -> None:
    if not signing_key:
        raise ValueError("A webhook notice needs a signing_key: the name of the secret that signs it")
    _check_url(recipient)
    try:
        json.loads(body)
    except ValueError as exc:
        raise ValueError(f"A webhook notice's body is JSON text: {exc}") from None


def _check_url(url: str) -> None:
    # urllib would also open file: and ftp: URLs; a notice only ever POSTs over HTTP.
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError(f"A webhook goes to an http(s) URL, not {url!r}")


class WebhookRefused(Exception):
    """The receiver answered, but not with a 2xx status."""

    def __init__(self, message: str, *, status: int) -> None:
        super().__init__(message)
        self.status = status


class WebhookUnreachable(Exception):
    """No answer: connection refused, name not resolved, or the timeout passed."""


class _RedirectsAreRefusals(urllib.request.HTTPRedirectHandler):
    # urllib would follow a 301/302 with a GET and drop the body: a payment instruction
    # answered by a redirect was not delivered, so the 3xx stays an HTTPError.
    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None


_http = urllib.request.build_opener(_RedirectsAreRefusals)


def _post_webhook(notification: Notification) -> int:
    """POST the notice signed by every secret its key names now; return the 2xx status."""
    url = notification.recipient
    _check_url(url)
    secrets = webhooks.secrets_for(notification.signing_key)
    body = notification.body.encode("utf-8")
    request = urllib.request.Request(
        url,
        data=body,
        method="POST",
        headers=webhooks.headers(secrets, notification.idempotency_key, body, timezone.now()),
    )
    timeout_s = settings.WEBHOOK_TIMEOUT
    try:
        with _http.open(request, timeout=timeout_s) as response:
            return response.status  # urllib raises HTTPError for every status but 2xx
    except urllib.error.HTTPError as exc:
        raise WebhookRefused(
            f"{url} answered HTTP {exc.code} {exc.reason}{_excerpt(exc)}", status=exc.code
        ) from None
    except urllib.error.URLError as exc:
        if isinstance(exc.reason, TimeoutError):
            raise WebhookUnreachable(f"{url} did not answer within {timeout_s} s") from None
        raise WebhookUnreachable(f"{url} is unreachable: {exc.reason}") from None
    except TimeoutError:
        raise WebhookUnreachable(f"{url} did not answer within {timeout_s} s") from None
    except OSError as exc:  # e.g. the connection dropped before the status line
        raise WebhookUnreachable(f"{url} failed before answering: {exc}") from None


def _excerpt(response: urllib.error.HTTPError, limit: int = 200) -> str:
    """The start of the receiver's error body, for the operator reading last_error."""
    try:
        text = response.read(limit).decode("utf-8", "replace")
    except Exception:
        return ""
    finally:
        response.close()
    text = " ".join(text.split())
    return f": {text}" if text else ""


def _send_email(notification: Notification) -> None:
    """Our Message-ID (the notice's key) on every e-mail; a customer's, from its
    ``CustomerMessage``, also goes multipart, with a Reply-To naming the message and the
    case's first e-mail as In-Reply-To / References (none on the first)."""
    mail = EmailMultiAlternatives(
        subject=notification.subject,
        body=notification.body,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[notification.recipient],
        headers={
            "Message-ID": replies.notice_message_id(notification.idempotency_key),
            "X-Idempotency-Key": notification.idempotency_key,
        },
    )
    message = CustomerMessage.objects.filter(notification=notification).first()
    if message is not None:
        mail.reply_to = [replies.reply_address(message.pk)]
        if message.in_reply_to:
            mail.extra_headers |= {"In-Reply-To": message.in_reply_to, "References": message.in_reply_to}
        if message.body_html:
            mail.attach_alternative(message.body_html, "text/html")
    mail.send(fail_silently=False)


def _send_sms(notification: Notification) -> None:
    sms.gateway().send(
        to=notification.recipient, text=notification.body, idempotency_key=notification.idempotency_key
    )


def _follow(notification: Notification) -> None:
    """The customer message a notice delivers takes its outcome (one UPDATE, none if none)."""
    if not notification.kind.startswith(CUSTOMER_KIND_PREFIX):
        return
    if notification.status == Notification.Status.SENT:
        CustomerMessage.objects.filter(notification=notification).update(
            status=CustomerMessage.Status.SENT, sent_at=notification.sent_at
        )
    elif notification.status == Notification.Status.FAILED:
        CustomerMessage.objects.filter(notification=notification).update(status=CustomerMessage.Status.FAILED)


def _is_held(notification_id: int, now: dt.datetime) -> bool:
    return CustomerMessage.objects.filter(
        notification_id=notification_id,
        status=CustomerMessage.Status.HELD,
        notification__next_attempt_at__gt=now,
    ).exists()


# The kinds of notices to customers (``customers.KIND_PREFIX``; that module builds on this one).
CUSTOMER_KIND_PREFIX = "customer_"


SENDERS = {
    Notification.Channel.EMAIL: _send_email,
    Notification.Channel.SMS: _send_sms,
    Notification.Channel.WEBHOOK: _post_webhook,
}


def _send(notification: Notification) -> int | None:
    """Send once; return the receiver's HTTP status, if the channel has one."""
    try:
        sender = SENDERS[notification.channel]
    except KeyError:
        raise ValueError(f"No sender for the channel {notification.channel!r}") from None
    return sender(notification)


def _attempt(notification: Notification, *, triggered_by=None) -> DeliveryAttempt:
    """Send once and record how it went; a transport error is recorded, not raised."""
    attempted_at = timezone.now()
    started = time.monotonic()
    attempt = DeliveryAttempt(notification=notification, attempted_at=attempted_at, triggered_by=triggered_by)
    try:
        attempt.response_status = _send(notification)
    except Exception as exc:  # any transport error: the caller decides what comes next
        attempt.succeeded = False
        attempt.response_status = getattr(exc, "status", None)
        attempt.error = f"{type(exc).__name__}: {exc}"
    else:
        attempt.succeeded = True
    attempt.duration_ms = round((time.monotonic() - started) * 1000)
    attempt.save()
    return attempt


def deliver(notification_id: int) -> bool:
    """Send one pending notice; True if this call sent it."""
    now = timezone.now()
    if _is_held(notification_id, now):  # an SMS in the customer's quiet hours: not even by hand
        return False
    with transaction.atomic():
        # The conditional UPDATE is the claim: it locks the row until commit, and a
        # second deliverer waits, then finds the notice no longer pending.
        claimed = Notification.objects.filter(pk=notification_id, status=Notification.Status.PENDING).update(
            attempts=F("attempts") + 1
        )
        if not claimed:
            return False
        notification = Notification.objects.get(pk=notification_id)
        attempt = _attempt(notification)
        if not attempt.succeeded:  # keep the row, retry later
            logger.warning(
                "Notice %s failed (attempt %s): %s", notification.pk, notification.attempts, attempt.error
            )
            notification.last_error = attempt.error
            if notification.attempts >= settings.OUTBOX_MAX_ATTEMPTS:
                notification.status = Notification.Status.FAILED
            else:
                notification.next_attempt_at = now + backoff(notification.attempts)
            notification.save(update_fields=["last_error", "status", "next_attempt_at"])
            _follow(notification)
            return False
        notification.status = Notification.Status.SENT
        notification.sent_at = now
        notification.last_error = ""
        notification.save(update_fields=["status", "sent_at", "last_error"])
        _follow(notification)
    return True


# Who may deliver a notice at once or send it again by hand.
OPERATE_PERMISSION = "casework.change_notification"


def deliver_now(notification_ids: Iterable[int], *, actor: Actor) -> int:
    """Staff send pending notices at once rather than at their next try ("Deliver now");
    how many went out. A notice no longer pending (a worker sent it meanwhile) is left as
    it is: delivery claims each row, so none is sent twice."""
    if actor is None or not actor.has_perm(OPERATE_PERMISSION):
        raise PermissionRefused(gettext("You do not have permission to deliver notices."))
    return sum(deliver(notification_id) for notification_id in notification_ids)


RESENDABLE = (Notification.Status.SENT, Notification.Status.FAILED)


def resend(notification_id: int, *, actor: Actor) -> DeliveryAttempt:
    """Send a webhook notice that was sent or given up once more, by hand, with the same
    ``webhook-id`` so the receiver can tell it is a repeat.

    The try is recorded under ``actor``. Success leaves the notice sent; a failure leaves
    it as it was (a sent notice stays sent, a given-up one given up): the sweep never
    picks it up again, the operator decides.
    """
    if actor is None or not actor.has_perm(OPERATE_PERMISSION):
        raise PermissionRefused(gettext("You do not have permission to re-send notices."))
    with transaction.atomic():
        # Locked while it goes out: two operators re-sending at once send it one after the other.
        notification = Notification.objects.select_for_update().get(pk=notification_id)
        if notification.channel != Notification.Channel.WEBHOOK:
            raise TransitionRefused(
                gettext("Only webhook notices are re-sent; %(notice)s is an e-mail.")
                % {"notice": notification}
            )
        if notification.status not in RESENDABLE:
            raise TransitionRefused(
                gettext("%(notice)s is still pending: deliver it now instead, it is not re-sent.")
                % {"notice": notification}
            )
        attempt = _attempt(notification, triggered_by=actor)
        notification.attempts += 1
        if attempt.succeeded:
            notification.status = Notification.Status.SENT
            notification.sent_at = notification.sent_at or attempt.attempted_at
            notification.last_error = ""
        elif notification.status == Notification.Status.FAILED:
            notification.last_error = attempt.error
        notification.save(update_fields=["attempts", "status", "sent_at", "last_error"])
    return attempt


def due_for_retry(now: dt.datetime, *, limit: int = 200) -> list[int]:
    """Pending notices whose next attempt is due, oldest first (read by index)."""
    return list(
        Notification.objects.filter(status=Notification.Status.PENDING, next_attempt_at__lte=now)
        .order_by("next_attempt_at")
        .values_list("pk", flat=True)[:limit]
    )
