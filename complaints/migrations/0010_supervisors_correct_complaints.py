"""Correcting a complaint's category, priority or channel (a step with a reason that moves
the SLA clock to the new policy): supervisors may on any open complaint. The agent holding
a complaint may until it is accepted, with the change permission agents already have
(complaints.services.corrections)."""

from django.db import migrations

from casework.access.roles import grant, revoke

PERMISSIONS = {"supervisor": ["complaints.correct_complaint"]}


def forwards(apps, schema_editor):
    grant(apps, schema_editor, PERMISSIONS, app_labels=["complaints"])


def backwards(apps, schema_editor):
    revoke(apps, schema_editor, PERMISSIONS)


class Migration(migrations.Migration):
    dependencies = [
        ("complaints", "0009_attachments_checked_as_evidence"),
    ]

    operations = [
        migrations.AlterModelOptions(
            name="complaint",
            options={
                "ordering": ["-created_at", "-id"],
                "permissions": [
                    ("verify_identity_complaint", "Can record a caller's identity verification"),
                    ("accept_complaint", "Can accept a complaint"),
                    ("reject_complaint", "Can reject a complaint"),
                    ("start_complaint", "Can start work on a complaint"),
                    ("escalate_complaint", "Can escalate a complaint"),
                    ("return_findings_complaint", "Can return findings on an escalated complaint"),
                    ("wait_for_customer_complaint", "Can put a complaint on hold for the customer"),
                    ("customer_replied_complaint", "Can record the customer's reply"),
                    ("send_holding_response_complaint", "Can send a holding response"),
                    ("resolve_complaint", "Can resolve a complaint"),
                    ("reopen_complaint", "Can reopen a resolved complaint"),
                    ("close_complaint", "Can close a resolved complaint"),
                    ("withdraw_complaint", "Can withdraw a complaint"),
                    ("assign_complaint", "Can reassign a complaint to another agent or team"),
                    ("correct_complaint", "Can correct a complaint's category, priority or channel"),
                ],
                "verbose_name": "complaint",
                "verbose_name_plural": "complaints",
            },
        ),
        migrations.RunPython(forwards, backwards),
    ]
