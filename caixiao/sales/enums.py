"""Statuses and transition tables of the sales documents (STYLE.md B5; docs/sales.md).

Each table maps a status to the statuses it may go to; ``core.transitions`` raises
``InvalidTransition`` for anything else. The approvals issue adds ``pending_approval`` between draft
and confirmed (S2): ``confirm_order`` sends an order that needs approval there; the final approval
confirms it, a rejection, a return for changes, a withdrawal or an edit puts it back to draft."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class SalesOrderStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    PENDING_APPROVAL = "pending_approval", _("Pending approval")
    CONFIRMED = "confirmed", _("Confirmed")
    PARTIALLY_SHIPPED = "partially_shipped", _("Partially shipped")
    SHIPPED = "shipped", _("Shipped")
    CLOSED = "closed", _("Closed")
    CANCELLED = "cancelled", _("Cancelled")


SALES_ORDER_TRANSITIONS: dict[str, frozenset[str]] = {
    SalesOrderStatus.DRAFT: frozenset({SalesOrderStatus.PENDING_APPROVAL, SalesOrderStatus.CONFIRMED,
                                       SalesOrderStatus.CANCELLED}),
    SalesOrderStatus.PENDING_APPROVAL: frozenset({SalesOrderStatus.CONFIRMED, SalesOrderStatus.DRAFT,
                                                  SalesOrderStatus.CANCELLED}),
    SalesOrderStatus.CONFIRMED: frozenset({SalesOrderStatus.PARTIALLY_SHIPPED, SalesOrderStatus.SHIPPED,
                                           SalesOrderStatus.CANCELLED}),
    SalesOrderStatus.PARTIALLY_SHIPPED: frozenset({SalesOrderStatus.SHIPPED, SalesOrderStatus.CANCELLED}),
    SalesOrderStatus.SHIPPED: frozenset({SalesOrderStatus.CLOSED}),
    SalesOrderStatus.CLOSED: frozenset(),
    SalesOrderStatus.CANCELLED: frozenset(),
}

# Orders whose lines may still ship: they hold reservations, count in the backlog and take delivery notices.
OPEN_ORDER_STATUSES = frozenset({SalesOrderStatus.CONFIRMED, SalesOrderStatus.PARTIALLY_SHIPPED})
# Orders whose lines can still be edited; editing an order pending approval withdraws it to draft.
EDITABLE_ORDER_STATUSES = frozenset({SalesOrderStatus.DRAFT, SalesOrderStatus.PENDING_APPROVAL})


class ShortagePolicy(models.TextChoices):
    """What confirming does when stock is short (SPEC O2). Both record purchase demand."""

    BLOCK = "block", _("Block the order")
    BACKORDER = "backorder", _("Reserve what exists, backorder the rest")


class DeliveryNoticeStatus(models.TextChoices):
    OPEN = "open", _("Open")
    PICKING = "picking", _("Picking")
    PACKED = "packed", _("Packed")
    CHECKED = "checked", _("Checked")
    SHIPPED = "shipped", _("Shipped")
    CANCELLED = "cancelled", _("Cancelled")


DELIVERY_NOTICE_TRANSITIONS: dict[str, frozenset[str]] = {
    DeliveryNoticeStatus.OPEN: frozenset({DeliveryNoticeStatus.PICKING, DeliveryNoticeStatus.CANCELLED}),
    DeliveryNoticeStatus.PICKING: frozenset({DeliveryNoticeStatus.PACKED, DeliveryNoticeStatus.CANCELLED}),
    DeliveryNoticeStatus.PACKED: frozenset({DeliveryNoticeStatus.CHECKED, DeliveryNoticeStatus.CANCELLED}),
    DeliveryNoticeStatus.CHECKED: frozenset({DeliveryNoticeStatus.SHIPPED, DeliveryNoticeStatus.CANCELLED}),
    DeliveryNoticeStatus.SHIPPED: frozenset(),
    DeliveryNoticeStatus.CANCELLED: frozenset(),
}

# Notices on the warehouse's to-do list; their quantities are promised to them (not to a new notice).
OPEN_NOTICE_STATUSES = frozenset({DeliveryNoticeStatus.OPEN, DeliveryNoticeStatus.PICKING,
                                  DeliveryNoticeStatus.PACKED, DeliveryNoticeStatus.CHECKED})
# Notices whose pick list is being taken from the bins: the picked quantities are spoken for.
PICKING_NOTICE_STATUSES = frozenset({DeliveryNoticeStatus.PICKING, DeliveryNoticeStatus.PACKED,
                                     DeliveryNoticeStatus.CHECKED})


class PurchaseDemandStatus(models.TextChoices):
    """缺货转采购: open until purchasing takes it (consumed) or the shortage goes away (cancelled)."""

    OPEN = "open", _("Open")
    CONSUMED = "consumed", _("Consumed by purchasing")
    CANCELLED = "cancelled", _("Cancelled")


PURCHASE_DEMAND_TRANSITIONS: dict[str, frozenset[str]] = {
    PurchaseDemandStatus.OPEN: frozenset({PurchaseDemandStatus.CONSUMED, PurchaseDemandStatus.CANCELLED}),
    PurchaseDemandStatus.CONSUMED: frozenset(),
    PurchaseDemandStatus.CANCELLED: frozenset(),
}
