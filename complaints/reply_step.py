"""The staff door's "Reply to the customer" step (``services.reply_to_customer``): the form
opens blank or from a reply template (``?template=<id>``), filled for this complaint in its
customer's language; what the agent sends is what the customer gets."""

from __future__ import annotations

from django.contrib import messages
from django.urls import reverse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from casework.admin.cases import Step, StepDone
from casework.cases.timeline import message_status
from casework.models import CustomerMessage, MessageTemplate

from . import forms
from .models import Complaint
from .services import customer_replies


def _initial(complaint: Complaint, user, query) -> dict:
    chosen = query.get("template", "")
    template = (
        MessageTemplate.objects.filter(
            pk=chosen, purpose=MessageTemplate.Purpose.REPLY, is_active=True
        ).first()
        if chosen.isdigit()
        else None
    )
    if template is None:
        return {}
    return customer_replies.start_from(complaint, user, template)


def _sent(complaint: Complaint, message: CustomerMessage) -> StepDone:
    level = messages.WARNING if message.status == CustomerMessage.Status.SUPPRESSED else messages.SUCCESS
    return StepDone(
        reverse("admin:complaints_complaint_change", args=[complaint.pk]),
        gettext("%(complaint)s: reply by %(channel)s, %(status)s.")
        % {
            "complaint": complaint,
            "channel": message.get_channel_display(),
            "status": message_status(message),
        },
        level,
    )


REPLY_STEP = Step(
    slug="reply",
    label=_("Reply to the customer"),
    permission=customer_replies.REPLY_PERMISSION,
    form=forms.ReplyForm,
    run=lambda complaint, actor, data: customer_replies.reply_to_customer(
        complaint=complaint, actor=actor, **data
    ),
    is_offered=customer_replies.may_reply,
    help_text=_("Sent as you write it, by SMS or e-mail; the customer's reply comes back to this case."),
    initial=_initial,
    done=_sent,
)
