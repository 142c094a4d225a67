"""Index a partner's cases by last change, for the list's updated_since filter."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0004_partner_list_index"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="accountrequest",
            index=models.Index(fields=["partner", "updated_at"], name="accountrequest_partner_updated"),
        ),
    ]
