"""Sales write services (docs/sales.md). Callers import this package:
``from caixiao.sales import services as sales_services``.

Every function takes keyword arguments and an ``actor``, owns its transaction (validate → lock →
change → ledger → audit → outbox) and raises ``DomainError``s (``sales.errors``, the ledger's
``insufficient_stock`` / ``reservation_exceeded``, ``invalid_transition``)."""

from caixiao.sales.services.demand import consume_purchase_demand
from caixiao.sales.services.fulfilment import (
    CheckedLine,
    NoticeLineInput,
    cancel_delivery_notice,
    check_delivery,
    create_delivery_notice,
    pack_delivery,
    plan_picks,
    ship_delivery,
    start_picking,
)
from caixiao.sales.services.inputs import OrderLineInput, line_totals
from caixiao.sales.services.orders import (
    AllocatedLine,
    allocate_backorders,
    cancel_order,
    close_order,
    confirm_approved_order,
    confirm_order,
    create_order,
    return_order_to_draft,
    update_order,
)

__all__ = [
    "AllocatedLine",
    "CheckedLine",
    "NoticeLineInput",
    "OrderLineInput",
    "allocate_backorders",
    "cancel_delivery_notice",
    "cancel_order",
    "check_delivery",
    "close_order",
    "confirm_approved_order",
    "confirm_order",
    "consume_purchase_demand",
    "create_delivery_notice",
    "create_order",
    "line_totals",
    "pack_delivery",
    "plan_picks",
    "return_order_to_draft",
    "ship_delivery",
    "start_picking",
    "update_order",
]
