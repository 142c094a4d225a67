"""What the mail intake's tests send and answer: a notice as the outbox sends it (the
outgoing ``CustomerMessage`` with our Message-ID), a customer's e-mail, an SMS gateway's
signed post."""

from __future__ import annotations

import itertools
import json
from email.message import EmailMessage

from django.contrib.contenttypes.models import ContentType
from django.utils import timezone

from casework.models import CustomerChannel, CustomerMessage
from casework.notices import webhooks
from casework.notices.replies import notice_message_id, reply_address

CUSTOMER = "li.wei@example.com"
_numbers = itertools.count(1)


def sent_notice(case, *, kind: str = "acceptance") -> CustomerMessage:
    """An e-mail to the customer of ``case`` as the outbox writes and sends it."""
    key = f"{case._meta.model_name}-{case.pk}-{kind}-{next(_numbers)}"
    return CustomerMessage.objects.create(
        content_type=ContentType.objects.get_for_model(case),
        object_id=case.pk,
        case_reference=case.reference,
        direction=CustomerMessage.Direction.OUTGOING,
        channel=CustomerChannel.EMAIL,
        kind=kind,
        address=CUSTOMER,
        subject=f"[{case.reference}] We have received your complaint",
        body_text="We will answer within 15 days.",
        status=CustomerMessage.Status.SENT,
        message_id=notice_message_id(key),
        sent_at=timezone.now(),
    )


def customer_email(
    to: str,
    text: str = "Here is my bank statement, as you asked.",
    *,
    sender: str = CUSTOMER,
    subject: str = "Re: your complaint",
    in_reply_to: str = "",
    attachments: tuple[tuple[str, str, bytes], ...] = (),
    headers: dict[str, str] | None = None,
) -> EmailMessage:
    message = EmailMessage()
    message["From"] = f"Li Wei <{sender}>"
    message["To"] = to
    message["Subject"] = subject
    message["Message-ID"] = f"<reply-{next(_numbers)}-{timezone.now().timestamp()}@example.com>"
    if in_reply_to:
        message["In-Reply-To"] = in_reply_to
        message["References"] = in_reply_to
    for name, value in (headers or {}).items():
        message[name] = value
    message.set_content(text)
    for name, content_type, content in attachments:
        maintype, _, subtype = content_type.partition("/")
        message.add_attachment(content, maintype=maintype, subtype=subtype, filename=name)
    return message


def reply_to(notice: CustomerMessage, text: str = "Here is my bank statement, as you asked.", **options):
    """The customer's answer to ``notice``, sent to its signed reply address."""
    return customer_email(reply_address(notice.pk), text, in_reply_to=notice.message_id, **options)


def signed_sms(client, secret: str, payload: dict, *, at=None, headers: dict | None = None):
    body = json.dumps(payload)
    signed = webhooks.headers(secret, f"msg_{next(_numbers)}", body, at or timezone.now())
    signed.pop("Content-Type")
    signed.update(headers or {})
    return client.post("/inbound/sms/", body, content_type="application/json", headers=signed)
