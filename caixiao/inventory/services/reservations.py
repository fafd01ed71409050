"""Reservations: promising on-hand stock to document lines (sales order lines) without overselling.

``reserve_stock`` raises ``StockBalance.allocated`` with the conditional UPDATE of DESIGN.md,
``UPDATE … SET allocated = allocated + q WHERE on_hand >= allocated + q``, checking the row count,
line by line in balance-pk order: two orders touching the same products in any order never deadlock
and never take the same unit. ``release_reservation`` gives stock back, ``issue_reserved_stock``
ships it (on_hand and allocated both fall, with the cost of goods on the move)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import ROUND_DOWN, Decimal
from functools import reduce
from operator import or_
from typing import Any

from django.db import transaction
from django.db.models import Q
from django.db.models.functions import Now
from django.utils import timezone
from django.utils.translation import gettext as _

from caixiao.catalog.models import Product
from caixiao.core.money import QTY_DECIMAL_PLACES, QTY_MAX_DIGITS
from caixiao.core.retry import retry_on_conflict
from caixiao.core.rows import execute, insert_rows, saved
from caixiao.inventory import events, locks
from caixiao.inventory.enums import MoveKind, ReservationStatus, StockState
from caixiao.inventory.errors import InsufficientStock, ReservationExceeded, Shortage
from caixiao.inventory.models import Reservation, StockBalance, StockMove, Warehouse
from caixiao.inventory.references import Ref, Reference, as_ref
from caixiao.inventory.services.inputs import LineChecker
from caixiao.inventory.services.ledger import Move, balance_ids_for, column_plus, write_moves

ZERO = Decimal("0")


# Reserve ------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class ReserveRequest:
    product_id: int
    warehouse_id: int
    quantity: Decimal
    reference: Reference  # the document line the stock is promised to


@dataclass(frozen=True)
class ReserveResult:
    """Per request, in request order: ``reserved + shortage == request.quantity``."""

    request: ReserveRequest
    reserved: Decimal
    shortage: Decimal
    reservation: Reservation | None

    @property
    def complete(self) -> bool:
        return self.shortage == 0


@retry_on_conflict
def reserve_stock(*, requests: Sequence[ReserveRequest], allow_partial: bool, actor: Any,
                  checked: bool = False) -> list[ReserveResult]:
    """Reserve every line in one transaction.

    ``allow_partial=False`` (block): all lines are reserved in full, or ``InsufficientStock`` lists
    every short line and nothing is reserved. ``allow_partial=True``: each line takes what is
    available (down to the unit's decimals) and its result reports the shortage to backorder.

    ``checked=True``: the caller vouches that the products, warehouses and quantities were checked
    when its document was entered (a sales order's lines), so they are not loaded again; a line that
    falls short loads what its shortage report and partial take need."""
    checker = LineChecker()
    if not requests:
        checker.add(None, "requests", _("Add at least one line."))
    if not checked:
        checker.load(product_ids=(r.product_id for r in requests), warehouse_ids=(r.warehouse_id for r in requests))
    refs: dict[int, Ref] = {}
    for i, r in enumerate(requests):
        if not checked:
            product = checker.product(i, r.product_id)
            checker.warehouse(i, r.warehouse_id)
            checker.quantity(i, r.quantity, product=product, sign="positive")
        if (ref := as_ref(r.reference)) is None:
            checker.add(i, "reference", _("This field is required."))
        else:
            refs[i] = ref
    checker.raise_if_any()
    # A savepoint only where a failure is expected and must leave the caller's transaction clean
    # (block: a short line undoes the lines already reserved); a partial reservation never raises.
    with transaction.atomic(savepoint=not allow_partial):
        return _reserve_all(requests, refs, checker, allow_partial=allow_partial, actor=actor)


def _reserve_all(requests: Sequence[ReserveRequest], refs: dict[int, Ref], checker: LineChecker, *,
                 allow_partial: bool, actor: Any) -> list[ReserveResult]:
    balance_ids = balance_ids_for({(r.product_id, r.warehouse_id) for r in requests}, create=False)
    in_lock_order = sorted(range(len(requests)), key=lambda i: (balance_ids.get(_pair(requests[i]), 0), i))
    reserved: list[Decimal] = [ZERO] * len(requests)
    shortages: list[Shortage] = []
    for i in in_lock_order:
        reserved[i], shortage = _reserve_line(requests[i], balance_ids.get(_pair(requests[i])), checker,
                                              allow_partial=allow_partial)
        if shortage:
            shortages.append(shortage)
    if shortages and not allow_partial:
        raise InsufficientStock(shortages=shortages)

    actor_id = actor.pk if getattr(actor, "pk", None) else None
    now = timezone.now()
    values = [{"product_id": r.product_id, "warehouse_id": r.warehouse_id, "quantity": reserved[i],
               "quantity_consumed": ZERO, "quantity_released": ZERO, "status": ReservationStatus.OPEN,
               "reference_type_id": refs[i].content_type_id, "reference_id": refs[i].object_id,
               "reference_label": refs[i].label, "actor_id": actor_id, "created_at": now, "updated_at": now}
              for i, r in enumerate(requests) if reserved[i] > 0]
    # One plain multi-row INSERT (core/rows.py): the same row as bulk_create, without building the query.
    created = iter(saved(Reservation, pk, row) for pk, row in zip(insert_rows(Reservation, values), values, strict=True))
    results = [ReserveResult(request=r, reserved=reserved[i], shortage=r.quantity - reserved[i],
                             reservation=next(created) if reserved[i] > 0 else None)
               for i, r in enumerate(requests)]
    events.emit_reservations(events.STOCK_RESERVED, [r.reservation for r in results if r.reservation], actor=actor)
    return results


def _pair(request: ReserveRequest) -> tuple[int, int]:
    return (request.product_id, request.warehouse_id)


def _reserve_line(request: ReserveRequest, balance_id: int | None, checker: LineChecker, *,
                  allow_partial: bool) -> tuple[Decimal, Shortage | None]:
    """Reserve the whole quantity; when it is not free, read what is, under the lock, and take that
    if partial reservations are allowed. Returns what was reserved and the shortage, if any."""
    if balance_id is not None and _reserve(balance_id, request.quantity):
        return request.quantity, None
    if request.product_id not in checker.products:  # checked by the caller, not loaded yet
        checker.products.update(Product.objects.select_related("base_unit").in_bulk([request.product_id]))
    if request.warehouse_id not in checker.warehouses:
        checker.warehouses.update(Warehouse.objects.in_bulk([request.warehouse_id]))
    product, warehouse = checker.products[request.product_id], checker.warehouses[request.warehouse_id]
    available = ZERO if balance_id is None else locks.get_balance_for_update(balance_id=balance_id).available
    taken = ZERO
    if allow_partial and available > 0 and balance_id is not None:
        take = available.quantize(Decimal(1).scaleb(-product.base_unit.decimals), rounding=ROUND_DOWN)
        taken = take if take > 0 and _reserve(balance_id, take) else ZERO
    return taken, Shortage(product_id=product.pk, warehouse_id=warehouse.pk, requested=request.quantity,
                           available=available, product_code=product.code, warehouse_code=warehouse.code)


def _reserve(balance_id: int, quantity: Decimal) -> bool:
    """The conditional UPDATE: True when ``quantity`` was free and is now allocated.

    ``StockBalance.objects.filter(pk=…, on_hand__gte=column_plus("allocated", q)).update(allocated=
    column_plus("allocated", q), updated_at=…)`` written out once per database (the ORM would build and
    compile it on every line of every order: most of the cost of reserving; issue 3 item 8)."""
    connection = transaction.get_connection()
    sql = _RESERVE_SQL.get(connection.vendor)
    if sql is None:
        sql = _RESERVE_SQL.setdefault(connection.vendor, _reserve_sql(connection))
    delta = connection.ops.adapt_decimalfield_value(quantity, QTY_MAX_DIGITS, QTY_DECIMAL_PLACES)
    now = _UPDATED_AT.get_db_prep_save(timezone.now(), connection)
    return execute(sql, [delta, now, balance_id, delta], using=connection.alias).rowcount == 1


_RESERVE_SQL: dict[str, str] = {}
_UPDATED_AT = StockBalance._meta.get_field("updated_at")


def _reserve_sql(connection: Any) -> str:
    quote = connection.ops.quote_name
    # As the ORM renders column_plus(): SQLite computes decimals as doubles, cast like the ORM casts them.
    plus = ("CAST(ROUND(CAST(({allocated} + CAST(%s AS REAL)) AS NUMERIC), {places}) AS NUMERIC)"
            if connection.vendor == "sqlite" else "ROUND(({allocated} + %s), {places})")
    plus = plus.format(allocated=quote("allocated"), places=QTY_DECIMAL_PLACES)
    return (f"UPDATE {quote(StockBalance._meta.db_table)} SET {quote('allocated')} = {plus}, "  # noqa: S608
            f"{quote('updated_at')} = %s WHERE {quote('id')} = %s AND {quote('on_hand')} >= {plus}")


# Release ------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class ReleaseRequest:
    """Give back ``quantity`` (default: everything still reserved) of a document line's reservations,
    in one warehouse or in all of them."""

    reference: Reference
    quantity: Decimal | None = None
    warehouse_id: int | None = None


@retry_on_conflict
@transaction.atomic
def release_reservation(*, requests: Sequence[ReleaseRequest], actor: Any) -> list[Reservation]:
    """Release reservations (an order cancelled, a line reduced or closed); returns the rows changed.
    Releasing more than a line holds raises ``ReservationExceeded``; releasing everything of a line
    that holds nothing does nothing."""
    refs = [as_ref(r.reference) for r in requests]
    open_rows = _open_reservations(refs)
    checker = LineChecker()
    if not requests:
        checker.add(None, "requests", _("Add at least one line."))
    changed: dict[int, Reservation] = {}
    freed: dict[tuple[int, int], Decimal] = defaultdict(Decimal)
    for i, (request, ref) in enumerate(zip(requests, refs, strict=True)):
        rows = [row for row in open_rows if _matches(row, ref, request.warehouse_id)]
        quantity = _taken_quantity(checker, i, request.quantity, rows)
        if quantity is None:
            continue
        _check_reserved(ref, rows, quantity)
        for row, part in _spread(rows, quantity):
            row.quantity_released += part
            changed[row.pk] = row
            freed[(row.product_id, row.warehouse_id)] += part
    checker.raise_if_any()
    _save_reservations(changed.values(), "quantity_released")
    _lower_allocated(freed)
    released = list(changed.values())
    events.emit_reservations(events.STOCK_RELEASED, released, actor=actor)
    return released


# Issue reserved stock (ship) ---------------------------------------------------------------------------
@dataclass(frozen=True)
class IssueReservedRequest:
    """Ship ``quantity`` reserved for ``reservation_reference`` (the order line) from ``warehouse_id``,
    out of bin ``location_id`` (None: stock not in a bin); the move names ``reference`` (the delivery
    line; default: the order line)."""

    reservation_reference: Reference
    product_id: int
    warehouse_id: int
    quantity: Decimal
    location_id: int | None = None
    reference: Reference | None = None


@retry_on_conflict
@transaction.atomic
def issue_reserved_stock(*, requests: Sequence[IssueReservedRequest], reason: str = "",
                         actor: Any) -> list[StockMove]:
    """Consume reservations: per line an issue move (−quantity on hand, −quantity allocated) whose
    unit cost is the moving average of the moment, i.e. the cost of goods sold."""
    checker = LineChecker().load(product_ids=(r.product_id for r in requests),
                                 warehouse_ids=(r.warehouse_id for r in requests),
                                 location_ids=(r.location_id for r in requests))
    if not requests:
        checker.add(None, "requests", _("Add at least one line."))
    reason = checker.reason(reason)
    refs = [as_ref(r.reservation_reference) for r in requests]
    open_rows = _open_reservations(refs)
    changed: dict[int, Reservation] = {}
    moves = []
    for i, (request, ref) in enumerate(zip(requests, refs, strict=True)):
        product, warehouse = checker.product(i, request.product_id), checker.warehouse(i, request.warehouse_id)
        quantity = checker.quantity(i, request.quantity, product=product, sign="positive")
        location = checker.location(i, request.location_id, warehouse=warehouse, state=StockState.ON_HAND)
        if not (product and warehouse and quantity and ref):
            continue
        rows = [row for row in open_rows if _matches(row, ref, warehouse.pk) and row.product_id == product.pk]
        _check_reserved(ref, rows, quantity)
        for row, part in _spread(rows, quantity):
            row.quantity_consumed += part
            changed[row.pk] = row
        moves.append(Move(product=product, warehouse=warehouse, state=StockState.ON_HAND, quantity=-quantity,
                          location=location, from_allocation=True,
                          ref=as_ref(request.reference) or ref, group_key=i))
    checker.raise_if_any()
    _save_reservations(changed.values(), "quantity_consumed")
    posted = write_moves(moves, kind=MoveKind.ISSUE, reason=reason, actor=actor)
    events.emit_moves(events.STOCK_ISSUED, posted, actor=actor)
    return posted


# Shared -------------------------------------------------------------------------------------------------
def _open_reservations(refs: Iterable[Ref | None]) -> list[Reservation]:
    """The open reservations of ``refs``, locked in pk order (first in the locking order of locks.py)."""
    filters = [Q(reference_type_id=ref.content_type_id, reference_id=ref.object_id) for ref in set(refs) if ref]
    if not filters:
        return []
    return locks.lock_reservations(Reservation.objects.filter(reduce(or_, filters), status=ReservationStatus.OPEN))


def _matches(row: Reservation, ref: Ref | None, warehouse_id: int | None) -> bool:
    return (ref is not None and (row.reference_type_id, row.reference_id) == (ref.content_type_id, ref.object_id)
            and warehouse_id in (None, row.warehouse_id))


def _taken_quantity(checker: LineChecker, index: int, quantity: Decimal | None,
                    rows: list[Reservation]) -> Decimal | None:
    """The quantity asked for (checked against the reserved product's unit), or all that remains."""
    if quantity is None:
        return sum((row.remaining for row in rows), ZERO) or None
    product = rows[0].product if rows else None
    return checker.quantity(index, quantity, product=product, sign="positive")


def _check_reserved(ref: Ref | None, rows: list[Reservation], quantity: Decimal) -> None:
    """``rows`` already reflect the parts taken by earlier lines of the same request."""
    reserved = sum((row.remaining for row in rows), ZERO)
    if quantity > reserved:
        raise ReservationExceeded(reference_label=ref.label if ref else "", requested=quantity, reserved=reserved)


def _spread(rows: list[Reservation], quantity: Decimal) -> list[tuple[Reservation, Decimal]]:
    """Take ``quantity`` from the oldest reservations first."""
    parts = []
    for row in rows:
        part = min(row.remaining, quantity)
        if part > 0:
            parts.append((row, part))
            quantity -= part
    return parts


def _save_reservations(rows: Iterable[Reservation], field: str) -> None:
    for row in rows:
        row.status = ReservationStatus.OPEN if row.remaining > 0 else ReservationStatus.CLOSED
        row.save(update_fields=[field, "status", "updated_at"])


def _lower_allocated(freed: dict[tuple[int, int], Decimal]) -> None:
    balance_ids = balance_ids_for(set(freed), create=False)
    locks.lock_balances(balance_ids.values())
    shortages = []
    for pair, pk in sorted(balance_ids.items(), key=lambda item: item[1]):
        quantity = freed[pair]
        rows = StockBalance.objects.filter(pk=pk, allocated__gte=quantity)
        if not rows.update(allocated=column_plus("allocated", -quantity), updated_at=Now()):
            allocated = StockBalance.objects.values_list("allocated", flat=True).get(pk=pk)
            shortages.append(Shortage(product_id=pair[0], warehouse_id=pair[1], requested=quantity,
                                      available=allocated))
    if shortages:
        raise InsufficientStock(shortages=shortages)
