"""An e-mail from a customer, filed: a reply lands on the case of the message it answers,
found by the signed reply address it was sent to (``casework.notices.replies``, on each
To, Cc and Delivered-To), else by the ``In-Reply-To`` / ``References`` it quotes (our
Message-IDs, kept on each ``CustomerMessage``). An e-mail that answers no case (from an
unknown sender, or to a forged reply address) opens a new case on the e-mail channel,
through the kind that opens cases from messages (complaints).

The sender's Message-ID is kept and unique, so the same e-mail filed twice (fetched
again after a crash, posted twice by a provider) is filed once. Attachments go through
the evidence check of the case's kind; a refused file is noted on the case, the rest is
filed. Both intakes (``mailbox``, ``webhooks``) hand over an
``anymail.inbound.AnymailInboundMessage``.
"""

from __future__ import annotations

import hashlib
import logging
import re
from email.utils import getaddresses
from pathlib import PurePath

from anymail.inbound import AnymailInboundMessage
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.validators import validate_email
from django.db import IntegrityError, models, transaction
from django.utils import timezone, translation
from django.utils.html import strip_tags
from django.utils.translation import gettext

from casework.core.errors import InvalidInput
from casework.intake import filing
from casework.models import CustomerChannel, CustomerLanguage, CustomerMessage, kinds
from casework.notices.replies import message_from_address

logger = logging.getLogger(__name__)

# Where the address a reply was sent to may be: the headers, and the envelope a provider reports.
RECIPIENT_HEADERS = ("To", "Cc", "Delivered-To", "X-Original-To", "Envelope-To")
MESSAGE_ID = re.compile(r"<[^<>\s]{1,250}>")
# A customer's e-mail is kept whole up to this; a longer one is cut (the attachments are files).
MAX_TEXT = 100_000
MAX_ATTACHMENTS = 10
CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")


def file_customer_email(message: AnymailInboundMessage) -> CustomerMessage | None:
    """File ``message`` on its case, or open a case with it; the message as filed (the one
    filed before, for a message seen again), or None for mail that is nobody's (an
    automatic answer to no case, no sender). One transaction."""
    message_id = sender_message_id(message)
    if (filed := filing.incoming(message_id)) is not None:
        return filed
    try:
        with transaction.atomic():
            return _file(message, message_id)
    except IntegrityError:
        # Filed meanwhile by another fetch: the unique Message-ID refused the second.
        if (filed := filing.incoming(message_id)) is None:
            raise
        return filed


def sender_message_id(message: AnymailInboundMessage) -> str:
    """The sender's Message-ID; for a message without one, one made of its bytes."""
    found = MESSAGE_ID.search(message.get("Message-ID") or "")
    if found:
        return found.group(0)
    return f"<{hashlib.sha256(message.as_bytes()).hexdigest()[:40]}@no-message-id>"


def _file(message: AnymailInboundMessage, message_id: str) -> CustomerMessage | None:
    sender = _sender(message)
    automatic = is_automatic(message, sender)
    case = case_by_reply_address(message) or case_by_thread(message)
    subject = (message.subject or "").strip()
    text = _text(message)
    received_at = timezone.now()
    if case is None:
        if automatic or not sender:
            logger.info("Mail %s answers no case and is not a customer's: not filed", message_id)
            return None
        case = _open_case(message, sender, subject, text, received_at)
        if case is None:
            return None
        kind = filing.NEW_CASE
    else:
        kind = filing.AUTOMATIC if automatic else filing.REPLY
    filed = filing.file_on_case(
        case,
        channel=CustomerChannel.EMAIL,
        address=sender or (message.get("From") or "")[:254],
        subject=subject,
        body_text=text,
        body_html=(message.html or "")[:MAX_TEXT],
        message_id=message_id,
        in_reply_to=(message.get("In-Reply-To") or "").strip(),
        received_at=received_at,
        kind=kind,
    )
    if not automatic:
        file_attachments(case, message)
    if kind != filing.NEW_CASE:
        filing.react(case, filed)
    return filed


def _sender(message: AnymailInboundMessage) -> str:
    address = message.from_email
    candidate = (address.addr_spec if address else "").strip().lower()
    try:
        validate_email(candidate)
    except ValidationError:
        return ""
    return candidate


def _text(message: AnymailInboundMessage) -> str:
    text = message.text
    if not text and message.html:
        text = strip_tags(message.html)
    return (text or "").strip()[:MAX_TEXT]


def is_automatic(message: AnymailInboundMessage, sender: str) -> bool:
    """An answer no person wrote (RFC 3834's Auto-Submitted, an out-of-office, a bounce):
    filed on its case, but it resumes nothing and opens nothing."""
    if (message.get("Auto-Submitted") or "no").strip().lower() != "no":
        return True
    if (message.get("Precedence") or "").strip().lower() in {"bulk", "junk", "list", "auto_reply"}:
        return True
    if message.get("X-Autoreply") or message.get("X-Autorespond"):
        return True
    return sender.partition("@")[0] in {"mailer-daemon", "postmaster"}


def case_by_reply_address(message: AnymailInboundMessage) -> models.Model | None:
    """The case of the outgoing message whose signed reply address this was sent to."""
    values = [value for header in RECIPIENT_HEADERS for value in (message.get_all(header) or [])]
    if message.envelope_recipient:
        values.append(message.envelope_recipient)
    for _name, address in getaddresses([str(value) for value in values]):
        number = message_from_address(address)
        if number is None:
            continue
        sent = CustomerMessage.objects.filter(pk=number, direction=CustomerMessage.Direction.OUTGOING).first()
        if sent is not None and sent.case is not None:
            return sent.case
    return None


def case_by_thread(message: AnymailInboundMessage) -> models.Model | None:
    """The case of a message this one quotes in ``In-Reply-To`` or ``References``."""
    quoted = " ".join(str(message.get(header) or "") for header in ("In-Reply-To", "References"))
    ids = MESSAGE_ID.findall(quoted)[-50:]
    if not ids:
        return None
    for known in CustomerMessage.objects.filter(message_id__in=ids).order_by("-created_at", "-id"):
        if known.case is not None:
            return known.case
    return None


def _open_case(message, sender: str, subject: str, text: str, received_at) -> models.Model | None:
    opener = next(
        (
            kind.replies.open_from_message
            for kind in kinds.registered()
            if kind.replies and kind.replies.open_from_message
        ),
        None,
    )
    if opener is None:
        logger.warning("No case kind opens cases from e-mail: %s from %s not filed", subject, sender)
        return None
    address = message.from_email
    return opener(
        sender=sender,
        name=(address.display_name if address else "").strip(),
        subject=subject,
        text=text,
        language=CustomerLanguage.ZH_HANS if CJK.search(f"{subject} {text}") else CustomerLanguage.EN,
        received_at=received_at,
    )


def file_attachments(case: models.Model, message: AnymailInboundMessage) -> None:
    """Each attachment through the kind's evidence check; a refused one noted on the case."""
    attach = filing.replies_of(case).attach
    files = list(message.attachments)
    if not files:
        return
    with translation.override(settings.LANGUAGE_CODE):
        if attach is None:
            filing.say(
                case,
                gettext("The customer's e-mail had %(count)s attachments; this case takes no files.")
                % {"count": len(files)},
            )
            return
        description = gettext("Sent by the customer by e-mail")
        for number, part in enumerate(files, start=1):
            name = PurePath(part.get_filename() or "").name or gettext("attachment %(number)s") % {
                "number": number
            }
            if number > MAX_ATTACHMENTS:
                filing.say(
                    case,
                    gettext(
                        "'%(name)s' from the customer's e-mail was not filed: one e-mail brings at most "
                        "%(count)s files."
                    )
                    % {"name": name, "count": MAX_ATTACHMENTS},
                )
                continue
            upload = SimpleUploadedFile(name, part.get_content_bytes() or b"", part.get_content_type())
            try:
                with transaction.atomic():
                    attach(case, upload, description)
            except InvalidInput as refusal:
                filing.say(
                    case,
                    gettext("A file from the customer's e-mail was not filed: %(why)s") % {"why": refusal},
                )
