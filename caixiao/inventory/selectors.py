"""Reads for warehouses, bins and stock: levels with every quantity of the vocabulary, move history,
reservations, pick suggestions and the stock value report. Set-based: one query per source, never
one per product. Nothing here writes or locks."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.db.models import F, Q, QuerySet
from django.db.models.functions import Round
from django.utils import timezone

from caixiao.core.fields import QtyField
from caixiao.core.money import QTY_DECIMAL_PLACES, quantize_money
from caixiao.inventory.enums import STATE_COLUMNS, ReservationStatus
from caixiao.inventory.models import BinBalance, Location, Reservation, StockBalance, StockMove, Warehouse
from caixiao.inventory.quantities import DERIVED_QUANTITIES, quantity_providers
from caixiao.inventory.references import Reference, reference_filter

ZERO = Decimal("0")


# Warehouses and bins -------------------------------------------------------------------------------------
def list_warehouses() -> QuerySet[Warehouse]:
    return Warehouse.objects.select_related("manager")


def list_locations() -> QuerySet[Location]:
    return Location.objects.select_related("warehouse")


# Balances ------------------------------------------------------------------------------------------------
def _available() -> Round:
    return Round(F("on_hand") - F("allocated"), QTY_DECIMAL_PLACES, output_field=QtyField())


def list_balances(*, product_id: int | None = None, warehouse_id: int | None = None,
                  category_id: int | None = None, include_empty: bool = False) -> QuerySet[StockBalance]:
    """Balance rows (product × warehouse) annotated with ``available``; for paginated lists."""
    rows = StockBalance.objects.select_related("product", "product__base_unit", "warehouse").annotate(
        available_quantity=_available())
    if product_id is not None:
        rows = rows.filter(product_id=product_id)
    if warehouse_id is not None:
        rows = rows.filter(warehouse_id=warehouse_id)
    if category_id is not None:
        rows = rows.filter(product__category_id=category_id)
    if not include_empty:
        rows = rows.exclude(Q(**dict.fromkeys(STATE_COLUMNS, 0)))
    return rows.order_by("product__code", "warehouse__code")


def list_bin_balances(*, product_id: int | None = None, warehouse_id: int | None = None,
                      location_id: int | None = None, include_empty: bool = False) -> QuerySet[BinBalance]:
    """On-hand stock per bin; ``location`` None is the stock not put away."""
    rows = BinBalance.objects.select_related("product", "warehouse", "location")
    if product_id is not None:
        rows = rows.filter(product_id=product_id)
    if warehouse_id is not None:
        rows = rows.filter(warehouse_id=warehouse_id)
    if location_id is not None:
        rows = rows.filter(location_id=location_id)
    if not include_empty:
        rows = rows.exclude(on_hand=0)
    return rows.order_by("warehouse__code", F("location__code").asc(nulls_last=True), "product__code")


@dataclass(frozen=True)
class StockLevel:
    """Every quantity of SPEC "Quantities" for one product × warehouse. ``derived`` holds the
    registered derived quantities (``on_order``, ``backlog``); a missing one is zero."""

    product_id: int
    warehouse_id: int
    on_hand: Decimal = ZERO
    allocated: Decimal = ZERO
    pending_qc: Decimal = ZERO
    in_transit: Decimal = ZERO
    rejected: Decimal = ZERO
    derived: dict[str, Decimal] = field(default_factory=dict)

    @property
    def available(self) -> Decimal:
        return self.on_hand - self.allocated

    def quantity(self, name: str) -> Decimal:
        """Any quantity by its vocabulary name: ``level.quantity("backlog")``."""
        if name in DERIVED_QUANTITIES:
            return self.derived.get(name, ZERO)
        return getattr(self, name)

    def as_dict(self) -> dict[str, Decimal | int]:
        data: dict[str, Decimal | int] = {
            "product_id": self.product_id, "warehouse_id": self.warehouse_id, "on_hand": self.on_hand,
            "allocated": self.allocated, "available": self.available, "pending_qc": self.pending_qc,
            "in_transit": self.in_transit, "rejected": self.rejected}
        for name in DERIVED_QUANTITIES:
            data[name] = self.derived.get(name, ZERO)
        return data


def stock_levels(*, product_ids: Collection[int] | None = None,
                 warehouse_ids: Collection[int] | None = None) -> list[StockLevel]:
    """Stock levels per product × warehouse with the ledger's quantities and every registered derived
    quantity: one query for the balances plus one per provider. Pairs with nothing at all are left out."""
    rows = StockBalance.objects.all()
    if product_ids is not None:
        rows = rows.filter(product_id__in=product_ids)
    if warehouse_ids is not None:
        rows = rows.filter(warehouse_id__in=warehouse_ids)
    columns = (*STATE_COLUMNS, "allocated")
    ledger = {(p, w): dict(zip(columns, values, strict=True))
              for p, w, *values in rows.values_list("product_id", "warehouse_id", *columns)}
    derived: dict[tuple[int, int], dict[str, Decimal]] = defaultdict(dict)
    for name, provider in quantity_providers().items():
        for pair, quantity in provider(product_ids=product_ids, warehouse_ids=warehouse_ids).items():
            if quantity:
                derived[pair][name] = quantity
    levels = [StockLevel(pair[0], pair[1], **ledger.get(pair, {}), derived=derived.get(pair, {}))
              for pair in sorted(ledger.keys() | derived.keys())]
    return [level for level in levels if level.derived or any(level.quantity(c) for c in columns)]


def available_quantities(*, product_ids: Collection[int], warehouse_id: int | None = None
                         ) -> dict[tuple[int, int], Decimal]:
    """``{(product_id, warehouse_id): available}`` for order entry: one query for all lines."""
    rows = StockBalance.objects.filter(product_id__in=product_ids)
    if warehouse_id is not None:
        rows = rows.filter(warehouse_id=warehouse_id)
    return {(p, w): on_hand - allocated
            for p, w, on_hand, allocated in rows.values_list("product_id", "warehouse_id", "on_hand", "allocated")}


def available_quantity(*, product_id: int, warehouse_id: int) -> Decimal:
    """What a new order may take: on_hand − allocated (zero where the product never had stock)."""
    return available_quantities(product_ids=[product_id], warehouse_id=warehouse_id).get(
        (product_id, warehouse_id), ZERO)


# Bins for picking ----------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Pick:
    location_id: int | None
    location_code: str
    quantity: Decimal


def suggest_picks(*, product_id: int, warehouse_id: int, quantity: Decimal) -> list[Pick]:
    """Where to pick ``quantity`` from, bin by bin in bin-code order, the stock not put away last.
    The picks add up to less than ``quantity`` when the bins hold less."""
    rows = BinBalance.objects.filter(product_id=product_id, warehouse_id=warehouse_id, on_hand__gt=0)
    rows = rows.order_by(F("location__code").asc(nulls_last=True))
    picks, left = [], quantity
    for location_id, code, on_hand in rows.values_list("location_id", "location__code", "on_hand"):
        if left <= 0:
            break
        take = min(on_hand, left)
        picks.append(Pick(location_id=location_id, location_code=code or "", quantity=take))
        left -= take
    return picks


# Moves and reservations ----------------------------------------------------------------------------------
def list_moves(*, product_id: int | None = None, warehouse_id: int | None = None, location_id: int | None = None,
               state: str | None = None, kind: str | None = None, date_from: date | None = None,
               date_to: date | None = None, reference: Reference | None = None,
               reference_label: str | None = None) -> QuerySet[StockMove]:
    """Move history, newest first. Dates are local calendar days, both ends included;
    ``reference_label`` matches the start of the label (a document number finds all its lines)."""
    moves = StockMove.objects.select_related("product", "warehouse", "location", "actor")
    if product_id is not None:
        moves = moves.filter(product_id=product_id)
    if warehouse_id is not None:
        moves = moves.filter(warehouse_id=warehouse_id)
    if location_id is not None:
        moves = moves.filter(location_id=location_id)
    if state is not None:
        moves = moves.filter(state=state)
    if kind is not None:
        moves = moves.filter(kind=kind)
    if date_from is not None:
        moves = moves.filter(created_at__gte=_start_of(date_from))
    if date_to is not None:
        moves = moves.filter(created_at__lt=_start_of(date_to) + timedelta(days=1))
    if reference is not None:
        moves = moves.filter(**reference_filter(reference))
    if reference_label:
        moves = moves.filter(reference_label__startswith=reference_label)
    return moves.order_by("-created_at", "-id")


def _start_of(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def list_reservations(*, reference: Reference | None = None, product_id: int | None = None,
                      warehouse_id: int | None = None, open_only: bool = True) -> QuerySet[Reservation]:
    rows = Reservation.objects.select_related("product", "warehouse")
    if reference is not None:
        rows = rows.filter(**reference_filter(reference))
    if product_id is not None:
        rows = rows.filter(product_id=product_id)
    if warehouse_id is not None:
        rows = rows.filter(warehouse_id=warehouse_id)
    if open_only:
        rows = rows.filter(status=ReservationStatus.OPEN)
    return rows.order_by("id")


def reserved_quantity(*, reference: Reference, warehouse_id: int | None = None) -> Decimal:
    """What a document line still holds reserved (open remainders), summed exactly."""
    rows = list_reservations(reference=reference, warehouse_id=warehouse_id)
    return sum((q - c - r for q, c, r in rows.values_list("quantity", "quantity_consumed", "quantity_released")),
               ZERO)


# Stock value ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class StockValueRow:
    warehouse_id: int
    warehouse_code: str
    category_id: int
    category_code: str
    category_name: str
    quantity: Decimal
    value: Decimal  # rounded to the currency's minor unit


@dataclass(frozen=True)
class StockValueReport:
    rows: list[StockValueRow]
    total: Decimal  # the exact sum of the row values, rounded once
    currency: str


def stock_value(*, warehouse_id: int | None = None, category_id: int | None = None,
                currency: str = "CNY") -> StockValueReport:
    """Stock value by warehouse and product category: quantity (every state) × moving average cost.
    Products are multiplied exactly; each figure is rounded once, where it is reported."""
    rows = StockBalance.objects.all()
    if warehouse_id is not None:
        rows = rows.filter(warehouse_id=warehouse_id)
    if category_id is not None:
        rows = rows.filter(product__category_id=category_id)
    quantities: dict[tuple[int, int], Decimal] = defaultdict(Decimal)
    values: dict[tuple[int, int], Decimal] = defaultdict(Decimal)
    labels: dict[tuple[int, int], tuple[str, str, str]] = {}
    for w, w_code, c, c_code, c_name, average, price, *states in rows.values_list(
            "warehouse_id", "warehouse__code", "product__category_id", "product__category__code",
            "product__category__name", "product__cost__average_cost", "product__purchase_price", *STATE_COLUMNS):
        quantity = sum(states, ZERO)
        if not quantity:
            continue
        key = (w, c)
        quantities[key] += quantity
        values[key] += quantity * (average if average is not None else price)
        labels[key] = (w_code, c_code, c_name)
    report_rows = [StockValueRow(warehouse_id=w, warehouse_code=labels[(w, c)][0], category_id=c,
                                 category_code=labels[(w, c)][1], category_name=labels[(w, c)][2],
                                 quantity=quantities[(w, c)], value=quantize_money(values[(w, c)], currency))
                   for w, c in sorted(values, key=lambda k: (labels[k][0], labels[k][1]))]
    return StockValueReport(rows=report_rows, total=quantize_money(sum(values.values(), ZERO), currency),
                            currency=currency)

