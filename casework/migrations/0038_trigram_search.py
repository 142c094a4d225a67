"""pg_trgm for the full-text search (docs/search.md), and the trigram indexes of what a
person wrote to or from a case's customer. PostgreSQL only: SQLite (the demo) has neither,
and its search reads the rows. The indexes are built without blocking writes."""

from django.conf import settings
from django.contrib.postgres.indexes import GinIndex, OpClass
from django.contrib.postgres.operations import TrigramExtension
from django.db import migrations, models
from django.db.models.functions import Upper

from casework.core.indexes import AddIndexConcurrentlyOnPostgreSQL

WRITTEN_BY_A_PERSON = models.Q(("direction", "in"), ("author__isnull", False), _connector="OR")


class Migration(migrations.Migration):
    # CREATE INDEX CONCURRENTLY runs outside a transaction.
    atomic = False

    dependencies = [
        ("casework", "0037_auditors_read_customers"),
        ("contenttypes", "0002_remove_content_type_name"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        # Does nothing on SQLite.
        TrigramExtension(),
        AddIndexConcurrentlyOnPostgreSQL(
            model_name="customermessage",
            index=GinIndex(
                OpClass(Upper("body_text"), name="gin_trgm_ops"),
                condition=WRITTEN_BY_A_PERSON,
                name="custmsg_text_trgm",
            ),
        ),
        AddIndexConcurrentlyOnPostgreSQL(
            model_name="customermessage",
            index=GinIndex(
                OpClass(Upper("subject"), name="gin_trgm_ops"),
                condition=WRITTEN_BY_A_PERSON,
                name="custmsg_subject_trgm",
            ),
        ),
    ]
