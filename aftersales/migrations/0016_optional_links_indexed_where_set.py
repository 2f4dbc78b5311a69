"""The case's optional links (order, order line, product, department, handler, registered
by, repeat of, spawned from) are indexed only where set: a new case, which has most of them
empty, writes none of those entries. The number and the tracking token lose their
``varchar_pattern_ops`` copies, which only a LIKE would use and nothing searches them by.

Only the indexes change; the foreign-key constraints stay as they are (altering the fields
the usual way would drop and re-validate them over every row)."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

# Django's names for the indexes it made for these fields.
LINK_INDEXES = {
    "assignee_id": "aftersales_ticket_assignee_id_87351f59",
    "department_id": "aftersales_ticket_department_id_5d1b059d",
    "order_id": "aftersales_ticket_order_id_76010610",
    "order_line_id": "aftersales_ticket_order_line_id_bacd0608",
    "origin_id": "aftersales_ticket_origin_id_c23d9751",
    "product_id": "aftersales_ticket_product_id_92e9313b",
    "registered_by_id": "aftersales_ticket_registered_by_id_1a74083d",
    "repeat_of_id": "aftersales_ticket_repeat_of_id_ff9f2376",
}
PATTERN_INDEXES = ["aftersales_ticket_number_24226ce5_like",
                   "aftersales_ticket_tracking_token_280db69b_like"]


class Migration(migrations.Migration):

    dependencies = [
        ('aftersales', '0015_handler_tabs_led_by_department'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name='ticket',
                    name='assignee',
                    field=models.ForeignKey(blank=True, db_index=False, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='assigned_tickets', to=settings.AUTH_USER_MODEL, verbose_name='handler'),
                ),
                migrations.AlterField(
                    model_name='ticket',
                    name='department',
                    field=models.ForeignKey(blank=True, db_index=False, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='tickets', to='aftersales.department', verbose_name='responsible department'),
                ),
                migrations.AlterField(
                    model_name='ticket',
                    name='order',
                    field=models.ForeignKey(blank=True, db_index=False, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='tickets', to='aftersales.order', verbose_name='order'),
                ),
                migrations.AlterField(
                    model_name='ticket',
                    name='order_line',
                    field=models.ForeignKey(blank=True, db_index=False, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='tickets', to='aftersales.orderline'),
                ),
                migrations.AlterField(
                    model_name='ticket',
                    name='origin',
                    field=models.ForeignKey(blank=True, db_index=False, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='spawned', to='aftersales.ticket', verbose_name='spawned from'),
                ),
                migrations.AlterField(
                    model_name='ticket',
                    name='product',
                    field=models.ForeignKey(blank=True, db_index=False, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='tickets', to='aftersales.product', verbose_name='product'),
                ),
                migrations.AlterField(
                    model_name='ticket',
                    name='registered_by',
                    field=models.ForeignKey(blank=True, db_index=False, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='registered_tickets', to=settings.AUTH_USER_MODEL, verbose_name='registered by'),
                ),
                migrations.AlterField(
                    model_name='ticket',
                    name='repeat_of',
                    field=models.ForeignKey(blank=True, db_index=False, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='repeats', to='aftersales.ticket', verbose_name='repeat of'),
                ),
            ],
            database_operations=[
                migrations.RunSQL(
                    f'DROP INDEX IF EXISTS "{index}"',
                    f'CREATE INDEX "{index}" ON "aftersales_ticket" ("{column}")',
                )
                for column, index in LINK_INDEXES.items()
            ],
        ),
        # Only PostgreSQL made these; nothing needs them back.
        *(migrations.RunSQL(f'DROP INDEX IF EXISTS "{index}"', migrations.RunSQL.noop)
          for index in PATTERN_INDEXES),
        migrations.AddIndex(
            model_name='ticket',
            index=models.Index(condition=models.Q(('order__isnull', False)), fields=['order'], name='ticket_order_set'),
        ),
        migrations.AddIndex(
            model_name='ticket',
            index=models.Index(condition=models.Q(('order_line__isnull', False)), fields=['order_line'], name='ticket_order_line_set'),
        ),
        migrations.AddIndex(
            model_name='ticket',
            index=models.Index(condition=models.Q(('product__isnull', False)), fields=['product'], name='ticket_product_set'),
        ),
        migrations.AddIndex(
            model_name='ticket',
            index=models.Index(condition=models.Q(('department__isnull', False)), fields=['department'], name='ticket_department_set'),
        ),
        migrations.AddIndex(
            model_name='ticket',
            index=models.Index(condition=models.Q(('assignee__isnull', False)), fields=['assignee'], name='ticket_assignee_set'),
        ),
        migrations.AddIndex(
            model_name='ticket',
            index=models.Index(condition=models.Q(('registered_by__isnull', False)), fields=['registered_by'], name='ticket_registered_by_set'),
        ),
        migrations.AddIndex(
            model_name='ticket',
            index=models.Index(condition=models.Q(('repeat_of__isnull', False)), fields=['repeat_of'], name='ticket_repeat_of_set'),
        ),
        migrations.AddIndex(
            model_name='ticket',
            index=models.Index(condition=models.Q(('origin__isnull', False)), fields=['origin'], name='ticket_origin_set'),
        ),
    ]
