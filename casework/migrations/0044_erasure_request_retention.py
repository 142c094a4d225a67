"""The erasure request keeps its own record for a period, then its personal data goes:
the field that marks it, the sweep's index, and the period (36 months, PIPL art. 56)."""

from django.conf import settings
from django.db import migrations, models

ERASURE_BASIS = (
    "PIPL art. 56 (the records of personal-information handling kept at least three years) and "
    "arts. 47 and 50 (the request and its answer, shown on demand); GDPR art. 5(2) (accountability: "
    "showing the request was answered). Beyond the period, the request's text, the address the answer "
    "went to and the customer's identifiers in its notes are pseudonymised; its dates, states and "
    "outcome stay."
)


def seed_period(apps, schema_editor):
    RetentionPolicy = apps.get_model("casework", "RetentionPolicy")
    RetentionPolicy.objects.get_or_create(
        record_type="erasure_request", defaults={"period_months": 36, "legal_basis": ERASURE_BASIS}
    )


def unseed_period(apps, schema_editor):
    apps.get_model("casework", "RetentionPolicy").objects.filter(record_type="erasure_request").delete()


class Migration(migrations.Migration):
    dependencies = [
        ("casework", "0043_erasure_request_roles"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name="erasurerequest",
            name="pseudonymised_at",
            field=models.DateTimeField(
                blank=True, editable=False, null=True, verbose_name="pseudonymised at"
            ),
        ),
        migrations.AddField(
            model_name="historicalerasurerequest",
            name="pseudonymised_at",
            field=models.DateTimeField(
                blank=True, editable=False, null=True, verbose_name="pseudonymised at"
            ),
        ),
        migrations.AlterField(
            model_name="historicalretentionpolicy",
            name="record_type",
            field=models.CharField(
                choices=[
                    ("complaint", "complaint"),
                    ("account_request", "account lock/unlock request"),
                    ("refund", "refund case"),
                    ("erasure_request", "erasure request"),
                ],
                db_index=True,
                max_length=32,
                verbose_name="record type",
            ),
        ),
        migrations.AlterField(
            model_name="retentionpolicy",
            name="record_type",
            field=models.CharField(
                choices=[
                    ("complaint", "complaint"),
                    ("account_request", "account lock/unlock request"),
                    ("refund", "refund case"),
                    ("erasure_request", "erasure request"),
                ],
                max_length=32,
                unique=True,
                verbose_name="record type",
            ),
        ),
        migrations.AddIndex(
            model_name="erasurerequest",
            index=models.Index(
                condition=models.Q(
                    ("pseudonymised_at__isnull", True), ("state__in", ["executed", "refused"])
                ),
                fields=["decided_at", "id"],
                name="erasure_request_retention_due",
            ),
        ),
        migrations.RunPython(seed_period, unseed_period),
    ]
