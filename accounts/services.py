"""Account lock/unlock use cases. The admin, the API, the sweep and the shell call these;
each is one transaction and returns the request."""

from __future__ import annotations

import datetime as dt
import logging

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext, gettext_noop

from casework.cases import sweep
from casework.cases.opening import open_case, refuse_invalid_fields, refuse_reused_partner_reference, require
from casework.cases.teams import team_for_code
from casework.cases.transitions import (
    permission_refusal,
    permitted_step,
    permitted_transition,
    require_permission,
    run_transition,
)
from casework.core.actors import Actor
from casework.core.errors import InvalidInput, PermissionRefused, TransitionRefused
from casework.core.evidence import check_evidence_file, discard_file_of
from casework.models import CaseType, HandbackKind, Partner
from casework.notices import customers, outbox
from casework.privacy.masking import mask_account_number
from casework.sla import clocks
from casework.trail.reasons import SystemReason
from casework.workspace import handbacks
from complaints import services as complaint_services
from complaints.models import Category as ComplaintCategory
from complaints.models import Complaint, ResolutionCode
from complaints.services import customer_notices

from . import reasons
from .gateways import gateway
from .models import (
    OPEN_REQUEST_STATES,
    AccountRequest,
    AccountStatus,
    AuthenticationEvidence,
    AuthenticationMethod,
    LockReason,
    Outcome,
    PartnerAccountLink,
    RequestKind,
    RequestState,
    WalletAccount,
)
from .reasons import JUDICIAL_FREEZE_REFUSAL

logger = logging.getLogger(__name__)

REFERENCE_PREFIX = "ACR"
REVIEWERS_TEAM = "supervisors"
FRONTLINE_TEAM = "frontline"
RISK_TEAM = "risk"
# English here (the API's schema shows it); translated where it is said, in the actor's language.
# The one answer a partner gets for an account it does not serve, whether the account
# exists or not (English here: the partner API speaks English).
NOT_A_SERVED_ACCOUNT = gettext_noop(
    "There is no wallet account %(account)s among the accounts linked to your partner: "
    "the wallet company links the accounts you serve."
)
# Proof that is a document needs its scan; a code or a face check is a result, not a file.
FILE_REQUIRED = frozenset({AuthenticationMethod.ID_DOCUMENT, AuthenticationMethod.BANK_CARD})


def _require_person(actor: Actor, name: str, request: AccountRequest) -> None:
    """What only a person does (verify a caller, approve): the system (``None``) is refused
    as one without the permission."""
    if actor is None:
        raise PermissionRefused(permission_refusal(name, request))


def _account(
    account_number: str, *, for_update: bool = False, partner: Partner | None = None
) -> WalletAccount:
    """The account, for staff; for a partner, only an account it serves (a
    ``PartnerAccountLink``), found by the same one query whether the account is unknown or
    someone else's, and refused with the same words: nothing tells the two apart."""
    require(account_number, "account_number", gettext("Give the wallet account number."))
    accounts = WalletAccount.objects.select_for_update(of=("self",)) if for_update else WalletAccount.objects
    if partner is not None:
        accounts = accounts.filter(partner_links__partner=partner, partner_links__ended_at__isnull=True)
    try:
        return accounts.get(account_number=account_number.strip())
    except WalletAccount.DoesNotExist as error:
        if partner is not None:
            message = gettext(NOT_A_SERVED_ACCOUNT) % {"account": account_number}
        else:
            message = gettext("There is no wallet account %(account)s.") % {"account": account_number}
        raise InvalidInput(message, field="account_number") from error


def current_links() -> QuerySet[PartnerAccountLink]:
    return PartnerAccountLink.objects.filter(ended_at__isnull=True)


def link_partner_to_account(
    *, partner: Partner, account: WalletAccount, basis: str, actor: Actor
) -> PartnerAccountLink:
    """Record that the partner serves the account (the wallet core's record or the
    customer's consent, named in ``basis``); a current link is kept as it is."""
    existing = current_links().filter(partner=partner, account=account).first()
    if existing is not None:
        return existing
    link = PartnerAccountLink(partner=partner, account=account, basis=basis, created_by=actor)
    link.full_clean()  # the model's rules, as the admin's form checks them
    if actor is not None:
        link._history_user = actor
    link.save()
    return link


def end_partner_link(*, link: PartnerAccountLink, actor: Actor) -> bool:
    """The partner no longer serves the account: it may not ask for it, nor read its status
    on its earlier requests. The link stays, ended, for the record; False if it already was."""
    with transaction.atomic():
        locked = PartnerAccountLink.objects.select_for_update().get(pk=link.pk)
        if locked.ended_at is not None:
            return False
        locked.ended_at = timezone.now()
        locked.ended_by = actor
        if actor is not None:
            locked._history_user = actor
        locked.save(update_fields=["ended_at", "ended_by"])
    link.refresh_from_db()
    return True


def _check_account_for(account: WalletAccount, kind: str, lock_reason: str, partner: Partner | None) -> str:
    """Refuse a request the account's state rules out; return the lock reason it is about."""
    if kind == RequestKind.UNLOCK:
        if account.status == AccountStatus.ACTIVE:
            raise InvalidInput(
                gettext("Account %(account)s is active: there is nothing to unlock.")
                % {"account": account.account_number},
                field="account_number",
            )
        lock_reason = account.lock_reason
    else:
        if lock_reason not in LockReason.values:
            raise InvalidInput(gettext("Say why the account is to be locked."), field="lock_reason")
        if account.status != AccountStatus.ACTIVE:
            raise InvalidInput(
                gettext("Account %(account)s is already %(status)s.")
                % {"account": account.account_number, "status": account.get_status_display()},
                field="account_number",
            )
    already = account.requests.filter(state__in=OPEN_REQUEST_STATES).first()
    if already is not None:
        raise _already_open(account.account_number, already, partner)
    return lock_reason


def _already_open(
    account_number: str, already: AccountRequest | None, partner: Partner | None
) -> InvalidInput:
    # A partner learns another party's reference only if the open request is its own.
    named = already is not None and (partner is None or already.partner_id == partner.pk)
    if named:
        message = gettext("Account %(account)s already has an open request, %(reference)s.") % {
            "account": account_number,
            "reference": already.reference,
        }
    else:
        message = gettext("Account %(account)s already has an open request.") % {"account": account_number}
    return InvalidInput(message, field="account_number")


def open_account_request(
    *,
    actor: Actor,
    account_number: str,
    kind: str = RequestKind.UNLOCK,
    lock_reason: str = "",
    customer_statement: str = "",
    explanation_given: str = "",
    complaint: Complaint | None = None,
    partner: Partner | None = None,
    external_reference: str = "",
    received_at: dt.datetime | None = None,
) -> AccountRequest:
    """Open a request for an account, one open request per account at a time.

    An unlock takes the account's current lock reason. An unlock of a judicial freeze is
    recorded and refused at once with that reason; the account stays frozen.
    """
    require_permission(actor, "accounts.add_accountrequest", "open", AccountRequest)
    if kind not in RequestKind.values:
        raise InvalidInput(
            gettext("'%(kind)s' is not a kind of request; choose unlock or lock.") % {"kind": kind},
            field="kind",
        )
    received_at = received_at or timezone.now()
    try:
        with transaction.atomic():
            # The account row is the lock: a second request for it waits here, then sees
            # the first. The partial unique constraint backs this up on every database.
            account = _account(account_number, for_update=True, partner=partner)
            lock_reason = _check_account_for(account, kind, lock_reason, partner)
            refuse_reused_partner_reference(
                AccountRequest, partner, external_reference, noun="an account request"
            )
            request = AccountRequest(
                kind=kind,
                account=account,
                lock_reason=lock_reason,
                customer_statement=customer_statement,
                explanation_given=explanation_given,
                complaint=complaint,
                partner=partner,
                external_reference=external_reference,
                submitted_by=actor,
                created_at=received_at,
            )
            open_case(
                request,
                prefix=REFERENCE_PREFIX,
                policy=clocks.policy_for(case_type=CaseType.ACCOUNT_REQUEST, category=lock_reason),
                received_at=received_at,
                actor=actor,
                transition="open",
                reason=customer_statement or reasons.REQUESTED(kind=request.kind),
                # Masked: the trail is exported; the request itself names the account.
                data={"account": mask_account_number(account.account_number), "lock_reason": lock_reason},
            )
            if not is_liftable(request):
                refusal = gettext(JUDICIAL_FREEZE_REFUSAL)
                run_transition(
                    request,
                    "reject",
                    actor=None,
                    system_label="judicial freeze rule",
                    reason=reasons.JUDICIAL_FREEZE(),
                    before_save=lambda: _end(request),
                    arguments={"reason": refusal},
                )
    except IntegrityError as error:
        refuse_reused_partner_reference(
            AccountRequest, partner, external_reference, noun="an account request"
        )
        open_requests = AccountRequest.objects.filter(state__in=OPEN_REQUEST_STATES)
        if open_requests.filter(account__account_number=account_number.strip()).exists():
            raise _already_open(account_number.strip(), None, partner) from error
        raise
    return request


def is_liftable(request: AccountRequest) -> bool:
    return not (request.kind == RequestKind.UNLOCK and request.lock_reason == LockReason.JUDICIAL_FREEZE)


def open_unlock_request_from_complaint(*, complaint: Complaint, actor: Actor) -> AccountRequest:
    """One step from a locked-account complaint to its unlock request.

    The complaint's identity verification carries over, so the agent goes straight on
    to the alternative authentication.
    """
    if complaint.category != ComplaintCategory.ACCOUNT_LOCKED:
        raise InvalidInput(
            gettext("Only a complaint about a locked or frozen account opens an unlock request."),
            field="category",
        )
    if not complaint.is_open:
        raise InvalidInput(
            gettext("Complaint %(reference)s is %(state)s.")
            % {"reference": complaint.reference, "state": complaint.get_state_display()},
            field="complaint",
        )
    with transaction.atomic():
        request = open_account_request(
            actor=actor,
            account_number=complaint.account_number,
            customer_statement=complaint.description,
            complaint=complaint,
        )
        if request.state == RequestState.SUBMITTED and complaint.identity_verified_at:
            verify_identity(
                request=request,
                actor=actor,
                method=complaint.identity_verification_method,
                reason=reasons.VERIFIED_ON_COMPLAINT(reference=complaint.reference),
            )
    return request


def verify_identity(
    *, request: AccountRequest, actor: Actor, method: str, reason: str = ""
) -> AccountRequest:
    """Record how the caller proved who they are. A customer's own protective lock
    (lost phone) is then executed at once."""
    _require_person(actor, "verify_identity", request)
    verification = permitted_transition(request, "verify_identity", actor=actor)
    require(method, "method", gettext("Say how the caller's identity was verified."))
    with transaction.atomic():
        verification.run(
            reason=reason or reasons.IDENTITY_VERIFIED(method=method),
            data={"method": method},
            before_save=lambda: clocks.record_first_response(request.sla_clock, at=timezone.now()),
            arguments={"verified_with": method, "by": actor},
        )
        if request.kind == RequestKind.LOCK and request.lock_reason == LockReason.CUSTOMER_REQUEST:
            _execute(
                request,
                actor,
                "execute_protective_lock",
                reason=reasons.PROTECTIVE_LOCK(),
            )
    return request


def _check_evidence_file(file, method: str):
    """The file to store (checked, an image re-encoded), or None; some methods need one."""
    if file:
        return check_evidence_file(file)
    if method in FILE_REQUIRED:
        label = str(AuthenticationMethod(method).label)
        if method == AuthenticationMethod.ID_DOCUMENT:
            message = gettext("An %(method)s needs its scan or photo.")
        else:
            message = gettext("A %(method)s needs its scan or photo.")
        raise InvalidInput(message % {"method": label}, field="file")
    return None


def add_evidence(
    *, request: AccountRequest, actor: Actor, method: str, outcome: str, file=None, note: str = ""
) -> AuthenticationEvidence:
    """Record one alternative authentication (method, outcome, proof, who checked)."""
    step = permitted_step(
        request,
        "collect_authentication",
        actor=actor,
        permission="accounts.collect_authentication_accountrequest",
    )
    if method not in AuthenticationMethod.values:
        raise InvalidInput(
            gettext("'%(method)s' is not an authentication method.") % {"method": method}, field="method"
        )
    if outcome not in Outcome.values:
        raise InvalidInput(
            gettext("'%(outcome)s' is not an outcome; choose passed or failed.") % {"outcome": outcome},
            field="outcome",
        )
    if request.state != RequestState.IDENTITY_VERIFIED:
        raise TransitionRefused(
            gettext(
                "Evidence is collected after identity verification and before review; "
                "%(request)s is %(state)s."
            )
            % {"request": request, "state": request.get_state_display()}
        )
    file = _check_evidence_file(file, method)
    evidence = AuthenticationEvidence(
        request=request, method=method, outcome=outcome, note=note, checked_by=actor
    )
    refuse_invalid_fields(evidence, {"note": "note"})
    if file:
        evidence.file = file
    evidence._history_user = actor

    try:
        step.run(
            apply=evidence.save,
            reason=note or reasons.AUTHENTICATION(method=method, outcome=outcome),
            data={"method": method, "outcome": outcome},
        )
    except BaseException:
        discard_file_of(evidence)
        raise
    return evidence


def submit_for_review(*, request: AccountRequest, actor: Actor, reason: str = "") -> AccountRequest:
    """Hand the collected proof to a reviewer (who must be someone else)."""
    return run_transition(request, "submit_for_review", actor=actor, reason=reason, arguments={"by": actor})


def approve_request(*, request: AccountRequest, actor: Actor, reason: str = "") -> AccountRequest:
    """Four eyes: approved by none of its makers (who opened it, verified the caller,
    collected proof or submitted it for review); unlocks of suspicious-activity or
    risk-control locks by a risk officer."""
    _require_person(actor, "approve", request)
    # The transition's permission is the four-eyes rule (models.may_approve).
    return run_transition(request, "approve", actor=actor, reason=reason, arguments={"by": actor})


def _call_gateway(request: AccountRequest, actor: Actor) -> str:
    accounts = gateway()
    key = f"{request.reference}-{request.kind}"
    number = request.account.account_number
    if request.kind == RequestKind.UNLOCK:
        return accounts.unlock(number, idempotency_key=key, actor=actor)
    if request.lock_reason == LockReason.JUDICIAL_FREEZE:
        return accounts.freeze(number, reason=request.lock_reason, idempotency_key=key, actor=actor)
    return accounts.lock(number, reason=request.lock_reason, idempotency_key=key, actor=actor)


def _execute(
    request: AccountRequest, actor: Actor, name: str, *, reason: str | SystemReason
) -> AccountRequest:
    def change_account() -> None:
        # Runs after the row is claimed: a second execute is refused before it gets here,
        # so the gateway is called once.
        request.gateway_reference = _call_gateway(request, actor)
        request.account.refresh_from_db()  # the gateway changed it; the complaint note reads it
        _end(request, actor=actor)
        if request.kind == RequestKind.UNLOCK:
            # The complaint it came from is its holder's to tell the customer (nobody holds a request).
            handbacks.hand_back_along(
                [request, request.complaint], kind=HandbackKind.UNLOCK_EXECUTED, actor=actor
            )

    with transaction.atomic():
        run_transition(
            request,
            name,
            actor=actor,
            reason=reason,
            before_save=change_account,
            arguments={"gateway_reference": ""},
        )
        if request.kind == RequestKind.UNLOCK:
            _tell_unlocked(request, actor)
    return request


def _tell_unlocked(request: AccountRequest, actor: Actor) -> None:
    """The customer is told their account works again (the complaint's customer, on the
    complaint's channel), in the execution's transaction."""
    context = customer_notices.shared_context() | {
        "reference": request.reference,
        "account": mask_account_number(request.account.account_number),
        "complaint_reference": request.complaint.reference if request.complaint_id else "",
    }
    customers.tell_customer(case=request, kind=customers.UNLOCK_EXECUTED, actor=actor, context=context)


def execute_request(*, request: AccountRequest, actor: Actor, reason: str = "") -> AccountRequest:
    """Change the account through the gateway, once."""
    return _execute(
        request,
        actor,
        "execute",
        reason=reason or reasons.EXECUTED(kind=request.kind),
    )


def reject_request(*, request: AccountRequest, actor: Actor, reason: str) -> AccountRequest:
    require(reason, "reason", gettext("Say why the request is rejected; the customer is told."))
    return run_transition(
        request,
        "reject",
        actor=actor,
        reason=reason,
        before_save=lambda: _end(request, actor=actor),
        arguments={"reason": reason},
    )


def cancel_request(*, request: AccountRequest, actor: Actor, reason: str = "") -> AccountRequest:
    return run_transition(
        request,
        "cancel",
        actor=actor,
        reason=reason or reasons.CANCELLED(),
        before_save=lambda: _end(request, actor=actor),
    )


def _end(request: AccountRequest, actor: Actor = None, at: dt.datetime | None = None) -> None:
    """The request has ended: stop its clock, and move the complaint it came from on."""
    clocks.stop_clock(request.sla_clock, at=at or timezone.now())
    resolution = None
    if request.state == RequestState.EXECUTED and request.kind == RequestKind.UNLOCK:
        # Masked: the summary is what the customer (and the partner, through the API) is told.
        number = mask_account_number(request.account.account_number)
        summary = reasons.UNLOCKED(account=number, reference=request.reference)
        resolution = (ResolutionCode.UNLOCKED, summary)
    with outbox.notice_language():  # a note the system writes: in the deployment's language
        note = gettext("%(kind)s request %(reference)s ended %(state)s: %(why)s.") % {
            "kind": str(request.get_kind_display()).capitalize(),
            "reference": request.reference,
            "state": request.get_state_display(),
            "why": request.rejection_reason or gettext("see its timeline"),
        }
    complaint_services.follow_linked_case(request, actor=actor, resolution=resolution, note=note)


def expire_stale_requests(now: dt.datetime) -> int:
    """Requests left without passed authentication for the configured days expire.

    A request whose proof passed but was not yet handed to review stays: it waits on
    staff, not on the customer, and the SLA clock chases it.
    """
    days = settings.ACCOUNT_REQUEST_EXPIRY_DAYS
    due = (
        AccountRequest.objects.filter(
            state__in=[RequestState.SUBMITTED, RequestState.IDENTITY_VERIFIED],
            created_at__lte=now - dt.timedelta(days=days),
        )
        .exclude(evidence__outcome=Outcome.PASSED)
        .order_by("created_at")
    )
    return sweep.run_due_transitions(
        due,
        "expire",
        reason=reasons.EXPIRED(days=days),
        before_save=lambda request: _end(request, at=now),
    )


def _reviewers(request: AccountRequest) -> list[str]:
    team = RISK_TEAM if request.needs_risk_officer else REVIEWERS_TEAM
    return [team_for_code(team).mailbox]


def _due_soon_recipients(request: AccountRequest) -> list[str]:
    """Before review the request is the frontline's to move on; after, the reviewers'."""
    if request.state in (RequestState.SUBMITTED, RequestState.IDENTITY_VERIFIED):
        return [team_for_code(FRONTLINE_TEAM).mailbox]
    return _reviewers(request)


CLOCKED = sweep.ClockedCases(
    model=AccountRequest,
    clock_relation="account_request",
    related=("account",),
    template="accounts/clock_notice.txt",
    due_soon_recipients=_due_soon_recipients,
    breach_recipients=lambda request: sorted({*_reviewers(request), team_for_code(REVIEWERS_TEAM).mailbox}),
)


def run_clock(now: dt.datetime) -> dict[str, int]:
    return {
        "due_soon": sweep.warn_due_soon(CLOCKED, now),
        "breached": sweep.mark_breaches(CLOCKED, now),
        "expired": expire_stale_requests(now),
    }
