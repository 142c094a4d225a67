"""Filing one message from a customer on its case, in the caller's transaction.

The message is kept as an incoming ``CustomerMessage`` (status received). Then the case
reacts as its kind says (``CaseKind.replies``): waiting on the customer, its own reply
transition resumes the clock and tells the holder; in any other open state the holder is
told and nothing moves; on a case that has ended the holder is told and a note on the
case says it was not reopened. An automatic answer (an out-of-office) is filed and moves
nothing.
"""

from __future__ import annotations

import datetime as dt
import logging

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.utils import translation
from django.utils.translation import gettext

from casework.cases.transitions import claimed
from casework.models import CustomerLanguage, CustomerMessage, HandbackKind, kinds
from casework.workspace.handbacks import hand_back

logger = logging.getLogger(__name__)

# What an incoming message is (``CustomerMessage.kind``).
REPLY = "customer_reply"
NEW_CASE = "customer_email"  # the e-mail that opened its case
AUTOMATIC = "automatic_reply"

# The holder's e-mail quotes this much of the reply; the case page has all of it.
EXCERPT_LENGTH = 500


def replies_of(case: models.Model) -> kinds.CustomerReplies:
    return kinds.kind_of(type(case)).replies or kinds.CustomerReplies()


def incoming(message_id: str) -> CustomerMessage | None:
    """The message already filed under the sender's ``message_id``, if any."""
    if not message_id:
        return None
    return CustomerMessage.objects.filter(
        direction=CustomerMessage.Direction.INCOMING, message_id=message_id
    ).first()


def file_on_case(
    case: models.Model,
    *,
    channel: str,
    address: str,
    body_text: str,
    received_at: dt.datetime,
    message_id: str = "",
    in_reply_to: str = "",
    subject: str = "",
    body_html: str = "",
    kind: str = REPLY,
) -> CustomerMessage:
    return CustomerMessage.objects.create(
        content_type=ContentType.objects.get_for_model(case),
        object_id=case.pk,
        case_reference=getattr(case, "reference", "") or "",
        direction=CustomerMessage.Direction.INCOMING,
        channel=channel,
        kind=kind,
        address=address[:254],
        language=getattr(case, "customer_language", "") or CustomerLanguage.ZH_HANS,
        subject=subject[:200],
        body_text=body_text,
        body_html=body_html,
        status=CustomerMessage.Status.RECEIVED,
        message_id=message_id[:255],
        in_reply_to=in_reply_to[:255],
        sent_at=received_at,
    )


def react(case: models.Model, message: CustomerMessage) -> None:
    """What the case does with the customer's message (see the module's docstring)."""
    if message.kind == AUTOMATIC:
        return
    kind = kinds.kind_of(type(case))
    replies = replies_of(case)
    if case.state in replies.awaiting_states and replies.replied is not None:
        replies.replied(case, message.channel)  # resumes the clock and tells the holder
        return
    excerpt = message.body_text[:EXCERPT_LENGTH]
    with claimed(case):  # news on the case: its version names this message for the hand-back
        hand_back(case, kind=HandbackKind.CUSTOMER_REPLIED, actor=None, detail=excerpt)
    if case.state not in kind.open_states:
        with translation.override(settings.LANGUAGE_CODE):
            say(
                case,
                gettext(
                    "The customer wrote by %(channel)s after the case was %(state)s: their message "
                    "is filed here and the case was not reopened."
                )
                % {"channel": message.get_channel_display(), "state": case.get_state_display()},
            )


def say(case: models.Model, text: str) -> None:
    """A note by the intake on the case, where its kind takes notes; else the log."""
    note = replies_of(case).note
    if note is None:
        logger.info("%s: %s", getattr(case, "reference", case), text)
        return
    note(case, text)
