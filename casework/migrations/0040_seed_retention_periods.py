"""The retention periods from the rules (docs/retention.md cites them and says which
citations are still to be confirmed against the official text), and who may edit them:
supervisors change them, auditors read them and the pseudonymisation log."""

from django.db import migrations

from casework.access.roles import grant, revoke

AML = (
    "PRC Anti-Money Laundering Law (2006, art. 19; revised 2024, in force 1 January 2025): customer "
    "identification data kept at least 5 years after the business relationship ends, transaction "
    "records at least 5 years after the transaction (the 2024 revision may set 10 years: to be "
    "confirmed against the official text). PBOC rules on customer due diligence and keeping customer "
    "identity data and transaction records (to be confirmed against the official text)."
)
NON_BANK = (
    "Non-bank Payment Institutions Supervision Regulations (State Council, 2023, in force 1 May 2024): "
    "transaction records and customer information kept as the PBOC prescribes (article to be "
    "confirmed against the official text)."
)
CONSUMER = (
    "PBOC Measures for the Implementation of the Protection of Financial Consumers' Rights and "
    "Interests (PBOC Order [2020] No. 5): complaint handling records kept (period and article to be "
    "confirmed against the official text)."
)
LIMIT = (
    "Beyond the period, personal data is pseudonymised: PIPL art. 19 (the shortest time necessary) "
    "and art. 47 (delete when the purpose is achieved or the period expires); GDPR art. 5(1)(e) "
    "(storage limitation) and art. 17."
)

SEED = [
    ("complaint", 60, f"{CONSUMER} {AML} {LIMIT}"),
    ("account_request", 60, f"{AML} {NON_BANK} {LIMIT}"),
    ("refund", 60, f"{AML} {NON_BANK} {LIMIT}"),
]

ROLES = {
    "supervisor": [
        "casework.view_retentionpolicy",
        "casework.change_retentionpolicy",
        "casework.view_historicalretentionpolicy",
        "casework.view_pseudonymisationlog",
        "casework.export_customer_data",
    ],
    "auditor": [
        "casework.view_retentionpolicy",
        "casework.view_historicalretentionpolicy",
        "casework.view_pseudonymisationlog",
    ],
}


def forwards(apps, schema_editor):
    RetentionPolicy = apps.get_model("casework", "RetentionPolicy")
    for record_type, months, basis in SEED:
        RetentionPolicy.objects.get_or_create(
            record_type=record_type, defaults={"period_months": months, "legal_basis": basis}
        )
    grant(apps, schema_editor, ROLES, app_labels=["casework"])


def backwards(apps, schema_editor):
    revoke(apps, schema_editor, ROLES)


class Migration(migrations.Migration):
    dependencies = [("casework", "0039_retention_periods_and_redaction_seals")]

    operations = [migrations.RunPython(forwards, backwards)]
