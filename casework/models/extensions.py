"""A request to extend a case's deadline: asked for with a reason (the one the customer is
told), and granted at once or approved by a second person where the regime's tier says so
(``RegimeExtension.requires_approval``: PBOC's complaint-handling lead, NFRA's second tier).

Any case type may ask: the case is a generic key, and who may decide is whoever holds
``<app>.approve_extension_<model>`` of the case's type and did not ask (four eyes). The use
cases that run it (what moves the clock, who is told) are the case app's services."""

from __future__ import annotations

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django_fsm import ConcurrentTransitionMixin, FSMField, transition

from casework.core.chain import ChainedHistoricalRecords
from casework.core.limits import REASON_MAX_LENGTH, bounded_text
from casework.models.regimes import RegimeExtension


class ExtensionState(models.TextChoices):
    REQUESTED = "requested", _("waiting for approval")
    APPROVED = "approved", _("granted")
    REFUSED = "refused", _("refused")
    WITHDRAWN = "withdrawn", _("withdrawn")


def approve_permission(request: ExtensionRequest) -> str:
    """The permission that decides on a request about this case's type."""
    content_type = request.content_type
    return f"{content_type.app_label}.approve_extension_{content_type.model}"


def may_decide(request: ExtensionRequest, user) -> bool:
    """Four eyes: someone allowed to approve extensions of this case type, not the asker."""
    return (
        user is not None
        and getattr(user, "pk", None) != request.requested_by_id
        and user.has_perm(approve_permission(request))
    )


def _decision_refusal(request: ExtensionRequest, user) -> str:
    if getattr(user, "pk", None) == request.requested_by_id:
        return gettext("You asked for this extension: someone else must approve or refuse it.")
    return gettext("Only someone allowed to approve extensions decides on this request.")


may_decide.refusal = _decision_refusal  # casework.cases.transitions.check_permission words it


def is_the_asker(request: ExtensionRequest, user) -> bool:
    return user is not None and getattr(user, "pk", None) == request.requested_by_id


is_the_asker.refusal = lambda request, user: gettext("Only who asked for an extension withdraws it.")


def needs_approval(request: ExtensionRequest) -> bool:
    return request.rule is not None and request.rule.requires_approval


def needs_no_approval(request: ExtensionRequest) -> bool:
    return not needs_approval(request)


class ExtensionRequest(ConcurrentTransitionMixin, models.Model):
    """One case's request to run to a longer limit, and what became of it."""

    # An action of a case with its own states: each step is recorded in its case's trail.
    trail_case_field = "case"
    content_type = models.ForeignKey(ContentType, on_delete=models.PROTECT, verbose_name=_("content type"))
    object_id = models.PositiveBigIntegerField(verbose_name=_("object id"))
    case = GenericForeignKey("content_type", "object_id")
    # The regime's tier it asks for; none: the SLA policy's extended limit (a case that runs
    # under no regime, opened before regimes were recorded).
    rule = models.ForeignKey(
        RegimeExtension,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="requests",
        verbose_name=_("extension tier"),
    )
    reason = bounded_text(
        REASON_MAX_LENGTH,
        help_text=_("Why the answer needs longer, as the customer is told it."),
        verbose_name=_("reason"),
    )
    version = models.PositiveIntegerField(default=0, editable=False, verbose_name=_("version"))
    state = FSMField(
        default=ExtensionState.REQUESTED,
        choices=ExtensionState.choices,
        protected=True,
        verbose_name=_("state"),
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("requested by")
    )
    requested_at = models.DateTimeField(default=timezone.now, verbose_name=_("requested at"))
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("decided by"),
    )
    decided_at = models.DateTimeField(null=True, blank=True, verbose_name=_("decided at"))
    decision_note = bounded_text(REASON_MAX_LENGTH, blank=True, verbose_name=_("decision note"))
    extended_due_at = models.DateTimeField(null=True, blank=True, verbose_name=_("new deadline"))
    history = ChainedHistoricalRecords(excluded_fields=["version"])

    class Meta:
        verbose_name = _("extension request")
        verbose_name_plural = _("extension requests")
        ordering = ["-requested_at", "-id"]
        indexes = [models.Index(fields=["content_type", "object_id"], name="extension_request_case")]
        constraints = [
            # One open request per case; the service says so in words first.
            models.UniqueConstraint(
                fields=["content_type", "object_id"],
                condition=Q(state="requested"),
                name="one_open_extension_request_per_case",
            ),
        ]

    def __str__(self) -> str:
        return gettext("Extension request %(id)s (%(state)s)") % {
            "id": self.pk or "—",
            "state": self.get_state_display(),
        }

    @property
    def is_open(self) -> bool:
        return self.state == ExtensionState.REQUESTED

    # The state machine. What moves the case's clock and who is told: the case's services.

    @transition(
        field=state,
        source=ExtensionState.REQUESTED,
        target=ExtensionState.APPROVED,
        conditions=[needs_no_approval],
    )
    def grant(self) -> None:
        """A tier that needs nobody's approval (PSD2's holding reply) is granted as asked."""
        self.decided_by_id = self.requested_by_id
        self.decided_at = timezone.now()

    @transition(
        field=state,
        source=ExtensionState.REQUESTED,
        target=ExtensionState.APPROVED,
        conditions=[needs_approval],
        permission=may_decide,
    )
    def approve(self, *, by, note: str = "") -> None:
        self.decided_by = by
        self.decided_at = timezone.now()
        self.decision_note = note

    @transition(
        field=state, source=ExtensionState.REQUESTED, target=ExtensionState.REFUSED, permission=may_decide
    )
    def refuse(self, *, by, note: str) -> None:
        self.decided_by = by
        self.decided_at = timezone.now()
        self.decision_note = note

    @transition(
        field=state, source=ExtensionState.REQUESTED, target=ExtensionState.WITHDRAWN, permission=is_the_asker
    )
    def withdraw(self, *, by, note: str = "") -> None:
        self.decided_by = by
        self.decided_at = timezone.now()
        self.decision_note = note
