"""Which regime a case runs under, and which of its limits and extensions apply to a case.

A limit or extension narrowed to the case's condition (Reg E's new account) beats the one
for every case; a regime with no limit on a milestone leaves it to the SLA policy."""

from __future__ import annotations

from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext

from casework.core.errors import InvalidInput
from casework.models import Milestone, Regime, RegimeExtension, RegimeLimit


def deployment_regime() -> Regime:
    """The regime new cases run under: the ``REGIME`` setting's code (its newest active
    version) if set, else the one marked default in the admin."""
    code = getattr(settings, "REGIME", "")
    regimes = Regime.objects.filter(is_active=True).select_related("calendar")
    regime = (
        regimes.filter(code=code).order_by("-version").first()
        if code
        else regimes.filter(is_default=True).first()
    )
    if regime is None:
        raise InvalidInput(
            gettext("No active regulatory regime %(code)s: add or activate one in the admin.")
            % {"code": code or gettext("marked default")},
            field="regime",
        )
    return regime


def regime_by_code(code: str) -> Regime:
    """A regime a case names by code (its newest active version)."""
    regimes = Regime.objects.filter(code=code, is_active=True).select_related("calendar")
    regime = regimes.order_by("-version").first()
    if regime is None:
        choices = ", ".join(sorted(set(Regime.objects.filter(is_active=True).values_list("code", flat=True))))
        raise InvalidInput(
            gettext("Unknown regulatory regime %(code)s; choose one of: %(choices)s.")
            % {"code": code, "choices": choices},
            field="regime",
        )
    return regime


def _narrowest(rows, condition: str):
    by_condition = {row.condition: row for row in rows}
    return by_condition.get(condition) or by_condition.get("")


def limit_for(regime: Regime, *, case_type: str, milestone: str, condition: str = "") -> RegimeLimit | None:
    """The regime's limit on ``milestone`` for a case with ``condition``; none if it sets none."""
    rows = [
        row
        for row in regime.limits.all()
        if row.case_type == case_type and row.milestone == milestone and row.condition in {condition, ""}
    ]
    return _narrowest(rows, condition)


def extensions_for(
    regime: Regime, *, case_type: str, condition: str = "", milestone: str = Milestone.DECISION
) -> list[RegimeExtension]:
    """The extension tiers open to such a case, in order (tier 1 first). An extension extends
    the limit of its own condition: a case whose limit is narrowed to its condition (DISP's
    eight weeks outside payment services) takes only the extensions narrowed to it too,
    never the one written for every case's shorter limit."""
    limit = limit_for(regime, case_type=case_type, milestone=milestone, condition=condition)
    narrowed = limit is not None and limit.condition != ""
    allowed = {condition} if narrowed else {condition, ""}
    rows = [
        row
        for row in regime.extensions.all()
        if row.case_type == case_type and row.milestone == milestone and row.condition in allowed
    ]
    tiers: dict[int, list[RegimeExtension]] = {}
    for row in rows:
        tiers.setdefault(row.tier, []).append(row)
    return [_narrowest(tiers[tier], condition) for tier in sorted(tiers)]


def next_extension(
    regime: Regime, *, case_type: str, condition: str = "", in_force: RegimeExtension | None = None
) -> RegimeExtension | None:
    """The tier after the one in force (the first, if none is), or none once all were used."""
    tiers = extensions_for(regime, case_type=case_type, condition=condition)
    if in_force is None:
        return tiers[0] if tiers else None
    later = [tier for tier in tiers if tier.tier > in_force.tier]
    return later[0] if later else None


def copy_as_new_version(regime: Regime) -> Regime:
    """An editable copy of ``regime`` with its limits and extensions, under the next free
    version (``2020.1``, ``2020.2``…): inactive and not the default until an admin, having
    changed what the rule changed, activates it (the cases under the old version keep it)."""
    with transaction.atomic():
        taken = set(Regime.objects.filter(code=regime.code).values_list("version", flat=True))
        number = 1
        while f"{regime.version}.{number}" in taken:
            number += 1
        limits, extensions = list(regime.limits.all()), list(regime.extensions.all())
        copy = Regime.objects.get(pk=regime.pk)
        copy.pk = copy.id = None
        copy._state.adding = True
        copy.version = f"{regime.version}.{number}"
        copy.is_default = copy.is_active = False
        copy.save()
        for row in (*limits, *extensions):
            row.pk = row.id = None
            row._state.adding = True
            row.regime = copy
            row.save()
    return copy


def make_default(regime: Regime) -> Regime:
    """Mark ``regime`` the default; saving it unmarks the one that was (``Regime.save``)."""
    if not regime.is_active:
        raise InvalidInput(
            gettext("Only an active regime can be the default: make it active too."), field="is_default"
        )
    regime.is_default = True
    regime.save()
    return regime
