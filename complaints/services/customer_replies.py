"""Staff writing to the complaint's customer: a reply template (``MessageTemplate``) as the
start, the agent's edits, and the message kept exactly as it was sent.

The reply is a step (it keeps the state) with its own record in the trail, and the
message is written in the step's transaction through ``casework.notices.customers``, so
the outbox sends it once, by SMS or e-mail, with the same quiet hours and opt-outs as
the notices.
"""

from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext as _

from casework.cases.opening import require
from casework.cases.transitions import permitted_step
from casework.core.actors import Actor
from casework.core.errors import InvalidInput
from casework.models import CustomerChannel, CustomerMessage, MessageTemplate
from casework.notices import customers, message_templates
from complaints.models import MESSAGE_STATES, Complaint
from complaints.services import customer_notices

REPLY_PERMISSION = "complaints.reply_to_customer_complaint"
# An SMS reply in at most this many characters (a few parts; the gateway joins them).
SMS_REPLY_MAX_LENGTH = 335
EMAIL_REPLY_MAX_LENGTH = 4000


def reply_refusal(complaint: Complaint) -> str | None:
    """Why staff may not write to this complaint's customer now, or None if they may."""
    contact = customer_notices.customer_contact(complaint)
    if contact is None or not contact.is_told_directly:
        return _(
            "The partner that filed this complaint tells its customer itself: reply through the partner."
        )
    if complaint.state not in MESSAGE_STATES:
        return _("The complaint has ended: it takes no more replies.")
    return None


def may_reply(complaint: Complaint) -> bool:
    return reply_refusal(complaint) is None


def reply_values(complaint: Complaint, actor: Actor) -> dict[str, str]:
    """The placeholders a reply template fills on this complaint, in its customer's language."""
    contact = customer_notices.customer_contact(complaint)
    context = customer_notices.shared_context() | {
        "case": complaint,
        "contact": contact,
        "reference": complaint.reference,
        "deadline": customers.local_date(complaint.sla_clock.resolution_due_at),
        "agent_name": (actor.first_name or actor.get_username()) if actor is not None else "",
    }
    return message_templates.notice_values(context, complaint.customer_language)


def start_from(complaint: Complaint, actor: Actor, template: MessageTemplate) -> dict[str, str]:
    """What the reply form opens with when the agent starts from ``template``."""
    written = message_templates.render(template, reply_values(complaint, actor))
    channel = customer_notices.customer_contact(complaint).channel
    text = written.sms if channel == CustomerChannel.SMS and written.sms else written.text
    return {"channel": channel, "subject": written.subject, "text": text, "template_code": template.code}


def reply_to_customer(
    *,
    complaint: Complaint,
    actor: Actor,
    channel: str,
    text: str,
    subject: str = "",
    template_code: str = "",
) -> CustomerMessage:
    """Write to the complaint's customer by ``channel``: once, through the outbox, kept as sent.

    E-mail needs the customer's address; an SMS at most ``SMS_REPLY_MAX_LENGTH`` characters.
    A partner's customer is the partner's to tell (``reply_refusal``)."""
    step = permitted_step(complaint, "reply_to_customer", actor=actor, permission=REPLY_PERMISSION)
    refusal = reply_refusal(complaint)
    if refusal:
        raise InvalidInput(refusal, field="text")
    text = (text or "").strip()
    require(text, "text", _("Write what the customer is told."))
    if channel not in CustomerChannel.values:
        raise InvalidInput(_("Choose SMS or e-mail."), field="channel")
    if channel == CustomerChannel.EMAIL and not complaint.customer_email:
        raise InvalidInput(
            _(
                "The complaint has no e-mail address for the customer: reply by SMS, "
                "or add it with Edit details."
            ),
            field="channel",
        )
    if channel == CustomerChannel.SMS and not complaint.has_phone:
        raise InvalidInput(
            _("The complaint has no phone number for the customer yet: reply by e-mail."), field="channel"
        )
    limit = SMS_REPLY_MAX_LENGTH if channel == CustomerChannel.SMS else EMAIL_REPLY_MAX_LENGTH
    if len(text) > limit:
        raise InvalidInput(
            _("At most %(limit)s characters by %(channel)s; this is %(length)s.")
            % {"limit": limit, "channel": CustomerChannel(channel).label, "length": len(text)},
            field="text",
        )
    if channel == CustomerChannel.EMAIL and not subject.strip():
        subject = _("About your complaint %(reference)s") % {"reference": complaint.reference}

    with transaction.atomic():  # the step's record and the message: one transaction
        step.run(
            apply=lambda: None,
            reason=subject.strip() or text[:200],
            data={"channel": channel, "template": template_code},
        )
        html = ""
        if channel == CustomerChannel.EMAIL:
            html = message_templates.html_of(
                subject,
                text,
                language=complaint.customer_language,
                hotline=customer_notices.shared_context()["hotline"],
            )
        message = customers.tell_customer(
            case=complaint,
            kind=customers.STAFF_REPLY,
            event=f"reply-v{complaint.version}",
            channel=channel,
            actor=actor,
            subject=subject.strip(),
            text=text,
            html=html,
            sms=text,
        )
        if template_code:
            message.template_code = template_code
            message.save(update_fields=["template_code"])
    return message
