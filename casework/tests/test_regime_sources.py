"""The seeded regimes carry the articles their rules come from (casework/migrations/
0030_regime_articles.py, docs/regimes.md), and that migration changed no rule."""

from __future__ import annotations

import pytest

from casework.models import Regime, RegimeExtension, RegimeLimit

pytestmark = pytest.mark.django_db


def limit(code: str, milestone: str, condition: str = "") -> RegimeLimit:
    return RegimeLimit.objects.get(
        regime__code=code, case_type="complaint", milestone=milestone, condition=condition
    )


def extension(code: str, condition: str = "", tier: int = 1) -> RegimeExtension:
    return RegimeExtension.objects.get(
        regime__code=code, case_type="complaint", milestone="decision", condition=condition, tier=tier
    )


def test_nfra_rows_name_article_18_and_its_calendar_days():
    assert limit("cn-nfra", "decision").article == "CBIRC Order 2020 No. 3, art. 18"
    assert extension("cn-nfra", tier=1).article == "CBIRC Order 2020 No. 3, art. 18"
    second = extension("cn-nfra", tier=2)
    assert second.article == "CBIRC Order 2020 No. 3, art. 18"
    assert "senior management" in second.note
    source = Regime.objects.get(code="cn-nfra", version="2020").source
    assert "art. 43" in source and "自然日" in source
    assert "in force 1 March 2020" in source


def test_disp_rows_name_their_rules():
    assert limit("uk-disp", "summary_resolution").article == "DISP 1.5.1R, 1.5.4R"
    assert limit("uk-disp", "decision").article == "DISP 1.6.2AR(1)"
    assert limit("uk-disp", "decision", "outside_payment_services").article == "DISP 1.6.2R(1)"
    assert extension("uk-disp").article == "DISP 1.6.2AR(2)"
    assert "DISP 1.10B" in Regime.objects.get(code="uk-disp").source


def test_reg_e_rows_name_their_paragraphs():
    assert extension("us-reg-e", "point_of_sale").article == "12 CFR 1005.11(c)(3)(ii)(B)"
    assert extension("us-reg-e", "foreign").article == "12 CFR 1005.11(c)(3)(ii)(A)"
    assert extension("us-reg-e", "new_account").article == "12 CFR 1005.11(c)(3)(i), (ii)(C)"
    assert "(c)(2)(ii)" in extension("us-reg-e").note
    assert "1005.11(d)" in Regime.objects.get(code="us-reg-e").source


def test_cfpb_and_psd2_rows_name_their_texts():
    assert "timely response" in limit("us-cfpb", "first_response").article
    assert "sending the complaint" in limit("us-cfpb", "first_response").note
    assert "second subparagraph" in extension("eu-psd2").article
    assert "13 January 2018" in Regime.objects.get(code="eu-psd2").source


def test_pboc_source_gives_its_dates_and_what_was_not_verified():
    source = Regime.objects.get(code="cn-pboc", version="2020").source
    assert "in force 1 November 2020" in source
    assert "not verified" in source
    assert "投诉处理工作负责人" in extension("cn-pboc").note


def test_the_sources_migration_changed_no_limit():
    """Text only: every limit, unit and requirement is still the one 0029 seeded."""
    limits = {
        (row.regime.code, row.milestone, row.condition): (row.target, row.unit)
        for row in RegimeLimit.objects.select_related("regime")
    }
    assert limits[("cn-pboc", "decision", "")] == (15, "civil_days")
    assert limits[("cn-nfra", "decision", "")] == (15, "civil_days")
    assert limits[("uk-disp", "decision", "outside_payment_services")] == (56, "calendar_days")
    assert limits[("us-reg-e", "decision", "new_account")] == (20, "business_days")
    tiers = {
        (row.regime.code, row.condition, row.tier): (
            row.target,
            row.unit,
            row.requires_approval,
            row.requires_customer_notice,
            row.requires_provisional_credit,
        )
        for row in RegimeExtension.objects.select_related("regime")
    }
    assert tiers[("cn-pboc", "", 1)] == (60, "civil_days", True, True, False)
    assert tiers[("cn-nfra", "", 1)] == (30, "civil_days", False, True, False)
    assert tiers[("cn-nfra", "", 2)] == (60, "civil_days", True, True, False)
    assert tiers[("us-reg-e", "", 1)] == (45, "calendar_days", False, True, True)
