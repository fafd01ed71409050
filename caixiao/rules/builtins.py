"""The built-in rules (X4, X7, P4), seeded by ``services.ensure_builtin_rules`` (``manage.py serve``,
``load_demo``, ``manage.py seed_rules``). Administrators switch them on or off and may edit them;
seeding again never overwrites their edits."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _

from caixiao.rules.enums import Schedule, TriggerKind

BUILTIN_RULES: list[dict[str, Any]] = [
    {
        "code": "stock-below-safety-stock",
        "name": _("Stock below safety stock → replenishment alert"),
        "description": _("When available stock of a product in a warehouse falls below its safety stock, the "
                         "product's buyer (else every buyer) gets a replenish to-do and one message per episode; "
                         "the to-do closes when stock is back."),
        "trigger_kind": TriggerKind.EVENT, "trigger": "inventory.stock.*", "subject": "product",
        "condition": "product.safety_stock > 0.0 && product.available < product.safety_stock",
        "actions": [{"type": "replenishment_alert", "params": {}}],
        "enabled": True,
    },
    {
        "code": "large-order-purchase-requisition",
        "name": _("Sales order above a threshold → purchase requisition"),
        "description": _("A confirmed sales order of 100,000 or more records purchase demand for its lines."),
        "trigger_kind": TriggerKind.EVENT, "trigger": "sales.order.confirmed", "subject": "sales_order",
        "condition": "order.amount >= 100000.0",
        "actions": [{"type": "create_purchase_demand", "params": {}}],
        "enabled": False,
    },
    {
        "code": "supplier-delivery-late",
        "name": _("Supplier delivery late → notify the account managers of the affected sales orders"),
        "description": _("Every day, for each supplier delivery at least a day late, the owners of the sales orders "
                         "waiting for it are told."),
        "trigger_kind": TriggerKind.SCHEDULE, "trigger": Schedule.DAILY, "subject": "supplier_delivery",
        "condition": "days_late >= 1",
        "actions": [{"type": "notify", "params": {"recipients": ["owners_of_affected_sales_orders"]}}],
        "enabled": False,
    },
    {
        "code": "sales-growth-safety-stock",
        "name": _("3 weeks of > 20% week-over-week growth → safety stock +15%"),
        "description": _("Every week, a product whose weekly sales grew more than 20% over the week before for 3 "
                         "weeks in a row gets 15% more safety stock (at most +50% of the original), for 28 days."),
        "trigger_kind": TriggerKind.SCHEDULE, "trigger": Schedule.WEEKLY, "subject": "product",
        "condition": "wow_growth_streak(product.weekly_sales, 0.20) >= 3",
        "actions": [{"type": "adjust_safety_stock",
                     "params": {"percent": "15", "cap_percent": "50", "expires_days": 28}}],
        "enabled": False,
    },
]
