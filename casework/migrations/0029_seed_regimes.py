# ruff: noqa: RUF001
"""The six regimes this back office knows, China's PBOC rule the default, with the calendars
they count on. Frozen here as a migration must be: a later change to a rule is a new
version in a later migration (or the admin), never an edit of this one. docs/regimes.md
gives each source and how each rule maps onto the system."""

import datetime as dt

from django.db import migrations

CALENDARS = [
    # name, country, zone, opens, closes
    ("United Kingdom", "GB", "Europe/London", dt.time(9, 0), dt.time(17, 0)),
    ("United States", "US", "America/New_York", dt.time(9, 0), dt.time(17, 0)),
]

# Each regime: (code, version, name, name_zh, authority, jurisdiction, calendar, source, limits,
# extensions). A limit: (milestone, condition, target, unit, article, note). An extension:
# (milestone, condition, tier, target, unit, approval, notice, credit target, credit unit,
# article, note). Every limit here is on complaints.
REGIMES = [
    (
        "cn-pboc",
        "2020",
        "China, PBOC: Implementing Measures for the Protection of Financial Consumers",
        "中国人民银行金融消费者权益保护实施办法",
        "People's Bank of China",
        "CN",
        "China (default)",
        "PBOC Order [2020] No. 5 (中国人民银行令〔2020〕第5号), in force 1 November 2020, for "
        "banks and non-bank payment institutions: chapter IV (complaints); its days (日) are "
        "counted as the Civil Code counts a period (arts. 201, 203).",
        [
            (
                "decision",
                "",
                15,
                "civil_days",
                "PBOC Order [2020] No. 5, ch. IV",
                "A decision within 15 days of receipt, told to the customer.",
            ),
        ],
        [
            (
                "decision",
                "",
                1,
                60,
                "civil_days",
                True,
                True,
                None,
                "",
                "PBOC Order [2020] No. 5, ch. IV",
                "A complex case, with the complaint-handling lead's approval; the customer is told "
                "of the extension and its reason.",
            ),
        ],
    ),
    (
        "cn-nfra",
        "2020",
        "China, NFRA: Measures for Handling Consumer Complaints in Banking and Insurance",
        "银行业保险业消费投诉处理管理办法",
        "National Financial Regulatory Administration (issued by the CBIRC)",
        "CN",
        "China (default)",
        "CBIRC Order 2020 No. 3 (中国银保监会令2020年第3号), in force 1 March 2020: chapter III "
        "(complaint handling); days counted as the Civil Code counts a period (arts. 201, 203).",
        [
            (
                "decision",
                "",
                15,
                "civil_days",
                "CBIRC Order 2020 No. 3, ch. III",
                "A decision within 15 days of receipt, told to the customer.",
            ),
        ],
        [
            (
                "decision",
                "",
                1,
                30,
                "civil_days",
                False,
                True,
                None,
                "",
                "CBIRC Order 2020 No. 3, ch. III",
                "A complex case may take up to 30 days.",
            ),
            (
                "decision",
                "",
                2,
                60,
                "civil_days",
                True,
                True,
                None,
                "",
                "CBIRC Order 2020 No. 3, ch. III",
                "A particularly complex case: another 30 days with a superior's or senior "
                "management's approval, the customer told.",
            ),
        ],
    ),
    (
        "eu-psd2",
        "2015",
        "EU: Payment Services Directive 2 (PSD2)",
        "欧盟第二号支付服务指令",
        "European Union (national competent authorities)",
        "EU",
        None,
        "Directive (EU) 2015/2366, art. 101(2): a reply within 15 business days of receipt; in "
        "exceptional situations a holding reply giving the reasons, and the final reply within "
        "35 business days.",
        [
            (
                "decision",
                "",
                15,
                "business_days",
                "Directive (EU) 2015/2366 art. 101(2)",
                "A reply on paper or another durable medium within 15 business days.",
            ),
        ],
        [
            (
                "decision",
                "",
                1,
                35,
                "business_days",
                False,
                True,
                None,
                "",
                "Directive (EU) 2015/2366 art. 101(2), second subparagraph",
                "A holding reply that explains the delay and says when the final reply comes.",
            ),
        ],
    ),
    (
        "uk-disp",
        "2024",
        "UK: FCA Handbook, Dispute Resolution: Complaints (DISP)",
        "英国金融行为监管局手册：争议解决（投诉）",
        "Financial Conduct Authority",
        "GB",
        "United Kingdom",
        "FCA Handbook DISP 1.5 (summary resolution by the close of the third business day after "
        "receipt), DISP 1.6.2 (final response within eight weeks), DISP 1.6.2A (payment services "
        "and e-money: 15 business days, 35 after a holding reply), DISP 1.10 (the return).",
        [
            (
                "summary_resolution",
                "",
                3,
                "business_days",
                "DISP 1.5.1",
                "Resolved by the close of the third business day after receipt: a summary "
                "resolution communication suffices.",
            ),
            (
                "decision",
                "",
                15,
                "business_days",
                "DISP 1.6.2A(1)",
                "Payment services and e-money: a final response within 15 business days.",
            ),
            (
                "decision",
                "outside_payment_services",
                56,
                "calendar_days",
                "DISP 1.6.2(1)",
                "Other complaints: a final response within eight weeks.",
            ),
        ],
        [
            (
                "decision",
                "",
                1,
                35,
                "business_days",
                False,
                True,
                None,
                "",
                "DISP 1.6.2A(2)",
                "A holding response that explains the delay and says when the final response comes.",
            ),
        ],
    ),
    (
        "us-reg-e",
        "2024",
        "US: Regulation E, error resolution (12 CFR 1005.11)",
        "美国E条例：错误处理（12 CFR 1005.11）",
        "Consumer Financial Protection Bureau",
        "US",
        "United States",
        "12 CFR 1005.11(c): investigate within 10 business days of the notice of error (20 for a "
        "new account), or within 45 calendar days (90 for a new account, point-of-sale or "
        "foreign-initiated transfers) if the amount is provisionally credited within the 10 (20) "
        "business days; the results told within 3 business days of finishing.",
        [
            (
                "decision",
                "",
                10,
                "business_days",
                "12 CFR 1005.11(c)(1)",
                "Determine whether an error occurred within 10 business days.",
            ),
            (
                "decision",
                "new_account",
                20,
                "business_days",
                "12 CFR 1005.11(c)(3)(i)",
                "A new account: 20 business days.",
            ),
        ],
        [
            (
                "decision",
                "",
                1,
                45,
                "calendar_days",
                False,
                True,
                10,
                "business_days",
                "12 CFR 1005.11(c)(2)",
                "Only with the amount provisionally credited within 10 business days.",
            ),
            (
                "decision",
                "new_account",
                1,
                90,
                "calendar_days",
                False,
                True,
                20,
                "business_days",
                "12 CFR 1005.11(c)(3)(ii)",
                "A new account: 90 days, with the provisional credit within 20 business days.",
            ),
            (
                "decision",
                "point_of_sale",
                1,
                90,
                "calendar_days",
                False,
                True,
                10,
                "business_days",
                "12 CFR 1005.11(c)(3)(ii)",
                "A point-of-sale transfer: 90 days.",
            ),
            (
                "decision",
                "foreign",
                1,
                90,
                "calendar_days",
                False,
                True,
                10,
                "business_days",
                "12 CFR 1005.11(c)(3)(ii)",
                "A transfer initiated outside the United States: 90 days.",
            ),
        ],
    ),
    (
        "us-cfpb",
        "2024",
        "US: CFPB consumer complaint portal",
        "美国消费者金融保护局投诉平台",
        "Consumer Financial Protection Bureau",
        "US",
        "United States",
        "CFPB Company Portal Manual: a company responds to a complaint sent through the portal "
        "within 15 days, and closes it (a final response) within 60 days.",
        [
            (
                "first_response",
                "",
                15,
                "calendar_days",
                "CFPB Company Portal Manual",
                "A response through the portal within 15 days.",
            ),
            (
                "decision",
                "",
                60,
                "calendar_days",
                "CFPB Company Portal Manual",
                "The complaint closed with a final response within 60 days.",
            ),
        ],
        [],
    ),
]


def forwards(apps, schema_editor):
    BusinessCalendar = apps.get_model("casework", "BusinessCalendar")
    Regime = apps.get_model("casework", "Regime")
    RegimeLimit = apps.get_model("casework", "RegimeLimit")
    RegimeExtension = apps.get_model("casework", "RegimeExtension")
    for name, country, zone, opens, closes in CALENDARS:
        BusinessCalendar.objects.get_or_create(
            name=name,
            defaults={
                "country_code": country,
                "time_zone": zone,
                "workday_starts_at": opens,
                "workday_ends_at": closes,
            },
        )
    default_calendar = BusinessCalendar.objects.filter(is_default=True).first()
    for (
        code,
        version,
        name,
        name_zh,
        authority,
        jurisdiction,
        calendar,
        source,
        limits,
        extensions,
    ) in REGIMES:
        if Regime.objects.filter(code=code, version=version).exists():
            continue
        if calendar == "China (default)":
            on = BusinessCalendar.objects.filter(name=calendar).first() or default_calendar
        else:
            on = BusinessCalendar.objects.filter(name=calendar).first() if calendar else None
        regime = Regime.objects.create(
            code=code,
            version=version,
            name=name,
            name_zh=name_zh,
            authority=authority,
            jurisdiction=jurisdiction,
            calendar=on,
            source=source,
            is_default=code == "cn-pboc" and not Regime.objects.filter(is_default=True).exists(),
        )
        for milestone, condition, target, unit, article, note in limits:
            RegimeLimit.objects.create(
                regime=regime,
                case_type="complaint",
                milestone=milestone,
                condition=condition,
                target=target,
                unit=unit,
                article=article,
                note=note,
            )
        for (
            milestone,
            condition,
            tier,
            target,
            unit,
            approval,
            notice,
            credit_target,
            credit_unit,
            article,
            note,
        ) in extensions:
            RegimeExtension.objects.create(
                regime=regime,
                case_type="complaint",
                milestone=milestone,
                condition=condition,
                tier=tier,
                target=target,
                unit=unit,
                requires_approval=approval,
                requires_customer_notice=notice,
                requires_provisional_credit=credit_target is not None,
                provisional_credit_target=credit_target,
                provisional_credit_unit=credit_unit,
                article=article,
                note=note,
            )


def backwards(apps, schema_editor):
    Regime = apps.get_model("casework", "Regime")
    Regime.objects.filter(code__in=[regime[0] for regime in REGIMES]).delete()


class Migration(migrations.Migration):
    dependencies = [("casework", "0028_regimes")]

    operations = [migrations.RunPython(forwards, backwards)]
