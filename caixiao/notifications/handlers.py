"""Outbox consumers of notifications (STYLE.md B8): each runs in its event delivery's transaction,
re-reads what it needs, and is idempotent per event id, so retries and replays never duplicate a
notification, a to-do or a webhook delivery."""

from __future__ import annotations

from typing import Any

from django.apps import apps
from django.utils.translation import gettext as _

from caixiao.core.events import handler
from caixiao.core.models import OutboxEvent
from caixiao.inventory.models import Warehouse
from caixiao.notifications import approvals as approval_handlers  # noqa: F401  (registers its handlers)
from caixiao.notifications import kinds, services, webhooks
from caixiao.notifications.models import TodoStatus

DELIVERY_NOTICE = "sales.deliverynotice"
SALES_ORDER = "sales.salesorder"
WAREHOUSE_CLERK = "warehouse_clerk"


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


@handler("*", name="notifications.webhooks", when=webhooks.has_subscribers)
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


# Rule actions (notify, create_todo, replenishment_alert) and the rule-failure alert.
from caixiao.notifications import rules as _rules  # noqa: E402, F401
