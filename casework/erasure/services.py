"""The erasure request's use cases (``casework.models.ErasureRequest``): record it, approve
or refuse it (four eyes), execute it, tell the customer, and the clock that executes an
approved request once the customer's last case ends and warns before the answer is due.

What executing does, case by case, for every case of the customer (of every kind):

- a case whose retention period has already run out is pseudonymised now, as the sweep
  would (``casework.privacy.retention``), logged with who executed the request;
- a case still inside its period is kept, because the financial rules require the record
  (PIPL art. 47 keeps what laws require; GDPR art. 17(3)(b)): only the records no rule
  needs (``Retention.erasable``, a survey's comment) are erased now; the rest is listed
  in the outcome with the day the sweep will pseudonymise it;
- once no case of the customer keeps personal data, the customer's identifiers go too.

A case that has not ended holds the execution back: its data is needed to answer it.
The customer is told the decision: what was erased, what is kept and until when, or why
the request was refused (PIPL art. 50).
"""

from __future__ import annotations

import datetime as dt
import logging

from dateutil.relativedelta import relativedelta
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext, pgettext_lazy

from casework.access.backends import holders
from casework.cases.references import next_reference
from casework.cases.transitions import permitted_transition, require_version, run_transition
from casework.core.actors import Actor
from casework.core.errors import ConcurrentChange, InvalidInput, PermissionRefused, TransitionRefused
from casework.core.limits import REASON_MAX_LENGTH
from casework.core.phones import normalise_phone, parse_phone
from casework.models import (
    Customer,
    CustomerChannel,
    CustomerContact,
    ErasureRequest,
    ErasureState,
    RetentionPolicy,
    kinds,
)
from casework.models.erasure import DECIDE_PERMISSION, OPEN_STATES, running_cases
from casework.notices import customers, outbox
from casework.privacy import retention
from casework.trail.audit import record_transition

logger = logging.getLogger(__name__)

REFERENCE_PREFIX = "ERA"

EXECUTED_NOTICE = customers.register_notice(
    "erasure_executed",
    pgettext_lazy("customer notice", "Erasure notice"),
    pgettext_lazy("notice kind", "customer erasure executed"),
)
REFUSED_NOTICE = customers.register_notice(
    "erasure_refused",
    pgettext_lazy("customer notice", "Erasure refused notice"),
    pgettext_lazy("notice kind", "customer erasure refused"),
)
DUE_SOON = outbox.register_kind("erasure_due_soon", pgettext_lazy("notice kind", "erasure request due soon"))


def answer_due(received_at: dt.datetime) -> dt.datetime:
    """When the answer is due: ``ERASURE_ANSWER_DAYS`` calendar days after receipt."""
    return received_at + dt.timedelta(days=settings.ERASURE_ANSWER_DAYS)


def _checked_address(channel: str, address: str) -> str:
    address = (address or "").strip()
    if channel == CustomerChannel.EMAIL:
        try:
            validate_email(address)
        except ValidationError as error:
            raise InvalidInput(
                gettext("Enter a valid e-mail address to answer to."), field="reply_address"
            ) from error
        return address.lower()
    if parse_phone(address) is None:
        raise InvalidInput(
            gettext("Enter a valid phone number to answer to, e.g. +8613800138000."), field="reply_address"
        )
    return normalise_phone(address)


def record_request(
    *,
    customer: Customer,
    received_via: str,
    request_text: str,
    identity_verified: bool,
    reply_channel: str,
    reply_address: str,
    language: str,
    actor: Actor,
    received_at: dt.datetime | None = None,
) -> ErasureRequest:
    """Record a customer's erasure request, its answer due ``ERASURE_ANSWER_DAYS`` later."""
    if not actor or not actor.has_perm("casework.add_erasurerequest"):
        raise PermissionRefused(gettext("You do not have permission to record erasure requests."))
    if not identity_verified:
        raise InvalidInput(
            gettext("Verify the customer's identity before recording their erasure request."),
            field="identity_verified",
        )
    request_text = (request_text or "").strip()
    if not request_text:
        raise InvalidInput(gettext("Write down what the customer asked for."), field="request_text")
    if len(request_text) > REASON_MAX_LENGTH:
        raise InvalidInput(
            gettext("Keep the request under %(limit)s characters.") % {"limit": REASON_MAX_LENGTH},
            field="request_text",
        )
    if customer.pseudonymised_at is not None:
        raise InvalidInput(gettext("This customer's data has already been erased."), field="customer")
    address = _checked_address(reply_channel, reply_address)
    received_at = received_at or timezone.now()
    if received_at > timezone.now():
        raise InvalidInput(
            gettext("The request cannot have been received in the future."), field="received_at"
        )
    with transaction.atomic():
        # The customer's row, locked: two clerks recording at once make one request.
        Customer.objects.select_for_update().filter(pk=customer.pk).first()
        taken = ErasureRequest.objects.filter(customer=customer, state__in=OPEN_STATES).first()
        if taken is not None:
            raise InvalidInput(
                gettext("This customer already has an erasure request running: %(reference)s.")
                % {"reference": taken.reference},
                field="customer",
            )
        request = ErasureRequest(
            reference=next_reference(REFERENCE_PREFIX, model=ErasureRequest),
            customer=customer,
            received_at=received_at,
            received_via=received_via,
            request_text=request_text,
            identity_verified=True,
            reply_channel=reply_channel,
            reply_address=address,
            language=language,
            due_at=answer_due(received_at),
            recorded_by=actor,
        )
        request._history_user = actor
        try:
            request.full_clean(exclude=["customer", "recorded_by", "reference", "state"])
        except ValidationError as error:
            field, messages = next(iter(error.message_dict.items()))
            raise InvalidInput(" ".join(messages), field=field) from error
        request.save()
        record_transition(
            case=request, transition="register", source="", target=request.state, actor=actor, first=True
        )
    return request


def approve(
    request: ErasureRequest, *, actor: Actor, note: str = "", version: int | None = None
) -> ErasureRequest:
    """A second person approves; the request is executed at once if none of the customer's
    cases is running, else by the clock once they have all ended."""
    require_version(request, version)
    permitted_transition(request, "approve", actor=actor).run(
        reason=note, arguments={"by": actor, "note": (note or "").strip()}
    )
    if not running_cases(request.customer_id):
        execute(request, actor=actor)
    return request


def refuse(request: ErasureRequest, *, actor: Actor, note: str, version: int | None = None) -> ErasureRequest:
    """A second person refuses, with the reason the customer is told."""
    require_version(request, version)
    step = permitted_transition(request, "refuse", actor=actor)
    note = (note or "").strip()
    if not note:
        raise InvalidInput(
            gettext("Give the reason for the refusal: the customer is told it."), field="decision_note"
        )
    with transaction.atomic():
        step.run(reason=note, arguments={"by": actor, "note": note})
        _tell(request, REFUSED_NOTICE, {"reason": note})
    return request


def execute(request: ErasureRequest, *, actor: Actor = None, version: int | None = None) -> ErasureRequest:
    """Erase what may go now and keep the rest until its period ends; tell the customer."""
    require_version(request, version)

    def erase() -> None:
        request.outcome = _erase(request, actor, timezone.now())

    with transaction.atomic():
        run_transition(request, "execute", actor=actor, before_save=erase)
        _tell(request, EXECUTED_NOTICE, {"erasure": _outcome_for_customer(request.outcome)})
    return request


def _erase(request: ErasureRequest, actor: Actor, now: dt.datetime) -> dict:
    policies = {policy.record_type: policy for policy in RetentionPolicy.objects.all()}
    erased: list[dict] = []
    kept: list[dict] = []
    for kind in kinds.registered():
        spec = kind.retention
        if not kind.customer_field or spec is None:
            continue
        policy = policies.get(kind.case_type)
        cases = (
            kind.model._base_manager.filter(
                **{f"{kind.customer_field}_id": request.customer_id}, pseudonymised_at__isnull=True
            )
            .select_for_update(of=("self",))
            .order_by("pk")
        )
        for case in cases:
            ended_at = getattr(case, spec.ended_at)
            item = {"case_type": str(kind.case_type), "reference": getattr(case, "reference", str(case.pk))}
            if policy is not None and ended_at < policy.cutoff(now):
                retention.pseudonymise_case(case, policy=policy, now=now, actor=actor)
                erased.append(item)
                continue
            done = retention.erase_records(case, spec.erasable)
            until = ended_at + relativedelta(months=policy.period_months) if policy is not None else None
            kept.append(
                {
                    **item,
                    # The day, in the customer's time zone, the sweep pseudonymises it.
                    "until": customers.local_date(until).isoformat() if until else "",
                    "period_months": policy.period_months if policy is not None else None,
                    "records_erased": sum(done.rows.values()),
                }
            )
    identifiers_removed = retention.forget_customer_if_done(request.customer_id, now)
    return {"erased": erased, "kept": kept, "identifiers_removed": identifiers_removed}


def _outcome_for_customer(outcome: dict) -> dict:
    """The outcome as the notice's templates read it: dates as dates."""
    kept = [
        {
            **item,
            "until": dt.date.fromisoformat(item["until"]) if item["until"] else None,
        }
        for item in outcome.get("kept", [])
    ]
    days = [item["until"] for item in kept if item["until"]]
    return {**outcome, "kept": kept, "last_until": max(days) if days else None}


def contact(request: ErasureRequest) -> CustomerContact:
    """Whom the answer goes to: the address the request gave, in its language."""
    email = request.reply_address if request.reply_channel == CustomerChannel.EMAIL else ""
    phone = request.reply_address if request.reply_channel == CustomerChannel.SMS else ""
    return CustomerContact(
        name="", phone=phone, email=email, language=request.language, preferred_channel=request.reply_channel
    )


def _tell(request: ErasureRequest, kind: str, context: dict) -> None:
    customers.tell_customer(
        case=request,
        kind=kind,
        contact=contact(request),
        context={"hotline": settings.CUSTOMER_HOTLINE, "reference": request.reference, **context},
    )


# --- the clock ------------------------------------------------------------------------------


def execute_ready() -> int:
    """Execute every approved request whose customer has no running case left."""
    done = 0
    for request in ErasureRequest.objects.filter(state=ErasureState.APPROVED).order_by("due_at", "pk"):
        if running_cases(request.customer_id):
            continue
        try:
            execute(request)
        except (ConcurrentChange, TransitionRefused) as refusal:  # someone acted on it meanwhile
            logger.info("Erasure request %s left for the next run: %s", request.reference, refusal.message)
            continue
        done += 1
    return done


def decision_makers() -> list[str]:
    """The e-mail addresses of the active staff who may decide on erasure requests."""
    return sorted(set(holders(DECIDE_PERMISSION).exclude(email="").values_list("email", flat=True)))


def warn_due_soon(now: dt.datetime) -> int:
    """Tell the decision-makers once about each running request whose answer is due within
    ``ERASURE_WARN_DAYS``."""
    warn_at = now + dt.timedelta(days=settings.ERASURE_WARN_DAYS)
    with transaction.atomic():
        due = list(
            ErasureRequest.objects.select_for_update(skip_locked=True)
            .filter(state__in=OPEN_STATES, due_soon_notified_at__isnull=True, due_at__lte=warn_at)
            .order_by("due_at")
        )
        recipients = decision_makers() if due else []
        for request in due:
            with outbox.notice_language():
                subject = gettext("[%(reference)s] erasure request due %(due)s") % {
                    "reference": request.reference,
                    "due": f"{timezone.localtime(request.due_at):%Y-%m-%d %H:%M}",
                }
                body = gettext(
                    "The erasure request %(reference)s (customer #%(customer)s) is %(state)s; "
                    "its answer is due %(due)s."
                ) % {
                    "reference": request.reference,
                    "customer": request.customer_id,
                    "state": request.get_state_display(),
                    "due": f"{timezone.localtime(request.due_at):%Y-%m-%d %H:%M}",
                }
            for recipient in recipients:
                outbox.enqueue(
                    idempotency_key=f"erasure-{request.pk}-due-soon-{recipient}",
                    kind=DUE_SOON,
                    recipient=recipient,
                    subject=subject,
                    body=body,
                    case=request,
                )
            ErasureRequest.objects.filter(pk=request.pk).update(due_soon_notified_at=now)
    return len(due)


def run(now: dt.datetime | None = None) -> dict[str, int]:
    """The hourly clock: execute what is ready, warn about what is due soon."""
    now = now or timezone.now()
    return {"executed": execute_ready(), "warned": warn_due_soon(now)}
