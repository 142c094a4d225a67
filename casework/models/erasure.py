"""A customer's request to erase their personal data (PIPL art. 47, GDPR art. 17), handled
as a case: recorded by whoever took it, once the customer's identity was checked; approved
or refused by someone else (four eyes), the refusal with the reason the customer is told
(PIPL art. 50); and executed once none of the customer's cases is still running. Its answer
is due ``ERASURE_ANSWER_DAYS`` after it was received.

Executing erases what no rule requires us to keep and keeps the rest until its retention
ends (``casework.erasure.services``): the outcome lists both, and the customer is told.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django_fsm import ConcurrentTransitionMixin, FSMField, transition

from casework.core.chain import ChainedHistoricalRecords
from casework.core.limits import REASON_MAX_LENGTH, bounded_text
from casework.models.correspondence import CustomerChannel, CustomerLanguage
from casework.models.customers import Customer
from casework.models.retention import pseudonymised_at_field

DECIDE_PERMISSION = "casework.decide_erasurerequest"


class ErasureState(models.TextChoices):
    RECEIVED = "received", _("waiting for a decision")
    APPROVED = "approved", _("approved, waiting for the cases to end")
    EXECUTED = "executed", _("executed")
    REFUSED = "refused", _("refused")


OPEN_STATES = (ErasureState.RECEIVED, ErasureState.APPROVED)
ENDED_STATES = (ErasureState.EXECUTED, ErasureState.REFUSED)


class ReceivedVia(models.TextChoices):
    HOTLINE = "hotline", _("hotline call")
    EMAIL = "email", _("e-mail")
    LETTER = "letter", _("letter")
    IN_PERSON = "in_person", _("in person")
    APP = "app", _("in the wallet app")


def running_cases(customer_id: int) -> list[tuple[object, models.Model]]:
    """The customer's cases, of every kind, that have not reached one of their ends: their
    data is still needed to answer them; as (its ``kinds.CaseKind``, the case)."""
    from casework.models import kinds  # the registry imports the package this module is part of

    found = []
    for kind in kinds.registered():
        if not kind.customer_field or kind.retention is None:
            continue
        found += [
            (kind, case)
            for case in kind.model._base_manager.filter(**{f"{kind.customer_field}_id": customer_id})
            .exclude(state__in=kind.retention.ended_states)
            .order_by("pk")
        ]
    return found


def may_decide(request: ErasureRequest, user) -> bool:
    """Four eyes: someone allowed to decide on erasure requests, not who recorded it."""
    return (
        user is not None
        and getattr(user, "pk", None) != request.recorded_by_id
        and user.has_perm(DECIDE_PERMISSION)
    )


def _decision_refusal(request: ErasureRequest, user) -> str:
    if getattr(user, "pk", None) == request.recorded_by_id:
        return gettext("You recorded this erasure request: someone else must approve or refuse it.")
    return gettext("Only someone allowed to decide on erasure requests approves or refuses them.")


may_decide.refusal = _decision_refusal  # casework.cases.transitions.check_permission words it


def may_execute(request: ErasureRequest, user) -> bool:
    return user is None or user.has_perm(DECIDE_PERMISSION)


def no_running_cases(request: ErasureRequest) -> bool:
    return not running_cases(request.customer_id)


def _running_refusal(request: ErasureRequest) -> str:
    references = ", ".join(
        getattr(case, "reference", str(case.pk)) for _kind, case in running_cases(request.customer_id)
    )
    return gettext(
        "The customer's cases %(references)s have not ended: their data is needed to answer them. "
        "The request is executed once they end."
    ) % {"references": references}


no_running_cases.refusal = _running_refusal


class ErasureRequest(ConcurrentTransitionMixin, models.Model):
    """One customer's request to erase their personal data, and what became of it."""

    reference = models.CharField(max_length=40, unique=True, editable=False, verbose_name=_("reference"))
    customer = models.ForeignKey(
        Customer, on_delete=models.PROTECT, related_name="erasure_requests", verbose_name=_("customer")
    )
    received_at = models.DateTimeField(default=timezone.now, verbose_name=_("received at"))
    received_via = models.CharField(
        max_length=16, choices=ReceivedVia.choices, verbose_name=_("received via")
    )
    # What the customer asked for, in their words; the agent checked it is the customer.
    request_text = bounded_text(REASON_MAX_LENGTH, verbose_name=_("request"))
    identity_verified = models.BooleanField(default=False, verbose_name=_("identity verified"))
    reply_channel = models.CharField(
        max_length=8,
        choices=CustomerChannel.choices,
        default=CustomerChannel.SMS,
        verbose_name=_("answer by"),
    )
    # The phone (E.164) or e-mail address the answer goes to.
    reply_address = models.CharField(max_length=254, verbose_name=_("answer to"))
    language = models.CharField(
        max_length=8,
        choices=CustomerLanguage.choices,
        default=CustomerLanguage.ZH_HANS,
        verbose_name=_("language"),
    )
    due_at = models.DateTimeField(verbose_name=_("answer due"))
    due_soon_notified_at = models.DateTimeField(null=True, blank=True, editable=False)
    state = FSMField(
        default=ErasureState.RECEIVED, choices=ErasureState.choices, protected=True, verbose_name=_("state")
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("recorded by")
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("decided by"),
    )
    decided_at = models.DateTimeField(null=True, blank=True, verbose_name=_("decided at"))
    # A refusal's reason is what the customer is told.
    decision_note = bounded_text(REASON_MAX_LENGTH, blank=True, verbose_name=_("decision note"))
    executed_at = models.DateTimeField(null=True, blank=True, verbose_name=_("executed at"))
    # What the execution erased and what it kept, and until when (casework.erasure.services).
    outcome = models.JSONField(default=dict, blank=True, editable=False, verbose_name=_("outcome"))
    # Set when retention pseudonymised the request itself, its period after it ended
    # (``casework.privacy.retention``, the period of ``RecordType.ERASURE_REQUEST``).
    pseudonymised_at = pseudonymised_at_field()
    version = models.PositiveIntegerField(default=0, editable=False, verbose_name=_("version"))
    history = ChainedHistoricalRecords(excluded_fields=["version", "due_soon_notified_at"])

    class Meta:
        verbose_name = _("erasure request")
        verbose_name_plural = _("erasure requests")
        ordering = ["due_at", "id"]
        permissions = [
            (
                "decide_erasurerequest",
                _("Can approve, refuse and execute erasure requests (not one they recorded)"),
            )
        ]
        indexes = [
            models.Index(fields=["state", "due_at"], name="erasure_request_due"),
            # Retention's sweep: ended requests still holding personal data.
            models.Index(
                fields=["decided_at", "id"],
                condition=Q(state__in=list(ENDED_STATES), pseudonymised_at__isnull=True),
                name="erasure_request_retention_due",
            ),
        ]
        constraints = [
            # One running request per customer; the service says so in words first.
            models.UniqueConstraint(
                fields=["customer"],
                condition=Q(state__in=["received", "approved"]),
                name="one_open_erasure_request_per_customer",
            ),
        ]

    def __str__(self) -> str:
        return self.reference or gettext("new erasure request")

    @property
    def is_open(self) -> bool:
        return self.state in OPEN_STATES

    @property
    def is_overdue(self) -> bool:
        return self.is_open and self.due_at is not None and self.due_at <= timezone.now()

    # The state machine. What executing erases, and telling the customer: casework.erasure.services.

    @transition(
        field=state, source=ErasureState.RECEIVED, target=ErasureState.APPROVED, permission=may_decide
    )
    def approve(self, *, by, note: str = "") -> None:
        self.decided_by = by
        self.decided_at = timezone.now()
        self.decision_note = note

    @transition(
        field=state,
        source=[ErasureState.RECEIVED, ErasureState.APPROVED],
        target=ErasureState.REFUSED,
        permission=may_decide,
    )
    def refuse(self, *, by, note: str) -> None:
        self.decided_by = by
        self.decided_at = timezone.now()
        self.decision_note = note

    @transition(
        field=state,
        source=ErasureState.APPROVED,
        target=ErasureState.EXECUTED,
        conditions=[no_running_cases],
        permission=may_execute,
    )
    def execute(self) -> None:
        self.executed_at = timezone.now()

    @property
    def ended_at(self):
        """When it reached its end, from which its own retention period counts."""
        return self.executed_at if self.state == ErasureState.EXECUTED else self.decided_at
