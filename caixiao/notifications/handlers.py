"""Outbox consumers of notifications (STYLE.md B8): each runs in its event delivery's transaction,
re-reads what it needs, and is idempotent per event id, so retries and replays never duplicate a
notification, a to-do or a webhook delivery."""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from django.apps import apps
from django.utils.translation import gettext as _

from caixiao.catalog.models import Product
from caixiao.core.events import handler
from caixiao.core.models import OutboxEvent
from caixiao.inventory import selectors as inventory_selectors
from caixiao.inventory.models import Warehouse
from caixiao.notifications import kinds, services, webhooks
from caixiao.notifications.models import TodoStatus

DELIVERY_NOTICE = "sales.deliverynotice"
SALES_ORDER = "sales.salesorder"
WAREHOUSE_CLERK = "warehouse_clerk"
BELOW_SAFETY = "inventory.stock.below_safety"


def _order_people(order_id: Any, event: OutboxEvent) -> list[Any]:
    """The order's sales rep, else the customer's account manager, else whoever acted. The order is
    looked up lazily: the sales app emits these events, and a deleted order is tolerated."""
    try:
        orders = apps.get_model("sales", "SalesOrder").objects
    except LookupError:
        orders = None
    order = orders.select_related("owner", "customer__account_manager").filter(pk=order_id).first() if orders else None
    if order is not None:
        person = order.owner or order.customer.account_manager
        if person is not None:
            return [person]
    return [event.actor] if event.actor is not None else []


@handler("*", name="notifications.webhooks")
def queue_webhooks(event: OutboxEvent) -> None:
    webhooks.fan_out(event)


@handler("sales.order.confirmed", name="notifications.order_confirmed")
def on_order_confirmed(event: OutboxEvent) -> None:
    p = event.payload
    number = p.get("number", "")
    services.notify(
        recipients=_order_people(p["order_id"], event), verb=event.type, event=event,
        title=lambda: _("Sales order %(number)s was confirmed") % {"number": number},
        body=lambda: _("Total %(total)s %(currency)s.") % {"total": p.get("total_gross", ""),
                                                           "currency": p.get("currency", "")},
        document_type=SALES_ORDER, document_id=p["order_id"],
        url=services.document_url(SALES_ORDER, p["order_id"]))


def _warehouse_people(warehouse_id: Any) -> tuple[list[Any], Any]:
    clerks = services.users_with_role(WAREHOUSE_CLERK)
    warehouse = Warehouse.objects.select_related("manager").filter(pk=warehouse_id).first()
    return clerks, warehouse.manager if warehouse is not None else None


@handler("sales.delivery_notice.created", name="notifications.delivery_notice_created")
def on_delivery_notice_created(event: OutboxEvent) -> None:
    """A to-do for the warehouse clerks (and the warehouse's manager) and a message to each."""
    p = event.payload
    notice_id, number = p["delivery_notice_id"], p.get("number", "")
    url = services.document_url(DELIVERY_NOTICE, notice_id)
    clerks, manager = _warehouse_people(p.get("warehouse_id"))
    title = lambda: _("Ship delivery notice %(number)s (order %(order)s)") % {  # noqa: E731
        "number": number, "order": p.get("order_number", "")}
    common = {"kind": kinds.SHIP_DELIVERY_NOTICE.code, "document_type": DELIVERY_NOTICE, "document_id": notice_id,
              "url": url, "event": event, "title": title}
    services.open_todo(role=WAREHOUSE_CLERK, **common)
    if manager is not None and WAREHOUSE_CLERK not in manager.role_codes:
        services.open_todo(assignee=manager, **common)
    services.notify(recipients=[*clerks, manager], verb=event.type, event=event, title=title,
                    body=lambda: _("A new delivery notice is waiting to be picked and shipped."),
                    document_type=DELIVERY_NOTICE, document_id=notice_id, url=url)


@handler("sales.delivery_notice.shipped", name="notifications.delivery_notice_shipped")
def on_delivery_notice_shipped(event: OutboxEvent) -> None:
    p = event.payload
    notice_id = p["delivery_notice_id"]
    services.close_todos(kind=kinds.SHIP_DELIVERY_NOTICE.code, document_type=DELIVERY_NOTICE,
                         document_id=notice_id, status=TodoStatus.DONE, actor=event.actor)
    services.notify(
        recipients=_order_people(p["order_id"], event), verb=event.type, event=event,
        title=lambda: _("Delivery notice %(number)s of order %(order)s was shipped") % {
            "number": p.get("number", ""), "order": p.get("order_number", "")},
        body=lambda: _("Outbound slip %(slip)s.") % {"slip": p.get("outbound_number", "")},
        document_type=DELIVERY_NOTICE, document_id=notice_id, url=services.document_url(DELIVERY_NOTICE, notice_id))


@handler("sales.delivery_notice.cancelled", name="notifications.delivery_notice_cancelled")
def on_delivery_notice_cancelled(event: OutboxEvent) -> None:
    services.close_todos(kind=kinds.SHIP_DELIVERY_NOTICE.code, document_type=DELIVERY_NOTICE,
                         document_id=event.payload["delivery_notice_id"], status=TodoStatus.CANCELLED,
                         actor=event.actor)


# Safety-stock alerts ---------------------------------------------------------------------------
def _touched(payload: dict[str, Any]) -> set[tuple[int, int]]:
    rows: Iterable[dict[str, Any]] = payload.get("moves") or payload.get("reservations") or []
    return {(int(r["product_id"]), int(r["warehouse_id"])) for r in rows
            if r.get("product_id") is not None and r.get("warehouse_id") is not None}


@handler("inventory.stock.*", name="notifications.safety_stock")
def check_safety_stock(event: OutboxEvent) -> None:
    """Stock below a product's safety stock in a warehouse: a replenish to-do and a message for the
    product's buyer (else everyone with the buyer role), once while it stays low; the to-do closes
    when available stock is back at or above safety stock."""
    touched = _touched(event.payload)
    if not touched:
        return
    products = Product.objects.select_related("buyer").in_bulk({pid for pid, _wid in touched})
    warehouses = Warehouse.objects.in_bulk({wid for _pid, wid in touched})
    for product_id, warehouse_id in sorted(touched):
        product, warehouse = products.get(product_id), warehouses.get(warehouse_id)
        if product is None or warehouse is None:
            continue
        available = inventory_selectors.available_quantity(product_id=product_id, warehouse_id=warehouse_id)
        scope = f"warehouse:{warehouse_id}"
        if product.safety_stock <= 0 or available >= product.safety_stock:
            services.close_todos(kind=kinds.REPLENISH.code, document_type="catalog.product",
                                 document_id=product_id, scope=scope, status=TodoStatus.DONE)
            continue
        _alert(event, product, warehouse, available, scope)


def _alert(event: OutboxEvent, product: Product, warehouse: Warehouse, available: Decimal, scope: str) -> None:
    buyers = [product.buyer] if product.buyer is not None else services.users_with_role("buyer")
    url = services.document_url("catalog.product", str(product.pk))
    facts = {"product": str(product), "warehouse": str(warehouse), "available": f"{available.normalize():f}",
             "safety": f"{product.safety_stock.normalize():f}"}
    title = lambda: _("%(product)s is below safety stock in %(warehouse)s") % facts  # noqa: E731
    opened = False
    for buyer in buyers:
        _todo, created = services.open_todo(kind=kinds.REPLENISH.code, document_type="catalog.product",
                                            document_id=product.pk, scope=scope, assignee=buyer, url=url,
                                            event=event, title=title)
        opened = opened or created
    if not buyers:
        _todo, opened = services.open_todo(kind=kinds.REPLENISH.code, document_type="catalog.product",
                                           document_id=product.pk, scope=scope, role="buyer", url=url,
                                           event=event, title=title)
    if opened:  # alert once per episode of low stock, not on every move while it stays low
        services.notify(recipients=buyers, verb=BELOW_SAFETY, event=event, title=title,
                        body=lambda: _("Available %(available)s, safety stock %(safety)s.") % facts,
                        document_type="catalog.product", document_id=str(product.pk), url=url)


