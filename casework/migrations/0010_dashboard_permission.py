"""Supervisors and auditors see the dashboard on the admin index (casework.view_dashboard).

The permission has no model of its own: it hangs on the SLA clock's content type, whose
figures it mostly shows, so no table and no model option are needed for it.
"""

from django.db import migrations

from casework.access.roles import grant, revoke

CODENAME = "view_dashboard"
NAME = "Can view the supervisors' dashboard"

PERMISSIONS = {
    "supervisor": [f"casework.{CODENAME}"],
    "auditor": [f"casework.{CODENAME}"],
}


def forwards(apps, schema_editor):
    ContentType = apps.get_model("contenttypes", "ContentType")
    Permission = apps.get_model("auth", "Permission")
    content_type, _ = ContentType.objects.get_or_create(app_label="casework", model="slaclock")
    Permission.objects.get_or_create(content_type=content_type, codename=CODENAME, defaults={"name": NAME})
    grant(apps, schema_editor, PERMISSIONS, app_labels=["casework"])


def backwards(apps, schema_editor):
    revoke(apps, schema_editor, PERMISSIONS)
    apps.get_model("auth", "Permission").objects.filter(
        content_type__app_label="casework", codename=CODENAME
    ).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("casework", "0009_auditors_read_histories_and_export_the_trail"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
