"""Event names of the inventory app and their payloads (DESIGN.md "Events"; catalog in
docs/events.md). Every ledger service announces what it did through the outbox, in its own
transaction, with ``emit_moves`` or ``emit_reservations``."""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from caixiao.core import outbox
from caixiao.core.events import define
from caixiao.core.money import QTY_DECIMAL_PLACES, quantize_price, quantize_qty
from caixiao.inventory.models import Reservation, StockCount, StockMove

PAYLOAD_VERSION = 1

_MOVES = {"version": "payload version", "moves": "list of {id, group, kind, product_id, warehouse_id, "
          "location_id, state, quantity (signed, base unit), unit_cost, reference_type_id, reference_id, "
          "reference_label}"}
_RESERVATIONS = {"version": "payload version", "reservations": "list of {id, product_id, warehouse_id, quantity, "
                 "quantity_consumed, quantity_released, status, reference_type_id, reference_id, reference_label}"}

STOCK_RECEIVED = define("inventory.stock.received", payload=_MOVES,
                        description="Stock entered the ledger from outside (shipping notice, receipt), at a cost.")
STOCK_STATE_CHANGED = define("inventory.stock.state_changed", payload=_MOVES,
                             description="Stock changed state in a warehouse (received, passed or failed QC, …).")
STOCK_ADJUSTED = define("inventory.stock.adjusted", payload=_MOVES,
                        description="A balance was corrected by an adjustment with a reason.")
STOCK_TRANSFERRED = define("inventory.stock.transferred", payload=_MOVES,
                           description="Stock moved between warehouses or bins (putaway included).")
STOCK_ISSUED = define("inventory.stock.issued", payload=_MOVES,
                      description="Stock left the ledger: a shipment (reserved) or a return, scrap, internal use.")
STOCK_RESERVED = define("inventory.stock.reserved", payload=_RESERVATIONS,
                        description="Available stock was reserved (allocated) for document lines.")
STOCK_RELEASED = define("inventory.stock.released", payload=_RESERVATIONS,
                        description="Reservations were released (cancelled orders, changed lines).")
STOCK_COUNT_POSTED = define("inventory.stock_count.posted",
                            payload={"version": "payload version", "stock_count_id": "id", "number": "SC-…",
                                     "warehouse_id": "id", "status": "posted", "moves": "count moves"},
                            description="A stock count (盘点) was posted; its differences became count moves.")


def emit_moves(event_type: str, moves: list[StockMove], *, actor: Any) -> None:
    """Announce moves written by a service, in its transaction (nothing to announce: no event)."""
    if moves:
        outbox.emit(event_type, aggregate=moves[0], payload=moves_payload(moves), actor=actor)


def emit_reservations(event_type: str, reservations: list[Reservation], *, actor: Any) -> None:
    if reservations:
        outbox.emit(event_type, aggregate=reservations[0], payload=reservations_payload(reservations), actor=actor)


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
