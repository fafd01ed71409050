"""The one place that writes stock moves: ``post_moves`` (public) and ``write_moves`` (for the other
inventory services, which check their own input first).

Within the caller's transaction it
1. locks the ProductCost rows of the products moving in or out (by product id),
2. creates missing StockBalance rows and locks all affected ones (by pk),
3. applies the net change of each balance row in one conditional UPDATE and checks its row count:
   a state never goes below zero and on-hand stock not reserved is the only stock a plain outbound
   move may take (``allocated <= on_hand``); a failing row becomes a ``Shortage``,
4. does the same for the bin rows (BinBalance; the row without a bin is stock not put away),
5. moves the moving average cost with the receipts, and
6. inserts the StockMove rows, each with its unit cost.

Every balance update rounds in SQL to the stored 6 places (``ROUND(x, 6)``): on SQLite, decimals are
doubles and ``0.1 + 0.2`` would otherwise be stored as ``0.30000000000000004`` and then fail the
``allocated <= on_hand`` check against an on-hand of ``0.3``."""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.db.models import DecimalField, Expression, F, Q, Value
from django.db.models.functions import Now, Round
from django.utils.translation import gettext as _

from caixiao.catalog.models import Product
from caixiao.core import rows
from caixiao.core.fields import QtyField
from caixiao.core.money import QTY_DECIMAL_PLACES, quantize_price
from caixiao.core.retry import retry_on_conflict
from caixiao.inventory import locks
from caixiao.inventory.enums import INTERNAL_KINDS, STATE_COLUMNS, MoveKind, StockState
from caixiao.inventory.errors import InsufficientStock, Shortage
from caixiao.inventory.models import BinBalance, Location, ProductCost, StockBalance, StockMove, Warehouse
from caixiao.inventory.references import Ref, Reference, as_ref
from caixiao.inventory.services.inputs import LineChecker
from caixiao.inventory.valuation import moving_average

ZERO = Decimal("0")
ALLOCATED = "allocated"
Pair = tuple[int, int]  # (product_id, warehouse_id)
BinKey = tuple[int, int, int | None]  # (product_id, warehouse_id, location_id or None)


@dataclass(frozen=True)
class MoveRequest:
    """One move for ``post_moves``: a signed quantity (base unit) into (+) or out of (−) a state.

    ``unit_cost`` is given for stock coming in at a known cost (a receipt); moves without one carry
    the product's moving average. ``from_allocation`` marks an on-hand move out of reserved stock: the
    same quantity leaves ``allocated``. Moves with the same ``group_key`` share one move group."""

    product_id: int
    warehouse_id: int
    state: str
    quantity: Decimal
    location_id: int | None = None
    unit_cost: Decimal | None = None
    from_allocation: bool = False
    reference: Reference | None = None
    group_key: int = 0


@dataclass(frozen=True)
class Move:
    """A checked move: what the services hand to ``write_moves``."""

    product: Product
    warehouse: Warehouse
    state: str
    quantity: Decimal
    location: Location | None = None
    unit_cost: Decimal | None = None
    from_allocation: bool = False
    ref: Ref | None = None
    group_key: int = 0

    @property
    def pair(self) -> Pair:
        return (self.product.pk, self.warehouse.pk)

    @property
    def bin_key(self) -> BinKey:
        return (self.product.pk, self.warehouse.pk, self.location.pk if self.location else None)


@retry_on_conflict
@transaction.atomic
def post_moves(*, requests: Sequence[MoveRequest], kind: str, reason: str = "", actor: Any) -> list[StockMove]:
    """Write ``requests`` as stock moves of one ``kind`` and keep every balance in step, all or nothing.

    Raises ``ValidationFailed`` for bad input and ``InsufficientStock`` when a state, a bin or the
    unreserved on-hand stock would go below zero. Prefer the named services (``receive_stock``,
    ``change_state`` …); this is the building block they share."""
    moves, reason = check_move_requests(requests, kind=kind, reason=reason)
    posted = write_moves(moves, kind=kind, reason=reason, actor=actor)
    return posted


def check_move_requests(requests: Sequence[MoveRequest], *, kind: str, reason: str) -> tuple[list[Move], str]:
    checker = LineChecker().load(product_ids=(r.product_id for r in requests),
                                 warehouse_ids=(r.warehouse_id for r in requests),
                                 location_ids=(r.location_id for r in requests))
    if kind not in MoveKind.values:
        checker.add(None, "kind", _("Choose one of: %(choices)s.") % {"choices": ", ".join(MoveKind.values)})
    if not requests:
        checker.add(None, "requests", _("Add at least one line."))
    reason = checker.reason(reason)
    moves = []
    for i, request in enumerate(requests):
        product = checker.product(i, request.product_id)
        warehouse = checker.warehouse(i, request.warehouse_id)
        state = checker.state(i, request.state)
        quantity = checker.quantity(i, request.quantity, product=product, sign="nonzero")
        location = checker.location(i, request.location_id, warehouse=warehouse, state=state or "")
        unit_cost = None if request.unit_cost is None else checker.unit_cost(i, request.unit_cost)
        if request.unit_cost is not None and (kind in INTERNAL_KINDS or (quantity or ZERO) < 0):
            checker.add(i, "unit_cost", _("A unit cost is given only for stock coming in."))
        if request.from_allocation and (state != StockState.ON_HAND or (quantity or ZERO) > 0):
            checker.add(i, "from_allocation", _("Only on-hand stock going out is taken from reservations."))
        if product and warehouse and state and quantity is not None:
            moves.append(Move(product=product, warehouse=warehouse, state=state, quantity=quantity,
                              location=location, unit_cost=unit_cost, from_allocation=request.from_allocation,
                              ref=as_ref(request.reference), group_key=request.group_key))
    if kind in INTERNAL_KINDS and not _balanced(moves):
        checker.add(None, "requests", _("The moves of a transfer or state change must add up to zero."))
    checker.raise_if_any()
    return moves, reason


def _balanced(moves: Iterable[Move]) -> bool:
    totals: dict[tuple[int, int], Decimal] = defaultdict(Decimal)
    for move in moves:
        totals[(move.group_key, move.product.pk)] += move.quantity
    return not any(totals.values())


def write_moves(moves: Sequence[Move], *, kind: str, reason: str, actor: Any) -> list[StockMove]:
    """Post checked moves inside the caller's transaction (see the module docstring for the steps)."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("write_moves() must run inside the service's transaction")
    external = kind not in INTERNAL_KINDS
    product_ids = sorted({m.product.pk for m in moves})
    if external:
        _ensure_costs(moves)
        locks.lock_costs(product_ids)
    averages = dict(ProductCost.objects.filter(pk__in=product_ids).values_list("pk", "average_cost"))
    receipts_with_cost = external and any(m.unit_cost is not None for m in moves)
    valued_before = _valued_quantities(product_ids) if receipts_with_cost else {}
    balance_ids = balance_ids_for({m.pair for m in moves}, create=True)
    locks.lock_balances(balance_ids.values())
    _apply_balance_changes(moves, balance_ids)
    _apply_bin_changes(moves)
    if receipts_with_cost:
        _update_averages(moves, averages, valued_before)
    groups: dict[int, uuid.UUID] = defaultdict(uuid.uuid4)
    actor_id = actor.pk if getattr(actor, "pk", None) else None
    return StockMove.objects.bulk_create([
        StockMove(product_id=m.product.pk, warehouse_id=m.warehouse.pk,
                  location_id=m.location.pk if m.location else None, state=m.state, quantity=m.quantity,
                  unit_cost=_unit_cost(m, averages), kind=kind, group=groups[m.group_key],
                  reference_type_id=m.ref.content_type_id if m.ref else None,
                  reference_id=m.ref.object_id if m.ref else None, reference_label=m.ref.label if m.ref else "",
                  reason=reason, actor_id=actor_id)
        for m in moves
    ])


# Valuation ------------------------------------------------------------------------------------------
def _ensure_costs(moves: Sequence[Move]) -> None:
    """A product's first cost row starts at its purchase price, the cost of stock found without one."""
    products = {m.product.pk: m.product for m in moves}
    existing = set(ProductCost.objects.filter(pk__in=products).values_list("pk", flat=True))
    missing = [ProductCost(product_id=pk, average_cost=p.purchase_price) for pk, p in sorted(products.items())
               if pk not in existing]  # inserted in key order, like every lock: no deadlock between inserts
    if missing:
        ProductCost.objects.bulk_create(missing, ignore_conflicts=True)


def _valued_quantities(product_ids: Sequence[int]) -> dict[int, Decimal]:
    """Stock of every state in every warehouse per product, summed exactly in Python."""
    totals: dict[int, Decimal] = defaultdict(Decimal)
    for product_id, *columns in StockBalance.objects.filter(product_id__in=product_ids).values_list(
            "product_id", *STATE_COLUMNS):
        totals[product_id] += sum(columns, ZERO)
    return totals


def _unit_cost(move: Move, averages: dict[int, Decimal]) -> Decimal:
    if move.unit_cost is not None:
        return quantize_price(move.unit_cost)
    return quantize_price(averages.get(move.product.pk, move.product.purchase_price))


def _update_averages(moves: Sequence[Move], averages: dict[int, Decimal], valued_before: dict[int, Decimal]) -> None:
    receipts: dict[int, list[tuple[Decimal, Decimal]]] = defaultdict(list)
    for move in moves:
        if move.unit_cost is not None and move.quantity > 0:
            receipts[move.product.pk].append((move.quantity, quantize_price(move.unit_cost)))
    for product_id, received in receipts.items():
        average = moving_average(quantity=valued_before.get(product_id, ZERO), average=averages[product_id],
                                 receipts=received)
        if average != averages[product_id]:
            ProductCost.objects.filter(pk=product_id).update(average_cost=average, updated_at=Now())


# Warehouse balances -------------------------------------------------------------------------------------
def _rounded(expression: Expression | F) -> Round:
    return Round(expression, QTY_DECIMAL_PLACES, output_field=QtyField())


def column_plus(column: str, delta: Decimal) -> Round:
    return _rounded(F(column) + Value(delta, output_field=DecimalField()))


def balance_ids_for(pairs: set[Pair], *, create: bool) -> dict[Pair, int]:
    """The StockBalance pk of each (product, warehouse); missing rows are inserted when ``create``."""
    found = _find_balances(pairs)
    missing = pairs - found.keys()
    if missing and create:
        StockBalance.objects.bulk_create([StockBalance(product_id=p, warehouse_id=w) for p, w in sorted(missing)],
                                         ignore_conflicts=True)
        found |= _find_balances(missing)
    return found


def _find_balances(pairs: set[Pair]) -> dict[Pair, int]:
    if not pairs:
        return {}
    found = rows.select(StockBalance, "product_id IN %s AND warehouse_id IN %s",
                        [{p for p, _w in pairs}, {w for _p, w in pairs}], only=("product_id", "warehouse_id"))
    return {(b.product_id, b.warehouse_id): b.pk for b in found if (b.product_id, b.warehouse_id) in pairs}


def _apply_balance_changes(moves: Sequence[Move], balance_ids: dict[Pair, int]) -> None:
    changes: dict[int, dict[str, Decimal]] = defaultdict(lambda: defaultdict(Decimal))
    first_move: dict[int, Move] = {}
    for move in moves:
        pk = balance_ids[move.pair]
        changes[pk][move.state] += move.quantity
        if move.from_allocation:
            changes[pk][ALLOCATED] += move.quantity
        first_move.setdefault(pk, move)
    shortages: list[Shortage] = []
    for pk in sorted(changes):
        if not _update_balance(pk, changes[pk]):
            shortages += _balance_shortages(pk, changes[pk], first_move[pk])
    if shortages:
        raise InsufficientStock(shortages=shortages)


def _unreserved_take(change: dict[str, Decimal]) -> Decimal:
    """How much of an on-hand decrease is not covered by reservations released with it."""
    return change[ALLOCATED] - change[StockState.ON_HAND]


def _update_balance(pk: int, change: dict[str, Decimal]) -> bool:
    """One conditional UPDATE: True when the row took the change without any column going negative."""
    conditions = Q(pk=pk)
    for column in STATE_COLUMNS:
        if column != StockState.ON_HAND and change[column] < 0:
            conditions &= Q(**{f"{column}__gte": -change[column]})
    if (take := _unreserved_take(change)) > 0:
        conditions &= Q(on_hand__gte=column_plus(ALLOCATED, take))
    if change[ALLOCATED] < 0:
        conditions &= Q(allocated__gte=-change[ALLOCATED])
    updates = {column: column_plus(column, delta) for column, delta in change.items() if delta}
    if not updates:
        return True
    return StockBalance.objects.filter(conditions).update(**updates, updated_at=Now()) == 1


def _balance_shortages(pk: int, change: dict[str, Decimal], move: Move) -> list[Shortage]:
    balance = StockBalance.objects.get(pk=pk)
    shortages = []

    def short(state: str, requested: Decimal, available: Decimal) -> None:
        shortages.append(Shortage(product_id=balance.product_id, warehouse_id=balance.warehouse_id, state=state,
                                  requested=requested, available=available, product_code=move.product.code,
                                  warehouse_code=move.warehouse.code))

    for column in STATE_COLUMNS:
        if column != StockState.ON_HAND and getattr(balance, column) < -change[column]:
            short(column, -change[column], getattr(balance, column))
    if (take := _unreserved_take(change)) > 0 and balance.available < take:
        short(StockState.ON_HAND, take, balance.available)
    if balance.allocated < -change[ALLOCATED]:
        short(StockState.ON_HAND, -change[ALLOCATED], balance.allocated)
    return shortages


# Bin balances -------------------------------------------------------------------------------------------
def _bin_ids(keys: set[BinKey], *, create: set[BinKey]) -> dict[BinKey, int]:
    found = _find_bins(keys)
    missing = create - found.keys()
    if missing:
        BinBalance.objects.bulk_create([BinBalance(product_id=p, warehouse_id=w, location_id=loc)
                                        for p, w, loc in sorted(missing, key=lambda k: (k[0], k[1], k[2] or 0))],
                                       ignore_conflicts=True)
        found |= _find_bins(missing)
    return found


def _find_bins(keys: set[BinKey]) -> dict[BinKey, int]:
    if not keys:
        return {}
    bins = BinBalance.objects.filter(product_id__in={k[0] for k in keys}, warehouse_id__in={k[1] for k in keys})
    values = bins.values_list("pk", "product_id", "warehouse_id", "location_id")
    return {(p, w, loc): pk for pk, p, w, loc in values if (p, w, loc) in keys}


def _apply_bin_changes(moves: Sequence[Move]) -> None:
    changes: dict[BinKey, Decimal] = defaultdict(Decimal)
    first_move: dict[BinKey, Move] = {}
    for move in moves:
        if move.state == StockState.ON_HAND:
            changes[move.bin_key] += move.quantity
            first_move.setdefault(move.bin_key, move)
    changes = {key: delta for key, delta in changes.items() if delta}
    ids = _bin_ids(set(changes), create={key for key, delta in changes.items() if delta > 0})
    shortages = []
    for key in sorted(changes, key=lambda k: ids.get(k, 0)):
        delta, pk = changes[key], ids.get(key)
        if pk is None or not _update_bin(pk, delta):
            available = BinBalance.objects.get(pk=pk).on_hand if pk else ZERO
            move = first_move[key]
            shortages.append(Shortage(product_id=key[0], warehouse_id=key[1], location_id=key[2], requested=-delta,
                                      available=available, product_code=move.product.code,
                                      warehouse_code=move.warehouse.code, bin_level=True,
                                      location_code=move.location.code if move.location else ""))
    if shortages:
        raise InsufficientStock(shortages=shortages)


def _update_bin(pk: int, delta: Decimal) -> bool:
    matching = BinBalance.objects.filter(pk=pk)
    if delta < 0:
        matching = matching.filter(on_hand__gte=-delta)
    return matching.update(on_hand=column_plus("on_hand", delta), updated_at=Now()) == 1

