"""Who handles erasure requests: agents and the complaints department record them (after
checking the caller's identity), supervisors record and decide on them (never one they
recorded: four eyes), auditors read them and their history."""

from django.db import migrations

from casework.access.roles import grant, revoke

ROLES = {
    "agent": ["casework.add_erasurerequest", "casework.view_erasurerequest"],
    "complaints department": ["casework.add_erasurerequest", "casework.view_erasurerequest"],
    "supervisor": [
        "casework.add_erasurerequest",
        "casework.view_erasurerequest",
        "casework.decide_erasurerequest",
        "casework.view_historicalerasurerequest",
    ],
    "auditor": ["casework.view_erasurerequest", "casework.view_historicalerasurerequest"],
}


def forwards(apps, schema_editor):
    grant(apps, schema_editor, ROLES, app_labels=["casework"])


def backwards(apps, schema_editor):
    revoke(apps, schema_editor, ROLES)


class Migration(migrations.Migration):
    dependencies = [("casework", "0042_erasure_requests")]

    operations = [migrations.RunPython(forwards, backwards)]
