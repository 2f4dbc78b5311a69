"""Re-encrypt every encrypted column, and the key canary, with the first configured key.

Run after putting a new key in front of the old one (``FIELD_ENCRYPTION_KEY=new,old``) and
restarting; when it reports nothing undecryptable, the old key can be removed. Works in
batches by primary key, each in its own transaction, and writes a value only if it is still
the one read, so it can run while the application is up. Idempotent: a value already
encrypted with the first key is left alone, so a second run changes nothing.
"""

from collections import Counter
from dataclasses import dataclass

from django.core.management.base import BaseCommand, CommandError
from django.db import DEFAULT_DB_ALIAS, connections, transaction
from django.db.models import Field, Model
from django.utils import timezone

from aftersales.people import crypto
from aftersales.people.keycheck import (
    CANARY_PK,
    CANARY_PLAINTEXT,
    encrypted_columns,
    verify_field_key,
)
from aftersales.people.models import EncryptionCanary


@dataclass
class Column:
    table: str
    column: str
    pk: str


def _column(model: type[Model], field: Field) -> Column:
    return Column(model._meta.db_table, field.column, model._meta.pk.column)


class Command(BaseCommand):
    help = "Re-encrypt every encrypted column and the key canary with the first key."
    # Must run while the start-up check still refuses (e.g. the canary under an old key).
    requires_system_checks = []

    def add_arguments(self, parser):
        parser.add_argument("--batch-size", type=int, default=500)
        parser.add_argument("--database", default=DEFAULT_DB_ALIAS)

    def handle(self, *args, batch_size: int, database: str, **options):
        crypto.configured_keys()
        if batch_size < 1:
            raise CommandError("--batch-size must be at least 1.")
        undecryptable = 0
        for model, field in encrypted_columns():
            column = _column(model, field)
            counts = self.rotate_column(column, using=database, batch_size=batch_size)
            undecryptable += counts["undecryptable"]
            self.stdout.write(
                f"{column.table}.{column.column}: {counts['rotated']} re-encrypted, "
                f"{counts['current']} already current, {counts['undecryptable']} undecryptable"
            )
        canary = self.rotate_canary(using=database)
        self.stdout.write(f"key canary: {canary}")
        if undecryptable or canary == "undecryptable":
            raise CommandError(
                f"{undecryptable} value(s) could not be decrypted with any configured key and "
                "were left as they are. Do not remove an old key until this reports none."
            )
        self.stdout.write(self.style.SUCCESS("Every encrypted value uses the first key."))

    def rotate_column(self, column: Column, *, using: str, batch_size: int) -> Counter:
        connection = connections[using]
        qn = connection.ops.quote_name
        table, col, pk = qn(column.table), qn(column.column), qn(column.pk)
        # Table and column names come from the models (quote_name); values are parameters.
        select = (f"SELECT {pk}, {col} FROM {table} WHERE {pk} > %s "  # nosec B608
                  f"AND {col} IS NOT NULL AND {col} <> '' ORDER BY {pk} LIMIT %s")
        # Only where the value is still the one read: a concurrent write wins (it is
        # encrypted with the first key already).
        update = f"UPDATE {table} SET {col} = %s WHERE {pk} = %s AND {col} = %s"  # nosec B608
        counts: Counter = Counter(rotated=0, current=0, undecryptable=0)
        last = 0
        while True:
            with connection.cursor() as cursor:
                cursor.execute(select, [last, batch_size])
                rows = cursor.fetchall()
            if not rows:
                return counts
            last = rows[-1][0]
            changes = []
            for row_pk, token in rows:
                if crypto.is_current(token):
                    counts["current"] += 1
                    continue
                try:
                    changes.append((crypto.reencrypt(token), row_pk, token))
                except crypto.Undecryptable:
                    counts["undecryptable"] += 1
                    self.stderr.write(f"{column.table}.{column.column} row {row_pk}: "
                                      "undecryptable, left as it is")
            if changes:
                with transaction.atomic(using=using), connection.cursor() as cursor:
                    cursor.executemany(update, changes)
                counts["rotated"] += len(changes)

    def rotate_canary(self, *, using: str) -> str:
        canary = EncryptionCanary.objects.using(using).filter(pk=CANARY_PK).first()
        if canary is None:
            return verify_field_key(using)
        if crypto.is_current(canary.token):
            return "already current"
        try:
            if crypto.decrypt(canary.token) != CANARY_PLAINTEXT:
                return "undecryptable"
            token = crypto.reencrypt(canary.token)
        except crypto.Undecryptable:
            return "undecryptable"
        EncryptionCanary.objects.using(using).filter(pk=canary.pk, token=canary.token).update(
            token=token, rotated_at=timezone.now()
        )
        return "re-encrypted"
