"""Extending a complaint's deadline, as steps: asked for with a reason (the reason the
customer is told), approved by a second person where the regime's tier says so (PBOC's
complaint-handling lead, NFRA's second tier), granted at once where it does not (PSD2's
and DISP's holding reply), and open only with a provisional credit made in time where
Reg E says so. Granting moves the clock to the tier's limit, keeps the reason on the
complaint, records the step in its trail and writes the customer's notice, in one
transaction.

A complaint that runs under no regime (opened before regimes were recorded) keeps the SLA
policy's one holding response: granted at once, to the policy's extended limit."""

from __future__ import annotations

from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy

from casework.access.backends import holders
from casework.cases.opening import refuse_invalid_fields, require
from casework.cases.teams import team_for_code
from casework.cases.transitions import check_permission, claim, permitted_step, reload
from casework.core.actors import Actor
from casework.core.errors import InvalidInput, TransitionRefused
from casework.models import CaseType, ExtensionRequest, ExtensionState, Regime, RegimeExtension, TimeUnit
from casework.models import extensions as extension_rules
from casework.notices import outbox
from casework.sla import clocks
from casework.sla.regimes import next_extension
from complaints.models import Complaint
from complaints.services import customer_notices
from complaints.services.cases import SUPERVISORS_TEAM

# Who asks: whoever may send a holding response (the agents, the complaints department).
REQUEST_PERMISSION = "complaints.send_holding_response_complaint"
# Who approves where the tier needs it: the complaint-handling lead (the supervisors).
APPROVE_PERMISSION = "complaints.approve_extension_complaint"

# The reason is what the customer reads (PBOC: told in writing, with the reason).
REASON_NEEDED = gettext_lazy("Say why the answer needs longer: the customer is told this reason.")

APPROVAL_NOTICE = outbox.register_kind(
    "extension_approval", pgettext_lazy("notice kind", "extension to approve")
)


def regime_of(complaint: Complaint) -> Regime | None:
    """The regime whose tiers the complaint may ask for; none: the SLA policy's."""
    return complaint.regime or complaint.sla_clock.regime


def open_request(complaint: Complaint) -> ExtensionRequest | None:
    """The complaint's request waiting for a decision, if there is one."""
    return (
        ExtensionRequest.objects.filter(
            content_type=ContentType.objects.get_for_model(Complaint),
            object_id=complaint.pk,
            state=ExtensionState.REQUESTED,
        )
        .select_related("rule__regime__calendar", "requested_by")
        .first()
    )


def requests_of(complaint: Complaint) -> list[ExtensionRequest]:
    """Every extension request of the complaint, newest first."""
    return list(
        ExtensionRequest.objects.filter(
            content_type=ContentType.objects.get_for_model(Complaint), object_id=complaint.pk
        ).select_related("rule__regime", "requested_by", "decided_by")
    )


def next_tier(complaint: Complaint) -> RegimeExtension | None:
    """The tier the complaint would ask for now (the first, or the one after the tier in
    force); none under no regime, or once the regime's tiers are used."""
    regime = regime_of(complaint)
    if regime is None:
        return None
    return next_extension(
        regime,
        case_type=CaseType.COMPLAINT,
        condition=complaint.regime_condition,
        in_force=complaint.sla_clock.extension,
    )


def extension_refusal(complaint: Complaint) -> str | None:
    """Why no extension may be asked for now, or ``None``: the one rule the admin's step
    (offered only then) and :func:`request_extension` both ask."""
    if not complaint.is_open:
        return _("An extension is asked for only on an open complaint.")
    waiting = open_request(complaint)
    if waiting is not None:
        return _("An extension asked for by %(person)s on %(at)s is waiting for a decision.") % {
            "person": person(waiting.requested_by),
            "at": f"{timezone.localtime(waiting.requested_at):%Y-%m-%d %H:%M}",
        }
    regime = regime_of(complaint)
    if regime is None:
        if complaint.sla_clock.is_extended:
            return _("A holding response was already sent for this case.")
        if not complaint.sla_clock.policy.extended_resolution_target:
            return _("The SLA policy '%(policy)s' has no extended limit for a holding response.") % {
                "policy": complaint.sla_clock.policy
            }
        return None
    if next_tier(complaint) is None:
        if complaint.sla_clock.extension_id is not None:
            return _("%(regime)s allows no further extension of this complaint.") % {"regime": regime}
        return _("%(regime)s allows no extension of this complaint.") % {"regime": regime}
    return None


def credit_deadline(complaint: Complaint, rule: RegimeExtension):
    """By when the disputed amount must be provisionally credited for ``rule`` to open: the
    credit's own due time, as the refund case's credit is given it."""
    # Imported here: refunds builds on complaints, not the other way round.
    from refunds.services.provisional import credit_due_at

    return credit_due_at(complaint, rule)


def tier_words(complaint: Complaint, rule: RegimeExtension | None) -> str:
    """What a tier asks for, as staff read it before asking: the new limit and what it needs."""
    if rule is None:
        policy = complaint.sla_clock.policy
        return _("to %(target)s %(unit)s (the SLA policy's extended limit); granted at once.") % {
            "target": policy.extended_resolution_target,
            "unit": TimeUnit(policy.resolution_unit).label,
        }
    words = _("to %(target)s %(unit)s from receipt") % {
        "target": rule.target,
        "unit": TimeUnit(rule.unit).label,
    }
    needs = []
    if rule.requires_approval:
        needs.append(_("needs the complaint-handling lead's approval"))
    if rule.requires_provisional_credit:
        needs.append(
            _("needs the disputed amount provisionally credited by %(by)s")
            % {"by": f"{timezone.localtime(credit_deadline(complaint, rule)):%Y-%m-%d %H:%M}"}
        )
    if not needs:
        needs.append(_("granted at once"))
    return _("%(limit)s; %(needs)s (%(article)s).") % {
        "limit": words,
        "needs": "; ".join(needs),
        "article": rule.article,
    }


def person(user) -> str:
    return (user.get_full_name() or user.get_username()) if user is not None else ""


def no_open_request() -> TransitionRefused:
    return TransitionRefused(_("No extension request waits for a decision on this complaint."))


def _tier_data(request: ExtensionRequest) -> dict:
    rule = request.rule
    data = {"extension_request": request.pk}
    if rule is not None:
        data |= {"regime": rule.regime.code, "tier": rule.tier, "target": rule.target, "unit": rule.unit}
    return data


def request_extension(*, complaint: Complaint, actor: Actor, reason: str) -> ExtensionRequest:
    """Ask for the complaint's next extension with the reason the customer is told. Where
    the tier needs approval the request waits and the approvers are told; nothing moves
    yet. Otherwise it is granted at once (:func:`approve_extension`'s effects)."""
    step = permitted_step(complaint, "request_extension", actor=actor, permission=REQUEST_PERMISSION)
    require(reason, "reason", str(REASON_NEEDED))
    refusal = extension_refusal(complaint)
    if refusal:
        raise InvalidInput(refusal, field="reason")
    rule = next_tier(complaint)
    _refuse_without_credit(complaint, rule)
    request = ExtensionRequest(
        content_type=ContentType.objects.get_for_model(Complaint),
        object_id=complaint.pk,
        rule=rule,
        reason=reason.strip(),
        requested_by=actor,
        requested_at=timezone.now(),
    )
    refuse_invalid_fields(request, {"reason": "reason"})
    request._history_user = actor
    if rule is None or not rule.requires_approval:
        with transaction.atomic():
            request.save()
            _grant(
                request, complaint, actor, step_name="send_holding_response", permission=REQUEST_PERMISSION
            )
        return request
    with transaction.atomic():
        step.run(apply=request.save, reason=request.reason, data={**_tier_data(request), "waits": True})
        _tell_approvers(request, complaint, actor)
    return request


def _refuse_without_credit(complaint: Complaint, rule: RegimeExtension | None) -> None:
    if rule is None or not rule.requires_provisional_credit:
        return
    # Imported here: refunds builds on complaints, not the other way round.
    from refunds.services.provisional import provisional_credit_refusal

    refusal = provisional_credit_refusal(complaint, by=credit_deadline(complaint, rule))
    if refusal:
        raise InvalidInput(refusal, field="reason")


def _grant(
    request: ExtensionRequest,
    complaint: Complaint,
    actor: Actor,
    *,
    step_name: str,
    permission: str,
    note: str = "",
) -> None:
    """Move the clock to the tier's limit, keep the reason, record the step, tell the
    customer: the caller's transaction holds it all."""
    step = permitted_step(complaint, step_name, actor=actor, permission=permission)

    def apply() -> None:
        # Claimed first: of two approvals racing, the second is refused as a concurrent
        # change before it looks at a clock the first already moved.
        claim(request)
        if request.rule is not None and request.rule.requires_approval:
            request.approve(by=actor, note=note)
        else:
            request.grant()
        clocks.extend_clock(complaint.sla_clock, request.rule)
        request.extended_due_at = complaint.sla_clock.resolution_due_at
        _save_claimed(request, actor, claimed=True)
        complaint.holding_response = request.reason
        complaint.holding_response_at = request.decided_at

    data = _tier_data(request)
    try:
        step.run(apply=apply, reason=request.reason, data=data)
    except BaseException:
        reload(request)
        raise
    rule = request.rule
    if rule is None or rule.requires_customer_notice:
        customer_notices.tell_extended(complaint, actor=actor)


def _save_claimed(request: ExtensionRequest, actor: Actor, *, claimed: bool = False) -> None:
    """Save the decided request if nobody decided it since it was read: the second of two
    approvals racing is refused, never written over the first."""
    if not claimed:
        claim(request)
    request._history_user = actor
    request.save()


def _decided(request: ExtensionRequest, actor: Actor, name: str) -> Complaint:
    """The complaint of ``request``, once ``actor`` may take ``name`` on it: the permission
    (four eyes) first, then whether the request and the complaint are still open."""
    complaint = request.case
    permission = REQUEST_PERMISSION if name == "withdraw_extension" else APPROVE_PERMISSION
    permitted_step(complaint, name, actor=actor, permission=permission)
    check_permission(request, name.removesuffix("_extension"), actor)
    if not request.is_open:
        raise TransitionRefused(
            _("This extension request is already %(state)s.") % {"state": request.get_state_display()}
        )
    if not complaint.is_open:
        raise TransitionRefused(
            _("%(complaint)s is %(state)s: its deadline no longer runs.")
            % {"complaint": complaint, "state": complaint.get_state_display()}
        )
    return complaint


def approve_extension(*, request: ExtensionRequest, actor: Actor, note: str = "") -> ExtensionRequest:
    """Four eyes: someone allowed (the complaint-handling lead) and not the asker grants the
    waiting request; the deadline moves and the customer is told, in one transaction."""
    complaint = _decided(request, actor, "approve_extension")
    _refuse_without_credit(complaint, request.rule)
    with transaction.atomic():
        _grant(
            request, complaint, actor, step_name="approve_extension", permission=APPROVE_PERMISSION, note=note
        )
    return request


def refuse_extension(*, request: ExtensionRequest, actor: Actor, reason: str) -> ExtensionRequest:
    """The approver refuses the request, saying why; the deadline stays."""
    complaint = _decided(request, actor, "refuse_extension")
    require(reason, "reason", _("Say why the extension is refused."))
    return _end(request, complaint, actor, "refuse_extension", APPROVE_PERMISSION, reason)


def withdraw_extension(*, request: ExtensionRequest, actor: Actor, reason: str = "") -> ExtensionRequest:
    """Who asked takes the request back before anyone decided on it."""
    complaint = _decided(request, actor, "withdraw_extension")
    return _end(request, complaint, actor, "withdraw_extension", REQUEST_PERMISSION, reason)


def _end(
    request: ExtensionRequest, complaint: Complaint, actor: Actor, name: str, permission: str, reason: str
) -> ExtensionRequest:
    step = permitted_step(complaint, name, actor=actor, permission=permission)

    def apply() -> None:
        getattr(request, name.removesuffix("_extension"))(by=actor, note=(reason or "").strip())
        refuse_invalid_fields(request, {"decision_note": "reason"})
        _save_claimed(request, actor)

    try:
        step.run(apply=apply, reason=reason or request.reason, data=_tier_data(request))
    except BaseException:
        reload(request)
        raise
    return request


def may_decide(request: ExtensionRequest | None, user) -> bool:
    """Whether ``user`` is offered Approve and Refuse on this request: it waits, and they
    may decide on it (the permission, and not their own: four eyes)."""
    return (
        request is not None
        and request.is_open
        and user.has_perm(APPROVE_PERMISSION)
        and extension_rules.may_decide(request, user)
    )


def may_withdraw(request: ExtensionRequest | None, user) -> bool:
    """Whether ``user`` is offered Withdraw: it waits, and they asked for it."""
    return request is not None and request.is_open and extension_rules.is_the_asker(request, user)


def approvers(request: ExtensionRequest) -> list:
    """Who may decide on ``request``: active staff holding the approval permission (by role
    or of their own), never the asker."""
    return list(holders(APPROVE_PERMISSION).exclude(pk=request.requested_by_id).order_by("pk"))


def _tell_approvers(request: ExtensionRequest, complaint: Complaint, actor: Actor) -> None:
    """Each approver's mailbox gets the request (the supervisors' desk if none has an
    address), through the outbox, in the request's transaction."""
    recipients = sorted({user.email for user in approvers(request) if user.email})
    if not recipients:
        recipients = [team_for_code(SUPERVISORS_TEAM).mailbox]
    with outbox.notice_language():
        subject = _("[%(reference)s] extension to approve") % {"reference": complaint.reference}
        body = render_to_string(
            "complaints/extension_approval_notice.txt",
            {
                "complaint": complaint,
                "request": request,
                "asker": person(actor),
                "tier": tier_words(complaint, request.rule),
            },
        )
    for recipient in recipients:
        outbox.enqueue(
            idempotency_key=f"extension-request-{request.pk}-approval-{recipient}",
            kind=APPROVAL_NOTICE,
            recipient=recipient,
            subject=subject,
            body=body,
            case=complaint,
        )


def send_holding_response(*, complaint: Complaint, actor: Actor, holding_response: str) -> Complaint:
    """The holding response as it was called before extensions were steps: asks for the
    next extension with ``holding_response`` as its reason (:func:`request_extension`)."""
    request_extension(complaint=complaint, actor=actor, reason=holding_response)
    return complaint
