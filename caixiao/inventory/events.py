"""Event names of the inventory app and their payloads (DESIGN.md "Events"; catalog in
docs/ledger.md). Each service's audit step is where its event is written, with
``outbox.emit(events.STOCK_ADJUSTED, aggregate=move, payload=events.moves_payload([move]))``."""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from caixiao.core.money import QTY_DECIMAL_PLACES, quantize_price, quantize_qty
from caixiao.inventory.models import Reservation, StockCount, StockMove

PAYLOAD_VERSION = 1

STOCK_RECEIVED = "inventory.stock.received"
STOCK_STATE_CHANGED = "inventory.stock.state_changed"
STOCK_ADJUSTED = "inventory.stock.adjusted"
STOCK_TRANSFERRED = "inventory.stock.transferred"
STOCK_ISSUED = "inventory.stock.issued"
STOCK_RESERVED = "inventory.stock.reserved"
STOCK_RELEASED = "inventory.stock.released"
STOCK_COUNT_POSTED = "inventory.stock_count.posted"


def _qty(value: Decimal) -> str:
    return str(quantize_qty(value, QTY_DECIMAL_PLACES))


def moves_payload(moves: Iterable[StockMove]) -> dict[str, Any]:
    return {"version": PAYLOAD_VERSION, "moves": [{
        "id": m.pk, "group": str(m.group), "kind": m.kind, "product_id": m.product_id,
        "warehouse_id": m.warehouse_id, "location_id": m.location_id, "state": m.state,
        "quantity": _qty(m.quantity), "unit_cost": str(quantize_price(m.unit_cost)),
        "reference_type_id": m.reference_type_id, "reference_id": m.reference_id,
        "reference_label": m.reference_label,
    } for m in moves]}


def reservations_payload(reservations: Iterable[Reservation]) -> dict[str, Any]:
    return {"version": PAYLOAD_VERSION, "reservations": [{
        "id": r.pk, "product_id": r.product_id, "warehouse_id": r.warehouse_id, "quantity": _qty(r.quantity),
        "quantity_consumed": _qty(r.quantity_consumed), "quantity_released": _qty(r.quantity_released),
        "status": r.status, "reference_type_id": r.reference_type_id, "reference_id": r.reference_id,
        "reference_label": r.reference_label,
    } for r in reservations]}


def stock_count_payload(count: StockCount) -> dict[str, Any]:
    return {"version": PAYLOAD_VERSION, "stock_count_id": count.pk, "number": count.number,
            "warehouse_id": count.warehouse_id, "status": count.status}
