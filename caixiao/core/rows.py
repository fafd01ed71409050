"""Statements prepared once, for the hot paths (order entry, the outbox, the audit trail): issue 3
item 8, SPEC N5, decision D18.

The ORM builds and compiles every query each time it runs: 150–400 µs of Python for a read or write
the database does in 20 µs, which made up most of an order's cost. The functions here build their SQL
once per model and shape and keep the ORM's meaning: every value written is prepared as its field's
``get_db_prep_save`` prepares it (``_preparer``), every value read goes through its field's converters
and instances are built as ``from_db`` builds them (``_from_db``), so rows and instances are exactly
what the ORM would write and return (JSON, dates, decimals, on SQLite and PostgreSQL).

- ``insert_rows``: plain INSERTs of rows given as dicts (outbox events, deliveries, audit entries);
  no signals are sent, so only for models without receivers and no ``save()`` logic.
- ``insert`` / ``update``: ``save()`` of instances, signals included; a model with its own ``save()``
  is saved by it.
- ``select`` / ``get``: instances by an SQL condition, with ``select_related``-style joins and row locks.
- ``execute``: a hand-written statement (numbering, the conditional reservation UPDATE).

All of them run on a driver cursor kept per connection, with Django's error translation (``_execute``).

Everything else uses the ORM."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from inspect import getattr_static
from typing import Any, TypeVar

from django.db import DatabaseError, connections, models, router
from django.db.models import signals
from django.db.models.base import ModelState
from django.db.models.fields.related_descriptors import ForeignKeyDeferredAttribute
from django.db.models.query_utils import DeferredAttribute

M = TypeVar("M", bound=models.Model)


def execute(sql: str, params: Sequence[Any] = (), *, using: str = "default") -> Any:
    """Run a hand-written statement of a hot path (``%s`` parameters) on the kept cursor described in
    ``_execute``; returns the cursor: read its rows or ``rowcount`` at once, before the next statement."""
    return _execute(connections[using], sql, params)


def _execute(connection: Any, sql: str, params: Sequence[Any]) -> Any:
    """Run one of this module's statements and return the cursor that ran it (read it at once).

    Django's ``connection.cursor()`` builds a wrapper around a new driver cursor for every statement
    (thread check, health check, debug switch; ~7 µs, about a fifth of a prepared read). Here the
    backend's own cursor (``create_cursor``: the same placeholder and time zone handling) is kept for
    the life of the driver connection, and what Django's wrapper does for a statement is kept too: the
    broken-transaction check and the translation of driver errors into ``django.db`` errors. When
    anything watches statements (query logging under DEBUG or ``CaptureQueriesContext``, an
    ``execute_wrapper``), Django's cursor runs them, so they are seen as every other statement is."""
    if connection.queries_logged or connection.execute_wrappers:
        cursor = connection.cursor()
        cursor.execute(sql, params)
        return cursor
    if connection.connection is None:
        connection.ensure_connection()
    kept = connection.__dict__.get("_rows_cursor")
    if kept is None or kept[0] is not connection.connection:
        kept = connection.__dict__["_rows_cursor"] = (connection.connection, connection.create_cursor())
    connection.validate_no_broken_transaction()
    cursor = kept[1]
    with connection.wrap_database_errors:
        cursor.execute(sql, params)
    return cursor


_STATEMENTS: dict[tuple[Any, ...], tuple[str, tuple[Prepare, ...]]] = {}
MAX_PARAMETERS = 999


def _statement(model: type[models.Model], columns: tuple[str, ...], rows: int, connection: Any,
               returning: bool) -> tuple[str, tuple[Prepare, ...]]:
    key = (model, columns, rows, connection.vendor, returning)
    if key not in _STATEMENTS:
        _STATEMENTS[key] = _build(model, columns, rows, connection.ops.quote_name, returning)
    return _STATEMENTS[key]


def _build(model: type[models.Model], columns: tuple[str, ...], rows: int, quote: Any,
           returning: bool) -> tuple[str, tuple[Prepare, ...]]:
    fields = tuple(_concrete(model, name) for name in columns)
    names = ", ".join(quote(f.column) for f in fields)
    values = ", ".join([f"({', '.join(['%s'] * len(fields))})"] * rows)
    # Identifiers come from the model's meta, values are parameters.
    sql = f"INSERT INTO {quote(model._meta.db_table)} ({names}) VALUES {values}"  # noqa: S608
    if returning:
        sql += f" RETURNING {quote(model._meta.pk.column)}"
    return sql, tuple(_preparer(f) for f in fields)


Prepare = Callable[[Any, Any], Any]  # (value, connection) -> the value the driver is given
_PREPARED_TYPES: dict[type[models.Field], type] = {
    models.CharField: str, models.TextField: str, models.DecimalField: Decimal, models.DateTimeField: datetime,
    **dict.fromkeys((models.IntegerField, models.BigIntegerField, models.SmallIntegerField, models.PositiveIntegerField,
                     models.PositiveBigIntegerField, models.PositiveSmallIntegerField, models.AutoField,
                     models.BigAutoField, models.SmallAutoField), int),
}


def _preparer(field: models.Field) -> Prepare:
    """``field.get_db_prep_save`` as a function of (value, connection). A value that already has the
    field's Python type (``str`` for text, ``int`` for integers and keys, ``Decimal``, an aware
    ``datetime``) is what ``get_prep_value`` returns it as, so it goes straight to the backend's
    adaptation, ``get_db_prep_value(…, prepared=True)``; 1–4 µs less a value (an order writes some 150).
    Any other value, and fields of other classes, take Django's whole path."""
    target = field.target_field if isinstance(field, models.ForeignKey) else field
    python_type: Any = _PREPARED_TYPES.get(type(target))
    slow = field.get_db_prep_save
    if python_type is None:
        return slow
    adapt = target.get_db_prep_value
    auto = isinstance(target, models.AutoField | models.BigAutoField | models.SmallAutoField)
    naive_unwanted = python_type is datetime  # a naive datetime takes Django's path (its warning)

    def prepare(value: Any, connection: Any) -> Any:
        if type(value) is not python_type or (naive_unwanted and value.tzinfo is None):
            return slow(value, connection)
        if auto:
            value = connection.ops.validate_autopk_value(value)
        return adapt(value, connection, prepared=True)

    return prepare


def _concrete(model: type[models.Model], name: str) -> models.Field:
    field = model._meta.get_field(name)
    if not isinstance(field, models.Field) or not field.concrete:
        raise ValueError(f"{model.__name__}.{name} is not a column")
    return field


def insert_rows(model: type[models.Model], rows: Sequence[Mapping[str, Any]], *, returning: bool = True) -> list[Any]:
    """Insert ``rows`` (field name or attname → value; every row names the same fields), one
    statement per ``_batch`` rows; returns the new primary keys in row order when ``returning``."""
    if not rows:
        return []
    connection = connections[router.db_for_write(model)]
    columns = tuple(rows[0])
    pks: list[Any] = []
    for batch in _batches(rows, len(columns)):
        sql, preps = _statement(model, columns, len(batch), connection, returning)
        params = [prepare(row[name], connection) for row in batch for name, prepare in zip(columns, preps, strict=True)]
        cursor = _execute(connection, sql, params)
        pks += [pk for (pk,) in cursor.fetchall()] if returning else []
    return pks


def _batches(items: Sequence[Any], columns: int) -> list[Sequence[Any]]:
    """Rows per INSERT: at most 999 parameters (SQLite's historical limit, well under PostgreSQL's), so
    a statement is prepared for each of a bounded number of row counts."""
    size = max(1, MAX_PARAMETERS // max(columns, 1))
    return [items[start:start + size] for start in range(0, len(items), size)]


_SAVED: dict[tuple[Any, ...], tuple[tuple[str, ...], tuple[tuple[str | None, models.Field], ...]] | None] = {}


def saved(model: type[models.Model], pk: Any, values: Mapping[str, Any], *, using: str = "default") -> Any:
    """The instance of a row written by ``insert_rows``, as ``objects.create`` would have returned it:
    built as ``from_db`` builds a row read (``_from_db``) when ``values`` name relations by their
    ``_id`` attribute, else by ``model(**values)``."""
    key = (model, tuple(values))
    if key not in _SAVED:
        given = {_concrete(model, name).attname: name for name in values}
        positional = all(given[_concrete(model, name).attname] == _concrete(model, name).attname for name in values)
        fields = model._meta.concrete_fields
        _SAVED[key] = (tuple(f.attname for f in fields), tuple((given.get(f.attname), f) for f in fields)
                       ) if positional else None
    plan = _SAVED[key]
    if plan is None:
        obj = model(pk=pk, **values)
        obj._state.adding = False
        obj._state.db = using
        return obj
    attnames, sources = plan
    return _from_db(model, using, attnames, [pk if f.primary_key else values[name] if name is not None
                                             else f.get_default() for name, f in sources])


_PLAIN: dict[type[models.Model], bool] = {}
_PLAIN_DESCRIPTORS = (DeferredAttribute, ForeignKeyDeferredAttribute)  # they only store what is set


def _from_db(model: type[M], db: str, attnames: Sequence[str], values: Sequence[Any]) -> M:
    """``model.from_db(db, attnames, values)``: an instance of a row read (fields left out are deferred).

    ``Model.__init__`` sets each value through its attribute's descriptor and sends ``pre_init`` and
    ``post_init``; for a model whose attributes are Django's plain field descriptors (they only store the
    value), which keeps Django's ``__init__`` and ``from_db``, and while no receiver listens to those
    signals, the values are stored directly: the same ``__dict__``, a third of the time. Every other
    model is built by ``from_db``."""
    plain = _PLAIN.get(model)
    if plain is None:
        plain = _PLAIN[model] = (
            model.__init__ is models.Model.__init__
            and model.from_db.__func__ is models.Model.from_db.__func__  # type: ignore[attr-defined]
            and all(type(getattr_static(model, f.attname, None)) in _PLAIN_DESCRIPTORS
                    for f in model._meta.concrete_fields))
    if not plain or signals.pre_init.receivers or signals.post_init.receivers:
        return model.from_db(db, attnames, values)
    obj = model.__new__(model)
    state = ModelState()
    state.adding = False
    state.db = db
    found = obj.__dict__
    found["_state"] = state
    found.update(zip(attnames, values, strict=True))
    return obj


# Reads ------------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class _Part:
    """One model of a SELECT's row: where its columns are and how each value is converted."""

    model: type[models.Model]
    start: int
    attnames: tuple[str, ...]
    converters: tuple[tuple[int, tuple[Any, ...], Any], ...]  # (column index, converters, expression)
    field: models.ForeignKey | None = None  # the relation of the first model it hangs from


@dataclass(frozen=True)
class _Select:
    sql: str
    parts: tuple[_Part, ...]
    annotations: tuple[str, ...]


_SELECTS: dict[tuple[Any, ...], _Select] = {}
IN_BATCH = 1024  # values per IN list and statement (SQLite allows 32,766 parameters, PostgreSQL 65,535)


def _padded(size: int) -> int:
    return size if size <= 4 else 1 << (size - 1).bit_length()


def select(model: type[M], where: str = "", params: Sequence[Any] = (), *, related: Sequence[str] = (),
           annotate: Mapping[str, str] | None = None, only: Sequence[str] = (), order_by: str = "",
           limit: int | None = None, for_update: bool = False, using: str | None = None) -> list[M]:
    """Instances of ``model`` whose rows match ``where``, an SQL condition over the table's columns with
    ``%s`` parameters (a list, tuple or set parameter expands to ``(%s, %s, …)`` for ``IN %s``; over
    ``IN_BATCH`` values, one statement per batch).

    The read counterpart of ``insert_rows``: the statement is built once per model and shape and every
    value goes through its field's converters, so the instances are those the ORM would return.
    ``related``: foreign keys of ``model`` read in the same statement (``select_related``), joined as
    ``r1``, ``r2`` … (qualify ``where`` columns with the table's name when joining). ``annotate``: name →
    SQL expression set as an attribute (its ``%s`` parameters come first in ``params``). ``only``: read
    these fields of ``model`` alone (the primary key always), the others deferred as ``QuerySet.only``
    defers them. ``for_update``:
    ``FOR NO KEY UPDATE OF`` the model's rows where the database has row locks (PostgreSQL; SQLite's
    IMMEDIATE transactions already serialise writers). Use it on hot paths; the ORM everywhere else.
    Write constants into ``where`` rather than passing them: SQLite plans a statement again on every
    run when a parameter may decide whether a partial index applies."""
    db = using or (router.db_for_write(model) if for_update else router.db_for_read(model))
    connection = connections[db]
    params = [sorted(p) if isinstance(p, set | frozenset) else p for p in params]
    for index, param in enumerate(params):
        if isinstance(param, list | tuple) and len(param) > IN_BATCH:
            if order_by or limit is not None:
                raise ValueError(f"more than {IN_BATCH} values for IN with ORDER BY or LIMIT")
            return [obj for start in range(0, len(param), IN_BATCH) for obj in select(
                model, where, [*params[:index], param[start:start + IN_BATCH], *params[index + 1:]],
                related=related, annotate=annotate, only=only, for_update=for_update, using=db)]
    # A list is padded (its last value repeated) to a power of two: a bounded number of statements.
    params = [[*p, *[p[-1]] * (_padded(len(p)) - len(p))] if isinstance(p, list | tuple) and p else p
              for p in params]
    shape = tuple(len(p) if isinstance(p, list | tuple) else None for p in params)
    lock = for_update and connection.features.has_select_for_update
    key = (model, where, shape, tuple(related), tuple(annotate or {}.items()), tuple(only), order_by, limit, lock,
           connection.vendor)
    statement = _SELECTS.get(key)
    if statement is None:
        statement = _SELECTS[key] = _build_select(model, where, shape, related, annotate or {}, only, order_by,
                                                  limit, lock, connection)
    flat: list[Any] = []
    for param in params:
        if isinstance(param, list | tuple):
            flat.extend(param)
        else:
            flat.append(param)
    found = _execute(connection, statement.sql, flat).fetchall()
    return [_instance(statement, row, connection, db) for row in found]


def get(model: type[M], pk: Any, *, related: Sequence[str] = (), for_update: bool = False) -> M:
    """The instance with primary key ``pk`` (``model.DoesNotExist`` if there is none); see ``select``."""
    table = connections[router.db_for_read(model)].ops.quote_name(model._meta.db_table)
    column = f"{table}.{model._meta.pk.column}" if related else model._meta.pk.column
    found = select(model, f"{column} = %s", [pk], related=related, for_update=for_update)
    if not found:
        raise model.DoesNotExist(f"{model.__name__} {pk} does not exist")  # type: ignore[attr-defined]
    return found[0]


def _build_select(model: type[models.Model], where: str, shape: tuple[int | None, ...], related: Sequence[str],
                  annotate: Mapping[str, str], only: Sequence[str], order_by: str, limit: int | None, lock: bool,
                  connection: Any) -> _Select:
    quote = connection.ops.quote_name
    table = quote(model._meta.db_table)
    columns: list[str] = []
    parts: list[_Part] = []
    joins: list[str] = []

    def add(part_model: type[models.Model], alias: str, field: models.ForeignKey | None,
            only: Sequence[str] = ()) -> None:
        fields: Sequence[models.Field] = part_model._meta.concrete_fields
        if only:
            chosen = {part_model._meta.pk.attname} | {_concrete(part_model, name).attname for name in only}
            fields = [f for f in fields if f.attname in chosen]
        start = len(columns)
        converters = []
        for i, f in enumerate(fields):
            columns.append(f"{alias}.{quote(f.column)}")
            col = f.get_col(alias)
            found = connection.ops.get_db_converters(col) + col.get_db_converters(connection)
            if found:
                converters.append((start + i, tuple(found), col))
        parts.append(_Part(part_model, start, tuple(f.attname for f in fields), tuple(converters), field))

    add(model, table, None, only)
    for n, name in enumerate(related, start=1):
        field = model._meta.get_field(name)
        if not isinstance(field, models.ForeignKey):
            raise ValueError(f"{model.__name__}.{name} is not a foreign key")
        target = field.related_model
        assert isinstance(target, type)
        alias = f"r{n}"
        joins.append(f" LEFT JOIN {quote(target._meta.db_table)} {alias} ON {alias}.{quote(field.target_field.column)}"
                     f" = {table}.{quote(field.column)}")
        add(target, alias, field)
    columns += list(annotate.values())
    condition = where
    for size in shape:  # expand each list parameter's %s, left to right
        if size is not None:
            head, _sep, tail = condition.partition("IN %s")
            if not _sep:
                raise ValueError(f"a list parameter needs 'IN %s' in {where!r}")
            condition = f"{head}IN ({', '.join(['%s'] * size) or 'NULL'}){tail}"
    # Identifiers come from the model's meta and the caller's code, values are parameters.
    sql = f"SELECT {', '.join(columns)} FROM {table}{''.join(joins)}"  # noqa: S608
    if condition:
        sql += f" WHERE {condition}"
    if order_by:
        sql += f" ORDER BY {order_by}"
    if limit is not None:
        sql += f" LIMIT {int(limit)}"
    if lock:
        sql += f" FOR NO KEY UPDATE OF {table}"
    return _Select(sql, tuple(parts), tuple(annotate))


def _instance(statement: _Select, row: tuple[Any, ...], connection: Any, db: str) -> Any:
    values = list(row)
    objects: list[Any] = []
    for part in statement.parts:
        for index, converters, expression in part.converters:
            for converter in converters:
                values[index] = converter(values[index], expression, connection)
        own = values[part.start:part.start + len(part.attnames)]
        if part.field is None:
            objects.append(_from_db(part.model, db, part.attnames, own))
        else:
            related = _from_db(part.model, db, part.attnames, own) if own[0] is not None else None
            part.field.set_cached_value(objects[0], related)
    obj = objects[0]
    for i, name in enumerate(statement.annotations, start=len(values) - len(statement.annotations)):
        setattr(obj, name, values[i])
    return obj


# Writes of whole instances ----------------------------------------------------------------------------------
def insert(*objs: models.Model) -> None:
    """``obj.save()`` of new instances of one model, as one prepared INSERT: defaults and ``auto_now``
    fields set and ``pre_save``/``post_save`` sent as ``save()`` does (history receivers work), each
    new primary key set on its instance. Models with their own ``save()`` are saved by it."""
    if not objs:
        return
    model = type(objs[0])
    if _own_save(model):
        for obj in objs:
            obj.save()
        return
    connection = connections[router.db_for_write(model)]
    for obj in objs:
        signals.pre_save.send(sender=model, instance=obj, raw=False, using=connection.alias, update_fields=None)
    fields = tuple(f for f in model._meta.concrete_fields if not f.primary_key or objs[0].pk is not None)
    pks: list[Any] = []
    for batch in _batches(objs, len(fields)):
        sql, preps = _statement(model, tuple(f.attname for f in fields), len(batch), connection, True)
        params = [prepare(f.pre_save(obj, True), connection) for obj in batch
                  for f, prepare in zip(fields, preps, strict=True)]
        pks += [pk for (pk,) in _execute(connection, sql, params).fetchall()]
    for obj, pk in zip(objs, pks, strict=True):
        obj.pk = pk
        obj._state.adding = False
        obj._state.db = connection.alias
        signals.post_save.send(sender=model, instance=obj, created=True, update_fields=None, raw=False,
                               using=connection.alias)


_UPDATES: dict[tuple[Any, ...], tuple[str, tuple[models.Field, ...], tuple[Prepare, ...]]] = {}


def update(obj: models.Model, fields: Sequence[str]) -> None:
    """``obj.save(update_fields=fields)`` as one prepared UPDATE by primary key (an ``auto_now`` field
    among ``fields`` is set, the signals sent, as ``save()`` does). Models with their own ``save()``
    are saved by it."""
    model = type(obj)
    if _own_save(model):
        obj.save(update_fields=fields)
        return
    connection = connections[router.db_for_write(model)]
    key = (model, tuple(fields), connection.vendor)
    if key not in _UPDATES:
        quote: Any = connection.ops.quote_name
        chosen = [_concrete(model, name) for name in fields]
        assignments = ", ".join(f"{quote(f.column)} = %s" for f in chosen)
        # Identifiers come from the model's meta, values are parameters.
        _UPDATES[key] = (f"UPDATE {quote(model._meta.db_table)} SET {assignments} "  # noqa: S608
                         f"WHERE {quote(model._meta.pk.column)} = %s", tuple(chosen),
                         tuple(_preparer(f) for f in chosen))
    sql, chosen_fields, preps = _UPDATES[key]
    update_fields = frozenset(fields)
    signals.pre_save.send(sender=model, instance=obj, raw=False, using=connection.alias, update_fields=update_fields)
    params = [prepare(f.pre_save(obj, False), connection) for f, prepare in zip(chosen_fields, preps, strict=True)]
    if _execute(connection, sql, [*params, obj.pk]).rowcount != 1:  # as save(update_fields=…) does
        raise DatabaseError(f"{model.__name__} {obj.pk}: the update did not affect one row")
    signals.post_save.send(sender=model, instance=obj, created=False, update_fields=update_fields, raw=False,
                           using=connection.alias)


def _own_save(model: type[models.Model]) -> bool:
    """A model's own ``save()`` (or a parent table, which ``save()`` writes first) is left to ``save()``."""
    return model.save is not models.Model.save or bool(model._meta.parents)


def prefetched(obj: models.Model, name: str, objects: Sequence[models.Model]) -> None:
    """Make ``obj.<name>.all()`` (a reverse foreign key) return ``objects``, read by ``select``, as
    ``prefetch_related`` does: the relation's own queryset holding them (so ``.filter()`` on it still
    queries the relation's rows only), and each object's foreign key to ``obj`` set."""
    relation = type(obj)._meta.get_field(name)
    assert isinstance(relation, models.ManyToOneRel)
    cache = obj.__dict__.setdefault("_prefetched_objects_cache", {})
    cache.pop(relation.cache_name, None)
    queryset = getattr(obj, relation.get_accessor_name() or name).get_queryset()
    queryset._result_cache = list(objects)
    queryset._prefetch_done = True
    for item in objects:
        relation.field.set_cached_value(item, obj)
    cache[relation.cache_name] = queryset
