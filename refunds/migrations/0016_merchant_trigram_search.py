"""A trigram index on the payment's merchant: the refund cases' search by any part of a
merchant's name (docs/search.md). PostgreSQL only (pg_trgm comes with casework's
migration); built without blocking writes."""

from django.contrib.postgres.indexes import GinIndex, OpClass
from django.db import migrations
from django.db.models.functions import Upper

from casework.core.indexes import AddIndexConcurrentlyOnPostgreSQL


class Migration(migrations.Migration):
    # CREATE INDEX CONCURRENTLY runs outside a transaction.
    atomic = False

    dependencies = [
        ("casework", "0038_trigram_search"),
        ("refunds", "0015_open_held_index"),
    ]

    operations = [
        AddIndexConcurrentlyOnPostgreSQL(
            model_name="paymenttransaction",
            index=GinIndex(OpClass(Upper("merchant"), name="gin_trgm_ops"), name="payment_merchant_trgm"),
        ),
    ]
