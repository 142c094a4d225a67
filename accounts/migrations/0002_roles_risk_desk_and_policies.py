"""What each role may do with account requests, the risk desk, and the default SLA policies."""

from django.db import migrations

from casework.access.roles import grant, revoke, seed_sla_policies

READ = [
    "accounts.view_walletaccount",
    "accounts.view_accountrequest",
    "accounts.view_authenticationevidence",
]
AGENT = READ + [
    "accounts.add_accountrequest",
    "accounts.verify_identity_accountrequest",
    "accounts.collect_authentication_accountrequest",
    "accounts.execute_accountrequest",
    "accounts.reject_accountrequest",
    "accounts.cancel_accountrequest",
]
REVIEW = ["accounts.approve_accountrequest", "accounts.execute_accountrequest", "accounts.reject_accountrequest"]
PERMISSIONS = {
    "agent": AGENT,
    "supervisor": AGENT + REVIEW,
    "risk officer": READ + REVIEW + ["accounts.approve_risk_accountrequest"],
    "technical team": READ,
    "complaints department": READ,
    "auditor": READ
    + [
        "accounts.view_historicalwalletaccount",
        "accounts.view_historicalaccountrequest",
        "accounts.view_historicalauthenticationevidence",
    ],
    "partner": ["accounts.add_accountrequest", "accounts.view_accountrequest", "accounts.cancel_accountrequest"],
}

# Unlocks are urgent for the customer: an answer the same business day; risk locks get
# three business days for the risk officer's review.
POLICIES = [
    ("Account requests: 1 business day", "", "", 2, "business_hours", 1, "business_days", None, 120),
    ("Suspicious-activity unlocks: 3 business days", "suspicious_activity", "", 2, "business_hours", 3,
     "business_days", None, 240),
    ("Risk-control unlocks: 3 business days", "risk_control", "", 2, "business_hours", 3, "business_days", None, 240),
]


def forwards(apps, schema_editor):
    grant(apps, schema_editor, PERMISSIONS, app_labels=["accounts"])
    Group = apps.get_model("auth", "Group")
    Team = apps.get_model("casework", "Team")
    Team.objects.get_or_create(
        code="risk",
        defaults={
            "name": "Risk and security",
            "mailbox": "risk@wallet.example",
            "group": Group.objects.get(name="risk officer"),
        },
    )
    seed_sla_policies(apps, case_type="account_request", policies=POLICIES)


def backwards(apps, schema_editor):
    revoke(apps, schema_editor, PERMISSIONS)


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0001_initial"),
        ("casework", "0003_auditors_see_sla_clocks"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
