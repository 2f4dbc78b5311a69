"""Set-based batch updates shared by the sweeps, and planner settings for a query."""

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime

from django.db import connection, connections, transaction


def mark_batch(table: str, *, set_sql: str, set_params: list, where_sql: str, where_params: list,
          order_by: str, batch: int) -> list[int]:
    """``UPDATE table SET ... WHERE ... RETURNING id`` for at most ``batch`` rows.

    On PostgreSQL rows locked by a running transaction are skipped (``SKIP LOCKED``) and
    left for the next sweep instead of making the sweep wait.
    """
    skip_locked = connection.features.has_select_for_update_skip_locked
    lock = " FOR UPDATE SKIP LOCKED" if skip_locked else ""
    sql = (
        f"UPDATE {table} SET {set_sql} WHERE id IN ("  # nosec B608: names and SQL from code (quote_name), values bound as parameters
        f"SELECT id FROM {table} WHERE {where_sql} ORDER BY {order_by} LIMIT %s{lock}"
        f") AND {where_sql} RETURNING id"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [*set_params, *where_params, batch, *where_params])
        return [row[0] for row in cursor.fetchall()]


def db_time(value: datetime):
    return connection.ops.adapt_datetimefield_value(value)


@contextmanager
def planner_settings(using: str = "default", **settings: str | int) -> Iterator[None]:
    """Run the block with PostgreSQL planner settings of its own: ``SET LOCAL`` in a
    transaction that ends with the block. Elsewhere, or with no settings, the block just
    runs. Names and values come from code."""
    if connections[using].vendor != "postgresql" or not settings:
        yield
        return
    with transaction.atomic(using=using):
        with connections[using].cursor() as cursor:
            for name, value in settings.items():
                cursor.execute(f"SET LOCAL {name} = {value}")
        yield


def joins_as_written(using: str = "default"):
    """Run the block with PostgreSQL joining tables in the order the query writes them.

    A one-row read that follows a dozen foreign keys (a case page) otherwise spends about
    20 ms planning, weighing join orders that all cost the same: one index lookup each.
    """
    return planner_settings(using, join_collapse_limit=1)


def deadlock_detected(error: BaseException) -> bool:
    """PostgreSQL aborted this statement to break a deadlock (SQLSTATE 40P01)."""
    return getattr(error.__cause__, "pgcode", None) == "40P01"
