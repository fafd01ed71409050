"""Plain INSERTs for the plumbing rows every use case writes (outbox events, their deliveries, audit
entries): issue 3 item 8, SPEC N5.

``Model.objects.create`` builds and compiles a query each time (about 150 µs a row here), more than
the statement itself costs the database. ``insert_rows`` writes the same row with SQL prepared once
per model and column list; every value still goes through its field's ``get_db_prep_save``, so it is
stored exactly as the ORM would store it (JSON, dates, decimals, on SQLite and PostgreSQL). No model
signals are sent: use it only for models that have no receivers (no history, no ``save()`` logic)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from django.db import connections, models, router

_STATEMENTS: dict[tuple[Any, ...], tuple[str, tuple[models.Field, ...]]] = {}


def _statement(model: type[models.Model], columns: tuple[str, ...], rows: int, connection: Any,
               returning: bool) -> tuple[str, tuple[models.Field, ...]]:
    key = (model, columns, rows, connection.vendor, returning)
    if key not in _STATEMENTS:
        _STATEMENTS[key] = _build(model, columns, rows, connection.ops.quote_name, returning)
    return _STATEMENTS[key]


def _build(model: type[models.Model], columns: tuple[str, ...], rows: int, quote: Any,
           returning: bool) -> tuple[str, tuple[models.Field, ...]]:
    fields = tuple(_concrete(model, name) for name in columns)
    names = ", ".join(quote(f.column) for f in fields)
    values = ", ".join([f"({', '.join(['%s'] * len(fields))})"] * rows)
    # Identifiers come from the model's meta, values are parameters.
    sql = f"INSERT INTO {quote(model._meta.db_table)} ({names}) VALUES {values}"  # noqa: S608
    if returning:
        sql += f" RETURNING {quote(model._meta.pk.column)}"
    return sql, fields


def _concrete(model: type[models.Model], name: str) -> models.Field:
    field = model._meta.get_field(name)
    if not isinstance(field, models.Field) or not field.concrete:
        raise ValueError(f"{model.__name__}.{name} is not a column")
    return field


def insert_rows(model: type[models.Model], rows: Sequence[Mapping[str, Any]], *, returning: bool = True) -> list[Any]:
    """Insert ``rows`` (field name or attname → value; every row names the same fields) in one
    statement; returns the new primary keys in row order when ``returning``."""
    if not rows:
        return []
    connection = connections[router.db_for_write(model)]
    columns = tuple(rows[0])
    sql, fields = _statement(model, columns, len(rows), connection, returning)
    params = [field.get_db_prep_save(row[name], connection)
              for row in rows for name, field in zip(columns, fields, strict=True)]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return [pk for (pk,) in cursor.fetchall()] if returning else []


def saved(model: type[models.Model], pk: Any, values: Mapping[str, Any], *, using: str = "default") -> Any:
    """The instance of a row written by ``insert_rows``, as ``objects.create`` would have returned it."""
    obj = model(pk=pk, **values)
    obj._state.adding = False
    obj._state.db = using
    return obj
