"""What the customer of a complaint is told, and when: the notices the rules require,
written in the transaction of the step that calls for them (``casework.notices.customers``).

- acceptance (``accept_complaint``): the reference, what happens next, the deadline, how
  to reach us;
- extension (``extensions``: granted at once or approved): the reason and the new deadline;
- decision (``resolve_complaint``): the outcome, the summary, what the customer can do if
  not satisfied (reopen, the regulator) and the survey link.

A complaint resolved by the case opened from it (a refund paid, an unlock done) is told by
that case's own notice (``refund_settled``, ``unlock_executed``), which says the same
"not satisfied?" paragraph; the accounts and refunds services write those.

Also here: who the customer of a complaint (and of a case opened from one) is,
``customer_contact``, which the three kinds register as their ``customer_contact``.
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.utils.translation import gettext_lazy

from casework.core.actors import Actor
from casework.models import CustomerChannel, CustomerContact, CustomerMessage
from casework.notices import customers
from complaints.models import Complaint, ResolutionCode

logger = logging.getLogger(__name__)

# The regulator's complaint channel when ``CUSTOMER_REGULATOR_CHANNEL`` names none, in the
# customer's language: the PBOC's financial consumer rights hotline.
PBOC_HOTLINE = gettext_lazy("the People's Bank of China's consumer hotline 12363")


def customer_contact(complaint: Complaint | None) -> CustomerContact | None:
    """The complaint's customer and how to reach them.

    A customer whose phone is not known yet (an e-mail complaint) is written to by e-mail,
    whatever channel the complaint prefers: no SMS is written to a blank number. One with
    neither a phone nor an e-mail address (which ``Complaint.clean`` refuses, so only a row
    changed outside the services) has no contact: the notice is skipped, and logged."""
    if complaint is None:
        return None
    email = (complaint.customer_email or "").strip()
    preferred_channel = complaint.preferred_channel
    if not complaint.has_phone:
        if not email:
            logger.warning(
                "Complaint %s has neither a phone nor an e-mail address: its customer is not told",
                complaint.reference,
            )
            return None
        preferred_channel = CustomerChannel.EMAIL
    return CustomerContact(
        name=complaint.customer_name,
        phone=str(complaint.customer_phone),
        email=email,
        language=complaint.customer_language,
        preferred_channel=preferred_channel,
        partner=complaint.partner if complaint.partner_id else None,
    )


def linked_customer_contact(case) -> CustomerContact | None:
    """The customer of a case opened from a complaint (an account request, a refund case):
    the complaint's; a case opened without one knows no customer to write to."""
    return customer_contact(case.complaint) if case.complaint_id else None


def shared_context() -> dict:
    """What every notice may say: how to reach us, the regulator, the reopen window."""
    return {
        "hotline": settings.CUSTOMER_HOTLINE,
        "regulator": settings.CUSTOMER_REGULATOR_CHANNEL or PBOC_HOTLINE,
        "reopen_days": settings.COMPLAINT_REOPEN_WINDOW_DAYS,
    }


def survey_url(complaint: Complaint) -> str:
    """The decision notice's survey link, dated from the resolution (it expires
    ``SURVEY_LINK_DAYS`` after)."""
    from complaints.survey import links  # the survey's services call back into ours

    return links.survey_url(complaint, issued_at=complaint.resolved_at)


def _tell(complaint: Complaint, kind: str, actor: Actor, **context) -> CustomerMessage | None:
    context = shared_context() | {"reference": complaint.reference} | context
    return customers.tell_customer(case=complaint, kind=kind, actor=actor, context=context)


def tell_accepted(complaint: Complaint, *, actor: Actor) -> CustomerMessage | None:
    return _tell(
        complaint,
        customers.ACCEPTANCE,
        actor,
        deadline=customers.local_date(complaint.sla_clock.resolution_due_at),
    )


def tell_extended(complaint: Complaint, *, actor: Actor) -> CustomerMessage | None:
    return _tell(
        complaint,
        customers.EXTENSION,
        actor,
        reason=complaint.holding_response,
        deadline=customers.local_date(complaint.sla_clock.resolution_due_at),
    )


def tell_decided(complaint: Complaint, *, actor: Actor) -> CustomerMessage | None:
    return _tell(
        complaint,
        customers.DECISION,
        actor,
        outcome=ResolutionCode(complaint.resolution_code).label,  # lazy: in the customer's language
        summary=complaint.resolution_summary,
        survey_url=survey_url(complaint),
    )
