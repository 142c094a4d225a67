"""The log of reveals of masked personal data, and who may reveal (see casework.privacy.masking).

Reveal (``casework.reveal_personal_data``), each for their work: agents and the complaints
department call customers back, supervisors take over calls and check agents' work, risk
officers look the account up in the risk system before an unlock. The technical team, the
refunds desk, auditors and partners work with the masks. Auditors and supervisors read the
log; nobody edits or deletes it.
"""

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models

from casework.access.roles import grant, revoke

REVEAL = "casework.reveal_personal_data"
READ_LOG = "casework.view_reveallog"
PERMISSIONS = {
    "agent": [REVEAL],
    "complaints department": [REVEAL],
    "supervisor": [REVEAL, READ_LOG],
    "risk officer": [REVEAL],
    "auditor": [READ_LOG],
}


def forwards(apps, schema_editor):
    grant(apps, schema_editor, PERMISSIONS, app_labels=["casework"])


def backwards(apps, schema_editor):
    revoke(apps, schema_editor, PERMISSIONS)


class Migration(migrations.Migration):
    dependencies = [
        ("casework", "0007_roles_see_credentials_and_deliveries"),
        ("contenttypes", "0002_remove_content_type_name"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="RevealLog",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("object_id", models.PositiveBigIntegerField()),
                (
                    "case_reference",
                    models.CharField(
                        blank=True,
                        db_index=True,
                        help_text="The case's reference, or the masked account.",
                        max_length=40,
                    ),
                ),
                (
                    "field_name",
                    models.CharField(help_text="Which value: e.g. customer_phone.", max_length=60),
                ),
                (
                    "outcome",
                    models.CharField(
                        choices=[("revealed", "revealed"), ("refused", "refused (no permission)")],
                        default="revealed",
                        max_length=10,
                    ),
                ),
                (
                    "reason",
                    models.CharField(
                        blank=True, help_text="Why, as the user typed it (optional).", max_length=300
                    ),
                ),
                ("revealed_at", models.DateTimeField(db_index=True, default=django.utils.timezone.now)),
                (
                    "content_type",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT, to="contenttypes.contenttype"
                    ),
                ),
                (
                    "user",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
            ],
            options={
                "ordering": ["-revealed_at", "-id"],
                "permissions": [
                    (
                        "reveal_personal_data",
                        "Can reveal a masked phone, account or ID number (each reveal logged)",
                    )
                ],
                "indexes": [
                    models.Index(
                        fields=["content_type", "object_id", "revealed_at"],
                        name="casework_re_content_89d2b9_idx",
                    )
                ],
            },
        ),
        migrations.RunPython(forwards, backwards),
    ]
