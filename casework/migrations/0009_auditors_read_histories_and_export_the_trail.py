"""Auditors read the history of everything casework keeps one of (as they already do for
each case type's models), and auditors and supervisors export the audit trail.

``export_transitionrecord`` has no model option of its own: it hangs on the transition
record's content type, like the permissions Django makes, so exporting is a permission
a role holds rather than anyone who may read one record of the trail (agents may).
"""

from django.db import migrations

from casework.access.roles import grant, revoke

EXPORT = "export_transitionrecord"
EXPORT_NAME = "Can export the audit trail (CSV) for a period"

PERMISSIONS = {
    "auditor": [
        "casework.view_historicalteam",
        "casework.view_historicalpartner",
        "casework.view_historicalpartnerapikey",
        "casework.view_historicalbusinesscalendar",
        "casework.view_historicalcalendaroverride",
        "casework.view_historicalslapolicy",
        "casework.view_historicalslaclock",
        f"casework.{EXPORT}",
    ],
    "supervisor": [f"casework.{EXPORT}"],
}


def forwards(apps, schema_editor):
    ContentType = apps.get_model("contenttypes", "ContentType")
    Permission = apps.get_model("auth", "Permission")
    content_type, _ = ContentType.objects.get_or_create(app_label="casework", model="transitionrecord")
    Permission.objects.get_or_create(
        content_type=content_type, codename=EXPORT, defaults={"name": EXPORT_NAME}
    )
    grant(apps, schema_editor, PERMISSIONS, app_labels=["casework"])


def backwards(apps, schema_editor):
    revoke(apps, schema_editor, PERMISSIONS)
    apps.get_model("auth", "Permission").objects.filter(
        content_type__app_label="casework", codename=EXPORT
    ).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("casework", "0008_reveal_log"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
