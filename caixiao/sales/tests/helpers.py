"""Assertions shared by the sales tests: what the ledger, the outbox and the tables hold."""

from decimal import Decimal

from caixiao.core.models import AuditEntry, OutboxEvent
from caixiao.inventory.models import Reservation, StockBalance, StockMove
from caixiao.sales.models import (
    DeliveryNotice,
    DeliveryNoticeLine,
    DeliveryNoticePick,
    PurchaseDemand,
    SalesOrder,
    SalesOrderLine,
)

ZERO = Decimal("0")


def levels(product, warehouse) -> tuple[Decimal, Decimal]:
    """(on_hand, allocated) of a product in a warehouse."""
    row = StockBalance.objects.filter(product=product, warehouse=warehouse).first()
    return (row.on_hand, row.allocated) if row else (ZERO, ZERO)


def event_types(**filters) -> list[str]:
    return list(OutboxEvent.objects.filter(**filters).order_by("id").values_list("type", flat=True))


def sales_events() -> list[str]:
    return event_types(type__startswith="sales.")


def last_event(event_type: str) -> dict:
    event = OutboxEvent.objects.filter(type=event_type).order_by("-id").first()
    assert event is not None, f"no {event_type} event"
    return event.payload


def snapshot() -> dict:
    """Everything a bad request must leave as it was."""
    return {
        "orders": list(SalesOrder.objects.order_by("pk").values()),
        "lines": list(SalesOrderLine.objects.order_by("pk").values()),
        "notices": list(DeliveryNotice.objects.order_by("pk").values()),
        "notice_lines": list(DeliveryNoticeLine.objects.order_by("pk").values()),
        "picks": list(DeliveryNoticePick.objects.order_by("pk").values()),
        "demands": list(PurchaseDemand.objects.order_by("pk").values()),
        "balances": list(StockBalance.objects.order_by("pk").values()),
        "reservations": list(Reservation.objects.order_by("pk").values_list(
            "pk", "quantity", "quantity_consumed", "quantity_released", "status")),
        "moves": StockMove.objects.count(),
        "events": OutboxEvent.objects.count(),
        "audit": AuditEntry.objects.count(),
    }
