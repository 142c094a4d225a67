"""Idempotency keys: a partner's create remembered under its Idempotency-Key header."""

import django.db.models.deletion
import django.utils.timezone
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("casework", "0004_notification_webhook_channel"),
    ]

    operations = [
        migrations.CreateModel(
            name="IdempotencyKey",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("key", models.CharField(max_length=255)),
                ("request_method", models.CharField(max_length=10)),
                ("request_path", models.CharField(max_length=500)),
                (
                    "request_hash",
                    models.CharField(help_text="SHA-256 of the canonical request body.", max_length=64),
                ),
                ("response_status", models.PositiveSmallIntegerField(blank=True, null=True)),
                (
                    "response_headers",
                    models.JSONField(blank=True, default=dict, help_text="Location and ETag."),
                ),
                ("response_body", models.JSONField(blank=True, null=True)),
                ("created_at", models.DateTimeField(default=django.utils.timezone.now)),
                ("expires_at", models.DateTimeField(db_index=True)),
                (
                    "partner",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to="casework.partner",
                    ),
                ),
            ],
            options={
                "constraints": [
                    models.UniqueConstraint(fields=("partner", "key"), name="one_idempotency_key_per_partner")
                ],
            },
        ),
    ]
