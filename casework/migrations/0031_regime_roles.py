"""Supervisors keep the regimes (a version in use is read-only: they copy it as a new
version); auditors read them."""

from django.db import migrations

from casework.access.roles import grant, revoke

PERMISSIONS = {
    "supervisor": [
        "casework.view_regime",
        "casework.add_regime",
        "casework.change_regime",
        "casework.view_regimelimit",
        "casework.add_regimelimit",
        "casework.change_regimelimit",
        "casework.delete_regimelimit",
        "casework.view_regimeextension",
        "casework.add_regimeextension",
        "casework.change_regimeextension",
        "casework.delete_regimeextension",
    ],
    "auditor": ["casework.view_regime", "casework.view_regimelimit", "casework.view_regimeextension"],
}


def forwards(apps, schema_editor):
    grant(apps, schema_editor, PERMISSIONS, app_labels=["casework"])


def backwards(apps, schema_editor):
    revoke(apps, schema_editor, PERMISSIONS)


class Migration(migrations.Migration):
    dependencies = [("casework", "0030_regime_articles")]

    operations = [migrations.RunPython(forwards, backwards)]
