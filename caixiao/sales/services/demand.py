"""Purchase demand (缺货转采购, SPEC O2): what stock could not cover for a sales order line, for the
planning and purchasing issues to consume.

At most one *open* demand per order line; its quantity follows the line's current shortage less what
purchasing already consumed for the line, so confirming again, allocating backorders or cancelling
the order keeps it exact and never piles it up. ``sync_demands`` runs inside the calling service's
transaction, under the order's lock; ``consume_purchase_demand`` is how purchasing takes it over."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from caixiao.core import outbox, rows, transitions
from caixiao.core.errors import ValidationFailed
from caixiao.core.retry import retry_on_conflict
from caixiao.sales import events
from caixiao.sales.enums import PURCHASE_DEMAND_TRANSITIONS, PurchaseDemandStatus
from caixiao.sales.models import PurchaseDemand, SalesOrder, SalesOrderLine

ZERO = Decimal("0")
DemandEvent = tuple[str, PurchaseDemand]


def sync_demands(*, order: SalesOrder, lines: Iterable[SalesOrderLine],
                 shortages: Mapping[int, Decimal]) -> list[DemandEvent]:
    """Make each line's open demand equal to ``shortages[line.pk]`` (missing: zero) less what purchasing
    consumed for it: create, change or cancel the open row. Returns the events to emit."""
    lines = list(lines)
    found = rows.select(PurchaseDemand, "order_line_id IN %s AND status IN %s", [
        [line.pk for line in lines], [PurchaseDemandStatus.OPEN, PurchaseDemandStatus.CONSUMED]])
    changed: list[DemandEvent] = []
    now = timezone.now()
    for line in lines:
        mine = [row for row in found if row.order_line_id == line.pk]
        consumed = sum((row.quantity for row in mine if row.status == PurchaseDemandStatus.CONSUMED), ZERO)
        current = next((row for row in mine if row.status == PurchaseDemandStatus.OPEN), None)
        target = shortages.get(line.pk, ZERO) - consumed
        if target > 0 and current is None:
            current = PurchaseDemand.objects.create(product_id=line.product_id, warehouse_id=order.warehouse_id,
                                                    quantity=target, order_line=line, needed_on=order.requested_on)
            changed.append((events.PURCHASE_DEMAND_RECORDED, current))
        elif target > 0 and current is not None and (current.quantity, current.needed_on) != (
                target, order.requested_on):
            current.quantity, current.needed_on = target, order.requested_on
            current.save(update_fields=["quantity", "needed_on", "updated_at"])
            changed.append((events.PURCHASE_DEMAND_RECORDED, current))
        elif target <= 0 and current is not None:
            current.status, current.cancelled_at = PurchaseDemandStatus.CANCELLED, now
            current.save(update_fields=["status", "cancelled_at", "updated_at"])
            changed.append((events.PURCHASE_DEMAND_CANCELLED, current))
    return changed


def emit_demand_events(order: SalesOrder, changed: Sequence[DemandEvent], *, actor: Any) -> None:
    for event_type, row in changed:
        if event_type == events.PURCHASE_DEMAND_RECORDED:
            payload = events.demand_payload(row, order)
        else:
            payload = {"version": events.PAYLOAD_VERSION, "demand_id": row.pk, "product_id": row.product_id,
                       "warehouse_id": row.warehouse_id, "quantity": events.qty(row.quantity),
                       "order_line_id": row.order_line_id}
        outbox.emit(event_type, aggregate=row, payload=payload, actor=actor)


@retry_on_conflict
@transaction.atomic
def consume_purchase_demand(*, demand_ids: Sequence[int], actor: Any) -> list[PurchaseDemand]:
    """Purchasing took these open demands over (a requisition or purchase order now covers them): they
    leave the open demand and are subtracted from the lines' future shortages. All or nothing."""
    ids = sorted(set(demand_ids))
    if not ids:
        raise ValidationFailed(fields={"demand_ids": [_("Choose at least one purchase demand.")]})
    demands = {row.pk: row for row in PurchaseDemand.objects.select_for_update(no_key=True).filter(pk__in=ids)
               .order_by("pk")}
    missing = [pk for pk in ids if pk not in demands]
    if missing:
        raise ValidationFailed(fields={"demand_ids": [_("Unknown %(target)s: %(value)s") % {
            "target": PurchaseDemand._meta.verbose_name, "value": ", ".join(map(str, missing))}]})
    now = timezone.now()
    for row in demands.values():
        row.consumed_at = now
        transitions.apply(row, to=PurchaseDemandStatus.CONSUMED, table=PURCHASE_DEMAND_TRANSITIONS, actor=actor,
                          update_fields=["consumed_at"])
    consumed = list(demands.values())
    return consumed
