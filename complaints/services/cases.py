"""Complaint use cases. The admin, the API, the Celery tasks and the shell call these;
each is one transaction and returns the complaint."""

from __future__ import annotations

import datetime as dt
import logging
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy

from casework.cases.opening import open_case, refuse_invalid_fields, refuse_reused_partner_reference, require
from casework.cases.teams import team_for_code
from casework.cases.transitions import (
    claimed,
    permitted_step,
    require_permission,
    run_transition,
)
from casework.core.actors import Actor
from casework.core.errors import InvalidInput, PermissionRefused, TransitionRefused
from casework.core.evidence import check_evidence_file, discard_file_of
from casework.models import CaseType, CustomerChannel, CustomerLanguage, HandbackKind, Partner, Regime, Team
from casework.notices import outbox
from casework.routing.assignment import route
from casework.sla import clocks
from casework.trail.audit import SYSTEM_ACTOR_LABEL
from casework.workspace import handbacks
from complaints import reasons, repeats
from complaints.models import (
    MESSAGE_STATES,
    Category,
    Channel,
    Complaint,
    ComplaintAttachment,
    ComplaintNote,
    Dimension,
    PartnerMessage,
    ResolutionCode,
    State,
    VerificationMethod,
)
from complaints.services import classification, customer_notices, regimes

logger = logging.getLogger(__name__)

REFERENCE_PREFIX = "CMP"
FRONTLINE_TEAM = "frontline"
SUPERVISORS_TEAM = "supervisors"
# The keys register_complaint sets in code, and those it reads and judges itself (an
# unknown, inactive or other-dimension code or regime refused naming its field: the
# classification and regime services), so full_clean need not read them again.
SET_IN_CODE = ("reference", "state", "sla_clock", "team", "registered_by", "assigned_to", "partner")
READ_BY_SERVICE = ("business_type", "cause", "regime")
# Only a partner files with its own reference: told, in its words, which complaint it was.
REUSED_REFERENCE = gettext_lazy("You already filed a complaint with this reference: %(case)s.")


def _choice(value: str, choices: type, field: str) -> None:
    if value not in choices.values:
        allowed = ", ".join(choices.values)
        raise InvalidInput(
            _("'%(value)s' is not a valid %(field)s; choose one of: %(allowed)s.")
            % {"value": value, "field": field, "allowed": allowed},
            field=field,
        )


def _first_error(error: ValidationError) -> InvalidInput:
    if hasattr(error, "error_dict"):
        field, errors = next(iter(error.error_dict.items()))
        if field == "__all__":
            return InvalidInput(errors[0].messages[0])
        return InvalidInput(f"{field}: {errors[0].messages[0]}", field=field)
    return InvalidInput(error.messages[0])


def _refuse_reused_reference(partner: Partner | None, external_reference: str) -> None:
    refuse_reused_partner_reference(
        Complaint, partner, external_reference, noun="a complaint", message=REUSED_REFERENCE
    )


def register_complaint(
    *,
    actor: Actor,
    channel: str,
    category: str,
    customer_name: str,
    customer_phone: str,
    description: str,
    priority: str = "normal",
    customer_email: str = "",
    customer_language: str = CustomerLanguage.ZH_HANS,
    preferred_channel: str = CustomerChannel.SMS,
    account_number: str = "",
    transaction_at: dt.datetime | None = None,
    amount: Decimal | None = None,
    currency: str = "CNY",
    transaction_reference: str = "",
    merchant: str = "",
    device: str = "",
    partner: Partner | None = None,
    external_reference: str = "",
    received_at: dt.datetime | None = None,
    regime: str | Regime = "",
    regime_condition: str = "",
    business_type: str = "",
    cause: str = "",
) -> Complaint:
    """Register a complaint as received and start its SLA clock on the matching policy,
    under the regime ``regime`` names (a code; blank: the deployment's).

    The details its category needs must be there; a partner files only as itself. The
    business type and cause not given are the category's (``classification``).
    """
    require_permission(
        actor,
        "complaints.add_complaint",
        "register",
        Complaint,
        refusal=_("You do not have permission to register complaints."),
    )
    _choice(channel, Channel, "channel")
    _choice(category, Category, "category")
    received_at = received_at or timezone.now()
    regime_condition = regimes.check_condition(regime_condition)
    runs_under = regimes.regime_for_case(regime)
    codes = classification.registered_codes(category, channel, business_type=business_type, cause=cause)
    counted_under = codes.pop(Dimension.CHANNEL)
    complaint = Complaint(
        regime=runs_under,
        regime_condition=regime_condition,
        channel=channel,
        category=category,
        priority=priority,
        customer_name=customer_name,
        customer_phone=customer_phone,
        customer_email=customer_email,
        customer_language=customer_language,
        preferred_channel=preferred_channel,
        account_number=account_number,
        description=description,
        transaction_at=transaction_at,
        amount=amount,
        currency=currency,
        transaction_reference=transaction_reference,
        merchant=merchant,
        device=device,
        partner=partner,
        external_reference=external_reference,
        registered_by=actor,
        assigned_to=None if partner else actor,
        team=team_for_code(FRONTLINE_TEAM),
        created_at=received_at,
        **codes,
    )
    _refuse_reused_reference(partner, external_reference)
    try:
        # Fields and validators only. The keys set here in code (partner, team, people) need
        # no lookup, nor those the service has just read and judged (READ_BY_SERVICE); the
        # partner's reference was checked just above, and the amount's validator refuses
        # what its check constraint would: the database's constraints still stand behind them.
        complaint.full_clean(
            exclude=[*SET_IN_CODE, *READ_BY_SERVICE],
            validate_constraints=False,
        )
    except ValidationError as error:
        raise _first_error(error) from error
    repeat = repeats.mark_repeat(complaint)  # may raise the priority: before the policy is chosen
    policy = clocks.policy_for(case_type=CaseType.COMPLAINT, category=category, priority=complaint.priority)
    try:
        open_case(
            complaint,
            prefix=REFERENCE_PREFIX,
            policy=policy,
            received_at=received_at,
            actor=actor,
            transition="register",
            reason=reasons.REGISTERED(channel=complaint.channel),
            data=regimes.trail_data(runs_under, regime_condition) | repeat,
            regime=runs_under,
            regime_condition=regime_condition,
            # Only a partner's own reference can collide, and only then does the handler
            # below query again, inside a caller's transaction (an Idempotency-Key's).
            savepoint=bool(partner and external_reference),
        )
    except IntegrityError as error:
        _refuse_reused_reference(partner, external_reference)
        raise error
    # The answer's channel code, as a listed complaint has it (with_channel_code): read above.
    complaint.channel_code = counted_under.code if counted_under else ""
    # Nobody holds a partner's: a member with the skill and room, or the queue; a repeat sent
    # to the complaints department (complaints.repeats) stays that department's.
    sent_to = complaint.team if "team" in repeat.get("repeat", {}) else None
    return route(complaint, within=sent_to)


def verify_identity(
    *, complaint: Complaint, actor: Actor, method: str, reason: str = "", customer_phone: str = ""
) -> Complaint:
    """Record how the caller proved who they are; accept needs this first. A caller whose
    phone the complaint does not know yet (an e-mail complaint) gives it here:
    ``customer_phone`` is recorded in the same step, checked as the field checks it (a
    complaint with a phone changes it in its details, saying why)."""
    step = permitted_step(
        complaint, "verify_identity", actor=actor, permission="complaints.verify_identity_complaint"
    )
    _choice(method, VerificationMethod, "method")
    if complaint.state != State.RECEIVED:
        raise InvalidInput(_("Identity is verified before the complaint is accepted."), field="method")
    phone = _phone_given(complaint, customer_phone)

    def apply() -> None:
        complaint.identity_verified_at = timezone.now()
        complaint.identity_verified_by = actor
        complaint.identity_verification_method = method
        if phone:
            complaint.customer_phone = phone

    data = {"method": method, **({"fields": ["customer_phone"]} if phone else {})}
    return step.run(apply=apply, reason=reason or reasons.VERIFIED(method=method), data=data)


def _phone_given(complaint: Complaint, value: str) -> str:
    """The phone the caller gave while verified, in E.164; "" if none was given."""
    value = (value or "").strip()
    if not value:
        return ""
    if complaint.has_phone:
        raise InvalidInput(
            _(
                "The complaint has the customer's phone already: change it in the complaint's "
                "details, saying why."
            ),
            field="customer_phone",
        )
    try:
        return Complaint._meta.get_field("customer_phone").clean(value, complaint)
    except ValidationError as error:
        raise InvalidInput(error.messages[0], field="customer_phone") from error


def _first_response(complaint: Complaint) -> None:
    clocks.record_first_response(complaint.sla_clock, at=timezone.now())


def accept_complaint(
    *, complaint: Complaint, actor: Actor, reason: str = "", tell_customer: bool = True
) -> Complaint:
    """Accept a received complaint whose caller's identity was verified; the customer is
    told (the reference, the deadline, how to reach us) in the same transaction, unless the
    caller tells them the decision in the same breath (``register_and_resolve``)."""
    with transaction.atomic():
        run_transition(
            complaint, "accept", actor=actor, reason=reason, before_save=lambda: _first_response(complaint)
        )
        if tell_customer:
            customer_notices.tell_accepted(complaint, actor=actor)
    return complaint


def reject_complaint(*, complaint: Complaint, actor: Actor, reason: str) -> Complaint:
    """Refuse a complaint outright (not ours, abusive, duplicate); the reason is required."""
    require(reason, "reason", _("Say why the complaint is rejected."))

    def stop() -> None:
        _first_response(complaint)
        clocks.stop_clock(complaint.sla_clock, at=timezone.now())

    return run_transition(complaint, "reject", actor=actor, reason=reason, before_save=stop)


def start_complaint(*, complaint: Complaint, actor: Actor, reason: str = "") -> Complaint:
    return run_transition(complaint, "start", actor=actor, reason=reason)


ESCALATION_NOTICE = outbox.register_kind("escalation", pgettext_lazy("notice kind", "escalation"))


def escalate_complaint(
    *, complaint: Complaint, actor: Actor, team: Team, reason: str, system_label: str = SYSTEM_ACTOR_LABEL
) -> Complaint:
    """Hand the complaint to the technical team or the complaints department, with a reason;
    the team's mailbox gets a notice through the outbox. ``system_label`` names what
    escalated it when no user did."""
    require(team, "team", _("Choose the team to escalate to."))
    require(reason, "reason", _("Say why the complaint is escalated."))
    if team.code == FRONTLINE_TEAM:
        raise InvalidInput(_("Escalate to another team than the frontline."), field="team")

    def notify() -> None:
        with outbox.notice_language():
            body = render_to_string(
                "complaints/escalation_notice.txt",
                {"complaint": complaint, "team": team, "reason": reason, "actor": actor},
            )
            subject = _("[%(reference)s] escalated to %(team)s: %(category)s") % {
                "reference": complaint.reference,
                "team": str(team),
                "category": complaint.get_category_display(),
            }
        outbox.enqueue(
            idempotency_key=f"complaint-{complaint.pk}-escalation-v{complaint.version}",
            kind=ESCALATION_NOTICE,
            recipient=team.mailbox,
            subject=subject,
            body=body,
            case=complaint,
        )

    return run_transition(
        complaint,
        "escalate",
        actor=actor,
        reason=reason,
        data={"team": team.code},
        before_save=notify,
        arguments={"team": team, "reason": reason},
        system_label=system_label,
    )


def return_findings(*, complaint: Complaint, actor: Actor, findings: str) -> Complaint:
    """The escalation team hands its findings back; the case is the agent's turn again."""
    require(findings, "findings", _("Write the findings the agent should act on."))
    return run_transition(
        complaint,
        "return_findings",
        actor=actor,
        reason=findings,
        arguments={"findings": findings},
        # The agent holding it is told (My work, e-mail), in the transition's transaction.
        before_save=lambda: handbacks.hand_back(
            complaint, kind=HandbackKind.FINDINGS_RETURNED, actor=actor, detail=findings
        ),
    )


def wait_for_customer(*, complaint: Complaint, actor: Actor, reason: str) -> Complaint:
    """Ask the customer for something; the SLA clock pauses until they reply."""
    require(reason, "reason", _("Say what the customer has been asked for."))
    return run_transition(
        complaint,
        "wait_for_customer",
        actor=actor,
        reason=reason,
        before_save=lambda: clocks.pause_clock(complaint.sla_clock, at=timezone.now()),
    )


def customer_replied(*, complaint: Complaint, actor: Actor, reason: str = "") -> Complaint:
    """The customer answered; the clock resumes with the pause added to the deadline. The
    holder is told, unless they recorded the reply themselves."""

    def resume() -> None:
        clocks.resume_clock(complaint.sla_clock, at=timezone.now())
        handbacks.hand_back(complaint, kind=HandbackKind.CUSTOMER_REPLIED, actor=actor, detail=reason)

    return run_transition(complaint, "customer_replied", actor=actor, reason=reason, before_save=resume)


def answered_and_stopped(complaint: Complaint) -> None:
    """Resolving answers the customer (first response, if none yet) and stops the clock."""
    now = timezone.now()
    clocks.record_first_response(complaint.sla_clock, at=now)
    clocks.stop_clock(complaint.sla_clock, at=now)


def resolve_complaint(
    *,
    complaint: Complaint,
    actor: Actor,
    code: str,
    summary: str,
    is_first_contact: bool = False,
    **classified: Any,
) -> Complaint:
    """Resolve with a resolution code, a summary and what a regulator counts
    (``classified``: business_type, cause, product, root_cause and outcome, required, and
    redress_amount, judged by ``classification.judge_resolution``); the clock stops
    (lateness is kept).

    First-contact resolution is claimed only by the agent who registered the complaint,
    before anyone else was involved.
    """
    _choice(code, ResolutionCode, "code")
    require(summary, "summary", _("Summarise the resolution as the customer was told it."))
    resolution = classification.judge_resolution(complaint, code=code, **classified)
    if is_first_contact and (
        complaint.was_escalated
        or complaint.sla_clock.paused_minutes_total
        or complaint.registered_by_id != getattr(actor, "pk", None)
    ):
        raise InvalidInput(
            _(
                "Only the agent who registered the complaint can resolve it on first contact, "
                "and only before it was escalated or put on hold."
            ),
            field="is_first_contact",
        )

    with transaction.atomic():
        run_transition(
            complaint,
            "resolve",
            actor=actor,
            reason=summary,
            data={"code": code, "first_contact": is_first_contact, **resolution.trail()},
            before_save=lambda: (answered_and_stopped(complaint), resolution.apply(complaint)),
            arguments={"code": code, "summary": summary, "is_first_contact": is_first_contact},
        )
        customer_notices.tell_decided(complaint, actor=actor)
    return complaint


def reopen_complaint(
    *, complaint: Complaint, actor: Actor, reason: str, system_label: str = SYSTEM_ACTOR_LABEL
) -> Complaint:
    """The customer is not satisfied within the reopen window: work goes on. ``system_label``
    names what reopened it when no user did (the satisfaction survey)."""
    require(reason, "reason", _("Say why the complaint is reopened."))
    return run_transition(
        complaint,
        "reopen",
        actor=actor,
        reason=reason,
        system_label=system_label,
        before_save=lambda: clocks.restart_clock(complaint.sla_clock, at=timezone.now()),
    )


def close_complaint(*, complaint: Complaint, actor: Actor, reason: str = "") -> Complaint:
    """Close a resolved complaint once the customer confirmed (staff) or time ran out."""
    if actor is None:
        raise PermissionRefused(_("Closing needs a user; the clock closes through auto_close_resolved."))
    return run_transition(complaint, "close", actor=actor, reason=reason or reasons.CUSTOMER_CONFIRMED())


def withdraw_complaint(*, complaint: Complaint, actor: Actor, reason: str = "") -> Complaint:
    """The customer (or the partner for them) withdraws; the clock stops."""
    if complaint.partner_id and getattr(actor, "partner", None) not in (None, complaint.partner):
        raise PermissionRefused(_("A partner can withdraw only its own complaints."))
    return run_transition(
        complaint,
        "withdraw",
        actor=actor,
        reason=reason or reasons.WITHDRAWN(),
        before_save=lambda: clocks.stop_clock(complaint.sla_clock, at=timezone.now()),
    )


def assign_complaint(
    *, complaint: Complaint, actor: Actor, assigned_to=None, team: Team | None = None, reason: str = ""
) -> Complaint:
    """Move the complaint to another agent or team (supervisors); a finished one stays where it ended."""
    step = permitted_step(complaint, "assign", actor=actor, permission="complaints.assign_complaint")
    if not complaint.is_open:
        raise TransitionRefused(
            _("%(complaint)s is %(state)s: only an open complaint is reassigned.")
            % {"complaint": complaint, "state": complaint.get_state_display()}
        )
    if assigned_to is None and team is None:
        raise InvalidInput(_("Choose an agent or a team."), field="assigned_to")
    if assigned_to is not None and not (
        assigned_to.is_active and assigned_to.is_staff and assigned_to.has_perm("complaints.view_complaint")
    ):
        raise InvalidInput(
            _("%(user)s is not active back-office staff who can work complaints.") % {"user": assigned_to},
            field="assigned_to",
        )

    def apply() -> None:
        if assigned_to is not None:
            complaint.assigned_to = assigned_to
        if team is not None:
            complaint.team = team

    return step.run(
        apply=apply,
        reason=reason,
        data={
            "assigned_to": assigned_to.get_username() if assigned_to else None,
            "team": team.code if team else None,
        },
    )


def add_note(*, complaint: Complaint, actor: Actor, body: str) -> ComplaintNote:
    require_permission(
        actor,
        "complaints.add_complaintnote",
        "add_note",
        complaint,
        refusal=_("You do not have permission to add notes."),
    )
    require(body, "body", _("A note needs text."))
    note = ComplaintNote(complaint=complaint, author=actor, body=body)
    refuse_invalid_fields(note, {"body": "body"})
    note._history_user = actor
    note.save()
    return note


def add_attachment(*, complaint: Complaint, actor: Actor, file, description: str = "") -> ComplaintAttachment:
    require_permission(
        actor,
        "complaints.add_complaintattachment",
        "add_attachment",
        complaint,
        refusal=_("You do not have permission to attach files."),
    )
    require(file, "file", _("Choose a file to attach."))
    file = check_evidence_file(file)
    attachment = ComplaintAttachment(
        complaint=complaint, uploaded_by=actor, file=file, description=description
    )
    refuse_invalid_fields(attachment, {"description": "description"})
    attachment._history_user = actor
    try:
        attachment.save()
    except BaseException:
        discard_file_of(attachment)
        raise
    return attachment


def add_partner_message(*, complaint: Complaint, actor: Actor, body: str) -> PartnerMessage:
    """The partner writes on its own complaint (the customer sent more details): staff read
    it beside the complaint and may reply. Refused once the complaint has ended."""
    partner = getattr(actor, "partner", None)
    if partner is None or complaint.partner_id != partner.pk:
        raise PermissionRefused(_("A partner writes only on its own complaints."))
    require_permission(actor, "complaints.add_partnermessage", "add_message", complaint)
    return _post_message(complaint=complaint, actor=actor, body=body, is_from_partner=True)


def reply_to_partner(*, complaint: Complaint, actor: Actor, body: str) -> PartnerMessage:
    """Staff answer the partner that filed the complaint: unlike a note, the partner reads it."""
    require_permission(actor, "complaints.add_partnermessage", "reply_to_partner", complaint)
    if getattr(actor, "partner", None) is not None:
        raise PermissionRefused(_("A partner writes its own messages, not replies."))
    if complaint.partner_id is None:
        raise InvalidInput(_("No partner filed this complaint: there is nobody to reply to."), field="body")
    return _post_message(complaint=complaint, actor=actor, body=body, is_from_partner=False)


def _post_message(*, complaint: Complaint, actor: Actor, body: str, is_from_partner: bool) -> PartnerMessage:
    text = (body or "").strip()
    require(text, "body", _("A message needs text."))
    refuse_invalid_fields(
        PartnerMessage(complaint=complaint, author=actor, is_from_partner=is_from_partner, body=text),
        {"body": "body"},
    )
    with claimed(complaint):
        # The message is news to the other side: the complaint's version goes up (an
        # If-Match read before it is stale), and the state is read under the claim's lock,
        # so a complaint closing meanwhile takes no message.
        state = Complaint.objects.values_list("state", flat=True).get(pk=complaint.pk)
        if state not in MESSAGE_STATES:
            raise TransitionRefused(
                _(
                    "%(complaint)s is %(state)s: it takes no more messages. File a new complaint "
                    "if the customer has something new."
                )
                % {"complaint": complaint, "state": State(state).label}
            )
        message = PartnerMessage(
            complaint=complaint, author=actor, is_from_partner=is_from_partner, body=text
        )
        message._history_user = actor
        message.save()
        if is_from_partner:  # news for the holder; a reply is the holder (or a colleague) acting
            handbacks.hand_back(complaint, kind=HandbackKind.PARTNER_MESSAGE, actor=actor, detail=text)
        else:
            handbacks.mark_seen(complaint, actor)
        # And the partner's updated_since poll sees the complaint. An UPDATE, not a save:
        # no field of the complaint changed, so no history row of it.
        Complaint.objects.filter(pk=complaint.pk).update(updated_at=message.created_at)
        complaint.updated_at = message.created_at
    return message
