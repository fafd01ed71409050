"""The ledger's invariants, verified over the whole database with aggregate queries (docs/ledger.md):

1. each StockBalance state column = the sum of the moves in that state (per product × warehouse),
2. each BinBalance = the sum of the on-hand moves of that bin (or without a bin),
3. StockBalance.allocated = the sum of the open reservations' remainders,
4. nothing negative, allocated ≤ on_hand, reservations consistent with their status, and bins in
   the warehouse they are counted in.

``check_invariants`` reports every drift and repairs nothing. Sums come back from SQLite as doubles,
so they are compared after rounding to the stored 6 places, in Python."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import F, Q, QuerySet, Sum
from django.db.models.functions import Round

from caixiao.core.fields import QtyField
from caixiao.core.money import QTY_DECIMAL_PLACES, quantize_qty
from caixiao.inventory.enums import STATE_COLUMNS, ReservationStatus, StockState
from caixiao.inventory.errors import format_quantity
from caixiao.inventory.models import BinBalance, Reservation, StockBalance, StockMove

ZERO = Decimal("0")


@dataclass(frozen=True)
class Drift:
    check: str  # "balance", "bin", "allocated", "negative", "reservation", "bin_warehouse"
    product_id: int | None
    warehouse_id: int | None
    column: str = ""
    location_id: int | None = None
    expected: Decimal | None = None  # what the ledger / the reservations say
    stored: Decimal | None = None  # what the balance row holds
    detail: str = ""

    def __str__(self) -> str:
        where = f"product {self.product_id} @ warehouse {self.warehouse_id}"
        if self.check == "bin":
            where += f" bin {self.location_id or '-'}"
        text = f"[{self.check}] {where} {self.column}".rstrip()
        if self.expected is not None or self.stored is not None:
            text += f": ledger {_text(self.expected)}, stored {_text(self.stored)}"
        return f"{text} {self.detail}".rstrip()


def _text(value: Decimal | None) -> str:
    return "-" if value is None else format_quantity(value)


def _exact(value: Decimal | None) -> Decimal:
    return quantize_qty(value or ZERO, QTY_DECIMAL_PLACES)


def check_invariants() -> list[Drift]:
    return [*_balance_drifts(), *_bin_drifts(), *_allocation_drifts(), *_negative_balances(),
            *_inconsistent_reservations(), *_bins_in_other_warehouses()]


def _compare(check: str, column: str, ledger: dict, stored: dict) -> Iterable[Drift]:
    for key in sorted(ledger.keys() | stored.keys(), key=lambda k: tuple(x or 0 for x in k)):
        expected, actual = _exact(ledger.get(key)), _exact(stored.get(key))
        if expected != actual:
            yield Drift(check=check, product_id=key[0], warehouse_id=key[1], column=column,
                        location_id=key[2] if len(key) > 2 else None, expected=expected, stored=actual)


def _balance_drifts() -> Iterable[Drift]:
    sums: dict[str, dict] = defaultdict(dict)
    for p, w, state, total in (StockMove.objects.values_list("product_id", "warehouse_id", "state")
                               .order_by().annotate(total=Sum("quantity"))):
        sums[state][(p, w)] = total
    balances = list(StockBalance.objects.values_list("product_id", "warehouse_id", *STATE_COLUMNS))
    for i, column in enumerate(STATE_COLUMNS):
        yield from _compare("balance", column, sums[column], {(row[0], row[1]): row[2 + i] for row in balances})


def _bin_drifts() -> Iterable[Drift]:
    ledger = {(p, w, loc): total for p, w, loc, total in (
        StockMove.objects.filter(state=StockState.ON_HAND).values_list("product_id", "warehouse_id", "location_id")
        .order_by().annotate(total=Sum("quantity")))}
    stored = {(p, w, loc): on_hand for p, w, loc, on_hand in
              BinBalance.objects.values_list("product_id", "warehouse_id", "location_id", "on_hand")}
    yield from _compare("bin", "on_hand", ledger, stored)


def _open_remainder() -> Sum:
    return Sum(F("quantity") - F("quantity_consumed") - F("quantity_released"), output_field=QtyField())


def _allocation_drifts() -> Iterable[Drift]:
    reserved = {(p, w): total for p, w, total in (
        Reservation.objects.filter(status=ReservationStatus.OPEN).values_list("product_id", "warehouse_id")
        .order_by().annotate(total=_open_remainder()))}
    allocated = {(p, w): a for p, w, a in StockBalance.objects.values_list("product_id", "warehouse_id", "allocated")}
    yield from _compare("allocated", "allocated", reserved, allocated)


def _negative_balances() -> Iterable[Drift]:
    negative = Q(allocated__lt=0) | Q(allocated__gt=F("on_hand"))
    for column in STATE_COLUMNS:
        negative |= Q(**{f"{column}__lt": 0})
    for balance in StockBalance.objects.filter(negative).order_by("pk"):
        yield Drift(check="negative", product_id=balance.product_id, warehouse_id=balance.warehouse_id,
                    detail=", ".join(f"{c}={format_quantity(getattr(balance, c))}"
                                     for c in (*STATE_COLUMNS, "allocated")))
    for row in BinBalance.objects.filter(on_hand__lt=0).order_by("pk"):
        yield Drift(check="negative", product_id=row.product_id, warehouse_id=row.warehouse_id,
                    location_id=row.location_id, column="on_hand", stored=row.on_hand)


def _inconsistent_reservations() -> Iterable[Drift]:
    done = Round(F("quantity_consumed") + F("quantity_released"), QTY_DECIMAL_PLACES)  # exact, as in the CHECK
    rows: QuerySet[Reservation] = Reservation.objects.filter(
        Q(quantity__lte=0) | Q(quantity_consumed__lt=0) | Q(quantity_released__lt=0)
        | Q(status=ReservationStatus.OPEN, quantity__lte=done)
        | Q(status=ReservationStatus.CLOSED) & ~Q(quantity=done))
    for row in rows.order_by("pk"):
        yield Drift(check="reservation", product_id=row.product_id, warehouse_id=row.warehouse_id,
                    detail=f"reservation {row.pk} ({row.status}): quantity {format_quantity(row.quantity)}, "
                           f"issued {format_quantity(row.quantity_consumed)}, "
                           f"released {format_quantity(row.quantity_released)}")


def _bins_in_other_warehouses() -> Iterable[Drift]:
    for model in (BinBalance, StockMove):
        wrong = (model.objects.filter(location__isnull=False).exclude(location__warehouse_id=F("warehouse_id"))
                 .values_list("pk", "product_id", "warehouse_id", "location_id"))
        for pk, p, w, loc in wrong:
            yield Drift(check="bin_warehouse", product_id=p, warehouse_id=w, location_id=loc,
                        detail=f"{model._meta.model_name} {pk}: the bin belongs to another warehouse")
