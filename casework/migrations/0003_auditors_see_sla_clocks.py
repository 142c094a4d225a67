"""Auditors and supervisors read the SLA clocks behind "late"."""

from django.db import migrations

from casework.access.roles import grant, revoke

PERMISSIONS = {
    "auditor": ["casework.view_slaclock"],
    "supervisor": ["casework.view_slaclock"],
}


def forwards(apps, schema_editor):
    grant(apps, schema_editor, PERMISSIONS, app_labels=["casework"])


def backwards(apps, schema_editor):
    revoke(apps, schema_editor, PERMISSIONS)


class Migration(migrations.Migration):
    dependencies = [("casework", "0002_roles_and_desks")]

    operations = [migrations.RunPython(forwards, backwards)]
