"""The log of downloads of uploaded files (see casework.admin.downloads): auditors and
supervisors read it, as they read the reveal log; nobody edits or deletes it."""

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models

from casework.access.roles import grant, revoke

PERMISSIONS = {"supervisor": ["casework.view_filedownload"], "auditor": ["casework.view_filedownload"]}


def forwards(apps, schema_editor):
    grant(apps, schema_editor, PERMISSIONS, app_labels=["casework"])


def backwards(apps, schema_editor):
    revoke(apps, schema_editor, PERMISSIONS)


class Migration(migrations.Migration):

    dependencies = [
        ('casework', '0015_seal_the_field_history'),
        ('contenttypes', '0002_remove_content_type_name'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='FileDownload',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('object_id', models.PositiveBigIntegerField(verbose_name='case id')),
                ('case_reference', models.CharField(db_index=True, max_length=40, verbose_name='case reference')),
                ('file_id', models.PositiveBigIntegerField(verbose_name='file record id')),
                ('file_name', models.CharField(help_text='As stored.', max_length=255, verbose_name='file name')),
                ('address', models.GenericIPAddressField(blank=True, help_text='The address the request came from.', null=True, verbose_name='address')),
                ('outcome', models.CharField(choices=[('downloaded', 'downloaded'), ('refused', 'refused (no permission)')], default='downloaded', max_length=10, verbose_name='outcome')),
                ('downloaded_at', models.DateTimeField(db_index=True, default=django.utils.timezone.now, verbose_name='downloaded at')),
                ('content_type', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to='contenttypes.contenttype', verbose_name='case type')),
                ('file_type', models.ForeignKey(help_text='Which kind of record holds the file: refund evidence, authentication evidence...', on_delete=django.db.models.deletion.PROTECT, related_name='+', to='contenttypes.contenttype', verbose_name='file record type')),
                ('user', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='user')),
            ],
            options={
                'verbose_name': 'file download',
                'verbose_name_plural': 'file downloads',
                'ordering': ['-downloaded_at', '-id'],
                'indexes': [models.Index(fields=['content_type', 'object_id', 'downloaded_at'], name='casework_fi_content_ee3d2d_idx')],
            },
        ),
        migrations.RunPython(forwards, backwards),
    ]
