"""Who works provisional credits (Reg E): the refunds desk and supervisors open, record,
reverse (four eyes: not one they opened or credited) and make them final; the payments
system reports the credit it made; everyone who reads refund cases reads them."""

from django.db import migrations

from casework.access.roles import grant, revoke

READ = ["refunds.view_provisionalcredit"]
DESK = READ + [
    "refunds.add_provisionalcredit",
    "refunds.credit_provisionalcredit",
    "refunds.reverse_provisionalcredit",
    "refunds.finalise_provisionalcredit",
]
PERMISSIONS = {
    "agent": READ,
    "refunds desk": DESK,
    "supervisor": DESK,
    "technical team": READ,
    "complaints department": READ,
    "risk officer": READ,
    "auditor": READ + ["refunds.view_historicalprovisionalcredit"],
    # The payments system credits what it was instructed to and reports it; nothing else.
    "payments system": READ + ["refunds.credit_provisionalcredit"],
}


def forwards(apps, schema_editor):
    grant(apps, schema_editor, PERMISSIONS, app_labels=["refunds"])


def backwards(apps, schema_editor):
    revoke(apps, schema_editor, PERMISSIONS)


class Migration(migrations.Migration):
    dependencies = [("refunds", "0012_provisional_credit_steps")]

    operations = [migrations.RunPython(forwards, backwards)]
