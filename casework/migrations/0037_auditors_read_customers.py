"""Auditors read the customer records, their identifiers and the routing queue too (view only)."""

from django.db import migrations

from casework.access.roles import grant, revoke

AUDITOR = {
    "auditor": [
        "casework.view_customer",
        "casework.view_customeridentifier",
        "casework.view_queuedcase",
    ]
}


def forwards(apps, schema_editor):
    grant(apps, schema_editor, AUDITOR, app_labels=["casework"])


def backwards(apps, schema_editor):
    revoke(apps, schema_editor, AUDITOR)


class Migration(migrations.Migration):
    dependencies = [("casework", "0036_routing_roles")]

    operations = [migrations.RunPython(forwards, backwards)]
