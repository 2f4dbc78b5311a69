"""Rows written and read in one plain statement, where building the ORM's query would cost
more than running it: the new case and its first events on every public form post.

The values go through the fields exactly as ``Model.save`` sends them (``pre_save``, then
``get_db_prep_save``), so encryption, ``auto_now`` and JSON behave the same. Signals are not
sent; the models written here have no receivers. Elsewhere than on PostgreSQL, or for a
model these statements do not cover, the ORM writes the row.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any, TypeVar

from django.db import connections
from django.db.models import Field, Model

M = TypeVar("M", bound=Model)


@cache
def _own_columns(model: type[Model]) -> tuple[Field, ...]:
    """The columns of ``model``'s own table an INSERT writes: all but a database-assigned
    key and generated columns."""
    meta = model._meta
    return tuple(f for f in meta.local_concrete_fields
                 if f is not meta.auto_field and not getattr(f, "generated", False))


@cache
def _writable(model: type[Model], vendor: str) -> bool:
    """Whether these statements write ``model`` here: on PostgreSQL, with at most one
    parent table whose key is the child's, and no field that brings its own placeholder."""
    parents = model._meta.get_parent_list()
    if vendor != "postgresql" or len(parents) > 1:
        return False
    if parents and model._meta.pk is not model._meta.get_ancestor_link(parents[0]):
        return False
    return not any(hasattr(f, "get_placeholder")
                   for m in (*parents, model) for f in _own_columns(m))


def _values(instance: Model, fields: Sequence[Field], connection) -> list[Any] | None:
    values = []
    for field in fields:
        value = field.get_db_prep_save(field.pre_save(instance, True), connection=connection)
        if hasattr(value, "resolve_expression"):
            return None  # an expression (F(), a database default): the ORM compiles it
        values.append(value)
    return values


def mark_saved(instance: Model, pk: Any, using: str = "default") -> None:
    """Record that ``instance`` was inserted with this key, as ``Model.save`` does."""
    for model in (*instance._meta.get_parent_list(), type(instance)):
        setattr(instance, model._meta.pk.attname, pk)
    instance._state.adding = False
    instance._state.db = using


@dataclass(frozen=True)
class NewRow:
    """One table's row of a new instance, as ``Model.save`` would send it, for a statement
    that writes it together with others (see ``aftersales.cases.services``)."""

    model: type[Model]  # whose own table
    columns: list[str]  # quoted names
    cells: list[str]  # "%s", or the SQL given for the column
    values: list[Any]  # for the "%s" cells, in order

    def insert(self, returning: str = "", *, more: Sequence[NewRow] = ()) -> str:
        """The INSERT of this row and ``more`` rows of the same table, in that order."""
        table = connections["default"].ops.quote_name(self.model._meta.db_table)
        values = ", ".join(f"({', '.join(row.cells)})" for row in (self, *more))
        return (f"INSERT INTO {table} ({', '.join(self.columns)}) VALUES {values}"  # nosec B608: names from model metadata, values bound
                + (f" RETURNING {returning}" * bool(returning)))


def new_rows(instance: Model, sql: dict[str, str] | None = None,
             using: str = "default") -> list[NewRow] | None:
    """The rows a new instance writes, its parent table's first. ``sql`` gives SQL for
    columns (by attname) that the statement fills, such as the key of a row it writes
    first; the parent link must be among them. Where that SQL holds a ``%s``, the field's
    own value is bound there. ``None`` where the ORM must write it."""
    connection = connections[using]
    sql = sql or {}
    model = type(instance)
    if (not _writable(model, connection.vendor) or not instance._state.adding
            or instance.pk is not None):
        return None
    for field in model._meta.concrete_fields:
        if field.is_relation and field.attname not in sql and field.is_cached(instance):
            related = field.get_cached_value(instance)
            if related is not None and related.pk is None:
                return None  # an unsaved related object: the ORM refuses it
            if related is not None:
                setattr(instance, field.attname, related.pk)
    if model._meta.parents and model._meta.pk.attname not in sql:
        return None  # the statement must give the parent row's key
    quote = connection.ops.quote_name
    rows = []
    for table in (*model._meta.get_parent_list(), model):
        fields = _own_columns(table)
        bound = [f for f in fields if "%s" in sql.get(f.attname, "%s")]
        values = _values(instance, bound, connection)
        if values is None:
            return None
        columns = [quote(f.column) for f in fields]
        cells = [sql.get(f.attname, "%s") for f in fields]
        rows.append(NewRow(table, columns, cells, values))
    return rows


def instance_insert(instance: Model, using: str = "default") -> None:
    """INSERT a new instance: one statement, its parent table's row included (a case of
    one kind is a row of the kernel's case table and one of its kind's)."""
    model = type(instance)
    quote = connections[using].ops.quote_name
    rows = new_rows(instance, {model._meta.pk.attname: "(SELECT key FROM parent)"}
                    if model._meta.parents else None, using)
    if rows is None:
        instance.save(force_insert=True, using=using)
        return
    *parent, own = rows
    sql = own.insert(quote(model._meta.pk.column))
    if parent:
        parent_key = quote(parent[0].model._meta.pk.column)
        sql = f"WITH parent AS ({parent[0].insert(f'{parent_key} AS key')}) {sql}"
    with connections[using].cursor() as cursor:
        cursor.execute(sql, [value for row in rows for value in row.values])
        mark_saved(instance, cursor.fetchone()[0], using)


def instances_insert(instances: Sequence[M], using: str = "default") -> list[M]:
    """INSERT new instances of one model without parents in one statement."""
    if not instances:
        return list(instances)
    model = type(instances[0])
    rows = [] if model._meta.parents else [new_rows(i, using=using) for i in instances]
    if not rows or any(r is None for r in rows):
        return model._default_manager.using(using).bulk_create(instances)
    first, *more = (r[0] for r in rows)
    with connections[using].cursor() as cursor:
        cursor.execute(first.insert(connections[using].ops.quote_name(model._meta.pk.column),
                                    more=more),
                       [value for row in (first, *more) for value in row.values])
        pks = [row[0] for row in cursor.fetchall()]
    for instance, pk in zip(instances, pks, strict=True):
        mark_saved(instance, pk, using)
    return list(instances)


def instance_from_row(model: type[M], attnames: Sequence[str], row: Sequence[Any],
                      using: str = "default") -> M:
    """An instance of ``model`` from a row of these columns, read through the fields as
    the ORM reads them (decrypted, converted); the other fields load when first used."""
    connection = connections[using]
    given = dict(zip(attnames, row, strict=True))
    names, values = [], []
    for field in model._meta.concrete_fields:  # from_db takes them in this order
        if field.attname not in given:
            continue
        value = given[field.attname]
        for converter in field.get_db_converters(connection):
            value = converter(value, field, connection)
        names.append(field.attname)
        values.append(value)
    return model.from_db(using, names, values)
