"""Sales orders (SPEC O1, O2): one service per use case, each its own transaction:
validate → lock the order → change → ledger → audit → outbox.

``draft → confirmed → partially_shipped → shipped → closed``, and ``cancelled`` from draft, confirmed
or partially shipped (the unshipped rest); ``enums.SALES_ORDER_TRANSITIONS``. An order the approval
flow of ``sales.order`` asks about (over the credit limit, a big discount; ``sales.approval``) goes
``draft → pending_approval`` and is confirmed by the final approval, or goes back to draft. Confirming reserves
every line with the ledger's conditional UPDATE in one transaction; what stock cannot cover follows
the order's shortage policy and is recorded as purchase demand either way."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from caixiao.approvals import services as approval_services
from caixiao.catalog.models import Product
from caixiao.core import audit, numbering, outbox, rows, transitions
from caixiao.core.errors import NotFound, ValidationFailed
from caixiao.core.money import quantize_qty
from caixiao.core.retry import retry_on_conflict
from caixiao.inventory import services as inventory_services
from caixiao.inventory.errors import InsufficientStock
from caixiao.inventory.references import Ref
from caixiao.sales import events, locks, selectors
from caixiao.sales.approval import DOCUMENT_TYPE
from caixiao.sales.enums import (
    EDITABLE_ORDER_STATUSES,
    OPEN_NOTICE_STATUSES,
    OPEN_ORDER_STATUSES,
    SALES_ORDER_TRANSITIONS,
    SalesOrderStatus,
    ShortagePolicy,
)
from caixiao.sales.errors import (
    ApprovalRequiredNoStep,
    AwaitingApproval,
    BlockedByRule,
    EmptyOrder,
    LineShortage,
    NotEditable,
    OpenDeliveryNotices,
    OrderStockShortage,
)
from caixiao.sales.models import SalesOrder, SalesOrderLine
from caixiao.sales.services import demand
from caixiao.sales.services.inputs import (
    HEADER_FIELDS,
    NOTES_MAX_LENGTH,
    OrderChecker,
    OrderLineInput,
    default_shortage_policy,
    order_totals,
    price_line,
    today,
)

NUMBER_PREFIX = "SO"
ZERO = Decimal("0")
REASON_MAX_LENGTH = 200
CONFIRM_HOOK = "sales.order.confirm"  # rules on it may block confirming or ask for approval (docs/rules.md)


def line_ref(order: SalesOrder, line: SalesOrderLine) -> Ref:
    """How the ledger names an order line: its reservations and shipments carry ``SO-… #n``."""
    return Ref.to(line, label=f"{order.number} #{line.position}")


def get_order_for_update(order_id: int) -> SalesOrder:
    try:
        return locks.get_order_for_update(order_id=order_id)
    except SalesOrder.DoesNotExist:
        raise NotFound() from None


# Entering and editing -------------------------------------------------------------------------------------
@retry_on_conflict
@transaction.atomic
def create_order(*, customer_id: int, warehouse_id: int, lines: Sequence[OrderLineInput] = (),
                 requested_on: Any = None, currency: str | None = None, owner_id: int | None = None,
                 shortage_policy: str | None = None, customer_reference: str = "", notes: str = "",
                 actor: Any) -> SalesOrder:
    """A draft order. Defaults: requested today, the customer's currency, the customer's account manager
    (else the actor) as sales rep, the configured shortage policy (``SALES_SHORTAGE_POLICY``); each
    line at the product's sale price and tax rate. A user may order only for customers they see."""
    checker = OrderChecker()
    customer = checker.customer(customer_id, actor=actor)
    warehouse = checker.active_warehouse(warehouse_id)
    values: dict[str, Any] = {
        "requested_on": checker.requested_on(today() if requested_on is None else requested_on),
        "currency": checker.currency(currency or (customer.currency if customer else "CNY")),
        "shortage_policy": checker.policy(shortage_policy or default_shortage_policy()),
        "customer_reference": checker.text("customer_reference", customer_reference, max_length=64),
        "notes": checker.text("notes", notes, max_length=NOTES_MAX_LENGTH),
    }
    owner = checker.owner(owner_id)
    new_lines = checker.order_lines(lines)
    checker.totals(new_lines, values["currency"] or "CNY")
    checker.raise_if_any()
    assert customer is not None and warehouse is not None
    if owner is None:  # the customer's account manager is most often the actor: no need to load them
        mine = customer.account_manager_id is not None and customer.account_manager_id == getattr(actor, "pk", None)
        owner = actor if mine else customer.account_manager or (actor if getattr(actor, "pk", None) else None)

    order = SalesOrder(number=numbering.next_number(NUMBER_PREFIX), customer=customer, warehouse=warehouse,
                       owner=owner, created_by=actor if getattr(actor, "pk", None) else None, **values)
    order.total_net, order.total_tax, order.total_gross = order_totals(new_lines)
    rows.insert(order)  # order.save() and bulk_create, prepared once (core/rows.py)
    for line in new_lines:
        line.order = order
    rows.insert(*new_lines)
    audit.record(actor=actor, obj=order, verb="created", to_state=order.status,
                 changes={"lines": len(new_lines), "total_gross": str(order.total_gross)})
    outbox.emit(events.ORDER_CREATED, aggregate=order, payload=events.order_payload(order), actor=actor)
    return order


@retry_on_conflict
@transaction.atomic
def update_order(*, order_id: int, data: Mapping[str, Any] | None = None,
                 lines: Sequence[OrderLineInput] | None = None, actor: Any) -> SalesOrder:
    """Change a draft: header fields in ``data`` (any of ``HEADER_FIELDS``) and, when ``lines`` is given,
    the whole list of lines: entries with an ``id`` change that line, entries without one are new,
    lines left out are removed. Confirmed orders are not editable (``not_editable``, 409)."""
    data = dict(data or {})
    order = get_order_for_update(order_id)
    if order.status not in EDITABLE_ORDER_STATUSES:
        raise NotEditable(number=order.number, status_label=order.get_status_display())
    if order.status == SalesOrderStatus.PENDING_APPROVAL:
        _withdraw_from_approval(order, actor=actor, reason=_("The order was edited while pending approval."))
    checker = OrderChecker()
    unknown = sorted(set(data) - set(HEADER_FIELDS))
    for name in unknown:
        checker.add(None, name, _("Unknown field."))
    changes = _apply_header(order, data, checker, actor)
    existing = {line.pk: line for line in order.lines.select_related("product")}
    new_lines = None
    if lines is not None:
        new_lines = checker.order_lines(lines, existing=existing)
        checker.totals(new_lines, order.currency)
    checker.raise_if_any()

    if new_lines is not None:
        kept = {line.pk for line in new_lines if line.pk}
        removed = [pk for pk in existing if pk not in kept]
        SalesOrderLine.objects.filter(pk__in=removed).delete()
        for line in new_lines:
            line.order = order
        SalesOrderLine.objects.bulk_update([line for line in new_lines if line.pk], [
            "position", "product", "quantity", "unit_price", "discount_percent", "tax_rate", "total_net",
            "total_tax", "total_gross"])
        SalesOrderLine.objects.bulk_create([line for line in new_lines if not line.pk])
        changes["lines"] = {"count": len(new_lines), "removed": len(removed)}
        current = new_lines
    else:
        current = list(existing.values())
        if "currency" in changes:  # amounts are rounded to the currency
            for line in current:
                price_line(line, order.currency)
            SalesOrderLine.objects.bulk_update(current, ["total_net", "total_tax", "total_gross"])
    order.total_net, order.total_tax, order.total_gross = order_totals(current)
    order.save()
    audit.record(actor=actor, obj=order, verb="updated", changes=changes)
    return order


def _apply_header(order: SalesOrder, data: Mapping[str, Any], checker: OrderChecker, actor: Any) -> dict[str, Any]:
    changes: dict[str, Any] = {}
    resolved: dict[str, Any] = {}
    if "customer_id" in data:
        resolved["customer"] = checker.customer(data["customer_id"], actor=actor)
    if "warehouse_id" in data:
        resolved["warehouse"] = checker.active_warehouse(data["warehouse_id"])
    if "owner_id" in data:
        resolved["owner"] = checker.owner(data["owner_id"])
    if "requested_on" in data:
        resolved["requested_on"] = checker.requested_on(data["requested_on"])
    if "currency" in data:
        resolved["currency"] = checker.currency(data["currency"])
    if "shortage_policy" in data:
        resolved["shortage_policy"] = checker.policy(data["shortage_policy"])
    if "customer_reference" in data:
        resolved["customer_reference"] = checker.text("customer_reference", data["customer_reference"],
                                                      max_length=64)
    if "notes" in data:
        resolved["notes"] = checker.text("notes", data["notes"], max_length=NOTES_MAX_LENGTH)
    if checker.fields:
        return changes
    for name, value in resolved.items():
        old = getattr(order, name)
        if old != value:
            changes[name] = [_jsonable(old), _jsonable(value)]
            setattr(order, name, value)
    return changes


def _jsonable(value: Any) -> Any:
    if value is None or isinstance(value, (bool, int, str)):
        return value
    return str(value)


# Approval (S2) --------------------------------------------------------------------------------------------
def _withdraw_from_approval(order: SalesOrder, *, actor: Any, reason: str) -> None:
    """An order pending approval is edited or cancelled: its approval is cancelled (open tasks close)
    and it is a draft again, to be confirmed (and approved) anew."""
    approval_services.invalidate(doc_type=DOCUMENT_TYPE, obj=order, actor=actor, reason=reason)
    order.refresh_from_db(fields=["status"])
    if order.status == SalesOrderStatus.PENDING_APPROVAL:
        transitions.apply(order, to=SalesOrderStatus.DRAFT, table=SALES_ORDER_TRANSITIONS, actor=actor,
                          comment=reason)


def _check_rules_and_submit(order: SalesOrder, *, actor: Any) -> bool:
    """The rules of the ``sales.order.confirm`` hook first: a ``block`` stops confirming (422
    ``blocked_by_rule``, nothing changed), a ``require_approval`` sends the order to its approval flow
    (the context's ``rule_requires_approval``). Then the approval flow; True if the order now waits."""
    from caixiao.rules import services as rule_services
    from caixiao.sales.rule_actions import order_context

    verdict = rule_services.check_hook(CONFIRM_HOOK, lambda: order_context(order))
    if verdict.blocked:
        raise BlockedByRule(messages=verdict.blocked)
    order.rule_approval_reasons = verdict.approval_reasons  # type: ignore[attr-defined]
    if _submit_for_approval(order, actor=actor):
        return True
    if verdict.approval_reasons:
        raise ApprovalRequiredNoStep(messages=verdict.approval_reasons)
    return False


def _submit_for_approval(order: SalesOrder, *, actor: Any) -> bool:
    """Start the order's approval if a step of its flow applies; True if it now waits for approval."""
    instance = approval_services.submit(doc_type=DOCUMENT_TYPE, obj=order, actor=actor)
    if instance is None:
        return False
    order.total_net, order.total_tax, order.total_gross = order_totals(list(order.lines.all()))
    transitions.apply(order, to=SalesOrderStatus.PENDING_APPROVAL, table=SALES_ORDER_TRANSITIONS, actor=actor,
                      update_fields=["total_net", "total_tax", "total_gross"],
                      changes={"approval_instance": instance.pk})
    return True


@transaction.atomic
def confirm_approved_order(*, order_id: int, actor: Any) -> SalesOrder:
    """The final approval of an order pending approval (called by the approvals engine in its
    transaction): confirm it as ``confirm_order`` would, reserving stock under its shortage policy.
    With the "block" policy and stock short, ``OrderStockShortage`` undoes the approval too."""
    order = get_order_for_update(order_id)
    if order.status != SalesOrderStatus.PENDING_APPROVAL:
        transitions.ensure(order, to=SalesOrderStatus.PENDING_APPROVAL, table=SALES_ORDER_TRANSITIONS)
    outcome = _confirm(order_id=order_id, actor=actor, approved=True)
    if isinstance(outcome, _Blocked):
        raise OrderStockShortage(order_number=outcome.order.number, shortages=outcome.shortages)
    return outcome


@transaction.atomic
def return_order_to_draft(*, order_id: int, actor: Any, comment: str = "") -> SalesOrder:
    """An order pending approval was rejected, returned for changes or withdrawn: a draft again, the
    approver's comment in its audit trail."""
    order = get_order_for_update(order_id)
    transitions.apply(order, to=SalesOrderStatus.DRAFT, table=SALES_ORDER_TRANSITIONS, actor=actor,
                      comment=comment[:1000] if isinstance(comment, str) else "")
    return order


# Confirming -----------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class _Blocked:
    order: SalesOrder
    shortages: list[LineShortage]


@retry_on_conflict
def confirm_order(*, order_id: int, actor: Any) -> SalesOrder:
    """Confirm a draft: reserve every line in one transaction, freeze the totals, record purchase demand
    for what stock does not cover. If the approval flow of sales orders applies (over the customer's
    credit limit, a discount over the threshold), the order goes to ``pending_approval`` instead,
    nothing reserved, and the final approval confirms it (``confirm_approved_order``).

    Policy ``backorder``: each line takes what is available and the rest is backordered (reserved later
    by ``allocate_backorders``). Policy ``block``: all lines in full or ``OrderStockShortage``
    (``insufficient_stock``, 409) listing every short line; the order stays a draft and nothing is
    reserved, but the shortages are committed as purchase demand, once per line however often
    confirming is retried."""
    outcome = _confirm(order_id=order_id, actor=actor)
    if isinstance(outcome, _Blocked):
        raise OrderStockShortage(order_number=outcome.order.number, shortages=outcome.shortages)
    return outcome


@transaction.atomic
def _confirm(*, order_id: int, actor: Any, approved: bool = False) -> SalesOrder | _Blocked:
    order = get_order_for_update(order_id)
    if order.status == SalesOrderStatus.PENDING_APPROVAL and not approved:
        raise AwaitingApproval(number=order.number)
    transitions.ensure(order, to=SalesOrderStatus.CONFIRMED, table=SALES_ORDER_TRANSITIONS)
    # Loaded once and kept on the order: the approval's context and totals read ``order.lines.all()`` too.
    lines = rows.select(SalesOrderLine, "order_id = %s", [order.pk], order_by="position, id")
    rows.prefetched(order, "lines", lines)
    if not lines:
        raise EmptyOrder()
    if not approved and _check_rules_and_submit(order, actor=actor):
        return order
    requests = [inventory_services.ReserveRequest(product_id=line.product_id, warehouse_id=order.warehouse_id,
                                                  quantity=line.quantity, reference=line_ref(order, line))
                for line in lines]
    if order.shortage_policy == ShortagePolicy.BLOCK:
        try:
            results = inventory_services.reserve_stock(requests=requests, allow_partial=False, actor=actor,
                                                       checked=True)
        except InsufficientStock:
            return _record_blocked(order, lines, actor)
    else:  # the lines were checked on entry: reserve_stock need not load their products again
        results = inventory_services.reserve_stock(requests=requests, allow_partial=True, actor=actor,
                                                   checked=True)
    reserved = {line.pk: result.reserved for line, result in zip(lines, results, strict=True)}
    backordered = {line.pk: result.shortage for line, result in zip(lines, results, strict=True)}
    demand_events = demand.sync_demands(order=order, lines=lines, shortages=backordered)

    # Lines are priced whenever a draft is saved; the order's totals are their sums, frozen from here on.
    order.total_net, order.total_tax, order.total_gross = order_totals(lines)
    order.confirmed_at = timezone.now()
    transitions.apply(order, to=SalesOrderStatus.CONFIRMED, table=SALES_ORDER_TRANSITIONS, actor=actor,
                      update_fields=["total_net", "total_tax", "total_gross", "confirmed_at"],
                      changes={"backordered": {str(k): str(v) for k, v in backordered.items() if v}})
    line_facts = events.reservation_lines(lines, reserved, backordered)
    outbox.emit(events.ORDER_CONFIRMED, aggregate=order, actor=actor, payload=events.order_payload(
        order, shortage_policy=order.shortage_policy, lines=line_facts))
    if any(backordered.values()):
        outbox.emit(events.ORDER_BACKORDERED, aggregate=order, actor=actor, payload=events.order_payload(
            order, lines=[facts for facts in line_facts if Decimal(facts["backordered"])]))
    demand.emit_demand_events(order, demand_events, actor=actor)
    return order


def _record_blocked(order: SalesOrder, lines: list[SalesOrderLine], actor: Any) -> _Blocked:
    """The block policy refused: nothing was reserved. Record the shortage of each line (what stock covers
    now, lines of one product sharing it in line order) as purchase demand and note it on the order."""
    availability = selectors.line_availability(warehouse_id=order.warehouse_id,
                                               lines=[(line.product_id, line.quantity) for line in lines])
    codes = dict(Product.objects.filter(pk__in={line.product_id for line in lines}).values_list("pk", "code"))
    shortages = [LineShortage(line_id=line.pk, position=line.position, product_id=line.product_id,
                              product_code=codes[line.product_id], requested=line.quantity, available=atp.available,
                              reservable=atp.reservable, shortage=atp.shortage)
                 for line, atp in zip(lines, availability, strict=True) if atp.shortage > 0]
    demand_events = demand.sync_demands(order=order, lines=lines,
                                        shortages={s.line_id: s.shortage for s in shortages})
    audit.record(actor=actor, obj=order, verb="confirm_blocked",
                 changes={"shortages": [s.as_dict() for s in shortages]})
    demand.emit_demand_events(order, demand_events, actor=actor)
    return _Blocked(order=order, shortages=shortages)


# Cancelling and closing -----------------------------------------------------------------------------------
@retry_on_conflict
@transaction.atomic
def cancel_order(*, order_id: int, actor: Any, reason: str = "") -> SalesOrder:
    """Cancel a draft, or the unshipped rest of a confirmed or partially shipped order: its
    reservations are released, the rest of each line is recorded as cancelled and its open purchase
    demand is cancelled. Open delivery notices must be cancelled (or shipped) first."""
    reason = reason.strip() if isinstance(reason, str) else ""
    if len(reason) > REASON_MAX_LENGTH:
        raise ValidationFailed(fields={"reason": [_("Use at most %(n)s characters.") % {"n": REASON_MAX_LENGTH}]})
    order = get_order_for_update(order_id)
    transitions.ensure(order, to=SalesOrderStatus.CANCELLED, table=SALES_ORDER_TRANSITIONS)
    if order.status == SalesOrderStatus.PENDING_APPROVAL:
        _withdraw_from_approval(order, actor=actor, reason=reason or _("The order was cancelled."))
    open_notices = list(order.delivery_notices.filter(status__in=OPEN_NOTICE_STATUSES).order_by("pk")
                        .values_list("number", flat=True))
    if open_notices:
        raise OpenDeliveryNotices(numbers=open_notices)
    lines = list(order.lines.order_by("position", "id"))
    released: dict[int, Decimal] = {}
    if order.status in OPEN_ORDER_STATUSES:
        released = selectors.reserved_by_line([line.pk for line in lines])
        if released:
            inventory_services.release_reservation(requests=[
                inventory_services.ReleaseRequest(reference=line_ref(order, line))
                for line in lines if line.pk in released], actor=actor)
        for line in lines:
            line.quantity_cancelled = line.quantity_open + line.quantity_cancelled
        SalesOrderLine.objects.bulk_update(lines, ["quantity_cancelled"])
    demand_events = demand.sync_demands(order=order, lines=lines, shortages={})
    order.cancelled_at, order.cancel_reason = timezone.now(), reason
    transitions.apply(order, to=SalesOrderStatus.CANCELLED, table=SALES_ORDER_TRANSITIONS, actor=actor,
                      update_fields=["cancelled_at", "cancel_reason"], comment=reason)
    outbox.emit(events.ORDER_CANCELLED, aggregate=order, actor=actor, payload=events.order_payload(
        order, reason=reason, lines=[{"line_id": line.pk, "product_id": line.product_id,
                                      "quantity_cancelled": events.qty(line.quantity_cancelled),
                                      "released": events.qty(released.get(line.pk, ZERO))} for line in lines]))
    demand.emit_demand_events(order, demand_events, actor=actor)
    return order


@retry_on_conflict
@transaction.atomic
def close_order(*, order_id: int, actor: Any) -> SalesOrder:
    """Close a fully shipped order (nothing left to do for the warehouse)."""
    order = get_order_for_update(order_id)
    order.closed_at = timezone.now()
    transitions.apply(order, to=SalesOrderStatus.CLOSED, table=SALES_ORDER_TRANSITIONS, actor=actor,
                      update_fields=["closed_at"])
    outbox.emit(events.ORDER_CLOSED, aggregate=order, payload=events.order_payload(order), actor=actor)
    return order


# Backorders -----------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class AllocatedLine:
    line: SalesOrderLine
    reserved: Decimal  # reserved by this call
    backordered: Decimal  # still waiting after it


@retry_on_conflict
@transaction.atomic
def allocate_backorders(*, product_id: int, warehouse_id: int, actor: Any) -> list[AllocatedLine]:
    """Reserve available stock of a product in a warehouse for the backordered lines of open orders,
    first requested first (then first confirmed). Returns the lines that got stock.

    Runs by itself when stock arrives or is released (``sales/handlers.py``), and on demand (API action,
    web button). Orders are locked in pk order before the ledger's rows (docs/ledger.md "Locking order")."""
    checker = OrderChecker()
    checker.load(product_ids=[product_id], warehouse_ids=[warehouse_id])
    checker.product(None, product_id)
    checker.warehouse(None, warehouse_id)
    checker.raise_if_any()
    waiting = selectors.backordered_lines(product_id=product_id, warehouse_id=warehouse_id)
    if not waiting:
        return []
    orders = locks.lock_orders({line.order_id for line, _quantity in waiting})
    # Read again under the locks: shipments, cancellations and other allocations may have run meanwhile.
    waiting = [(line, quantity) for line, quantity in selectors.backordered_lines(
        product_id=product_id, warehouse_id=warehouse_id) if line.order_id in orders]
    if not waiting:
        return []
    results = inventory_services.reserve_stock(requests=[inventory_services.ReserveRequest(
        product_id=product_id, warehouse_id=warehouse_id, quantity=quantity,
        reference=line_ref(orders[line.order_id], line)) for line, quantity in waiting],
        allow_partial=True, actor=actor)
    allocated = [AllocatedLine(line=line, reserved=quantize_qty(result.reserved),
                               backordered=quantize_qty(result.shortage))
                 for (line, _quantity), result in zip(waiting, results, strict=True) if result.reserved > 0]
    for order_id in sorted({a.line.order_id for a in allocated}):
        order = orders[order_id]
        mine = [a for a in allocated if a.line.order_id == order_id]
        demand_events = demand.sync_demands(order=order, lines=[a.line for a in mine],
                                            shortages={a.line.pk: a.backordered for a in mine})
        audit.record(actor=actor, obj=order, verb="backorder_allocated",
                     changes={str(a.line.pk): str(a.reserved) for a in mine})
        outbox.emit(events.ORDER_BACKORDER_ALLOCATED, aggregate=order, actor=actor, payload=events.order_payload(
            order, lines=[{"line_id": a.line.pk, "position": a.line.position, "product_id": a.line.product_id,
                           "reserved": events.qty(a.reserved), "backordered": events.qty(a.backordered)}
                          for a in mine]))
        demand.emit_demand_events(order, demand_events, actor=actor)
    return allocated
