"""Events of the sales app and their payloads (DESIGN.md "Events"; catalog in docs/sales.md).

Services emit them through ``core.outbox.emit`` in their own transaction. Payloads carry ids, a
schema ``version`` and the facts a consumer needs; quantities and amounts are strings (quantities with
the ledger's 6 places, amounts rounded to the currency)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Any

from caixiao.core.events import define
from caixiao.core.money import QTY_DECIMAL_PLACES, quantize_money, quantize_qty
from caixiao.sales.models import DeliveryNotice, PurchaseDemand, SalesOrder, SalesOrderLine

PAYLOAD_VERSION = 1

_ORDER = {"order_id": "sales order id", "number": "SO-… number", "customer_id": "customer id",
          "warehouse_id": "warehouse id", "status": "order status after the change", "currency": "ISO 4217",
          "total_net": "amount before tax", "total_tax": "tax", "total_gross": "total",
          "requested_on": "requested delivery date (ISO)"}
_NOTICE = {"delivery_notice_id": "delivery notice id", "number": "DN-… number", "order_id": "sales order id",
           "order_number": "SO-… number", "warehouse_id": "warehouse id", "status": "notice status"}

ORDER_CREATED = define("sales.order.created", description="A sales order was entered (draft).", payload=_ORDER)
ORDER_CONFIRMED = define(
    "sales.order.confirmed", description="A sales order was confirmed: totals frozen, stock reserved.",
    payload={**_ORDER, "shortage_policy": "block or backorder",
             "lines": "[{line_id, position, product_id, quantity, reserved, backordered}]"})
ORDER_BACKORDERED = define(
    "sales.order.backordered", description="A confirmed order has lines stock could not cover (backorders).",
    payload={**_ORDER, "lines": "[{line_id, position, product_id, quantity, reserved, backordered}] short lines"})
ORDER_BACKORDER_ALLOCATED = define(
    "sales.order.backorder_allocated", description="Stock that arrived was reserved for backordered lines.",
    payload={**_ORDER, "lines": "[{line_id, position, product_id, reserved, backordered}] lines that got stock"})
ORDER_CANCELLED = define(
    "sales.order.cancelled", description="A sales order was cancelled; its reservations were released.",
    payload={**_ORDER, "reason": "text", "lines": "[{line_id, product_id, quantity_cancelled, released}]"})
ORDER_CLOSED = define("sales.order.closed", description="A shipped sales order was closed.", payload=_ORDER)
DELIVERY_NOTICE_CREATED = define(
    "sales.delivery_notice.created", description="A delivery notice went to the warehouse's to-do list.",
    payload={**_NOTICE, "lines": "[{line_id, order_line_id, product_id, quantity}]"})
DELIVERY_NOTICE_SHIPPED = define(
    "sales.delivery_notice.shipped",
    description="A delivery notice was shipped: stock issued, outbound slip written, cost of goods known.",
    payload={**_NOTICE, "outbound_number": "OS-… number", "currency": "ISO 4217",
             "cost_of_goods": "total cost of goods sold", "order_status": "order status after shipping",
             "lines": "[{line_id, order_line_id, product_id, quantity, cost_of_goods, picks: "
                      "[{location_id, quantity}]}]"})
DELIVERY_NOTICE_CANCELLED = define("sales.delivery_notice.cancelled", description="A delivery notice was cancelled.",
                                   payload=_NOTICE)
PURCHASE_DEMAND_RECORDED = define(
    "sales.purchase_demand.recorded",
    description="Purchase demand (缺货转采购) was recorded or its quantity changed for a short order line.",
    payload={"demand_id": "purchase demand id", "product_id": "product id", "warehouse_id": "warehouse id",
             "quantity": "quantity still short", "needed_on": "date (ISO)", "order_id": "sales order id",
             "order_number": "SO-… number", "order_line_id": "sales order line id", "status": "open"})
PURCHASE_DEMAND_CANCELLED = define(
    "sales.purchase_demand.cancelled",
    description="Purchase demand was cancelled: the order was cancelled or its shortage went away.",
    payload={"demand_id": "purchase demand id", "product_id": "product id", "warehouse_id": "warehouse id",
             "quantity": "quantity", "order_line_id": "sales order line id"})


def qty(value: Decimal) -> str:
    return str(quantize_qty(value, QTY_DECIMAL_PLACES))


def money(value: Decimal, currency: str) -> str:
    return str(quantize_money(value, currency))


def order_payload(order: SalesOrder, **extra: Any) -> dict[str, Any]:
    return {"version": PAYLOAD_VERSION, "order_id": order.pk, "number": order.number,
            "customer_id": order.customer_id, "warehouse_id": order.warehouse_id, "status": order.status,
            "currency": order.currency, "total_net": money(order.total_net, order.currency),
            "total_tax": money(order.total_tax, order.currency),
            "total_gross": money(order.total_gross, order.currency),
            "requested_on": order.requested_on.isoformat(), **extra}


def reservation_lines(lines: Iterable[SalesOrderLine], reserved: Mapping[int, Decimal],
                      backordered: Mapping[int, Decimal]) -> list[dict[str, Any]]:
    return [{"line_id": line.pk, "position": line.position, "product_id": line.product_id,
             "quantity": qty(line.quantity), "reserved": qty(reserved.get(line.pk, Decimal(0))),
             "backordered": qty(backordered.get(line.pk, Decimal(0)))} for line in lines]


def notice_payload(notice: DeliveryNotice, **extra: Any) -> dict[str, Any]:
    return {"version": PAYLOAD_VERSION, "delivery_notice_id": notice.pk, "number": notice.number,
            "order_id": notice.order_id, "order_number": notice.order.number, "warehouse_id": notice.warehouse_id,
            "status": notice.status, **extra}


def demand_payload(demand: PurchaseDemand, order: SalesOrder) -> dict[str, Any]:
    return {"version": PAYLOAD_VERSION, "demand_id": demand.pk, "product_id": demand.product_id,
            "warehouse_id": demand.warehouse_id, "quantity": qty(demand.quantity),
            "needed_on": demand.needed_on.isoformat(), "order_id": order.pk, "order_number": order.number,
            "order_line_id": demand.order_line_id, "status": demand.status}
