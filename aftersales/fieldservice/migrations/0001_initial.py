import aftersales.fieldservice.models
import aftersales.people.fields
import datetime
import django.contrib.postgres.constraints
import django.contrib.postgres.fields.ranges
import django.db.models.deletion
from decimal import Decimal
from django.conf import settings
from django.contrib.postgres.operations import BtreeGistExtension
from django.db import migrations, models


class AddConstraintOnPostgres(migrations.AddConstraint):
    """The exclusion constraint exists on PostgreSQL only; SQLite checks under its write lock."""

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            super().database_forwards(app_label, schema_editor, from_state, to_state)

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            super().database_backwards(app_label, schema_editor, from_state, to_state)


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ('aftersales', '0009_order_rules_facts'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        BtreeGistExtension(),
        migrations.CreateModel(
            name='Part',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('code', models.CharField(max_length=32, unique=True, verbose_name='part number')),
                ('name', models.CharField(max_length=100, verbose_name='name')),
                ('price', models.DecimalField(decimal_places=2, default=Decimal('0.00'), max_digits=10, verbose_name='price (yuan)')),
                ('active', models.BooleanField(default=True, verbose_name='active')),
            ],
            options={
                'verbose_name': 'part',
                'verbose_name_plural': 'parts',
                'ordering': ['name'],
                'constraints': [models.CheckConstraint(condition=models.Q(('price__gte', 0)), name='part_price_not_negative')],
            },
        ),
        migrations.CreateModel(
            name='Quote',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('parts_amount', models.DecimalField(decimal_places=2, max_digits=10, verbose_name='parts (yuan)')),
                ('labour_amount', models.DecimalField(decimal_places=2, max_digits=10, verbose_name='labour (yuan)')),
                ('note', models.TextField(blank=True, verbose_name='what the quote covers')),
                ('status', models.CharField(choices=[('PENDING', 'Awaiting the customer'), ('ACCEPTED', 'Quote accepted'), ('DECLINED', 'Declined')], default='PENDING', max_length=10)),
                ('created_at', models.DateTimeField()),
                ('decided_at', models.DateTimeField(blank=True, null=True)),
                ('created_by', models.ForeignKey(null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('job', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='quotes', to='aftersales.ticket')),
            ],
            options={
                'ordering': ['-created_at'],
            },
        ),
        migrations.CreateModel(
            name='InstallationJob',
            fields=[
                ('ticket_ptr', models.OneToOneField(auto_created=True, on_delete=django.db.models.deletion.CASCADE, parent_link=True, primary_key=True, serialize=False, to='aftersales.ticket')),
                ('serial_number', models.CharField(blank=True, max_length=64, verbose_name='serial number')),
                ('fault_description', models.TextField(blank=True, verbose_name='fault or request')),
                ('address', aftersales.people.fields.EncryptedTextField(blank=True, verbose_name='address')),
                ('address_area', models.CharField(blank=True, max_length=100, verbose_name='district')),
                ('region', models.CharField(blank=True, max_length=50, verbose_name='service region')),
                ('preferred_windows', models.JSONField(blank=True, default=list, verbose_name='preferred time windows')),
                ('offered_slots', models.JSONField(blank=True, default=list, verbose_name='offered slots')),
                ('agreed_start', models.DateTimeField(blank=True, null=True, verbose_name='agreed from')),
                ('agreed_end', models.DateTimeField(blank=True, null=True, verbose_name='agreed until')),
                ('service_mode', models.CharField(choices=[('ON_SITE', "Visit at the customer's address"), ('MAIL_IN', 'Mail-in repair (寄修)')], default='ON_SITE', max_length=8, verbose_name='service')),
                ('warranty_start', models.DateField(blank=True, null=True, verbose_name='warranty starts')),
                ('warranty_end', models.DateField(blank=True, null=True, verbose_name='warranty ends')),
                ('in_warranty', models.BooleanField(null=True, verbose_name='in warranty')),
                ('genuine', models.BooleanField(null=True, verbose_name='genuine product')),
                ('fault_type', models.CharField(blank=True, choices=[('PERFORMANCE', 'Performance fault'), ('QUALITY_NONCONFORM', 'Quality problem'), ('HUMAN_DAMAGE', 'Damage by use (human damage)'), ('NONE', 'No fault found')], max_length=20, verbose_name='fault type')),
                ('eligibility_rule', models.CharField(blank=True, max_length=4, verbose_name='三包 rule')),
                ('free_of_charge', models.BooleanField(default=False, verbose_name='free of charge')),
                ('unit_repair_count', models.PositiveSmallIntegerField(default=0, verbose_name='repairs of this unit in validity')),
                ('quote_accepted', models.BooleanField(default=False, verbose_name='quote accepted')),
                ('cause', models.TextField(blank=True, verbose_name='cause found')),
                ('repeat_visits', models.PositiveSmallIntegerField(default=0, verbose_name='repeat visits')),
                ('rejection_reason', models.TextField(blank=True, verbose_name='reason for rejecting the work')),
                ('completed_at', models.DateTimeField(blank=True, null=True, verbose_name='work accepted at')),
                ('acceptance_signed', models.BooleanField(default=False)),
                ('service_started_at', models.DateTimeField(blank=True, null=True, verbose_name='unit handed in at')),
                ('customer_wait_seconds', models.PositiveIntegerField(default=0)),
                ('customer_wait_since', models.DateTimeField(blank=True, null=True)),
                ('repair_overrun_at', models.DateTimeField(blank=True, null=True, verbose_name='T14: repair overrun at')),
                ('awaiting_parts_since', models.DateTimeField(blank=True, null=True, verbose_name='waiting for parts since')),
                ('no_parts_overrun_at', models.DateTimeField(blank=True, null=True, verbose_name='T15: no parts overrun at')),
                ('exchange_prompt', models.CharField(blank=True, choices=[('', 'None'), ('T14', 'Repair overrun over 30 days: free exchange'), ('T15', 'No spare parts for over 90 days: free exchange')], max_length=4, verbose_name='free exchange due')),
                ('record_due_at', models.DateTimeField(blank=True, null=True, verbose_name='service record due')),
                ('record_filed_at', models.DateTimeField(blank=True, null=True, verbose_name='service record filed')),
                ('record_overdue', models.BooleanField(default=False, verbose_name='service record overdue')),
                ('inbound_carrier', models.CharField(blank=True, max_length=50, verbose_name='inbound carrier')),
                ('inbound_tracking', models.CharField(blank=True, max_length=64, verbose_name='inbound tracking number')),
                ('received_at_centre', models.DateTimeField(blank=True, null=True, verbose_name='received at the service centre')),
                ('outbound_carrier', models.CharField(blank=True, max_length=50, verbose_name='outbound carrier')),
                ('outbound_tracking', models.CharField(blank=True, max_length=64, verbose_name='outbound tracking number')),
                ('shipped_back_at', models.DateTimeField(blank=True, null=True, verbose_name='shipped back at')),
                ('satisfaction', models.PositiveSmallIntegerField(blank=True, null=True, verbose_name='satisfaction (1–5)')),
                ('installed_at', models.DateTimeField(blank=True, null=True, verbose_name='installed at')),
                ('current_quote', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to='fieldservice.quote', verbose_name='current quote')),
            ],
            options={
                'verbose_name': 'installation job',
                'verbose_name_plural': 'installation jobs',
            },
            bases=('aftersales.ticket', models.Model),
        ),
        migrations.CreateModel(
            name='RepairJob',
            fields=[
                ('ticket_ptr', models.OneToOneField(auto_created=True, on_delete=django.db.models.deletion.CASCADE, parent_link=True, primary_key=True, serialize=False, to='aftersales.ticket')),
                ('serial_number', models.CharField(blank=True, max_length=64, verbose_name='serial number')),
                ('fault_description', models.TextField(blank=True, verbose_name='fault or request')),
                ('address', aftersales.people.fields.EncryptedTextField(blank=True, verbose_name='address')),
                ('address_area', models.CharField(blank=True, max_length=100, verbose_name='district')),
                ('region', models.CharField(blank=True, max_length=50, verbose_name='service region')),
                ('preferred_windows', models.JSONField(blank=True, default=list, verbose_name='preferred time windows')),
                ('offered_slots', models.JSONField(blank=True, default=list, verbose_name='offered slots')),
                ('agreed_start', models.DateTimeField(blank=True, null=True, verbose_name='agreed from')),
                ('agreed_end', models.DateTimeField(blank=True, null=True, verbose_name='agreed until')),
                ('service_mode', models.CharField(choices=[('ON_SITE', "Visit at the customer's address"), ('MAIL_IN', 'Mail-in repair (寄修)')], default='ON_SITE', max_length=8, verbose_name='service')),
                ('warranty_start', models.DateField(blank=True, null=True, verbose_name='warranty starts')),
                ('warranty_end', models.DateField(blank=True, null=True, verbose_name='warranty ends')),
                ('in_warranty', models.BooleanField(null=True, verbose_name='in warranty')),
                ('genuine', models.BooleanField(null=True, verbose_name='genuine product')),
                ('fault_type', models.CharField(blank=True, choices=[('PERFORMANCE', 'Performance fault'), ('QUALITY_NONCONFORM', 'Quality problem'), ('HUMAN_DAMAGE', 'Damage by use (human damage)'), ('NONE', 'No fault found')], max_length=20, verbose_name='fault type')),
                ('eligibility_rule', models.CharField(blank=True, max_length=4, verbose_name='三包 rule')),
                ('free_of_charge', models.BooleanField(default=False, verbose_name='free of charge')),
                ('unit_repair_count', models.PositiveSmallIntegerField(default=0, verbose_name='repairs of this unit in validity')),
                ('quote_accepted', models.BooleanField(default=False, verbose_name='quote accepted')),
                ('cause', models.TextField(blank=True, verbose_name='cause found')),
                ('repeat_visits', models.PositiveSmallIntegerField(default=0, verbose_name='repeat visits')),
                ('rejection_reason', models.TextField(blank=True, verbose_name='reason for rejecting the work')),
                ('completed_at', models.DateTimeField(blank=True, null=True, verbose_name='work accepted at')),
                ('acceptance_signed', models.BooleanField(default=False)),
                ('service_started_at', models.DateTimeField(blank=True, null=True, verbose_name='unit handed in at')),
                ('customer_wait_seconds', models.PositiveIntegerField(default=0)),
                ('customer_wait_since', models.DateTimeField(blank=True, null=True)),
                ('repair_overrun_at', models.DateTimeField(blank=True, null=True, verbose_name='T14: repair overrun at')),
                ('awaiting_parts_since', models.DateTimeField(blank=True, null=True, verbose_name='waiting for parts since')),
                ('no_parts_overrun_at', models.DateTimeField(blank=True, null=True, verbose_name='T15: no parts overrun at')),
                ('exchange_prompt', models.CharField(blank=True, choices=[('', 'None'), ('T14', 'Repair overrun over 30 days: free exchange'), ('T15', 'No spare parts for over 90 days: free exchange')], max_length=4, verbose_name='free exchange due')),
                ('record_due_at', models.DateTimeField(blank=True, null=True, verbose_name='service record due')),
                ('record_filed_at', models.DateTimeField(blank=True, null=True, verbose_name='service record filed')),
                ('record_overdue', models.BooleanField(default=False, verbose_name='service record overdue')),
                ('inbound_carrier', models.CharField(blank=True, max_length=50, verbose_name='inbound carrier')),
                ('inbound_tracking', models.CharField(blank=True, max_length=64, verbose_name='inbound tracking number')),
                ('received_at_centre', models.DateTimeField(blank=True, null=True, verbose_name='received at the service centre')),
                ('outbound_carrier', models.CharField(blank=True, max_length=50, verbose_name='outbound carrier')),
                ('outbound_tracking', models.CharField(blank=True, max_length=64, verbose_name='outbound tracking number')),
                ('shipped_back_at', models.DateTimeField(blank=True, null=True, verbose_name='shipped back at')),
                ('satisfaction', models.PositiveSmallIntegerField(blank=True, null=True, verbose_name='satisfaction (1–5)')),
                ('failed_repair', models.BooleanField(default=False, verbose_name='failed repair (T16)')),
                ('counted_repair', models.BooleanField(default=False, verbose_name='counted as a 三包 repair')),
                ('current_quote', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to='fieldservice.quote', verbose_name='current quote')),
                ('previous_job', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to='fieldservice.repairjob', verbose_name='earlier repair of this unit')),
            ],
            options={
                'verbose_name': 'repair job',
                'verbose_name_plural': 'repair jobs',
                'permissions': [('register_job', 'Can report faults and book installations'), ('triage_job', 'Can triage, quote and cancel field jobs'), ('schedule_job', 'Can agree visit times with customers'), ('dispatch_job', 'Can dispatch technicians'), ('work_job', 'Can record work on site'), ('file_record', 'Can file service records'), ('close_job', 'Can record return visits and close field jobs'), ('view_board', 'Can see the dispatch board'), ('view_scorecard', 'Can see technician scorecards')],
            },
            bases=('aftersales.ticket', models.Model),
        ),
        migrations.CreateModel(
            name='Technician',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('skills', models.JSONField(blank=True, default=list, verbose_name='skills (product categories)')),
                ('region', models.CharField(max_length=50, verbose_name='region')),
                ('phone', models.CharField(blank=True, max_length=32, verbose_name='work phone')),
                ('active', models.BooleanField(default=True, verbose_name='active')),
                ('user', models.OneToOneField(on_delete=django.db.models.deletion.CASCADE, related_name='technician', to=settings.AUTH_USER_MODEL)),
            ],
            options={
                'verbose_name': 'technician',
                'verbose_name_plural': 'technicians',
                'ordering': ['region', 'user__username'],
            },
        ),
        migrations.CreateModel(
            name='Visit',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('start', models.DateTimeField(verbose_name='from')),
                ('end', models.DateTimeField(verbose_name='until')),
                ('travel_buffer', models.DurationField(default=datetime.timedelta(seconds=1800), verbose_name='travel buffer')),
                ('blocked_until', models.DateTimeField()),
                ('cancelled', models.BooleanField(default=False)),
                ('arrived_at', models.DateTimeField(blank=True, null=True, verbose_name='arrived at')),
                ('late_minutes', models.PositiveIntegerField(blank=True, null=True, verbose_name='minutes late')),
                ('finished_at', models.DateTimeField(blank=True, null=True, verbose_name='finished at')),
                ('created_at', models.DateTimeField(auto_now_add=True)),
                ('booked_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('job', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='visits', to='aftersales.ticket')),
                ('technician', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='visits', to='fieldservice.technician')),
            ],
            options={
                'verbose_name': 'visit',
                'verbose_name_plural': 'visits',
                'ordering': ['start', 'id'],
            },
        ),
        migrations.CreateModel(
            name='Signature',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('role', models.CharField(choices=[('CUSTOMER', 'Customer'), ('TECHNICIAN', 'Technician')], max_length=10)),
                ('signer_name', models.CharField(max_length=100, verbose_name='name of the signer')),
                ('image', models.FileField(upload_to=aftersales.fieldservice.models.signature_path)),
                ('width', models.PositiveIntegerField()),
                ('height', models.PositiveIntegerField()),
                ('size', models.PositiveIntegerField()),
                ('sha256', models.CharField(max_length=64)),
                ('created_at', models.DateTimeField()),
                ('job', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='signatures', to='aftersales.ticket')),
                ('visit', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='signatures', to='fieldservice.visit')),
            ],
            options={
                'ordering': ['created_at', 'id'],
            },
        ),
        migrations.CreateModel(
            name='PartUsed',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('quantity', models.PositiveSmallIntegerField(verbose_name='quantity')),
                ('unit_price', models.DecimalField(decimal_places=2, max_digits=10, verbose_name='unit price (yuan)')),
                ('created_at', models.DateTimeField()),
                ('job', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='parts_used', to='aftersales.ticket')),
                ('part', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to='fieldservice.part')),
                ('recorded_by', models.ForeignKey(null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('visit', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='parts_used', to='fieldservice.visit')),
            ],
            options={
                'ordering': ['created_at', 'id'],
            },
        ),
        migrations.AddConstraint(
            model_name='quote',
            constraint=models.CheckConstraint(condition=models.Q(('labour_amount__gte', 0), ('parts_amount__gte', 0)), name='quote_amounts_not_negative'),
        ),
        migrations.AddIndex(
            model_name='installationjob',
            index=models.Index(models.F('record_due_at'), condition=models.Q(('record_filed_at__isnull', True), ('record_overdue', False)), name='installjob_record_due'),
        ),
        migrations.AddIndex(
            model_name='repairjob',
            index=models.Index(condition=models.Q(('serial_number', ''), _negated=True), fields=['serial_number'], name='repairjob_serial'),
        ),
        migrations.AddIndex(
            model_name='repairjob',
            index=models.Index(models.F('record_due_at'), condition=models.Q(('record_filed_at__isnull', True), ('record_overdue', False)), name='repairjob_record_due'),
        ),
        migrations.AddIndex(
            model_name='repairjob',
            index=models.Index(models.F('repair_overrun_at'), condition=models.Q(('exchange_prompt', '')), name='repairjob_overrun'),
        ),
        migrations.AddIndex(
            model_name='repairjob',
            index=models.Index(models.F('no_parts_overrun_at'), condition=models.Q(('exchange_prompt', '')), name='repairjob_no_parts'),
        ),
        migrations.AddIndex(
            model_name='visit',
            index=models.Index(condition=models.Q(('cancelled', False)), fields=['technician', 'start'], name='visit_technician_start'),
        ),
        migrations.AddIndex(
            model_name='visit',
            index=models.Index(condition=models.Q(('cancelled', False)), fields=['start'], name='visit_start'),
        ),
        migrations.AddConstraint(
            model_name='visit',
            constraint=models.CheckConstraint(condition=models.Q(('end__gt', models.F('start'))), name='visit_ends_after_start'),
        ),
        migrations.AddConstraint(
            model_name='visit',
            constraint=models.CheckConstraint(condition=models.Q(('blocked_until__gte', models.F('end'))), name='visit_buffer_after_end'),
        ),
        AddConstraintOnPostgres(
            model_name='visit',
            constraint=django.contrib.postgres.constraints.ExclusionConstraint(condition=models.Q(('cancelled', False)), expressions=[('technician', '='), (aftersales.fieldservice.models.TsTzRange('start', 'blocked_until', django.contrib.postgres.fields.ranges.RangeBoundary()), '&&')], name='visit_no_double_booking'),
        ),
        migrations.AddConstraint(
            model_name='partused',
            constraint=models.CheckConstraint(condition=models.Q(('quantity__gte', 1)), name='partused_quantity_pos'),
        ),
        migrations.AddConstraint(
            model_name='partused',
            constraint=models.CheckConstraint(condition=models.Q(('unit_price__gte', 0)), name='partused_price_not_negative'),
        ),
    ]
