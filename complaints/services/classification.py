"""A complaint's classification codes (``complaints.models.classification``): which it takes
when registered, which follow a correction of its category, which its resolution needs.

- Registration: the business type and the cause are the codes the category maps to
  (``maps_from``) unless the caller chose others, see :func:`registered_codes`; the
  channel code is never stored, it is read from the channel (:func:`channel_code`;
  :func:`with_channel_code` annotates a query, for the returns).
- A correction of the category re-maps a code only while it is still the old category's
  default (:func:`remapped_codes`). Nothing records "set by hand": a code other than the
  old category's default was chosen by someone (at a resolution, or with "Classify") and
  stays; one equal to it follows the category, as it would had nobody looked at it.
- Resolution (:func:`judge_resolution`): all four codes given, each an active code of its
  own dimension, and the outcome; the redress paid is optional, more than zero when given,
  and required when the resolution code says money went to the customer (refunded,
  compensated): the figure a regulator's return counts as redress paid (DISP 1.10) must
  not miss what was paid. A "not upheld" resolution code is a "not upheld" outcome.
- Resolved by a linked case (a refund settled, an account unlocked; :func:`automatic_resolution`):
  the outcome is upheld, the redress the amount refunded; the codes are the complaint's,
  a missing business type or cause its category's default, and what cannot be defaulted
  (product, root cause) is named in the trail for the holder to record with "Classify"
  (:func:`classify_complaint`).

Every refusal names its field (``InvalidInput(field=...)``): the admin shows it next to
the field, the API as a 400 on it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.db.models import Case, OuterRef, Q, QuerySet, Subquery, Value, When
from django.utils.translation import gettext as _

from casework.cases.opening import require
from casework.cases.transitions import permitted_step
from casework.core.actors import Actor
from casework.core.errors import InvalidInput, TransitionRefused
from casework.core.money import refuse_non_ascii_amount, validate_amount, validate_decimal_places
from complaints.models import ClassificationCode, Complaint, Dimension, Outcome, ResolutionCode, State

# The codes a resolution records, in the order forms ask for them.
CODE_FIELDS = (Dimension.BUSINESS_TYPE, Dimension.CAUSE, Dimension.PRODUCT, Dimension.ROOT_CAUSE)
# Mapped from the complaint's category; the others are found when it is worked.
MAPPED_FIELDS = (Dimension.BUSINESS_TYPE, Dimension.CAUSE)
# Resolution codes that mean money went to the customer: the redress paid must be given.
PAYING_CODES = (ResolutionCode.REFUNDED, ResolutionCode.COMPENSATED)
# Whoever may resolve a complaint may classify it.
CLASSIFY_PERMISSION = "complaints.resolve_complaint"
# A rejected or withdrawn complaint is not counted as received and worked, nor a merged
# duplicate (its survivor is): not classified.
CLASSIFIED_STATES = tuple(
    state for state in State if state not in (State.REJECTED, State.WITHDRAWN, State.MERGED)
)

CodeValue = ClassificationCode | str | None


def active_codes(dimension: str) -> QuerySet[ClassificationCode]:
    return ClassificationCode.objects.filter(dimension=dimension, is_active=True)


def _dimension_label(dimension: str) -> str:
    return str(Dimension(dimension).label)


def code_for(dimension: str, value: CodeValue, *, retired_too: bool = False) -> ClassificationCode:
    """The active code ``value`` (a code string such as ``"B01"``, or a code) of
    ``dimension``; refused, naming the dimension's field, when missing, unknown, of
    another dimension or no longer in use (``retired_too``: a filter of past complaints
    may name a retired code)."""
    label = _dimension_label(dimension)
    if isinstance(value, str):
        value = value.strip()
    require(value, dimension, _("Choose the %(dimension)s.") % {"dimension": label})
    if isinstance(value, ClassificationCode):
        found = [value]
    else:
        found = list(ClassificationCode.objects.filter(code__iexact=value))
    own = next((code for code in found if code.dimension == dimension), None)
    if own is None:
        if found:
            raise InvalidInput(
                _("%(code)s is a %(other)s code, not a %(dimension)s code.")
                % {"code": found[0].code, "other": _dimension_label(found[0].dimension), "dimension": label},
                field=dimension,
            )
        allowed = ", ".join(active_codes(dimension).values_list("code", flat=True))
        raise InvalidInput(
            _("There is no %(dimension)s code '%(code)s'; choose one of: %(allowed)s.")
            % {"dimension": label, "code": value, "allowed": allowed},
            field=dimension,
        )
    if not own.is_active and not retired_too:
        raise InvalidInput(
            _("%(code)s is no longer in use: choose an active %(dimension)s code.")
            % {"code": own.code, "dimension": label},
            field=dimension,
        )
    return own


def default_code(dimension: str, maps_from: str) -> ClassificationCode | None:
    """The active code of ``dimension`` that ``maps_from`` (a category or a channel) maps
    to, or ``None`` if none does."""
    if not maps_from:
        return None
    return active_codes(dimension).filter(maps_from=maps_from).first()


def registered_codes(
    category: str, channel: str, **chosen: CodeValue
) -> dict[str, ClassificationCode | None]:
    """The business type and cause a new complaint of ``category`` takes: those ``chosen``
    (a partner that classifies what it files), else the ones the category maps to; and
    under ``"channel"`` the channel code ``channel`` is counted under (:func:`channel_code`).

    The defaults and the channel code come in one query: a registration reads them all."""
    defaulted = [dimension for dimension in MAPPED_FIELDS if not chosen.get(dimension)]
    wanted = Q(dimension=Dimension.CHANNEL, maps_from=channel)
    if defaulted and category:
        wanted |= Q(dimension__in=defaulted, maps_from=category, is_active=True)
    read: dict[str, ClassificationCode] = {}
    # As channel_code orders them; a mapped default is the one active code of its category.
    for code in ClassificationCode.objects.filter(wanted).order_by("-is_active", "position", "code"):
        read.setdefault(code.dimension, code)
    codes = {
        dimension: code_for(dimension, chosen[dimension]) if chosen.get(dimension) else read.get(dimension)
        for dimension in MAPPED_FIELDS
    }
    return codes | {Dimension.CHANNEL: read.get(Dimension.CHANNEL)}


def remapped_codes(complaint: Complaint, category: str) -> dict[str, tuple[ClassificationCode | None, ...]]:
    """The codes that follow a correction of ``complaint``'s category to ``category``:
    name -> (old, new), for each code that is still the old category's default (or
    empty) and whose new default differs. A code someone chose is left alone."""
    changes = {}
    for dimension in MAPPED_FIELDS:
        current = getattr(complaint, dimension)
        old_default = default_code(dimension, complaint.category)
        if current is not None and current != old_default:
            continue
        new = default_code(dimension, category)
        if new != current:
            changes[dimension] = (current, new)
    return changes


def channel_code(complaint: Complaint) -> ClassificationCode | None:
    """The channel code a complaint is counted under: the one its channel maps to (an
    active one first; a retired code still counts the complaints it was made for)."""
    return (
        ClassificationCode.objects.filter(dimension=Dimension.CHANNEL, maps_from=complaint.channel)
        .order_by("-is_active", "position", "code")
        .first()
    )


def channel_code_subquery() -> Subquery:
    """Each complaint row's channel code string, as :func:`channel_code` picks it, in the
    row's own query: for a page of complaints (the API's list)."""
    return Subquery(
        ClassificationCode.objects.filter(dimension=Dimension.CHANNEL, maps_from=OuterRef("channel"))
        .order_by("-is_active", "position", "code")
        .values("code")[:1]
    )


def with_channel_code(queryset: QuerySet[Complaint], name: str = "channel_code") -> QuerySet[Complaint]:
    """``queryset`` annotated with each complaint's channel code string as ``name``.

    Built from the few channel codes as a CASE over the channel column, not a subquery per
    row (:func:`channel_code_subquery`): a monthly return groups a million complaints by it."""
    whens = [When(channel=channel, then=Value(code)) for channel, code in channel_codes().items()]
    return queryset.annotate(**{name: Case(*whens, default=Value("")) if whens else Value("")})


def channel_codes() -> dict[str, str]:
    """Channel -> the code it is counted under (an active one before a retired one)."""
    codes: dict[str, str] = {}
    for row in (
        ClassificationCode.objects.filter(dimension=Dimension.CHANNEL)
        .exclude(maps_from="")
        .order_by("-is_active", "position", "code")
    ):
        codes.setdefault(row.maps_from, row.code)
    return codes


@dataclass
class Resolution:
    """The classification a resolution records on the complaint, judged."""

    codes: dict[str, ClassificationCode]
    outcome: str
    redress_amount: Decimal | None
    # Filled in by the system for a resolution no person classified (a linked case's).
    defaulted: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)

    def apply(self, complaint: Complaint) -> None:
        for dimension, code in self.codes.items():
            setattr(complaint, dimension, code)
        complaint.outcome = self.outcome
        complaint.redress_amount = self.redress_amount

    def trail(self) -> dict:
        """What the trail keeps of it: the codes as strings, the outcome, the redress."""
        data = {
            "classification": {dimension: code.code for dimension, code in self.codes.items()},
            "outcome": self.outcome,
            "redress_amount": None if self.redress_amount is None else str(self.redress_amount),
        }
        if self.defaulted:
            data["classification_defaulted"] = self.defaulted
        if self.missing:
            data["classification_missing"] = self.missing
        return data


def parse_redress(complaint: Complaint, value) -> Decimal | None:
    """The redress paid: empty for none, else more than zero (the amount's own rule) with
    no more decimals than the complaint's currency has."""
    if value in (None, ""):
        return None
    try:
        if not isinstance(value, Decimal):
            refuse_non_ascii_amount(str(value))
            value = Decimal(str(value).strip())
        validate_amount(value)
        validate_decimal_places(value, complaint.currency)
    except (InvalidOperation, ValueError):
        raise InvalidInput(
            _("Enter the redress paid as a number, e.g. 88.00."), field="redress_amount"
        ) from None
    except ValidationError as error:
        raise InvalidInput(error.messages[0], field="redress_amount") from error
    return value


def judge_resolution(
    complaint: Complaint,
    *,
    code: str,
    business_type: CodeValue = None,
    cause: CodeValue = None,
    product: CodeValue = None,
    root_cause: CodeValue = None,
    outcome: str = "",
    redress_amount=None,
) -> Resolution:
    """The classification a person resolving ``complaint`` gives, judged field by field in
    the form's order; the first refusal names its field."""
    given = {
        Dimension.BUSINESS_TYPE: business_type,
        Dimension.CAUSE: cause,
        Dimension.PRODUCT: product,
        Dimension.ROOT_CAUSE: root_cause,
    }
    codes = {str(dimension): code_for(dimension, value) for dimension, value in given.items()}
    require(outcome, "outcome", _("Choose the outcome: upheld, partly upheld or not upheld."))
    if outcome not in Outcome.values:
        raise InvalidInput(
            _("'%(value)s' is not an outcome; choose one of: %(allowed)s.")
            % {"value": outcome, "allowed": ", ".join(Outcome.values)},
            field="outcome",
        )
    if code == ResolutionCode.NOT_UPHELD and outcome != Outcome.NOT_UPHELD:
        raise InvalidInput(
            _("The resolution says the complaint is not upheld: choose the outcome not upheld."),
            field="outcome",
        )
    redress = parse_redress(complaint, redress_amount)
    if redress is None and code in PAYING_CODES:
        raise InvalidInput(
            _("The customer was %(resolution)s: give the redress paid, in %(currency)s.")
            % {"resolution": ResolutionCode(code).label, "currency": complaint.currency},
            field="redress_amount",
        )
    return Resolution(codes=codes, outcome=outcome, redress_amount=redress)


def automatic_resolution(complaint: Complaint, *, redress_amount: Decimal | None = None) -> Resolution:
    """What a linked case's resolution records: upheld (the refund was paid, the account
    unlocked), the redress the amount refunded; the complaint's codes, a missing business
    type or cause its category's default, and the codes nobody recorded named as missing."""
    codes, defaulted, missing = {}, [], []
    for dimension in CODE_FIELDS:
        current = getattr(complaint, dimension)
        if current is None and dimension in MAPPED_FIELDS:
            current = default_code(dimension, complaint.category)
            if current is not None:
                defaulted.append(str(dimension))
        if current is None:
            missing.append(str(dimension))
        else:
            codes[str(dimension)] = current
    return Resolution(
        codes=codes,
        outcome=Outcome.UPHELD,
        redress_amount=redress_amount or None,
        defaulted=defaulted,
        missing=missing,
    )


def missing_codes_note(resolution: Resolution) -> str:
    """The note the holder reads when a linked case resolved the complaint without codes."""
    names = ", ".join(_dimension_label(name) for name in resolution.missing)
    return _("Resolved without its %(codes)s: record them with Classify, so the returns count it.") % {
        "codes": names
    }


def classify_complaint(
    *,
    complaint: Complaint,
    actor: Actor,
    business_type: CodeValue,
    cause: CodeValue,
    product: CodeValue = None,
    root_cause: CodeValue = None,
    reason: str,
) -> Complaint:
    """Record the codes a complaint is counted by, saying why: the business type and cause
    always; the product and root cause too once it is resolved (they are what its
    resolution records). The trail keeps each code's ``[from, to]``."""
    step = permitted_step(complaint, "classify", actor=actor, permission=CLASSIFY_PERMISSION)
    if complaint.state not in CLASSIFIED_STATES:
        raise TransitionRefused(
            _("%(complaint)s is %(state)s: it is not counted, so it is not classified.")
            % {"complaint": complaint, "state": complaint.get_state_display()}
        )
    needs_all = complaint.state in (State.RESOLVED, State.CLOSED)
    given = {
        Dimension.BUSINESS_TYPE: business_type,
        Dimension.CAUSE: cause,
        Dimension.PRODUCT: product,
        Dimension.ROOT_CAUSE: root_cause,
    }
    codes = {}
    for dimension, value in given.items():
        if value in (None, "") and dimension not in MAPPED_FIELDS and not needs_all:
            codes[str(dimension)] = None
            continue
        codes[str(dimension)] = code_for(dimension, value)
    require(reason, "reason", _("Say why the complaint is classified so."))
    changes = {
        name: [getattr(getattr(complaint, name), "code", None), getattr(code, "code", None)]
        for name, code in codes.items()
        if getattr(complaint, name) != code
    }
    if not changes:
        raise InvalidInput(
            _("Nothing to change: these are the codes the complaint has."), field="business_type"
        )

    def apply() -> None:
        for name, code in codes.items():
            setattr(complaint, name, code)

    # The fields by name (the timeline lists them), their codes from and to as strings.
    return step.run(
        apply=apply, reason=reason.strip(), data={"fields": list(changes), "classification": changes}
    )
