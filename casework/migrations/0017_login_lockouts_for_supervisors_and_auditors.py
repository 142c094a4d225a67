"""Login lockouts (django-axes) for the people who answer for them: supervisors read the
attempts and lift a lock by deleting its row; auditors read the attempts and the log."""

from django.db import migrations

from casework.access.roles import grant, revoke

PERMISSIONS = {
    "supervisor": ["axes.view_accessattempt", "axes.delete_accessattempt", "axes.view_accesslog"],
    "auditor": ["axes.view_accessattempt", "axes.view_accesslog", "axes.view_accessfailurelog"],
}


def forwards(apps, schema_editor):
    grant(apps, schema_editor, PERMISSIONS, app_labels=["axes"])


def backwards(apps, schema_editor):
    revoke(apps, schema_editor, PERMISSIONS)


class Migration(migrations.Migration):
    dependencies = [
        ("casework", "0016_file_download_log"),
        ("axes", "0010_accessattemptexpiration"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
