"""Wallet accounts and the requests that lock or unlock them."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _
from django_fsm import ConcurrentTransitionMixin, FSMField, transition

from casework.cases.transitions import condition
from casework.core.chain import ChainedHistoricalRecords
from casework.core.evidence import EvidenceFileField, unguessable_path
from casework.core.limits import REASON_MAX_LENGTH, STATEMENT_MAX_LENGTH, bounded_text
from casework.customers.identity import CustomerLinked, customer_field, keys_of
from casework.models import Partner, SlaClock
from casework.models.retention import pseudonymised_at_field, retention_due_index


class AccountStatus(models.TextChoices):
    ACTIVE = "active", pgettext_lazy("account status", "active")
    LOCKED = "locked", _("locked")
    FROZEN = "frozen", _("frozen")


class LockReason(models.TextChoices):
    WRONG_PASSWORDS = "wrong_passwords", _("too many wrong passwords")
    SUSPICIOUS_ACTIVITY = "suspicious_activity", _("suspicious activity")
    DEVICE_CHANGE = "device_change", _("device change")
    CUSTOMER_REQUEST = "customer_request", _("customer's own request (lost phone)")
    RISK_CONTROL = "risk_control", _("risk control")
    JUDICIAL_FREEZE = "judicial_freeze", _("judicial freeze")


# Unlocking these needs the risk officer, not only a second pair of eyes.
RISK_REASONS = frozenset({LockReason.SUSPICIOUS_ACTIVITY, LockReason.RISK_CONTROL})


class WalletAccount(models.Model):
    """The back office's view of a wallet account; changed only through the gateway."""

    account_number = models.CharField(_("account number"), max_length=32, unique=True)
    holder_name = models.CharField(_("holder name"), max_length=120)
    phone_masked = models.CharField(
        _("phone masked"),
        max_length=20,
        help_text=_("e.g. 138****8000; the full number stays in the core."),
    )
    status = models.CharField(
        _("status"), max_length=10, choices=AccountStatus.choices, default=AccountStatus.ACTIVE
    )
    lock_reason = models.CharField(_("lock reason"), max_length=24, choices=LockReason.choices, blank=True)
    locked_at = models.DateTimeField(_("locked at"), null=True, blank=True)
    failed_attempts = models.PositiveSmallIntegerField(_("failed attempts"), default=0)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    history = ChainedHistoricalRecords()

    class Meta:
        ordering = ["account_number"]
        verbose_name = _("wallet account")
        verbose_name_plural = _("wallet accounts")
        constraints = [
            models.CheckConstraint(
                condition=Q(status="active", lock_reason="") | (~Q(status="active") & ~Q(lock_reason="")),
                name="a_locked_account_says_why",
            )
        ]

    def __str__(self) -> str:
        # Masked: the name shows in breadcrumbs, links and the admin log (casework.privacy.masking).
        from casework.privacy.masking import mask_account_number

        return f"{mask_account_number(self.account_number)} ({self.get_status_display()})"


class PartnerAccountLink(models.Model):
    """A wallet account a partner serves: the partner may ask for its unlock and read its
    status. Made by the wallet company from what the partner cannot assert itself (the
    core's record that the customer holds the account through the partner, or the
    customer's signed consent), never by the partner; without a link a partner's request
    for the account gets the very answer an unknown account gets."""

    partner = models.ForeignKey(
        Partner, on_delete=models.PROTECT, related_name="account_links", verbose_name=_("partner")
    )
    account = models.ForeignKey(
        WalletAccount, on_delete=models.PROTECT, related_name="partner_links", verbose_name=_("account")
    )
    basis = models.CharField(
        _("basis"),
        max_length=200,
        help_text=_(
            "Why the partner serves this account, as the wallet core or the customer's consent "
            'records it, e.g. "opened through DemoPay\'s app, 2025-03".'
        ),
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        editable=False,
        verbose_name=_("created by"),
    )
    ended_at = models.DateTimeField(
        _("ended at"),
        null=True,
        blank=True,
        editable=False,
        help_text=_("When the partner stopped serving the account; the link stays for the record."),
    )
    ended_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        editable=False,
        verbose_name=_("ended by"),
    )
    history = ChainedHistoricalRecords()

    class Meta:
        ordering = ["partner", "account", "-created_at"]
        verbose_name = _("partner's account")
        verbose_name_plural = _("partners' accounts")
        constraints = [
            models.UniqueConstraint(
                fields=["partner", "account"],
                condition=Q(ended_at__isnull=True),
                name="one_current_link_per_partner_and_account",
            )
        ]

    def __str__(self) -> str:
        return f"{self.partner}: {self.account}"

    def clean(self) -> None:
        # The constraint's condition names ended_at, which no form edits, so Django's own
        # constraint check skips it: say it here, next to the account.
        if self.ended_at is None and self.partner_id and self.account_id:
            current = PartnerAccountLink.objects.filter(
                partner_id=self.partner_id, account_id=self.account_id, ended_at__isnull=True
            ).exclude(pk=self.pk)
            if current.exists():
                raise ValidationError({"account": gettext("This account is already linked to this partner.")})


class RequestKind(models.TextChoices):
    UNLOCK = "unlock", _("unlock")
    LOCK = "lock", _("lock")


class RequestState(models.TextChoices):
    SUBMITTED = "submitted", _("submitted")
    IDENTITY_VERIFIED = "identity_verified", _("identity verified")
    PENDING_REVIEW = "pending_review", _("pending review")
    APPROVED = "approved", _("approved")
    EXECUTED = "executed", _("executed")
    REJECTED = "rejected", _("rejected")
    CANCELLED = "cancelled", _("cancelled")
    EXPIRED = "expired", _("expired")


OPEN_REQUEST_STATES = (
    RequestState.SUBMITTED,
    RequestState.IDENTITY_VERIFIED,
    RequestState.PENDING_REVIEW,
    RequestState.APPROVED,
)
# The requests that need a risk officer's approval (``AccountRequest.needs_risk_officer``),
# and their makers (``AccountRequest.maker_ids``), as lookups for queries: My work's
# "Awaiting my decision" shows a reviewer only what ``approval_refusal`` lets them approve.
NEEDS_RISK_OFFICER = Q(kind=RequestKind.UNLOCK, lock_reason__in=sorted(RISK_REASONS))
MAKER_FIELDS = (
    "submitted_by",
    "submitted_for_review_by",
    "identity_verified_by",
    "evidence__checked_by",
    "complaint__identity_verified_by",
)
ENDED_REQUEST_STATES = (
    RequestState.EXECUTED,
    RequestState.REJECTED,
    RequestState.CANCELLED,
    RequestState.EXPIRED,
)


class AuthenticationMethod(models.TextChoices):
    SMS_CODE = "sms_code", _("SMS one-time code")
    FACE_CHECK = "face_check", _("face check")
    ID_DOCUMENT = "id_document", _("ID document")
    BANK_CARD = "bank_card", _("bank card check")


class Outcome(models.TextChoices):
    PASSED = "passed", pgettext_lazy("authentication outcome", "passed")
    FAILED = "failed", pgettext_lazy("authentication outcome", "failed")


@condition(
    _("No alternative authentication has passed yet: collect one (SMS code, face check, ID, bank card).")
)
def has_passed_authentication(request: AccountRequest) -> bool:
    return request.evidence.filter(outcome=Outcome.PASSED).exists()


@condition(
    _("A judicial freeze cannot be lifted here: only the court's release order lifts it, in the wallet core.")
)
def is_not_judicial_freeze(request: AccountRequest) -> bool:
    if request.kind != RequestKind.UNLOCK:
        return True
    if request.lock_reason == LockReason.JUDICIAL_FREEZE:
        return False
    # A court may freeze the account while its unlock waits: read the account as it is now.
    return not WalletAccount.objects.filter(pk=request.account_id, status=AccountStatus.FROZEN).exists()


@condition(_("Only a customer's own protective lock is executed at once."))
def is_protective_lock(request: AccountRequest) -> bool:
    return request.kind == RequestKind.LOCK and request.lock_reason == LockReason.CUSTOMER_REQUEST


def approval_refusal(request: AccountRequest, user) -> str | None:
    """Why ``user`` may not approve ``request``, or ``None`` if they may.

    Four eyes: a reviewer who is none of its makers (see ``maker_ids``); unlocks of
    suspicious-activity and risk-control locks need a risk officer.
    """
    if not user.has_perm("accounts.approve_accountrequest"):
        return gettext("You do not have permission to approve account requests.")
    if request.needs_risk_officer and not user.has_perm("accounts.approve_risk_accountrequest"):
        return gettext(
            "The account was locked for %(lock_reason)s: a risk officer must approve the unlock."
        ) % {"lock_reason": request.get_lock_reason_display()}
    if user.pk in request.maker_ids():
        if user.pk in request.checker_ids():
            return gettext(
                "Four eyes: you verified the caller or collected proof on this request, "
                "so another reviewer must approve it."
            )
        if user.pk == request.submitted_by_id:
            return gettext("Four eyes: you opened this request, so another reviewer must approve it.")
        return gettext(
            "Four eyes: you submitted this request for review, so another reviewer must approve it."
        )
    return None


def may_approve(request: AccountRequest, user) -> bool:
    return approval_refusal(request, user) is None


may_approve.refusal = approval_refusal


class AccountRequest(CustomerLinked, ConcurrentTransitionMixin, models.Model):
    """A customer's request to unlock (or lock) their wallet account."""

    reference = models.CharField(_("reference"), max_length=30, unique=True, editable=False)
    version = models.PositiveIntegerField(_("version"), default=0, editable=False)
    kind = models.CharField(_("kind"), max_length=10, choices=RequestKind.choices, default=RequestKind.UNLOCK)
    state = FSMField(
        _("state"),
        default=RequestState.SUBMITTED,
        choices=RequestState.choices,
        protected=True,
        db_index=True,
    )
    account = models.ForeignKey(
        WalletAccount, on_delete=models.PROTECT, related_name="requests", verbose_name=_("account")
    )
    # The account's holder (casework.customers), found by its number when the request opens.
    customer = customer_field()
    lock_reason = models.CharField(
        _("lock reason"),
        max_length=24,
        choices=LockReason.choices,
        help_text=_("Unlock: why the account was locked when the request came in. Lock: why to lock it."),
    )
    customer_statement = bounded_text(
        STATEMENT_MAX_LENGTH,
        verbose_name=_("customer statement"),
        blank=True,
        help_text=_("What the customer says happened."),
    )
    explanation_given = bounded_text(
        REASON_MAX_LENGTH,
        verbose_name=_("explanation given"),
        blank=True,
        help_text=_("How the lock was explained to the customer."),
    )
    complaint = models.ForeignKey(
        "complaints.Complaint",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="account_requests",
        verbose_name=_("complaint"),
    )
    partner = models.ForeignKey(
        Partner,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="account_requests",
        verbose_name=_("partner"),
    )
    external_reference = models.CharField(_("external reference"), max_length=64, blank=True)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("submitted by")
    )
    identity_verified_at = models.DateTimeField(_("identity verified at"), null=True, blank=True)
    identity_verified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("identity verified by"),
    )
    identity_verification_method = models.CharField(
        _("identity verification method"), max_length=20, blank=True
    )
    submitted_for_review_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("submitted for review by"),
    )
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("approved by"),
    )
    approved_at = models.DateTimeField(_("approved at"), null=True, blank=True)
    executed_at = models.DateTimeField(_("executed at"), null=True, blank=True)
    gateway_reference = models.CharField(_("gateway reference"), max_length=64, blank=True)
    rejection_reason = bounded_text(REASON_MAX_LENGTH, verbose_name=_("rejection reason"), blank=True)
    sla_clock = models.OneToOneField(
        SlaClock, on_delete=models.PROTECT, related_name="account_request", verbose_name=_("SLA clock")
    )
    # The clock's next deadline, kept by casework.sla.clocks (never edited, not in the history):
    # the lists, My work and the team view sort and count the open cases by it.
    next_due_at = models.DateTimeField(null=True, blank=True, editable=False, verbose_name=_("next deadline"))
    created_at = models.DateTimeField(_("created at"), default=timezone.now, db_index=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    pseudonymised_at = pseudonymised_at_field()  # retention (casework.privacy.retention)
    history = ChainedHistoricalRecords(excluded_fields=["version", "next_due_at"])

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("account request")
        verbose_name_plural = _("account requests")
        permissions = [
            ("verify_identity_accountrequest", "Can record a caller's identity verification"),
            ("collect_authentication_accountrequest", "Can collect alternative authentication"),
            ("approve_accountrequest", "Can approve an account request (four eyes)"),
            ("approve_risk_accountrequest", "Can approve unlocks of risk and suspicious-activity locks"),
            ("execute_accountrequest", "Can execute an approved account request"),
            ("reject_accountrequest", "Can reject an account request"),
            ("cancel_accountrequest", "Can cancel an account request"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["account"],
                condition=Q(state__in=OPEN_REQUEST_STATES),
                name="one_open_request_per_account",
            ),
            models.UniqueConstraint(
                fields=["partner", "external_reference"],
                condition=~Q(external_reference=""),
                name="one_account_request_per_partner_reference",
            ),
        ]
        indexes = [
            models.Index(fields=["state", "created_at"], name="accountrequest_state_created"),
            retention_due_index(
                "accountrequest_retention_due", ended_states=ENDED_REQUEST_STATES, ended_at="updated_at"
            ),
            # A partner's list, newest first (the API's cursor order).
            models.Index(fields=["partner", "created_at"], name="accountrequest_partner_created"),
            # A partner polling for what changed since its last poll (updated_since).
            models.Index(fields=["partner", "updated_at"], name="accountrequest_partner_updated"),
            # The open cases by next deadline, each way (casework.sla.clocks keeps the column).
            models.Index(
                fields=["next_due_at"],
                condition=Q(state__in=OPEN_REQUEST_STATES),
                name="accountrequest_open_due",
            ),
            models.Index(
                models.F("next_due_at").desc(nulls_last=True),
                condition=Q(state__in=OPEN_REQUEST_STATES),
                name="accountrequest_open_due_desc",
            ),
        ]

    def __str__(self) -> str:
        return self.reference or gettext("new account request")

    def customer_keys(self):
        return keys_of(account_number=self.account.account_number)

    @property
    def needs_risk_officer(self) -> bool:
        return self.kind == RequestKind.UNLOCK and self.lock_reason in RISK_REASONS

    @property
    def is_open(self) -> bool:
        return self.state in OPEN_REQUEST_STATES

    def checker_ids(self) -> set[int]:
        """Who verified the caller (here, or on the complaint whose verification carried
        over) or checked any of the proof."""
        checkers = set(self.evidence.values_list("checked_by_id", flat=True))
        checkers.add(self.identity_verified_by_id)
        if self.complaint_id is not None:
            checkers.add(self.complaint.identity_verified_by_id)
        return {pk for pk in checkers if pk is not None}

    def maker_ids(self) -> set[int]:
        """Everyone who made the request what it is: whoever opened it (staff on the
        customer's behalf; a partner's API user otherwise), verified the caller, collected
        proof or submitted it for review. None of them may approve it."""
        makers = self.checker_ids() | {self.submitted_by_id, self.submitted_for_review_by_id}
        return {pk for pk in makers if pk is not None}

    @transition(
        field=state,
        source=RequestState.SUBMITTED,
        target=RequestState.IDENTITY_VERIFIED,
        permission="accounts.verify_identity_accountrequest",
        custom={"label": _("Verify identity")},
    )
    def verify_identity(self, *, verified_with: str, by) -> None:
        # Not "method": django-fsm passes the transition method under that name.
        self.identity_verified_at = timezone.now()
        self.identity_verified_by = by
        self.identity_verification_method = verified_with

    @transition(
        field=state,
        source=RequestState.IDENTITY_VERIFIED,
        target=RequestState.PENDING_REVIEW,
        conditions=[has_passed_authentication, is_not_judicial_freeze],
        permission="accounts.collect_authentication_accountrequest",
        custom={"label": _("Submit for review")},
    )
    def submit_for_review(self, *, by) -> None:
        self.submitted_for_review_by = by

    @transition(
        field=state,
        source=RequestState.PENDING_REVIEW,
        target=RequestState.APPROVED,
        conditions=[has_passed_authentication, is_not_judicial_freeze],
        permission=may_approve,
        custom={"label": _("Approve")},
    )
    def approve(self, *, by) -> None:
        self.approved_by = by
        self.approved_at = timezone.now()

    @transition(
        field=state,
        source=RequestState.APPROVED,
        target=RequestState.EXECUTED,
        conditions=[is_not_judicial_freeze],
        permission="accounts.execute_accountrequest",
        custom={"label": _("Execute")},
    )
    def execute(self, *, gateway_reference: str) -> None:
        self.executed_at = timezone.now()
        self.gateway_reference = gateway_reference

    @transition(
        field=state,
        source=RequestState.IDENTITY_VERIFIED,
        target=RequestState.EXECUTED,
        conditions=[is_protective_lock],
        permission="accounts.verify_identity_accountrequest",
        custom={"label": _("Lock at once"), "admin": False},
    )
    def execute_protective_lock(self, *, gateway_reference: str) -> None:
        self.executed_at = timezone.now()
        self.gateway_reference = gateway_reference

    @transition(
        field=state,
        source=[RequestState.SUBMITTED, RequestState.IDENTITY_VERIFIED, RequestState.PENDING_REVIEW],
        target=RequestState.REJECTED,
        permission="accounts.reject_accountrequest",
        custom={"label": _("Reject")},
    )
    def reject(self, *, reason: str) -> None:
        self.rejection_reason = reason

    @transition(
        field=state,
        source=list(OPEN_REQUEST_STATES),
        target=RequestState.CANCELLED,
        permission="accounts.cancel_accountrequest",
        custom={"label": _("Cancel")},
    )
    def cancel(self) -> None:
        pass

    @transition(
        field=state,
        source=[RequestState.SUBMITTED, RequestState.IDENTITY_VERIFIED],
        target=RequestState.EXPIRED,
        custom={"admin": False},
    )
    def expire(self) -> None:
        pass


def evidence_path(instance: AuthenticationEvidence, filename: str) -> str:
    return unguessable_path(f"accounts/{instance.request.reference}", filename)


class AuthenticationEvidence(models.Model):
    """One alternative authentication: how, with what outcome, the proof, who checked."""

    request = models.ForeignKey(
        AccountRequest, on_delete=models.PROTECT, related_name="evidence", verbose_name=_("request")
    )
    method = models.CharField(_("method"), max_length=20, choices=AuthenticationMethod.choices)
    outcome = models.CharField(_("outcome"), max_length=10, choices=Outcome.choices)
    file = EvidenceFileField(
        _("file"),
        upload_to=evidence_path,
        blank=True,
        help_text=_("Scan or photo (PDF, JPEG, PNG); required for an ID document or a bank card check."),
    )
    note = models.CharField(_("note"), max_length=300, blank=True)
    checked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("checked by")
    )
    checked_at = models.DateTimeField(_("checked at"), default=timezone.now)
    history = ChainedHistoricalRecords()

    class Meta:
        ordering = ["checked_at", "id"]
        verbose_name = _("authentication evidence")
        verbose_name_plural = _("authentication evidence")

    def __str__(self) -> str:
        return f"{self.get_method_display()}: {self.get_outcome_display()}"
