"""Index a partner's cases by last change, for the list's updated_since filter."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("refunds", "0003_partner_list_index"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="refundcase",
            index=models.Index(fields=["partner", "updated_at"], name="refundcase_partner_updated"),
        ),
    ]
