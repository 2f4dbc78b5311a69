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


@dataclass(frozen=True)
class _Insert:
    """The INSERT of one model. For a model with a parent table it is one statement that
    writes the parent's row first (a CTE) and takes its key; then it writes one row only."""

    fields: tuple[Field, ...]  # in placeholder order
    head: str  # up to and including VALUES
    row: str  # one row of placeholders
    returning: str
    one_row_only: bool

    def sql(self, rows: int = 1) -> str:
        return f"{self.head} {', '.join([self.row] * rows)} {self.returning}"


def _statement(model: type[Model], columns: Sequence[Field], first: str = "",
               ) -> tuple[str, str, str]:
    quote = connections["default"].ops.quote_name
    names = ", ".join(quote(f.column) for f in columns)
    cells = [first] * bool(first) + ["%s"] * (len(columns) - bool(first))
    return (f"INSERT INTO {quote(model._meta.db_table)} ({names}) VALUES",  # nosec B608: names from model metadata, values bound
            f"({', '.join(cells)})", f"RETURNING {quote(model._meta.pk.column)}")


@cache
def _plan(model: type[Model], vendor: str) -> _Insert | None:
    """How to insert ``model`` here, or ``None`` when the ORM must write it."""
    parents = model._meta.get_parent_list()
    if vendor != "postgresql" or len(parents) > 1:
        return None
    if any(hasattr(f, "get_placeholder") for m in (*parents, model) for f in _own_columns(m)):
        return None
    own = _own_columns(model)
    if not parents:
        return _Insert(own, *_statement(model, own), one_row_only=False)
    parent = parents[0]
    link = model._meta.get_ancestor_link(parent)
    if model._meta.pk is not link or link not in own:
        return None
    child = (link, *(f for f in own if f is not link))
    quote = connections["default"].ops.quote_name
    parent_sql = " ".join(_statement(parent, _own_columns(parent)))
    head, row, returning = _statement(
        model, child, first=f"(SELECT {quote(parent._meta.pk.column)} FROM parent)")  # nosec B608: a column name from model metadata
    return _Insert((*_own_columns(parent), *child[1:]), f"WITH parent AS ({parent_sql}) {head}",
                   row, returning, one_row_only=True)


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


def instance_insert(instance: Model, using: str = "default") -> None:
    """INSERT a new instance: one statement, its parent table's row included (a case of
    one kind is a row of the kernel's case table and one of its kind's)."""
    connection = connections[using]
    plan = _plan(type(instance), connection.vendor)
    values = None
    if plan is not None and instance._state.adding and instance.pk is None:
        instance._prepare_related_fields_for_save(operation_name="save")
        values = _values(instance, plan.fields, connection)
    if values is None:
        instance.save(force_insert=True, using=using)
        return
    with connection.cursor() as cursor:
        cursor.execute(plan.sql(), values)
        pk = cursor.fetchone()[0]
    mark_saved(instance, pk, using)


def instances_insert(instances: Sequence[M], using: str = "default") -> list[M]:
    """INSERT new instances of one model without parents in one statement."""
    if not instances:
        return list(instances)
    model = type(instances[0])
    connection = connections[using]
    plan = _plan(model, connection.vendor)
    rows = None
    if plan is not None and not plan.one_row_only:
        rows = []
        for instance in instances:
            instance._prepare_related_fields_for_save(operation_name="bulk_create")
            row = _values(instance, plan.fields, connection)
            if row is None or instance.pk is not None:
                rows = None
                break
            rows.append(row)
    if rows is None:
        return model._default_manager.using(using).bulk_create(instances)
    sql = plan.sql(len(rows))
    with connection.cursor() as cursor:
        cursor.execute(sql, [value for row in rows for value in row])
        pks = [row[0] for row in cursor.fetchall()]
    for instance, pk in zip(instances, pks, strict=True):
        mark_saved(instance, pk, using)
    return list(instances)


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
    if (_plan(model, connection.vendor) is None or not instance._state.adding
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
