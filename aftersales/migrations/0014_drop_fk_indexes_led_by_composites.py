"""Drop two foreign-key indexes that a composite index leading with the same column already
serves: the case's customer (``ticket_customer_recent``) and the event's case
(``event_ticket_time``). Only the indexes go; the foreign-key constraints stay as they are
(altering the fields the usual way would drop and re-validate them over every row)."""

import django.db.models.deletion
from django.db import migrations, models

CUSTOMER_INDEX = "aftersales_ticket_customer_id_ef417091"
EVENT_TICKET_INDEX = "aftersales_timelineevent_ticket_id_04761e55"


class Migration(migrations.Migration):

    dependencies = [
        ("aftersales", "0013_form_token_on_case"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="ticket",
                    name="customer",
                    field=models.ForeignKey(
                        db_index=False, on_delete=django.db.models.deletion.PROTECT,
                        related_name="tickets", to="aftersales.customer",
                        verbose_name="customer"),
                ),
                migrations.AlterField(
                    model_name="timelineevent",
                    name="ticket",
                    field=models.ForeignKey(
                        db_index=False, on_delete=django.db.models.deletion.CASCADE,
                        related_name="events", to="aftersales.ticket"),
                ),
            ],
            database_operations=[
                migrations.RunSQL(
                    f'DROP INDEX IF EXISTS "{CUSTOMER_INDEX}"',
                    f'CREATE INDEX "{CUSTOMER_INDEX}" ON "aftersales_ticket" ("customer_id")',
                ),
                migrations.RunSQL(
                    f'DROP INDEX IF EXISTS "{EVENT_TICKET_INDEX}"',
                    f'CREATE INDEX "{EVENT_TICKET_INDEX}" ON "aftersales_timelineevent" '
                    '("ticket_id")',
                ),
            ],
        ),
    ]
