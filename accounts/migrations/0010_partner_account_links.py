"""Which wallet accounts each partner serves: a partner asks for, and reads the status of,
only those. Supervisors, risk officers and auditors read the links (auditors their history
too); making and ending links stays with whoever is given those rights (the superuser in
the demo), as issuing API keys does."""

import django.db.models.deletion
import django.utils.timezone
import simple_history.models
from django.conf import settings
from django.db import migrations, models

from casework.access.roles import grant, revoke

PERMISSIONS = {
    "supervisor": ["accounts.view_partneraccountlink"],
    "risk officer": ["accounts.view_partneraccountlink"],
    "auditor": ["accounts.view_partneraccountlink", "accounts.view_historicalpartneraccountlink"],
}


def forwards(apps, schema_editor):
    grant(apps, schema_editor, PERMISSIONS, app_labels=["accounts"])


def backwards(apps, schema_editor):
    revoke(apps, schema_editor, PERMISSIONS)


class Migration(migrations.Migration):

    dependencies = [
        ('accounts', '0009_evidence_files_checked_whole'),
        ('casework', '0013_calendar_overrides_token'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='HistoricalPartnerAccountLink',
            fields=[
                ('id', models.BigIntegerField(auto_created=True, blank=True, db_index=True, verbose_name='ID')),
                ('basis', models.CharField(help_text='Why the partner serves this account, as the wallet core or the customer\'s consent records it, e.g. "opened through DemoPay\'s app, 2025-03".', max_length=200, verbose_name='basis')),
                ('created_at', models.DateTimeField(default=django.utils.timezone.now, editable=False, verbose_name='created at')),
                ('ended_at', models.DateTimeField(blank=True, editable=False, help_text='When the partner stopped serving the account; the link stays for the record.', null=True, verbose_name='ended at')),
                ('history_id', models.AutoField(primary_key=True, serialize=False)),
                ('history_date', models.DateTimeField(db_index=True)),
                ('history_change_reason', models.CharField(max_length=100, null=True)),
                ('history_type', models.CharField(choices=[('+', 'Created'), ('~', 'Changed'), ('-', 'Deleted')], max_length=1)),
                ('account', models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='accounts.walletaccount', verbose_name='account')),
                ('created_by', models.ForeignKey(blank=True, db_constraint=False, editable=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='created by')),
                ('ended_by', models.ForeignKey(blank=True, db_constraint=False, editable=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='ended by')),
                ('history_user', models.ForeignKey(null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('partner', models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='casework.partner', verbose_name='partner')),
            ],
            options={
                'verbose_name': "historical partner's account",
                'verbose_name_plural': "historical partners' accounts",
                'ordering': ('-history_date', '-history_id'),
                'get_latest_by': ('history_date', 'history_id'),
            },
            bases=(simple_history.models.HistoricalChanges, models.Model),
        ),
        migrations.CreateModel(
            name='PartnerAccountLink',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('basis', models.CharField(help_text='Why the partner serves this account, as the wallet core or the customer\'s consent records it, e.g. "opened through DemoPay\'s app, 2025-03".', max_length=200, verbose_name='basis')),
                ('created_at', models.DateTimeField(default=django.utils.timezone.now, editable=False, verbose_name='created at')),
                ('ended_at', models.DateTimeField(blank=True, editable=False, help_text='When the partner stopped serving the account; the link stays for the record.', null=True, verbose_name='ended at')),
                ('account', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='partner_links', to='accounts.walletaccount', verbose_name='account')),
                ('created_by', models.ForeignKey(blank=True, editable=False, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='created by')),
                ('ended_by', models.ForeignKey(blank=True, editable=False, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='ended by')),
                ('partner', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='account_links', to='casework.partner', verbose_name='partner')),
            ],
            options={
                'verbose_name': "partner's account",
                'verbose_name_plural': "partners' accounts",
                'ordering': ['partner', 'account', '-created_at'],
                'constraints': [models.UniqueConstraint(condition=models.Q(('ended_at__isnull', True)), fields=('partner', 'account'), name='one_current_link_per_partner_and_account')],
            },
        ),
        migrations.RunPython(forwards, backwards),
    ]
