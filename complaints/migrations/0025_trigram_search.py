"""The trigram indexes of the full-text search (complaints.search, docs/search.md): a
complaint's description, merchant and transaction reference, its notes and its partner
messages. PostgreSQL only (pg_trgm comes with casework's migration); built without
blocking writes."""

from django.conf import settings
from django.contrib.postgres.indexes import GinIndex, OpClass
from django.db import migrations
from django.db.models.functions import Upper

from casework.core.indexes import AddIndexConcurrentlyOnPostgreSQL


def trigram(model_name: str, field: str, name: str) -> AddIndexConcurrentlyOnPostgreSQL:
    return AddIndexConcurrentlyOnPostgreSQL(
        model_name=model_name, index=GinIndex(OpClass(Upper(field), name="gin_trgm_ops"), name=name)
    )


class Migration(migrations.Migration):
    # CREATE INDEX CONCURRENTLY runs outside a transaction.
    atomic = False

    dependencies = [
        ("casework", "0038_trigram_search"),
        ("complaints", "0024_merge_duplicates"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        trigram("complaint", "description", "complaint_description_trgm"),
        trigram("complaint", "merchant", "complaint_merchant_trgm"),
        trigram("complaint", "transaction_reference", "complaint_txn_reference_trgm"),
        trigram("complaintnote", "body", "complaintnote_body_trgm"),
        trigram("partnermessage", "body", "partnermessage_body_trgm"),
    ]
