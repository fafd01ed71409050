"""Outbox consumers of the sales app (STYLE.md B8): stock that becomes available goes to the order
lines waiting for it (O2: "reserve what exists and backorder the rest").

Whenever on-hand stock grows in a warehouse (a receipt, stock passing inspection, a positive
adjustment or count, a transfer in) or reservations are released (an order cancelled), the
backordered lines of that product and warehouse get what is now available (which pairs have waiting
lines is asked once per event, so a receipt of many products costs two queries, not a few per product),
first requested first,
through ``allocate_backorders``, which locks the orders and reserves with the ledger's conditional
UPDATE. Idempotent: it reserves only what lines still wait for and what is still available, so a
replayed event reserves nothing twice."""

from __future__ import annotations

from decimal import Decimal

from caixiao.core.events import handler
from caixiao.core.models import OutboxEvent
from caixiao.inventory import events as stock_events
from caixiao.inventory.enums import StockState
from caixiao.inventory.models import StockCount
from caixiao.sales import selectors, services

Pair = tuple[int, int]


@handler(stock_events.STOCK_RECEIVED, stock_events.STOCK_STATE_CHANGED, stock_events.STOCK_ADJUSTED,
         stock_events.STOCK_TRANSFERRED, stock_events.STOCK_RELEASED, stock_events.STOCK_COUNT_POSTED,
         name="sales.allocate_backorders")
def allocate_available_stock(event: OutboxEvent) -> None:
    for product_id, warehouse_id in sorted(selectors.backordered_pairs(freed_stock(event))):
        services.allocate_backorders(product_id=product_id, warehouse_id=warehouse_id, actor=None)


def freed_stock(event: OutboxEvent) -> set[Pair]:
    """The (product, warehouse) pairs whose available stock the event may have raised."""
    payload = event.payload
    if event.type == stock_events.STOCK_RELEASED:
        return {(r["product_id"], r["warehouse_id"]) for r in payload.get("reservations", [])}
    if event.type == stock_events.STOCK_COUNT_POSTED:
        count = StockCount.objects.filter(pk=payload.get("stock_count_id")).first()
        if count is None:
            return set()
        return {(line.product_id, count.warehouse_id) for line in count.lines.all()
                if line.difference is not None and line.difference > 0}
    return {(m["product_id"], m["warehouse_id"]) for m in payload.get("moves", [])
            if m["state"] == StockState.ON_HAND and Decimal(m["quantity"]) > 0}
