"""The seeded regimes drive a clock's deadlines: each limit in its own unit on the regime's
calendar (``casework.sla.clocks``), China's days counted as the Civil Code counts a period.

The expected dates are written by hand from the calendars of 2026 as ``holidays`` gives
them: China's Spring Festival (16-23 February off, Saturday 14 and 28 February worked),
National Day (1-7 October off, Sunday 20 September and Saturday 10 October worked); the
UK's spring bank holiday (25 May); the US's Memorial Day (25 May), Juneteenth (19 June)
and Independence Day observed (3 July)."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from casework.core.errors import InvalidInput
from casework.models import (
    BusinessCalendar,
    CalendarOverride,
    Milestone,
    Regime,
    RegimeExtension,
    SlaPolicy,
    TimeUnit,
)
from casework.sla import clocks
from casework.sla.calendars import WorkingTime, default_calendar
from casework.sla.regimes import deployment_regime, extensions_for, limit_for

SHANGHAI = ZoneInfo("Asia/Shanghai")
LONDON = ZoneInfo("Europe/London")
NEW_YORK = ZoneInfo("America/New_York")
BERLIN = ZoneInfo("Europe/Berlin")


def cn(*args) -> dt.datetime:
    return dt.datetime(*args, tzinfo=SHANGHAI)


def uk(*args) -> dt.datetime:
    return dt.datetime(*args, tzinfo=LONDON)


def us(*args) -> dt.datetime:
    return dt.datetime(*args, tzinfo=NEW_YORK)


@pytest.fixture
def policy(db) -> SlaPolicy:
    """The default complaint policy: 1 business day to a first response, 15/35 business days."""
    return SlaPolicy.objects.get(case_type="complaint", category="", priority="")


def regime(code: str) -> Regime:
    return Regime.objects.get(code=code)


def extension(code: str, *, tier: int = 1, condition: str = "") -> RegimeExtension:
    return RegimeExtension.objects.get(regime__code=code, tier=tier, condition=condition)


# (regime, condition, received, expected decision due): the clock's resolution deadline.
DECISION_VECTORS = [
    # PBOC, 15 days counted as the Civil Code counts (received 5 Feb: the 15th day is Friday
    # 20 Feb, a Spring Festival day off; Sat 21, Sun 22 rest; Mon 23 off: Tuesday 24 Feb).
    ("cn-pboc", "", cn(2026, 2, 5, 10, 0), cn(2026, 2, 24, 18, 0)),
    # The 15th day is Saturday 28 Feb, a make-up workday (调休): it stays the last day.
    ("cn-pboc", "", cn(2026, 2, 13, 15, 0), cn(2026, 2, 28, 18, 0)),
    # The 15th day is 1 Oct, National Day: 2-7 Oct rest too, so Thursday 8 Oct.
    ("cn-pboc", "", cn(2026, 9, 16, 11, 0), cn(2026, 10, 8, 18, 0)),
    # Received on a holiday (Mid-Autumn, 25 Sep): counted all the same; the 15th day is
    # Saturday 10 Oct, a make-up workday.
    ("cn-pboc", "", cn(2026, 9, 25, 9, 30), cn(2026, 10, 10, 18, 0)),
    # An ordinary fortnight: 24 Nov to Wednesday 9 Dec.
    ("cn-pboc", "", cn(2026, 11, 24, 9, 30), cn(2026, 12, 9, 18, 0)),
    # The day is Shanghai's: 16:30 UTC on 2 Mar is 00:30 on 3 Mar there, so 18 Mar.
    ("cn-pboc", "", dt.datetime(2026, 3, 2, 16, 30, tzinfo=dt.UTC), cn(2026, 3, 18, 18, 0)),
    # NFRA counts the same 15 days.
    ("cn-nfra", "", cn(2026, 9, 16, 11, 0), cn(2026, 10, 8, 18, 0)),
    # PSD2, 15 business days on the policy's calendar (China's): National Day's week off,
    # Saturday 10 Oct worked.
    ("eu-psd2", "", cn(2026, 9, 28, 10, 0), cn(2026, 10, 23, 18, 0)),
    # DISP 1.6.2A, 15 business days on the UK calendar: the spring bank holiday (25 May) skipped.
    ("uk-disp", "", uk(2026, 5, 15, 10, 0), uk(2026, 6, 8, 17, 0)),
    # DISP 1.6.2, outside payment services: eight weeks (56 calendar days), to the minute.
    ("uk-disp", "outside_payment_services", uk(2026, 5, 15, 10, 0), uk(2026, 7, 10, 10, 0)),
    # Reg E, 10 business days on the US calendar: Memorial Day (25 May) skipped.
    ("us-reg-e", "", us(2026, 5, 20, 10, 0), us(2026, 6, 4, 17, 0)),
    # Reg E, a new account: 20 business days; Juneteenth and 3 July (observed) skipped.
    ("us-reg-e", "new_account", us(2026, 6, 15, 10, 0), us(2026, 7, 15, 17, 0)),
    # A point-of-sale transfer has no limit of its own: the 10 business days of every case.
    ("us-reg-e", "point_of_sale", us(2026, 5, 20, 10, 0), us(2026, 6, 4, 17, 0)),
    # CFPB: closed within 60 (calendar) days.
    ("us-cfpb", "", us(2026, 11, 20, 9, 0), us(2027, 1, 19, 9, 0)),
]


@pytest.mark.parametrize(("code", "condition", "received", "due"), DECISION_VECTORS)
def test_each_regime_sets_the_decision_deadline(policy, code, condition, received, due):
    clock = clocks.start_clock(policy=policy, started_at=received, regime=regime(code), condition=condition)
    assert clock.resolution_due_at == due
    assert clock.regime.code == code


# (regime, condition, tier, received, expected due once extended).
EXTENSION_VECTORS = [
    # PBOC: at most 60 days; the 60th day after 3 Aug is 2 Oct, National Day: 8 Oct.
    ("cn-pboc", "", 1, cn(2026, 8, 3, 10, 0), cn(2026, 10, 8, 18, 0)),
    # PSD2: 35 business days after a holding reply (from 28 Sep: 20 Nov).
    ("eu-psd2", "", 1, cn(2026, 9, 28, 10, 0), cn(2026, 11, 20, 18, 0)),
    # DISP 1.6.2A: 35 business days (from 15 May, the bank holiday skipped: 6 July).
    ("uk-disp", "", 1, uk(2026, 5, 15, 10, 0), uk(2026, 7, 6, 17, 0)),
    # Reg E: 45 calendar days; a new account 90.
    ("us-reg-e", "", 1, us(2026, 5, 20, 10, 0), us(2026, 7, 4, 10, 0)),
    ("us-reg-e", "new_account", 1, us(2026, 6, 15, 10, 0), us(2026, 9, 13, 10, 0)),
]


@pytest.mark.parametrize(("code", "condition", "tier", "received", "due"), EXTENSION_VECTORS)
def test_an_extension_moves_the_decision_to_its_tier(policy, code, condition, tier, received, due):
    clock = clocks.start_clock(policy=policy, started_at=received, regime=regime(code), condition=condition)
    clocks.extend_clock(clock, extension(code, tier=tier, condition=condition), condition=condition)
    clock.refresh_from_db()
    assert clock.resolution_due_at == due
    assert clock.is_extended and clock.extension.tier == tier
    assert clock.due_soon_notified_at is None


def test_cfpb_sets_the_first_response_and_the_others_leave_it_to_the_policy(policy):
    cfpb = clocks.start_clock(policy=policy, started_at=us(2026, 11, 20, 9, 0), regime=regime("us-cfpb"))
    assert cfpb.first_response_due_at == us(2026, 12, 5, 9, 0)  # 15 calendar days
    # Reg E sets none: the policy's 1 business day, on the regime's (US) calendar: Thanksgiving
    # (26 Nov) and the weekend skipped after Wednesday 25 Nov.
    reg_e = clocks.start_clock(policy=policy, started_at=us(2026, 11, 25, 10, 0), regime=regime("us-reg-e"))
    assert reg_e.first_response_due_at == us(2026, 11, 27, 17, 0)
    pboc = clocks.start_clock(policy=policy, started_at=cn(2026, 9, 30, 10, 0), regime=regime("cn-pboc"))
    assert pboc.first_response_due_at == cn(2026, 10, 8, 18, 0)  # China's calendar: after National Day


def test_disp_summary_resolution_by_the_close_of_the_third_business_day(db):
    disp = regime("uk-disp")
    limit = limit_for(disp, case_type="complaint", milestone=Milestone.SUMMARY_RESOLUTION)
    assert (limit.target, limit.unit) == (3, TimeUnit.BUSINESS_DAYS)
    # Received Friday 22 May: Monday 25 is the spring bank holiday, so Thursday 28 May.
    working = WorkingTime(disp.calendar)
    assert working.add(uk(2026, 5, 22, 11, 0), limit.target, limit.unit) == uk(2026, 5, 28, 17, 0)


def test_a_regime_without_a_calendar_counts_on_the_policys(policy):
    germany = BusinessCalendar.objects.create(name="Germany", country_code="DE", time_zone="Europe/Berlin")
    policy.calendar = germany
    policy.save()
    clock = clocks.start_clock(
        policy=policy, started_at=dt.datetime(2026, 12, 21, 10, tzinfo=BERLIN), regime=regime("eu-psd2")
    )
    # 15 business days after 21 Dec, Christmas (25, 26 Dec) and New Year's Day skipped: 13 Jan.
    assert clock.resolution_due_at == dt.datetime(2027, 1, 13, 18, tzinfo=BERLIN)


def test_a_calendar_override_moves_the_civil_law_last_day(policy):
    # The 15th day after 24 Nov is Wednesday 9 Dec; declared a day off, the last day is 10 Dec.
    CalendarOverride.objects.create(
        calendar=default_calendar(), date=dt.date(2026, 12, 9), is_working_day=False
    )
    clock = clocks.start_clock(policy=policy, started_at=cn(2026, 11, 24, 9, 30), regime=regime("cn-pboc"))
    assert clock.resolution_due_at == cn(2026, 12, 10, 18, 0)


def test_civil_days_pause_in_wall_clock_time(policy):
    clock = clocks.start_clock(policy=policy, started_at=cn(2026, 11, 24, 9, 30), regime=regime("cn-pboc"))
    clocks.pause_clock(clock, at=cn(2026, 11, 25, 10, 0))
    clocks.resume_clock(clock, at=cn(2026, 11, 27, 10, 0))
    assert clock.paused_minutes_total == 2 * 24 * 60
    assert clock.resolution_due_at == cn(2026, 12, 11, 18, 0)


def test_pboc_is_the_deployment_default_and_the_setting_names_another(db, settings):
    settings.REGIME = ""
    assert deployment_regime().code == "cn-pboc"
    settings.REGIME = "uk-disp"
    assert deployment_regime().code == "uk-disp"
    settings.REGIME = "xx-none"
    with pytest.raises(InvalidInput) as refused:
        deployment_regime()
    assert refused.value.field == "regime"


def test_nfra_extends_in_two_tiers_and_never_back(policy):
    nfra = regime("cn-nfra")
    clock = clocks.start_clock(policy=policy, started_at=cn(2026, 9, 16, 11, 0), regime=nfra)
    first, second = extensions_for(nfra, case_type="complaint")
    clocks.extend_clock(clock, first)
    assert clock.resolution_due_at == cn(2026, 10, 16, 18, 0)  # 30 days: Friday 16 Oct
    clocks.extend_clock(clock, second)
    assert clock.resolution_due_at == cn(2026, 11, 16, 18, 0)  # 60 days: Sun 15 Nov, so Mon 16
    for tier in (first, second):
        with pytest.raises(InvalidInput) as refused:
            clocks.extend_clock(clock, tier)
        assert refused.value.field == "extension"
    clock.refresh_from_db()
    assert clock.extension == second and clock.resolution_due_at == cn(2026, 11, 16, 18, 0)


def test_an_extension_of_another_regime_or_condition_is_refused(policy):
    clock = clocks.start_clock(policy=policy, started_at=us(2026, 5, 20, 10, 0), regime=regime("us-reg-e"))
    for other in (extension("cn-pboc"), extension("us-reg-e", condition="new_account")):
        with pytest.raises(InvalidInput, match="not one this case's regime offers"):
            clocks.extend_clock(clock, other, condition="")
    assert clock.extension is None and not clock.is_extended


def test_a_pause_counted_in_business_time_cannot_be_recounted_for_calendar_days(policy):
    clock = clocks.start_clock(policy=policy, started_at=us(2026, 5, 20, 10, 0), regime=regime("us-reg-e"))
    clocks.pause_clock(clock, at=us(2026, 5, 21, 10, 0))
    clocks.resume_clock(clock, at=us(2026, 5, 21, 12, 0), condition="")
    assert clock.paused_minutes_total == 120
    with pytest.raises(InvalidInput, match="cannot be worked out again") as refused:
        clocks.extend_clock(clock, extension("us-reg-e"), condition="")
    assert refused.value.field == "extension"


def test_without_an_extension_a_holding_response_takes_the_policys_extended_target(policy):
    clock = clocks.start_clock(policy=policy, started_at=cn(2026, 9, 28, 10, 0), regime=regime("cn-pboc"))
    clocks.extend_clock(clock)
    # The policy's 35 business days from 28 Sep (the old holding-response behaviour).
    assert clock.resolution_due_at == cn(2026, 11, 20, 18, 0)
    assert clock.extension is None


def test_one_place_says_which_rule_a_clock_follows(policy):
    clock = clocks.start_clock(policy=policy, started_at=cn(2026, 9, 16, 11, 0), regime=regime("cn-pboc"))
    target = clocks.resolution_target(clock, "")
    assert (target.amount, target.unit, target.rule.article) == (
        15,
        "civil_days",
        "PBOC Order [2020] No. 5, ch. IV",
    )
    clocks.extend_clock(clock, extension("cn-pboc"), condition="")
    target = clocks.resolution_target(clock, "")
    assert (target.amount, target.unit, target.rule.tier) == (60, "civil_days", 1)
    bare = clocks.start_clock(policy=policy, started_at=cn(2026, 9, 16, 11, 0))
    target = clocks.resolution_target(bare)
    assert (target.amount, target.unit, target.rule) == (15, "business_days", None)


def test_change_regime_works_both_deadlines_out_again(policy):
    clock = clocks.start_clock(policy=policy, started_at=cn(2026, 9, 28, 10, 0), regime=regime("cn-pboc"))
    assert clock.resolution_due_at == cn(2026, 10, 13, 18, 0)  # 15 days: Tuesday 13 Oct
    clocks.change_regime(clock, regime("eu-psd2"), "", at=cn(2026, 9, 29, 9, 0))
    clock.refresh_from_db()
    assert clock.regime.code == "eu-psd2"
    assert clock.resolution_due_at == cn(2026, 10, 23, 18, 0)
    assert clock.first_response_due_at == cn(2026, 9, 29, 18, 0)


def test_change_regime_carries_the_extension_to_the_same_tier(policy):
    clock = clocks.start_clock(policy=policy, started_at=cn(2026, 9, 16, 11, 0), regime=regime("cn-pboc"))
    clocks.extend_clock(clock, extension("cn-pboc"), condition="")
    clocks.change_regime(clock, regime("cn-nfra"), "", at=cn(2026, 9, 20, 9, 0))
    assert clock.extension == extension("cn-nfra", tier=1)
    assert clock.resolution_due_at == cn(2026, 10, 16, 18, 0)


def test_change_regime_is_refused_when_the_extension_in_force_is_not_in_the_new_one(policy):
    clock = clocks.start_clock(policy=policy, started_at=cn(2026, 9, 16, 11, 0), regime=regime("cn-pboc"))
    clocks.extend_clock(clock, extension("cn-pboc"), condition="")
    with pytest.raises(InvalidInput, match="extension tier 1") as refused:
        clocks.change_regime(clock, regime("us-cfpb"), "", at=cn(2026, 9, 20, 9, 0))
    assert refused.value.field == "regime"
    clock.refresh_from_db()
    assert clock.regime.code == "cn-pboc" and clock.resolution_due_at == cn(2026, 11, 16, 18, 0)


def test_a_policy_change_under_a_regime_keeps_the_regimes_decision_limit(policy):
    clock = clocks.start_clock(policy=policy, started_at=cn(2026, 11, 24, 9, 30), regime=regime("cn-pboc"))
    urgent = SlaPolicy.objects.get(case_type="complaint", category="", priority="urgent")
    clocks.change_policy(clock, urgent, at=cn(2026, 11, 24, 10, 0), condition="")
    assert clock.resolution_due_at == cn(2026, 12, 9, 18, 0)  # the regime's 15 days still
    assert clock.first_response_due_at == cn(2026, 11, 24, 11, 30)  # urgent: 2 business hours


def test_the_regime_setting_is_read_as_a_code(monkeypatch):
    from django.core.exceptions import ImproperlyConfigured

    from config.environment import env_code

    monkeypatch.delenv("REGIME", raising=False)
    assert env_code("REGIME") == ""  # the admin's default
    monkeypatch.setenv("REGIME", " uk-disp ")
    assert env_code("REGIME") == "uk-disp"
    monkeypatch.setenv("REGIME", "UK DISP")
    with pytest.raises(ImproperlyConfigured, match="REGIME is a code"):
        env_code("REGIME")
