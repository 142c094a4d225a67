"""What opening any case involves: a reference, a running SLA clock and the first
record of its trail, written together."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.utils import timezone
from django.utils.translation import gettext, gettext_lazy

from casework.cases.references import next_reference
from casework.cases.transitions import run_step
from casework.core.actors import Actor
from casework.core.errors import InvalidInput
from casework.core.limits import refuse_overlong_reason, refuse_overlong_text, text_fields
from casework.models import Regime, SlaPolicy
from casework.sla import clocks
from casework.trail.audit import record_transition
from casework.trail.reasons import SystemReason, split

# The form field (and the refusal's field) carrying why a case's details were corrected.
CHANGE_REASON = "change_reason"


def require(value: Any, field: str, message: str) -> None:
    """Refuse a missing or blank value, naming the field."""
    if value in (None, "") or (isinstance(value, str) and not value.strip()):
        raise InvalidInput(message, field=field)


def refuse_invalid_fields(instance: models.Model, fields: dict[str, str]) -> None:
    """Run the model fields' own checks (length, format, range) on ``instance``'s values of
    ``fields`` (model field -> the name the caller gave it) and refuse the first that fails,
    naming the caller's field: a service refuses what the admin and the API refuse.

    The cleaned values stay on ``instance`` (a phone number in E.164)."""
    exclude = [field.name for field in instance._meta.fields if field.name not in fields]
    try:
        instance.clean_fields(exclude=exclude)
    except ValidationError as error:
        name, errors = next(iter(error.error_dict.items()))
        raise InvalidInput(errors[0].messages[0], field=fields.get(name, name)) from error


# What a partner's reused reference is refused with, unless the case type says it otherwise.
REUSED_REFERENCE = gettext_lazy("This partner already sent %(noun)s with reference '%(reference)s'.")


def refuse_reused_partner_reference(
    model: type[models.Model],
    partner,
    external_reference: str,
    *,
    noun: str,
    message: str = REUSED_REFERENCE,
) -> None:
    """A partner's own reference names one case of each type: refuse it used again, on
    ``external_reference``. ``message`` may name the case it names already (``%(case)s``).

    The one check of the rule (the serializers leave it to the service). Called before the
    insert, and again when the insert fails on the unique constraint (two sends at the same
    moment), so both say the same.
    """
    if not (partner and external_reference):
        return
    existing = (
        model.objects.filter(partner=partner, external_reference=external_reference)
        .values_list("reference", flat=True)
        .first()
    )
    if existing is not None:
        raise InvalidInput(
            str(message) % {"noun": noun, "reference": external_reference, "case": existing},
            field="external_reference",
        )


def open_case(
    case: models.Model,
    *,
    prefix: str,
    policy: SlaPolicy,
    received_at: dt.datetime,
    actor: Actor,
    transition: str,
    reason: str | SystemReason,
    data: dict | None = None,
    savepoint: bool = True,
    regime: Regime | None = None,
    regime_condition: str = "",
) -> models.Model:
    """Save a new case with its reference (``PREFIX-YYYYMMDD-NNNNNN``), clock and first record.

    Call inside the caller's transaction when more must happen atomically with it. There it
    is a savepoint, so that a caller can catch a failed insert and still query; a caller
    that will not (``savepoint=False``) saves the two round trips. The clock runs under
    ``regime`` (for a case with ``regime_condition``) where one is given.
    """
    refuse_overlong_reason(split(reason)[0])
    refuse_overlong_text(case, dict.fromkeys(text_fields(case)))
    case._history_user = actor
    with transaction.atomic(savepoint=savepoint):
        case.sla_clock = clocks.start_clock(
            policy=policy, started_at=received_at, regime=regime, condition=regime_condition
        )
        case.reference = next_reference(prefix, model=type(case), today=timezone.localdate(received_at))
        case.save()
        record_transition(
            case=case,
            transition=transition,
            source="",
            target=case.state,
            actor=actor,
            reason=reason,
            data=data,
            first=True,
        )
    return case


def check_details_change(changed: Sequence[str], reason: str) -> None:
    """A correction of a case's details says why: refuse one without a reason."""
    if changed:
        require(
            reason,
            CHANGE_REASON,
            gettext("Say why the details are changed: it is kept in the trail with the fields changed."),
        )


def edit_details(*, case: models.Model, actor: Actor, changed: Sequence[str], reason: str) -> models.Model:
    """Save corrections already set on ``case`` (its fields ``changed``) with the reason, as a
    step of its trail ("edit details": the fields, who, why; the state stays), claimed
    against the version the editor read; simple-history keeps the same reason."""
    check_details_change(changed, reason)
    if not changed:
        return case
    meta = case._meta
    return run_step(
        case,
        "edit_details",
        actor=actor,
        permission=f"{meta.app_label}.change_{meta.model_name}",
        apply=lambda: None,  # the form set the fields; the step claims, saves and records
        reason=reason.strip(),
        data={"fields": list(changed)},
    )
