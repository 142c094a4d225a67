"""Which regulatory regime a complaint runs under: chosen at registration (the deployment's
by default, or one the case names when its customer falls under another jurisdiction),
recorded on the complaint and in its trail, corrected through ``corrections``; and how
its decision deadline reads (the limit in force, its unit and its article).

The limits themselves, and which of them applies, are casework's (``casework.sla``)."""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.translation import gettext as _

from casework.core.errors import InvalidInput
from casework.models import Regime, RegimeCondition, SlaClock, TimeUnit
from casework.sla import clocks
from casework.sla.regimes import deployment_regime, regime_by_code

REGIME_FIELD = "regime"
CONDITION_FIELD = "regime_condition"


def regime_for_case(code: str | Regime | None = "") -> Regime:
    """The regime a new complaint runs under: the one ``code`` names (its newest active
    version; the admin's form hands the row itself), or the deployment's when none is
    named; an unknown or inactive one is refused on ``regime``."""
    if isinstance(code, Regime):
        code = code.code
    code = (code or "").strip()
    return regime_by_code(code) if code else deployment_regime()


def offered_regimes():
    """The regimes a case may name: the newest active version of each code."""
    newest = {}
    for regime in Regime.objects.filter(is_active=True).order_by("code", "-version"):
        newest.setdefault(regime.code, regime.pk)
    return Regime.objects.filter(pk__in=newest.values()).order_by("code")


def default_regime_code() -> str:
    """The deployment's regime's code, or "" when none is set up (the form offers the rest)."""
    try:
        return deployment_regime().code
    except InvalidInput:
        return ""


def check_condition(condition: str | None) -> str:
    """A condition the regimes know (blank: every case), refused on ``regime_condition``."""
    condition = condition or ""
    if condition not in RegimeCondition.values:
        allowed = ", ".join(value for value in RegimeCondition.values if value)
        raise InvalidInput(
            _("'%(value)s' is not a regime condition; choose one of: %(allowed)s, or none.")
            % {"value": condition, "allowed": allowed},
            field=CONDITION_FIELD,
        )
    return condition


def trail_data(regime: Regime | None, condition: str) -> dict:
    """What the trail keeps of a complaint's regime: its code and version, and the condition."""
    if regime is None:
        return {"regime": None}
    return {"regime": regime.code, "regime_version": regime.version, "regime_condition": condition}


def label(regime: Regime | None) -> str:
    return f"{regime.code} {regime.version}" if regime is not None else ""


@dataclass(frozen=True)
class DecisionBasis:
    """What a complaint's decision deadline is counted from: the regime's limit, its
    extension in force, or (no regime sets one) the SLA policy's target."""

    target: int
    unit: str
    article: str
    extension_tier: int | None

    @property
    def unit_label(self) -> str:
        return str(TimeUnit(self.unit).label)

    def as_dict(self) -> dict:
        return {
            "target": self.target,
            "unit": self.unit,
            "article": self.article,
            "extension_tier": self.extension_tier,
        }


def decision_basis(clock: SlaClock, condition: str) -> DecisionBasis:
    target = clocks.resolution_target(clock, condition)
    rule = target.rule
    return DecisionBasis(
        target=target.amount,
        unit=target.unit,
        article=rule.article if rule is not None else "",
        extension_tier=getattr(rule, "tier", None),
    )


def limit_in_force(complaint) -> str:
    """One line for staff: "cn-pboc 2020: decision within 15 days (civil-law count), PBOC
    Order [2020] No. 5, ch. IV"; the policy's target where no regime sets the limit."""
    basis = decision_basis(complaint.sla_clock, complaint.regime_condition)
    values = {
        "regime": label(complaint.sla_clock.regime),
        "target": basis.target,
        "unit": basis.unit_label,
        "article": basis.article,
        "tier": basis.extension_tier,
    }
    if not basis.article:
        if complaint.sla_clock.regime is None:
            return _("SLA policy: decision within %(target)s %(unit)s") % values
        return _("%(regime)s sets no decision limit; SLA policy: within %(target)s %(unit)s") % values
    if basis.extension_tier is not None:
        return (
            _("%(regime)s: decision within %(target)s %(unit)s (extension tier %(tier)s), %(article)s")
            % values
        )
    return _("%(regime)s: decision within %(target)s %(unit)s, %(article)s") % values


def regime_change(complaint, code: str | None, condition: str | None) -> tuple[Regime, str, dict]:
    """A correction's new regime and condition (``None``: unchanged) and its trail entry
    (``{"regime": [from, to], ...}``, only what changes)."""
    if isinstance(code, Regime):
        code = code.code
    regime = complaint.regime
    if code is not None and (regime is None or code != regime.code):
        regime = regime_for_case(code)
    elif regime is None and condition is not None:
        regime = deployment_regime()  # a complaint from before regimes: it joins the deployment's
    new_condition = complaint.regime_condition if condition is None else check_condition(condition)
    changes: dict = {}
    if regime != complaint.regime:
        changes[REGIME_FIELD] = [label(complaint.regime), label(regime)]
    if new_condition != complaint.regime_condition:
        changes[CONDITION_FIELD] = [complaint.regime_condition, new_condition]
    return regime, new_condition, changes
