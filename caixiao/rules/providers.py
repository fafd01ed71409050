"""The context provider of the ``product`` subject: per product × warehouse, built set-based (one
query per source for any number of targets: balances, products, warehouses, weekly sales)."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Collection, Iterable, Iterator, Mapping
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.db.models import Q, Sum
from django.utils import timezone

from caixiao.catalog.models import Product
from caixiao.inventory.enums import MoveKind, StockState
from caixiao.inventory.models import StockBalance, StockMove, Warehouse

if TYPE_CHECKING:
    from caixiao.core.models import OutboxEvent
    from caixiao.rules.subjects import HistoryItem, Item

ZERO = Decimal("0")
WEEKS = 12
Pair = tuple[int, int]
_STATES = ("on_hand", "allocated", "pending_qc", "in_transit")
_PRODUCT_FIELDS = ("id", "code", "name", "category__code", "category__name", "lifecycle", "safety_stock",
                   "min_order_qty", "lead_time_days", "purchase_price", "sale_price", "needs_qc", "buyer_id",
                   "base_unit__decimals")


def touched_pairs(payload: dict[str, Any]) -> set[Pair]:
    """(product_id, warehouse_id) pairs an inventory event names (moves or reservations)."""
    rows = payload.get("moves") or payload.get("reservations") or []
    return {(int(r["product_id"]), int(r["warehouse_id"])) for r in rows
            if r.get("product_id") is not None and r.get("warehouse_id") is not None}


def week_start(day: dt.date) -> dt.date:
    return day - dt.timedelta(days=day.weekday())


def _local_midnight(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


def weekly_sales(as_of: dt.datetime, *, product_ids: Collection[int] | None = None,
                 weeks: int = WEEKS) -> dict[Pair, list[Decimal]]:
    """Shipped (issued on-hand) quantity per product × warehouse in each of the ``weeks`` complete
    calendar weeks (Monday–Sunday, local time) before the week of ``as_of``, oldest first: one query,
    one row per pair (a conditional sum per week, no per-row date function)."""
    end = week_start(timezone.localtime(as_of).date())
    start = end - dt.timedelta(weeks=weeks)
    bounds = [_local_midnight(start + dt.timedelta(weeks=i)) for i in range(weeks + 1)]
    moves = StockMove.objects.filter(kind=MoveKind.ISSUE, state=StockState.ON_HAND,
                                     created_at__gte=bounds[0], created_at__lt=bounds[-1])
    if product_ids is not None:
        moves = moves.filter(product_id__in=product_ids)
    sums = {f"w{i}": Sum("quantity", filter=Q(created_at__gte=bounds[i], created_at__lt=bounds[i + 1]))
            for i in range(weeks)}
    rows = moves.values("product_id", "warehouse_id").annotate(**sums).order_by()
    out: dict[Pair, list[Decimal]] = {}
    for row in rows.iterator(chunk_size=5000):
        values: dict[str, Any] = row  # type: ignore[assignment]
        out[(values["product_id"], values["warehouse_id"])] = [-(values[f"w{i}"] or ZERO) for i in range(weeks)]
    return out


def _balances(pairs: Collection[Pair] | None) -> dict[Pair, dict[str, Decimal]]:
    rows = StockBalance.objects.filter(product__is_active=True)
    if pairs is not None:
        rows = rows.filter(product_id__in={p for p, _w in pairs})
    return {(p, w): dict(zip(_STATES, values, strict=True))
            for p, w, *values in rows.values_list("product_id", "warehouse_id", *_STATES).iterator(chunk_size=5000)
            if pairs is None or (p, w) in pairs}


def _since(as_of: dt.datetime, product_ids: Collection[int] | None) -> dict[Pair, dict[str, Decimal]]:
    """Per pair and state: the net quantity moved after ``as_of`` (to take stock back to then)."""
    moves = StockMove.objects.filter(created_at__gt=as_of)
    if product_ids is not None:
        moves = moves.filter(product_id__in=product_ids)
    out: dict[Pair, dict[str, Decimal]] = defaultdict(dict)
    for row in moves.values("product_id", "warehouse_id", "state").annotate(total=Sum("quantity")).order_by():
        out[(row["product_id"], row["warehouse_id"])][row["state"]] = row["total"]
    return out


_SALES_FIELDS = frozenset({"weekly_sales", "sales_12w"})


class ProductProvider:
    accepts_needs = True

    def contexts(self, event: OutboxEvent | None, as_of: dt.datetime, *,
                 needs: Mapping[str, frozenset[str] | None] | None = None) -> Iterable[Item]:
        fields = needs.get("product", None) if needs is not None else None
        sales = fields is None or bool(fields & _SALES_FIELDS)
        if event is None:
            return self.build(None, as_of, sales=sales)
        pairs = touched_pairs(event.payload)
        return self.build(pairs, as_of, sales=sales) if pairs else ()

    def build(self, pairs: Collection[Pair] | None, as_of: dt.datetime, *,
              historical: bool = False, sales: bool = True) -> Iterator[Item]:
        """Contexts for ``pairs`` (None: every active product with a balance in any warehouse). With
        ``historical`` the stock figures are taken back to ``as_of`` through the ledger (allocated stays
        today's: reservations keep no history)."""
        from caixiao.rules.subjects import Target

        product_ids = {p for p, _w in pairs} if pairs is not None else None
        balances = _balances(pairs)
        keys = sorted(set(pairs) if pairs is not None else balances.keys())
        if not keys:
            return
        products_qs = Product.objects.filter(is_active=True)
        if product_ids is not None:
            products_qs = products_qs.filter(pk__in=product_ids)
        products = {row["id"]: row for row in products_qs.values(*_PRODUCT_FIELDS).iterator(chunk_size=5000)}
        warehouses = {w.pk: {"code": w.code, "name": w.name} for w in Warehouse.objects.all()}
        weekly = weekly_sales(as_of, product_ids=product_ids) if sales else {}
        since = _since(as_of, product_ids) if historical else {}
        as_of_date = timezone.localtime(as_of).date()
        zeros = [ZERO] * WEEKS
        for pair in keys:
            product, warehouse = products.get(pair[0]), warehouses.get(pair[1])
            if product is None or warehouse is None:
                continue
            stock = balances.get(pair) or dict.fromkeys(_STATES, ZERO)
            if historical:
                back = since.get(pair, {})
                stock = {name: value - back.get(name, ZERO) if name != "allocated" else value
                         for name, value in stock.items()}
            series = weekly.get(pair, zeros)
            context = {
                "product": {
                    "code": product["code"], "name": product["name"], "category": product["category__code"],
                    "category_name": product["category__name"], "lifecycle": product["lifecycle"],
                    "available": stock["on_hand"] - stock["allocated"], **stock,
                    "safety_stock": product["safety_stock"], "min_order_qty": product["min_order_qty"],
                    "lead_time_days": product["lead_time_days"], "purchase_price": product["purchase_price"],
                    "sale_price": product["sale_price"], "needs_qc": product["needs_qc"],
                    "weekly_sales": [float(q) for q in series], "sales_12w": sum(series, ZERO),
                },
                "warehouse": warehouse,
                "as_of": as_of_date,
            }
            target = Target("catalog.product", str(pair[0]), f"{product['code']} {product['name']} @ {warehouse['code']}",
                            scope=f"warehouse:{pair[1]}",
                            data={"product_id": pair[0], "warehouse_id": pair[1], "buyer_id": product["buyer_id"],
                                  "unit_decimals": product["base_unit__decimals"]})
            yield target, context

    def history(self, start: dt.datetime, end: dt.datetime, *,
                needs: Mapping[str, frozenset[str] | None] | None = None) -> Iterator[HistoryItem]:
        """One context per target at the start of each week (Monday 00:00) from ``start`` to ``end``."""
        fields = needs.get("product", None) if needs is not None else None
        sales = fields is None or bool(fields & _SALES_FIELDS)
        day = week_start(timezone.localtime(start).date())
        if day < timezone.localtime(start).date():
            day += dt.timedelta(weeks=1)
        last = timezone.localtime(end).date()
        while day <= last:
            as_of = _local_midnight(day)
            for target, context in self.build(None, as_of, historical=True, sales=sales):
                yield as_of, target, context
            day += dt.timedelta(weeks=1)
