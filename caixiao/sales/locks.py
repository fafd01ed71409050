"""Row locks of the sales documents. Within a transaction: the sales order first, then its delivery
notice, then whatever the ledger locks (docs/ledger.md "Locking order"); several orders in pk order.
``select_for_update(no_key=True)``: the rows are updated, never deleted or re-keyed. On SQLite there is
no row lock (IMMEDIATE transactions serialise writers) and the lock clause is left out."""

from __future__ import annotations

from collections.abc import Iterable

from django.db import connection
from django.db.models import QuerySet

from caixiao.core import rows
from caixiao.sales.models import DeliveryNotice, SalesOrder


def _for_update(queryset: QuerySet) -> QuerySet:
    if connection.features.has_select_for_update:
        return queryset.select_for_update(no_key=True, of=("self",))
    return queryset


def get_order_for_update(*, order_id: int) -> SalesOrder:
    """``SalesOrder.DoesNotExist`` when there is no such order. The customer comes with it (confirming
    checks its credit); the sales rep is read when asked for (an approval's requester or a condition on
    the rep's department), which most changes never do. Only the order is locked. A prepared statement
    (``core/rows.py``): every change of an order starts here."""
    return rows.get(SalesOrder, order_id, related=("customer",), for_update=True)


def lock_orders(order_ids: Iterable[int]) -> dict[int, SalesOrder]:
    """Lock several orders in pk order (allocating backorders across orders)."""
    orders = _for_update(SalesOrder.objects.filter(pk__in=list(order_ids))).order_by("pk")
    return {order.pk: order for order in orders}


def get_notice_for_update(*, notice_id: int) -> DeliveryNotice:
    return _for_update(DeliveryNotice.objects.all()).get(pk=notice_id)
