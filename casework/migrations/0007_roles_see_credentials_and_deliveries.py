"""Who reads partner credentials and webhook deliveries: auditors and supervisors see the
keys (never the key itself: only its prefix is stored readable) and every delivery try;
supervisors may also re-send a partner's webhook. Issuing, rotating and revoking keys
stay with whoever is given the change permission (the superuser in the demo)."""

from django.db import migrations

from casework.access.roles import grant, revoke

PERMISSIONS = {
    "auditor": ["casework.view_partnerapikey", "casework.view_deliveryattempt"],
    "supervisor": [
        "casework.view_partner",
        "casework.view_partnerapikey",
        "casework.view_deliveryattempt",
        "casework.change_notification",
    ],
}


def forwards(apps, schema_editor):
    grant(apps, schema_editor, PERMISSIONS, app_labels=["casework"])


def backwards(apps, schema_editor):
    revoke(apps, schema_editor, PERMISSIONS)


class Migration(migrations.Migration):
    dependencies = [("casework", "0006_partner_credentials_and_webhooks")]

    operations = [migrations.RunPython(forwards, backwards)]
