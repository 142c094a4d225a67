"""Correcting what a complaint was registered as: its category, priority and channel.

These choose the SLA policy, so they are not plain details: a correction is a step with a
reason, taken by a supervisor, or by the agent holding the complaint before it is
accepted; the clock moves to the policy the corrected complaint falls under.
"""

from __future__ import annotations

import copy

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from casework.cases.opening import refuse_invalid_fields, require
from casework.cases.transitions import PermittedStep
from casework.core.actors import Actor
from casework.core.errors import InvalidInput, PermissionRefused, TransitionRefused
from casework.models import CaseType, SlaClock
from casework.sla import clocks
from complaints.models import Complaint, State, missing_phone_refusal
from complaints.services import regimes
from complaints.services.classification import remapped_codes

CORRECTED_FIELDS = ("category", "priority", "channel")
CORRECT_PERMISSION = "complaints.correct_complaint"
# The holder's own path: the ordinary change permission, while the complaint is received.
HOLDER_PERMISSION = "complaints.change_complaint"


def correction_refusal(complaint: Complaint, user: Actor) -> str | None:
    """Why ``user`` may not correct ``complaint``, or ``None`` if they may: a supervisor
    (``complaints.correct_complaint``) may; so may the agent holding it, until it is
    accepted. Asked by :func:`correct_complaint` and by the admin, which offers the step
    only then."""
    if user is not None and user.has_perm(CORRECT_PERMISSION):
        return None
    if (
        user is not None
        and complaint.state == State.RECEIVED
        and complaint.assigned_to_id is not None
        and complaint.assigned_to_id == user.pk
        and user.has_perm(HOLDER_PERMISSION)
    ):
        return None
    return _(
        "Only a supervisor can correct the category, priority or channel of %(complaint)s; "
        "the agent holding it can until it is accepted."
    ) % {"complaint": complaint}


def may_correct(complaint: Complaint, user: Actor) -> bool:
    return correction_refusal(complaint, user) is None


def correct_complaint(
    *,
    complaint: Complaint,
    actor: Actor,
    category: str | None = None,
    priority: str | None = None,
    channel: str | None = None,
    regime: str | None = None,
    regime_condition: str | None = None,
    reason: str,
) -> Complaint:
    """Correct the category, priority or channel of an open complaint, or the regime (a
    code) or condition it runs under, saying why; the SLA clock moves to the policy and
    regime the corrected complaint falls under (``None``: unchanged).

    One trail entry with each field's ``[from, to]`` and the reason, claimed against the
    version read: a complaint changed meanwhile is refused."""
    refusal = correction_refusal(complaint, actor)
    if refusal is not None:
        raise PermissionRefused(refusal)
    step = PermittedStep(complaint, "correct", actor)  # its gate is the refusal above
    if not complaint.is_open:
        raise TransitionRefused(
            _("%(complaint)s is %(state)s: only an open complaint is corrected.")
            % {"complaint": complaint, "state": complaint.get_state_display()}
        )
    require(reason, "reason", _("Say why the complaint is corrected."))
    asked = {"category": category, "priority": priority, "channel": channel}
    corrected = copy.copy(complaint)
    for name, value in asked.items():
        if value is not None:
            setattr(corrected, name, value)
    refuse_invalid_fields(corrected, {name: name for name, value in asked.items() if value is not None})
    changes = {
        name: [getattr(complaint, name), getattr(corrected, name)]
        for name in CORRECTED_FIELDS
        if getattr(corrected, name) != getattr(complaint, name)
    }
    new_regime, new_condition, regime_changes = regimes.regime_change(complaint, regime, regime_condition)
    if not changes and not regime_changes:
        asked |= {regimes.REGIME_FIELD: regime, regimes.CONDITION_FIELD: regime_condition}
        raise InvalidInput(
            _("Nothing to correct: choose another category, priority or channel than the complaint has."),
            field=next((name for name, value in asked.items() if value is not None), "category"),
        )
    _refuse_missing_details(corrected)
    policy = clocks.policy_for(
        case_type=CaseType.COMPLAINT, category=corrected.category, priority=corrected.priority
    )

    # The codes still the old category's own follow it (complaints.services.classification).
    codes = remapped_codes(complaint, corrected.category) if "category" in changes else {}

    def apply() -> None:
        for name, (_old, new) in {**changes, **codes}.items():
            setattr(complaint, name, new)
        # Read again under a lock: the sweep writes clocks (a warning, a breach) without
        # touching the complaint's version, and a stale clock saved whole would undo that.
        clock = SlaClock.objects.select_for_update().get(pk=complaint.sla_clock_id)
        now = timezone.now()
        clocks.change_policy(clock, policy, at=now, condition=complaint.regime_condition)
        if regime_changes:
            clocks.change_regime(clock, new_regime, new_condition, at=now)
            complaint.regime, complaint.regime_condition = new_regime, new_condition
        complaint.sla_clock = clock

    data = changes | regime_changes
    if codes:  # as code strings, under their own key: the timeline shows the fields above
        data["classification"] = {
            name: [getattr(c, "code", None) for c in pair] for name, pair in codes.items()
        }
    return step.run(apply=apply, reason=reason.strip(), data=data)


def _refuse_missing_details(corrected: Complaint) -> None:
    """The new category's required details must be on the complaint already (its clean()):
    refused on the category, naming what to add first. A complaint without a phone stays on
    the e-mail channel (``missing_phone_refusal``): refused on the channel, in its words."""
    phone_refusal = missing_phone_refusal(
        corrected.channel, corrected.customer_phone, corrected.customer_email
    )
    if phone_refusal:
        raise InvalidInput(phone_refusal, field="channel")
    try:
        corrected.clean()
    except ValidationError as error:
        if not hasattr(error, "error_dict"):
            raise InvalidInput(error.messages[0], field="category") from error
        names = [name for name in error.error_dict if name != "__all__"]
        missing = pgettext("list separator", ", ").join(
            str(Complaint._meta.get_field(name).verbose_name) for name in names
        )
        raise InvalidInput(
            _("A complaint about a %(category)s needs its %(details)s: add them to the details first.")
            % {"category": corrected.get_category_display(), "details": missing},
            field="category",
        ) from error
