"""The classification codes are the supervisors' to keep (add, rename, retire, delete one
no complaint uses: complaints.classification_admin); auditors read them."""

from django.db import migrations

from casework.access.roles import grant, revoke

PERMISSIONS = {
    "supervisor": [
        "complaints.view_classificationcode",
        "complaints.add_classificationcode",
        "complaints.change_classificationcode",
        "complaints.delete_classificationcode",
    ],
    "auditor": ["complaints.view_classificationcode", "complaints.view_historicalclassificationcode"],
}


def forwards(apps, schema_editor):
    grant(apps, schema_editor, PERMISSIONS, app_labels=["complaints"])


def backwards(apps, schema_editor):
    revoke(apps, schema_editor, PERMISSIONS)


class Migration(migrations.Migration):
    dependencies = [("complaints", "0020_returns_permission")]

    operations = [migrations.RunPython(forwards, backwards)]
