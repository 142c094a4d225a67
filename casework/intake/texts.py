"""An SMS from a customer, filed: it lands on the case of that number (the customer's
latest open case of a kind that keeps a phone, else their latest case of any state), as
an incoming message that resumes a case waiting on them. "TD", "STOP" or "退订" is no
reply: it records the customer's opt-out of SMS (``ContactOptOut``), which the outbox
honours from then on. The gateway's own id of the message is kept, so a webhook the
gateway posts again is filed once.
"""

from __future__ import annotations

import datetime as dt
import logging

from django.db import IntegrityError, models, transaction
from django.utils import timezone

from casework.core.errors import InvalidInput
from casework.core.phones import PHONE_MESSAGE, normalise_phone, parse_phone
from casework.intake import filing
from casework.models import ContactOptOut, CustomerChannel, CustomerMessage, kinds

logger = logging.getLogger(__name__)

# What a customer texts to stop SMS: the Chinese carriers' "TD" (退订), and "STOP".
OPT_OUT_WORDS = frozenset({"TD", "STOP", "退订", "UNSUBSCRIBE"})
MAX_TEXT = 2000


def is_opt_out(text: str) -> bool:
    # "TD." and "TD!" too, in half- and full-width punctuation.
    return (text or "").strip().strip(".!\u3002\uff01").upper() in OPT_OUT_WORDS


def file_customer_sms(
    from_number: str, text: str, received_at: dt.datetime | None = None, gateway_id: str = ""
) -> CustomerMessage | ContactOptOut | None:
    """File the SMS ``text`` from ``from_number`` on its case, or record the opt-out it asks
    for; None when the number has no case. One transaction."""
    if parse_phone(from_number) is None:
        raise InvalidInput(str(PHONE_MESSAGE), field="from")
    phone = normalise_phone(from_number)
    if is_opt_out(text):
        opt_out, _created = ContactOptOut.objects.get_or_create(
            channel=CustomerChannel.SMS, address=phone, defaults={"reason": f"SMS: {text.strip()[:180]}"}
        )
        return opt_out
    message_id = f"sms:{gateway_id}" if gateway_id else ""
    if (filed := filing.incoming(message_id)) is not None:
        return filed
    try:
        with transaction.atomic():
            case = case_of_phone(phone)
            if case is None:
                logger.info("SMS from a number with no case: not filed (gateway id %s)", gateway_id or "-")
                return None
            filed = filing.file_on_case(
                case,
                channel=CustomerChannel.SMS,
                address=phone,
                body_text=(text or "").strip()[:MAX_TEXT],
                message_id=message_id,
                received_at=received_at or timezone.now(),
            )
            filing.react(case, filed)
            return filed
    except IntegrityError:
        if (filed := filing.incoming(message_id)) is None:
            raise
        return filed


def case_of_phone(phone: str) -> models.Model | None:
    """The customer's latest open case, over every kind that keeps a phone; else their latest.
    A blank number is nobody's: a case whose customer's phone is not known yet is never found."""
    if not phone:
        return None
    open_cases, ended = [], []
    for kind in kinds.registered():
        field = kind.replies.phone_field if kind.replies else ""
        if not field:
            continue
        cases = kind.model.objects.filter(**{field: phone}).order_by("-pk")
        if (found := cases.filter(kind.open_q()).first()) is not None:
            open_cases.append(found)
        elif (found := cases.first()) is not None:
            ended.append(found)
    for candidates in (open_cases, ended):
        if candidates:
            return max(candidates, key=lambda case: getattr(case, "created_at", None) or timezone.now())
    return None
