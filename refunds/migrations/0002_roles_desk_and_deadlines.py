"""What each role may do with refund cases, the refunds desk, the payments system's
role, and the default refund deadlines."""

from django.db import migrations

from casework.access.roles import grant, revoke, seed_sla_policies

READ = [
    "refunds.view_paymenttransaction",
    "refunds.view_refundcase",
    "refunds.view_refundevidence",
    "refunds.view_paymentinstruction",
]
AGENT = READ + ["refunds.add_refundcase", "refunds.add_refundevidence", "refunds.cancel_refundcase"]
DESK = AGENT + [
    "refunds.review_refundcase",
    "refunds.approve_refundcase",
    "refunds.submit_refundcase",
    "refunds.reject_refundcase",
    "refunds.assign_refundcase",
]
PERMISSIONS = {
    "agent": AGENT,
    "refunds desk": DESK,
    "supervisor": DESK,
    "technical team": READ,
    "complaints department": READ,
    "risk officer": READ,
    "auditor": READ
    + [
        "refunds.view_historicalpaymenttransaction",
        "refunds.view_historicalrefundcase",
        "refunds.view_historicalrefundevidence",
        "refunds.view_historicalpaymentinstruction",
    ],
    "partner": [
        "refunds.add_refundcase",
        "refunds.view_refundcase",
        "refunds.add_refundevidence",
        "refunds.cancel_refundcase",
    ],
    # The payments system reports how instructions ended, and does nothing else.
    "payments system": ["refunds.report_settlement", "refunds.view_paymentinstruction"],
}

# The refund deadline per refund type, in business days on the default calendar; the
# first response (review started) within a business day.
POLICIES = [
    ("Refunds: 7 business days", "", "", 8, "business_hours", 7, "business_days", None, 1440),
    ("Duplicate charges: 3 business days", "duplicate_charge", "", 8, "business_hours", 3, "business_days", None, 1440),
    ("Failed payments: 3 business days", "failed_payment", "", 8, "business_hours", 3, "business_days", None, 1440),
    ("Goods not received: 10 business days", "not_received", "", 8, "business_hours", 10, "business_days", None, 1440),
]


def forwards(apps, schema_editor):
    grant(apps, schema_editor, PERMISSIONS, app_labels=["refunds"])
    Group = apps.get_model("auth", "Group")
    Team = apps.get_model("casework", "Team")
    Team.objects.get_or_create(
        code="refunds",
        defaults={
            "name": "Refunds desk",
            "mailbox": "refunds@wallet.example",
            "group": Group.objects.get(name="refunds desk"),
        },
    )
    seed_sla_policies(apps, case_type="refund", policies=POLICIES)


def backwards(apps, schema_editor):
    revoke(apps, schema_editor, PERMISSIONS)


class Migration(migrations.Migration):
    dependencies = [
        ("refunds", "0001_initial"),
        ("accounts", "0002_roles_risk_desk_and_policies"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
