"""An index for finding a sender's earlier complaint by e-mail address, case-insensitively
(``customer_messages.open_from_message``: ``customer_email__iexact``, which PostgreSQL
and SQLite run as ``UPPER(customer_email) = UPPER(%s)``). Without it every e-mail from an
unknown sender read the whole complaints table: 7 ms at 20,000 complaints, growing with
the table (``bench/intake.py``).

Plain SQL, so the model's state is unchanged (``complaints/models`` declares no such
index yet): when ``Complaint.Meta.indexes`` next changes, declare it there as
``models.Index(Upper("customer_email"), name="complaint_customer_email_ci")`` with a
``SeparateDatabaseAndState`` over this one.
"""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("complaints", "0011_customer_correspondence"),
    ]

    operations = [
        migrations.RunSQL(
            "CREATE INDEX complaint_customer_email_ci ON complaints_complaint (UPPER(customer_email))",
            reverse_sql="DROP INDEX complaint_customer_email_ci",
        ),
    ]
