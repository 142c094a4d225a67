"""Messages between a partner and the back office on the partner's complaint (never the
internal notes), who may read and write them; and an index for the list's updated_since."""

import django.db.models.deletion
import django.utils.timezone
import simple_history.models
from django.conf import settings
from django.db import migrations, models

from casework.access.roles import grant, revoke

READ = ["complaints.view_partnermessage"]
WRITE = READ + ["complaints.add_partnermessage"]
PERMISSIONS = {
    # Those who work complaints read the partner's messages and reply.
    "agent": WRITE,
    "complaints department": WRITE,
    "supervisor": WRITE,
    "technical team": READ,
    "risk officer": READ,
    "refunds desk": READ,
    "auditor": READ + ["complaints.view_historicalpartnermessage"],
    # A partner writes on its own complaints only (complaints.services checks whose).
    "partner": WRITE,
}


def forwards(apps, schema_editor):
    grant(apps, schema_editor, PERMISSIONS, app_labels=["complaints"])


def backwards(apps, schema_editor):
    revoke(apps, schema_editor, PERMISSIONS)


class Migration(migrations.Migration):
    dependencies = [
        ("complaints", "0002_roles_and_policies"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="HistoricalPartnerMessage",
            fields=[
                (
                    "id",
                    models.BigIntegerField(auto_created=True, blank=True, db_index=True, verbose_name="ID"),
                ),
                (
                    "is_from_partner",
                    models.BooleanField(help_text="Written by the partner; otherwise a reply by staff."),
                ),
                ("body", models.TextField()),
                ("created_at", models.DateTimeField(default=django.utils.timezone.now)),
                ("history_id", models.AutoField(primary_key=True, serialize=False)),
                ("history_date", models.DateTimeField(db_index=True)),
                ("history_change_reason", models.CharField(max_length=100, null=True)),
                (
                    "history_type",
                    models.CharField(
                        choices=[("+", "Created"), ("~", "Changed"), ("-", "Deleted")], max_length=1
                    ),
                ),
            ],
            options={
                "verbose_name": "historical partner message",
                "verbose_name_plural": "historical partner messages",
                "ordering": ("-history_date", "-history_id"),
                "get_latest_by": ("history_date", "history_id"),
            },
            bases=(simple_history.models.HistoricalChanges, models.Model),
        ),
        migrations.CreateModel(
            name="PartnerMessage",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "is_from_partner",
                    models.BooleanField(help_text="Written by the partner; otherwise a reply by staff."),
                ),
                ("body", models.TextField()),
                ("created_at", models.DateTimeField(default=django.utils.timezone.now)),
            ],
            options={
                "ordering": ["created_at", "id"],
            },
        ),
        migrations.AddIndex(
            model_name="complaint",
            index=models.Index(fields=["partner", "updated_at"], name="complaint_partner_updated"),
        ),
        migrations.AddField(
            model_name="historicalpartnermessage",
            name="author",
            field=models.ForeignKey(
                blank=True,
                db_constraint=False,
                null=True,
                on_delete=django.db.models.deletion.DO_NOTHING,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
            ),
        ),
        migrations.AddField(
            model_name="historicalpartnermessage",
            name="complaint",
            field=models.ForeignKey(
                blank=True,
                db_constraint=False,
                null=True,
                on_delete=django.db.models.deletion.DO_NOTHING,
                related_name="+",
                to="complaints.complaint",
            ),
        ),
        migrations.AddField(
            model_name="historicalpartnermessage",
            name="history_user",
            field=models.ForeignKey(
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
            ),
        ),
        migrations.AddField(
            model_name="partnermessage",
            name="author",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.PROTECT, related_name="+", to=settings.AUTH_USER_MODEL
            ),
        ),
        migrations.AddField(
            model_name="partnermessage",
            name="complaint",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.PROTECT,
                related_name="partner_messages",
                to="complaints.complaint",
            ),
        ),
        migrations.AddIndex(
            model_name="partnermessage",
            index=models.Index(
                fields=["complaint", "created_at", "id"], name="partnermessage_complaint_time"
            ),
        ),
        migrations.RunPython(forwards, backwards),
    ]
