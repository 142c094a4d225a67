"""Auditors read every record: the hand-backs too (view only)."""

from django.db import migrations

from casework.access.roles import grant, revoke

AUDITOR = {"auditor": ["casework.view_handback"]}


def forwards(apps, schema_editor):
    grant(apps, schema_editor, AUDITOR, app_labels=["casework"])


def backwards(apps, schema_editor):
    revoke(apps, schema_editor, AUDITOR)


class Migration(migrations.Migration):
    dependencies = [("casework", "0020_reason_codes")]

    operations = [migrations.RunPython(forwards, backwards)]
