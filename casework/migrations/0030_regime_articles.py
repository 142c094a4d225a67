# ruff: noqa: RUF001
"""The seeded regimes' sources as read from the texts (docs/regimes.md, "Sources"): the
article each limit and extension comes from where the seed named only a chapter or a
manual, the instrument's dates, and what each rule requires in its own terms. Text only:
no limit, unit, tier or requirement changes here (a changed rule is a new version); the
rows are found by regime code and version, limits by milestone and condition, extensions
by milestone, condition and tier."""

import importlib

from django.db import migrations

# (code, version): source
SOURCES = {
    ("cn-pboc", "2020"): (
        "PBOC Order [2020] No. 5 (中国人民银行令〔2020〕第5号), adopted 1 September 2020, "
        "promulgated 15 September 2020, in force 1 November 2020; 68 articles in seven "
        "chapters, chapter IV on financial consumer disputes (金融消费争议解决); for banks and "
        "non-bank payment institutions. The 15-day decision, extendable to 60 days with the "
        "complaint-handling lead's approval and the reason told, is in chapter IV; its article "
        "number and whether it covers every complaint or those a PBOC branch transfers were not "
        "verified from the text (docs/regimes.md). Its days (日) are counted as the Civil Code "
        "counts a period (arts. 201, 203)."
    ),
    ("cn-nfra", "2020"): (
        "CBIRC Order 2020 No. 3 (中国银保监会令2020年第3号), issued 14 January 2020, in force "
        "1 March 2020, now administered by the NFRA: art. 18 (15 days, 30 for a complex case, "
        "another 30 with a superior's or senior management's approval; time for outside "
        "appraisal not counted), art. 19 (the decision gives its findings, grounds and the "
        "remedies), art. 21 (when a notice counts as given in time), art. 23 (mediation not "
        "counted), art. 26 (annual disclosure), art. 36 (reporting to the regulator); art. 43: "
        "every 日 but the '7个工作日' is a calendar day (自然日), and '以内' includes the day "
        "itself."
    ),
    ("eu-psd2", "2015"): (
        "Directive (EU) 2015/2366 of 25 November 2015 (PSD2), applying from 13 January 2018, "
        "art. 101(2): a reply on paper or another agreed durable medium addressing all points "
        "within 15 business days of receipt; in exceptional situations, for reasons beyond the "
        "provider's control, a holding reply giving the reasons and the date of the final "
        "reply, which comes within 35 business days. Member States may keep rules more "
        "favourable to the user; the business days are the Member State's."
    ),
    ("uk-disp", "2024"): (
        "FCA Handbook DISP 1.5 (complaints resolved by close of the third business day after "
        "receipt: the time limit rules do not apply, a summary resolution communication is "
        "sent, DISP 1.5.4R), DISP 1.6.1R (prompt acknowledgement), DISP 1.6.2R (final or "
        "holding response within eight weeks), DISP 1.6.2AR (PSD and EMD complaints: 15 "
        "business days, 35 after a holding response in exceptional circumstances), DISP 1.10 "
        "(the complaints return) and DISP 1.10B (the annual payment services and electronic "
        "money complaints return, DISP 1 Annex 1AD)."
    ),
    ("us-reg-e", "2024"): (
        "12 CFR 1005.11(c): investigate and determine within 10 business days of the notice of "
        "error (20 for a transfer within 30 days of the account's first deposit), or within 45 "
        "calendar days (90 for such a new account, a point-of-sale debit card transaction or "
        "a transfer not initiated within a State) if the amount is provisionally credited "
        "within the 10 (20) business days and the consumer told of it within 2 business days; "
        "an error corrected within 1 business day of finding it; the results reported within "
        "3 business days of finishing. 1005.11(d): no error found: a written explanation and "
        "the right to the documents; a provisional credit debited back with notice of its date "
        "and amount, items honoured for 5 business days."
    ),
    ("us-cfpb", "2024"): (
        "CFPB Company Portal Manual, 'Providing a timely response' (§8.1 in its 2015 edition): "
        "a response through the portal within 15 calendar days of the CFPB sending the "
        "complaint to the company; a complaint marked 'in progress' gets its final response "
        "within 60 calendar days of being sent. Its times do not replace statutory ones "
        "(Regulation E runs alongside)."
    ),
}

# (code, version, milestone, condition): (article, note)
LIMITS = {
    ("cn-nfra", "2020", "decision", ""): (
        "CBIRC Order 2020 No. 3, art. 18",
        "Facts clear and dispute simple: a decision within 15 days of receipt, told to the "
        "customer with the findings, the grounds and the remedies (art. 19).",
    ),
    ("uk-disp", "2024", "summary_resolution", ""): (
        "DISP 1.5.1R, 1.5.4R",
        "Resolved by the close of the third business day after receipt: a summary resolution "
        "communication suffices.",
    ),
    ("uk-disp", "2024", "decision", ""): (
        "DISP 1.6.2AR(1)",
        "A PSD or EMD complaint (rights and obligations under the Payment Services or the "
        "Electronic Money Regulations): a final response within 15 business days.",
    ),
    ("uk-disp", "2024", "decision", "outside_payment_services"): (
        "DISP 1.6.2R(1)",
        "Any other complaint: a final response (or one explaining the delay) by the end of "
        "eight weeks after receipt.",
    ),
    ("us-reg-e", "2024", "decision", ""): (
        "12 CFR 1005.11(c)(1)",
        "Determine whether an error occurred within 10 business days of the notice of error; "
        "the results told within 3 business days of finishing.",
    ),
    ("us-reg-e", "2024", "decision", "new_account"): (
        "12 CFR 1005.11(c)(3)(i)",
        "A transfer within 30 days after the account's first deposit: 20 business days.",
    ),
    ("us-cfpb", "2024", "first_response", ""): (
        "CFPB Company Portal Manual, timely response (§8.1, 2015 ed.)",
        "A response through the portal within 15 calendar days of the CFPB sending the "
        "complaint to the company.",
    ),
    ("us-cfpb", "2024", "decision", ""): (
        "CFPB Company Portal Manual, timely response (§8.1, 2015 ed.)",
        "Marked 'in progress': the final response within 60 calendar days of the complaint "
        "being sent to the company.",
    ),
}

# (code, version, milestone, condition, tier): (article, note)
EXTENSIONS = {
    ("cn-pboc", "2020", "decision", "", 1): (
        "PBOC Order [2020] No. 5, ch. IV",
        "A complex case, with the complaint-handling lead's (投诉处理工作负责人) approval, to "
        "at most 60 days; the customer is told of the extension and its reason.",
    ),
    ("cn-nfra", "2020", "decision", "", 1): (
        "CBIRC Order 2020 No. 3, art. 18",
        "A complex case may take up to 30 days (art. 18 names no approval and no notice for this step).",
    ),
    ("cn-nfra", "2020", "decision", "", 2): (
        "CBIRC Order 2020 No. 3, art. 18",
        "Particularly complex, or another special reason: another 30 days (60 in all), approved "
        "by its superior institution or head-office senior management, the customer told.",
    ),
    ("eu-psd2", "2015", "decision", "", 1): (
        "Directive (EU) 2015/2366 art. 101(2), second subparagraph",
        "Exceptional situations beyond the provider's control: a holding reply giving the "
        "reasons for the delay and the date of the final reply, within 35 business days.",
    ),
    ("uk-disp", "2024", "decision", "", 1): (
        "DISP 1.6.2AR(2)",
        "Exceptional circumstances: a holding response within the 15 business days giving the "
        "reasons for the delay and the date of the final response, within 35 business days.",
    ),
    ("us-reg-e", "2024", "decision", "", 1): (
        "12 CFR 1005.11(c)(2)",
        "Only with the amount provisionally credited within 10 business days ((c)(2)(i)) and "
        "the consumer told of it within 2 business days ((c)(2)(ii)).",
    ),
    ("us-reg-e", "2024", "decision", "new_account", 1): (
        "12 CFR 1005.11(c)(3)(i), (ii)(C)",
        "A new account: 90 days, with the provisional credit within 20 business days.",
    ),
    ("us-reg-e", "2024", "decision", "point_of_sale", 1): (
        "12 CFR 1005.11(c)(3)(ii)(B)",
        "A point-of-sale debit card transaction: 90 days, with the provisional credit within 10 "
        "business days.",
    ),
    ("us-reg-e", "2024", "decision", "foreign", 1): (
        "12 CFR 1005.11(c)(3)(ii)(A)",
        "A transfer not initiated within a State: 90 days, with the provisional credit within "
        "10 business days.",
    ),
}


def _apply(apps, sources, limits, extensions):
    Regime = apps.get_model("casework", "Regime")
    RegimeLimit = apps.get_model("casework", "RegimeLimit")
    RegimeExtension = apps.get_model("casework", "RegimeExtension")
    for (code, version), source in sources.items():
        Regime.objects.filter(code=code, version=version).update(source=source)
    for (code, version, milestone, condition), (article, note) in limits.items():
        RegimeLimit.objects.filter(
            regime__code=code,
            regime__version=version,
            case_type="complaint",
            milestone=milestone,
            condition=condition,
        ).update(article=article, note=note)
    for (code, version, milestone, condition, tier), (article, note) in extensions.items():
        RegimeExtension.objects.filter(
            regime__code=code,
            regime__version=version,
            case_type="complaint",
            milestone=milestone,
            condition=condition,
            tier=tier,
        ).update(article=article, note=note)


def forwards(apps, schema_editor):
    _apply(apps, SOURCES, LIMITS, EXTENSIONS)


def backwards(apps, schema_editor):
    """Back to the texts 0029 seeded."""
    seed = importlib.import_module("casework.migrations.0029_seed_regimes")
    sources, limits, extensions = {}, {}, {}
    for code, version, *_, source, seeded_limits, seeded_extensions in seed.REGIMES:
        sources[(code, version)] = source
        for milestone, condition, _target, _unit, article, note in seeded_limits:
            limits[(code, version, milestone, condition)] = (article, note)
        for milestone, condition, tier, *_, article, note in seeded_extensions:
            extensions[(code, version, milestone, condition, tier)] = (article, note)
    _apply(apps, sources, limits, extensions)


class Migration(migrations.Migration):
    dependencies = [("casework", "0029_seed_regimes")]

    operations = [migrations.RunPython(forwards, backwards)]
