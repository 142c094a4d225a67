"""What the customer sends back, as complaints take it (``casework.intake`` calls these
through the kind registry, ``CaseKind.replies``): a reply that resumes a complaint
waiting on the customer, an attachment filed through the evidence check, the intake's
note on a complaint, and a new complaint opened from an e-mail no case was found for.

The intake acts as a user of its own, ``customer-intake`` (no password, no admin), so
what it files has an author and the trail says who: it may register a complaint, edit
its contact details, note and attach, and nothing else. A reply's transition is the
system's (no user), as the clock's are.

An e-mail from a sender we do not know has no phone number, and a complaint on the
e-mail channel with the customer's address may wait for one (``missing_phone_refusal``):
the complaint takes the phone (and the name) of the sender's earlier complaint (the same
e-mail address: the same customer), or else none, with a note telling the agent to ask
for it when they verify the caller's identity. Its notices go by e-mail, and an SMS is
never written to a blank number.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.contrib.auth.models import Permission, User
from django.db import IntegrityError, transaction
from django.utils import translation
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from casework.cases.transitions import run_step
from casework.core.limits import DESCRIPTION_MAX_LENGTH
from casework.models import CustomerChannel, CustomerLanguage
from casework.routing.assignment import route
from casework.trail import reasons
from complaints.models import Category, Channel, Complaint, ComplaintAttachment, ComplaintNote

from .cases import add_attachment, add_note, customer_replied, register_complaint

INTAKE_USERNAME = "customer-intake"
INTAKE_PERMISSIONS = ("add_complaint", "change_complaint", "add_complaintnote", "add_complaintattachment")

REPLIED = reasons.register(
    "complaints.customer_replied_by",
    _("The customer replied by %(channel)s"),
    choices={"channel": CustomerChannel},
)
OPENED_FROM_EMAIL = reasons.register(
    "complaints.opened_from_email",
    _("Opened from the customer's e-mail: their address, replies by e-mail, the frontline queue"),
)


def intake_user() -> User:
    """The user the intake files as: made on first use, with only what it needs."""
    user = User.objects.filter(username=INTAKE_USERNAME).first()
    if user is not None:
        return user
    try:
        with transaction.atomic():
            user = User(username=INTAKE_USERNAME, first_name="Customer", last_name="intake")
            user.set_unusable_password()
            user.save()
            user.user_permissions.set(
                Permission.objects.filter(
                    content_type__app_label="complaints", codename__in=INTAKE_PERMISSIONS
                )
            )
    except IntegrityError:  # another process made it first
        user = User.objects.get(username=INTAKE_USERNAME)
    return user


def replied(complaint: Complaint, channel: str) -> Complaint:
    """The customer's reply resumes a complaint awaiting them (the system acting)."""
    return customer_replied(complaint=complaint, actor=None, reason=REPLIED(channel=channel))


def attach(complaint: Complaint, file, description: str) -> ComplaintAttachment:
    """A file the customer sent, through the same checks as any attachment."""
    return add_attachment(complaint=complaint, actor=intake_user(), file=file, description=description)


def note(complaint: Complaint, text: str) -> ComplaintNote:
    return add_note(complaint=complaint, actor=intake_user(), body=text[:DESCRIPTION_MAX_LENGTH])


def open_from_message(
    *, sender: str, name: str, subject: str, text: str, language: str, received_at: dt.datetime
) -> Complaint:
    """A complaint on the e-mail channel, ``received``, from an e-mail that answers no case:
    it waits in the frontline team's queue, and its notices go back by e-mail."""
    user = intake_user()
    theirs = Complaint.objects.filter(customer_email__iexact=sender).order_by("-created_at", "-id")
    earlier = theirs.first()
    # The phone they gave on any earlier complaint (the latest), if ever they gave one.
    phone = theirs.exclude(customer_phone="").values_list("customer_phone", flat=True).first() or ""
    name = (name or (earlier.customer_name if earlier else "") or sender.partition("@")[0])[:120]
    description = "\n\n".join(part for part in (subject.strip(), text.strip()) if part)
    with translation.override(settings.LANGUAGE_CODE):
        description = (description or gettext("(The e-mail had no text.)"))[:DESCRIPTION_MAX_LENGTH]
    with transaction.atomic():
        complaint = register_complaint(
            actor=user,
            channel=Channel.EMAIL,
            category=Category.OTHER,
            customer_name=name,
            customer_phone=phone,
            # Registered with the address it came from: without a phone, that is the contact.
            customer_email=sender,
            preferred_channel=CustomerChannel.EMAIL,
            customer_language=language if language in CustomerLanguage.values else CustomerLanguage.ZH_HANS,
            description=description,
            received_at=received_at,
        )

        def to_the_queue() -> None:
            complaint.assigned_to = None  # not the intake's: the frontline's queue

        run_step(
            complaint,
            "edit_details",
            actor=user,
            permission="complaints.change_complaint",
            apply=to_the_queue,
            reason=OPENED_FROM_EMAIL(),
            data={"fields": ["assigned_to"]},
        )
        route(complaint)
        if not phone:
            with translation.override(settings.LANGUAGE_CODE):
                note(
                    complaint,
                    gettext(
                        "Opened from an e-mail by %(sender)s. The customer's phone is not known "
                        "yet: ask for it when you verify their identity, and record it there "
                        "or in the complaint's details, saying why."
                    )
                    % {"sender": sender},
                )
    return complaint
