"""Supervisors set the teams' routing and the members' capacities; auditors read them and
their histories."""

from django.db import migrations

from casework.access.roles import grant, revoke

PERMISSIONS = {
    "supervisor": [
        "casework.view_teamrouting",
        "casework.add_teamrouting",
        "casework.change_teamrouting",
        "casework.delete_teamrouting",
        "casework.view_membercapacity",
        "casework.add_membercapacity",
        "casework.change_membercapacity",
        "casework.delete_membercapacity",
    ],
    "auditor": [
        "casework.view_teamrouting",
        "casework.view_membercapacity",
        "casework.view_historicalteamrouting",
        "casework.view_historicalmembercapacity",
    ],
}


def forwards(apps, schema_editor):
    grant(apps, schema_editor, PERMISSIONS, app_labels=["casework"])


def backwards(apps, schema_editor):
    revoke(apps, schema_editor, PERMISSIONS)


class Migration(migrations.Migration):
    dependencies = [("casework", "0035_routing")]

    operations = [migrations.RunPython(forwards, backwards)]
