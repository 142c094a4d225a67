"""Customer phones kept in E.164, as the field now stores them: the admin's phone search
normalises the number searched for, so a number stored as typed would no longer be found.
Numbers that do not parse stay as they are (the validator refuses them on the next edit)."""

from django.db import migrations

from casework.core.phones import normalise_phone


def normalise(apps, schema_editor):
    Complaint = apps.get_model("complaints", "Complaint")
    rows = Complaint.objects.values_list("pk", "customer_phone").iterator(chunk_size=2000)
    # Read all, then write: SQLite does not isolate a write from a cursor still reading.
    changed = [(pk, normalise_phone(phone)) for pk, phone in rows if normalise_phone(phone) != phone]
    for pk, normal in changed:
        Complaint.objects.filter(pk=pk).update(customer_phone=normal)


class Migration(migrations.Migration):
    dependencies = [("complaints", "0006_validate_phone_currency_amount_and_text_lengths")]

    operations = [migrations.RunPython(normalise, migrations.RunPython.noop)]
