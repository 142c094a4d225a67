"""Auditors read the regimes' histories too: who changed which limit, when (view only)."""

from django.db import migrations

from casework.access.roles import grant, revoke

AUDITOR = {
    "auditor": [
        "casework.view_historicalregime",
        "casework.view_historicalregimelimit",
        "casework.view_historicalregimeextension",
    ]
}


def forwards(apps, schema_editor):
    grant(apps, schema_editor, AUDITOR, app_labels=["casework"])


def backwards(apps, schema_editor):
    revoke(apps, schema_editor, AUDITOR)


class Migration(migrations.Migration):
    dependencies = [("casework", "0032_extension_requests")]

    operations = [migrations.RunPython(forwards, backwards)]
