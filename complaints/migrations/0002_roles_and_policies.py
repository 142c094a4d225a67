"""What each role may do with complaints, and the default complaint SLA policies."""

from django.db import migrations

from casework.access.roles import grant, revoke, seed_sla_policies

WORK = [
    "complaints.view_complaint",
    "complaints.view_complaintnote",
    "complaints.add_complaintnote",
    "complaints.view_complaintattachment",
    "complaints.add_complaintattachment",
    "complaints.view_historicalcomplaint",
]
AGENT = WORK + [
    "complaints.add_complaint",
    "complaints.change_complaint",
    "complaints.verify_identity_complaint",
    "complaints.accept_complaint",
    "complaints.reject_complaint",
    "complaints.start_complaint",
    "complaints.escalate_complaint",
    "complaints.wait_for_customer_complaint",
    "complaints.customer_replied_complaint",
    "complaints.send_holding_response_complaint",
    "complaints.resolve_complaint",
    "complaints.reopen_complaint",
    "complaints.close_complaint",
    "complaints.withdraw_complaint",
]
PERMISSIONS = {
    "agent": AGENT,
    "technical team": WORK + ["complaints.return_findings_complaint"],
    "complaints department": WORK
    + [
        "complaints.change_complaint",
        "complaints.return_findings_complaint",
        "complaints.wait_for_customer_complaint",
        "complaints.customer_replied_complaint",
        "complaints.send_holding_response_complaint",
        "complaints.resolve_complaint",
        "complaints.reopen_complaint",
        "complaints.close_complaint",
    ],
    "supervisor": AGENT + ["complaints.return_findings_complaint", "complaints.assign_complaint"],
    "risk officer": ["complaints.view_complaint", "complaints.view_complaintnote"],
    "refunds desk": ["complaints.view_complaint", "complaints.view_complaintnote"],
    "auditor": [
        "complaints.view_complaint",
        "complaints.view_complaintnote",
        "complaints.view_complaintattachment",
        "complaints.view_historicalcomplaint",
        "complaints.view_historicalcomplaintnote",
        "complaints.view_historicalcomplaintattachment",
    ],
    "partner": ["complaints.add_complaint", "complaints.view_complaint", "complaints.withdraw_complaint"],
}

# Regulatory presets: 15 business days, 35 after a holding response (PSD2 art. 101,
# DISP 1.6.2A); privacy and urgent cases get tighter internal targets.
POLICIES = [
    ("Complaints: 15/35 business days", "", "", 1, "business_days", 15, "business_days", 35, 480),
    ("Complaints, urgent: 3 business days", "", "urgent", 2, "business_hours", 3, "business_days", 15, 240),
    (
        "Privacy and data security: 10 business days",
        "privacy",
        "",
        4,
        "business_hours",
        10,
        "business_days",
        35,
        480,
    ),
]


def forwards(apps, schema_editor):
    grant(apps, schema_editor, PERMISSIONS, app_labels=["complaints"])
    seed_sla_policies(apps, case_type="complaint", policies=POLICIES)


def backwards(apps, schema_editor):
    revoke(apps, schema_editor, PERMISSIONS)


class Migration(migrations.Migration):
    dependencies = [
        ("complaints", "0001_initial"),
        ("casework", "0002_roles_and_desks"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
