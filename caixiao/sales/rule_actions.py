"""What sales gives the rule engine (docs/rules.md): the provider of the ``sales_order`` subject
(contexts for sales-order events, history for dry-runs, ``order_context`` for the synchronous
``sales.order.confirm`` hook) and the ``create_purchase_demand`` action (the built-in "sales order
above a threshold → purchase requisition" rule). Imported in ``SalesConfig.ready``."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator
from decimal import Decimal
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from caixiao.core import outbox, transitions
from caixiao.rules.actions import Action, ActionContext, register_action
from caixiao.rules.enums import TriggerKind
from caixiao.rules.errors import ChangedSince
from caixiao.rules.models import RuleChange
from caixiao.rules.subjects import Target, set_provider
from caixiao.sales import events, selectors
from caixiao.sales.enums import PURCHASE_DEMAND_TRANSITIONS, PurchaseDemandStatus, SalesOrderStatus
from caixiao.sales.models import PurchaseDemand, SalesOrder
from caixiao.sales.services.demand import emit_demand_events, sync_demands

ZERO = Decimal("0")
SALES_ORDER = "sales.salesorder"
# Orders whose amount counts as open for the customer (the open_amount field).
_OPEN = [SalesOrderStatus.CONFIRMED, SalesOrderStatus.PARTIALLY_SHIPPED]


def _orders() -> Any:
    return SalesOrder.objects.select_related("customer", "customer__category", "customer__region", "warehouse"
                                             ).prefetch_related("lines__product")


def order_context(order: SalesOrder, *, as_of: dt.datetime | None = None,
                  open_amounts: dict[int, Decimal] | None = None) -> tuple[Target, dict[str, Any]]:
    """The ``sales_order`` subject's context of one order (and its target), e.g. for
    ``rules.services.check_hook("sales.order.confirm", context, target=target)``. Totals are computed
    from the lines for a draft (a confirmed order's totals are frozen)."""
    as_of = as_of or timezone.now()
    lines = list(order.lines.all())
    amount = order.total_gross or sum((line.total_gross for line in lines), ZERO)
    net = order.total_net or sum((line.total_net for line in lines), ZERO)
    if not amount and lines:  # a draft whose line totals are not frozen yet
        net = sum((line.quantity * line.unit_price * (1 - line.discount_percent / 100) for line in lines), ZERO)
        amount = sum((line.quantity * line.unit_price * (1 - line.discount_percent / 100) * (1 + line.tax_rate)
                      for line in lines), ZERO)
    if open_amounts is None:  # the same figure as the credit check's (approval context ``exposure``)
        open_amounts = {order.customer_id: selectors.open_order_value(customer_id=order.customer_id,
                                                                      exclude_order_id=order.pk)}
    customer = order.customer
    today = timezone.localtime(as_of).date()
    context = {
        "order": {
            "number": order.number, "status": order.status, "amount": amount, "total_net": net,
            "currency": order.currency, "warehouse": order.warehouse.code, "line_count": len(lines),
            "max_discount_percent": max((line.discount_percent for line in lines), default=ZERO),
            "days_to_requested": (order.requested_on - today).days,
            "lines": [{"product": line.product.code, "quantity": line.quantity, "unit_price": line.unit_price,
                       "discount_percent": line.discount_percent, "amount": line.total_gross} for line in lines],
        },
        "customer": {
            "code": customer.code, "name": customer.name,
            "category": customer.category.code if customer.category_id else "",
            "region": customer.region.code if customer.region_id else "",
            "credit_limit": customer.credit_limit, "open_amount": open_amounts.get(order.customer_id, ZERO),
        },
        "as_of": today,
    }
    target = Target(SALES_ORDER, str(order.pk), f"{order.number} {customer.name}",
                    data={"order_id": order.pk, "owner_id": order.owner_id})
    return target, context


class SalesOrderProvider:
    def contexts(self, event: Any, as_of: dt.datetime) -> Iterable[tuple[Target, dict[str, Any]]]:
        order_id = (event.payload or {}).get("order_id") if event is not None else None
        if event is not None and order_id is None:
            return []
        orders = _orders().filter(pk=order_id) if order_id is not None else _orders().filter(status__in=_OPEN)
        return [order_context(order, as_of=as_of) for order in orders]

    def history(self, start: dt.datetime, end: dt.datetime) -> Iterator[tuple[dt.datetime, Target, dict[str, Any]]]:
        """Orders as they were confirmed between ``start`` and ``end`` (dry-runs of hook rules)."""
        for order in _orders().filter(confirmed_at__gte=start, confirmed_at__lte=end).order_by("confirmed_at"):
            target, context = order_context(order, as_of=order.confirmed_at)
            yield order.confirmed_at, target, context  # type: ignore[misc]


set_provider("sales_order", SalesOrderProvider())


# create_purchase_demand -----------------------------------------------------------------------------------
def _open_lines(order: SalesOrder) -> list[Any]:
    lines = list(order.lines.all())
    covered = set(PurchaseDemand.objects.filter(order_line__in=lines, status=PurchaseDemandStatus.OPEN)
                  .values_list("order_line_id", flat=True))
    return [line for line in lines if line.pk not in covered and line.quantity - line.quantity_cancelled > 0]


def _create_purchase_demand(ctx: ActionContext) -> list[RuleChange]:
    order = SalesOrder.objects.select_for_update(no_key=True).filter(pk=int(ctx.target.data["order_id"])).first()
    if order is None or order.status not in _OPEN:
        return []
    lines = _open_lines(order)
    changed = sync_demands(order=order, lines=lines,
                           shortages={line.pk: line.quantity - line.quantity_cancelled for line in lines})
    emit_demand_events(order, changed, actor=None)
    return [ctx.change(action_type="create_purchase_demand", document_type="sales.purchasedemand", object_id=row.pk,
                       field="status", old=None, new=row.status, label=f"{order.number} / {row.product_id}",
                       description=_("Purchase demand for %(qty)s of product %(product)s (order %(order)s)") % {
                           "qty": f"{row.quantity.normalize():f}", "product": row.product_id, "order": order.number})
            for _event, row in changed if row.status == PurchaseDemandStatus.OPEN]


def _dry_purchase_demand(ctx: ActionContext) -> str:
    lines = ctx.context["order"]["lines"]
    return _("Purchase demand for %(count)s lines: %(lines)s") % {
        "count": len(lines), "lines": ", ".join(f"{line['product']} × {Decimal(str(line['quantity'])).normalize():f}"
                                                for line in lines)}


def _revert_purchase_demand(change: RuleChange, actor: Any) -> Any:
    demand = PurchaseDemand.objects.select_for_update(no_key=True).filter(pk=change.object_id).first()
    if demand is None or demand.status != PurchaseDemandStatus.OPEN:
        raise ChangedSince()  # consumed by purchasing (or cancelled) since
    demand.cancelled_at = timezone.now()
    transitions.apply(demand, to=PurchaseDemandStatus.CANCELLED, table=PURCHASE_DEMAND_TRANSITIONS, actor=actor,
                      update_fields=["cancelled_at"], comment="rule change reverted")
    outbox.emit(events.PURCHASE_DEMAND_CANCELLED, aggregate=demand, actor=actor, payload={
        "version": events.PAYLOAD_VERSION, "demand_id": demand.pk, "product_id": demand.product_id,
        "warehouse_id": demand.warehouse_id, "quantity": events.qty(demand.quantity),
        "order_line_id": demand.order_line_id})
    return PurchaseDemandStatus.CANCELLED


register_action(Action(
    type="create_purchase_demand", label=gettext_lazy("Create purchase demand"), run=_create_purchase_demand,
    dry_run=_dry_purchase_demand, revert=_revert_purchase_demand, subjects=frozenset({"sales_order"}),
    trigger_kinds=frozenset({TriggerKind.EVENT, TriggerKind.SCHEDULE}),
    description=gettext_lazy("Record purchase demand (a requisition for purchasing) for the order's lines that have "
                             "none open; reverting cancels it unless purchasing took it over."),
))
