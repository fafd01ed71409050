"""Fulfilment (SPEC O3–O5): delivery notices (发货通知单) from confirmed orders, and the warehouse's
steps on them: ``open → picking → packed → checked → shipped``, or ``cancelled`` before shipping
(``enums.DELIVERY_NOTICE_TRANSITIONS``).

A notice takes reserved quantity of its order's lines that no other open notice holds; several
notices per order make partial shipments. Picking writes the pick list (which bins to take from);
shipping issues the reserved stock from those bins through the ledger (on_hand and allocated fall,
cost of goods sold on each move), adds to the order lines' shipped quantities, moves the order to
partially shipped or shipped and writes the outbound slip number (出库单 ``OS-…``).

Locks: the sales order first, then the notice, then the ledger's rows."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from caixiao.core import audit, numbering, outbox, transitions
from caixiao.core.errors import NotFound
from caixiao.core.money import quantize_money
from caixiao.core.retry import retry_on_conflict
from caixiao.inventory import locks as inventory_locks
from caixiao.inventory import selectors as inventory_selectors
from caixiao.inventory import services as inventory_services
from caixiao.inventory.errors import format_quantity
from caixiao.inventory.models import StockBalance
from caixiao.inventory.references import Ref
from caixiao.partners.models import Address
from caixiao.sales import events, locks, selectors
from caixiao.sales.enums import (
    DELIVERY_NOTICE_TRANSITIONS,
    OPEN_ORDER_STATUSES,
    SALES_ORDER_TRANSITIONS,
    DeliveryNoticeStatus,
    SalesOrderStatus,
)
from caixiao.sales.errors import CheckMismatch, ExceedsReserved, NothingToShip, OrderNotOpen, PickShortage
from caixiao.sales.models import (
    DeliveryNotice,
    DeliveryNoticeLine,
    DeliveryNoticePick,
    SalesOrder,
    SalesOrderLine,
)
from caixiao.sales.services.inputs import NOTES_MAX_LENGTH, OrderChecker
from caixiao.sales.services.orders import get_order_for_update, line_ref

NUMBER_PREFIX = "DN"
OUTBOUND_PREFIX = "OS"
ZERO = Decimal("0")
WEIGHT_DECIMALS = 3


@dataclass(frozen=True)
class NoticeLineInput:
    order_line_id: int
    quantity: Decimal


@dataclass(frozen=True)
class CheckedLine:
    line_id: int  # a delivery notice line
    quantity: Decimal


def _get_notice_for_update(notice_id: int) -> DeliveryNotice:
    try:
        return locks.get_notice_for_update(notice_id=notice_id)
    except DeliveryNotice.DoesNotExist:
        raise NotFound() from None


def notice_line_ref(notice: DeliveryNotice, line: DeliveryNoticeLine) -> Ref:
    return Ref.to(line, label=f"{notice.number} #{line.position}")


# Creating -------------------------------------------------------------------------------------------------
@retry_on_conflict
@transaction.atomic
def create_delivery_notice(*, order_id: int, lines: Sequence[NoticeLineInput] | None = None,
                           address_id: int | None = None, notes: str = "", actor: Any) -> DeliveryNotice:
    """A notice for the warehouse: by default every line's reserved quantity not yet on an open notice;
    or the chosen ``lines`` with quantities up to that (``exceeds_reserved``, 409, beyond it). The order
    must be confirmed or partially shipped (``order_not_open``)."""
    order = get_order_for_update(order_id)
    if order.status not in OPEN_ORDER_STATUSES:
        raise OrderNotOpen(number=order.number, status_label=order.get_status_display())
    order_lines = {line.pk: line for line in order.lines.select_related("product__base_unit")}
    reserved = selectors.reserved_by_line(list(order_lines))
    noticed = selectors.noticed_by_line(list(order_lines))
    ready = {pk: reserved.get(pk, ZERO) - noticed.get(pk, ZERO) for pk in order_lines}
    checker = OrderChecker()
    notes = checker.text("notes", notes, max_length=NOTES_MAX_LENGTH)
    address = _address(checker, address_id, order)
    if lines is None:
        wanted = [(order_lines[pk], quantity) for pk, quantity in sorted(
            ready.items(), key=lambda item: (order_lines[item[0]].position, item[0])) if quantity > 0]
        if not wanted:
            raise NothingToShip(number=order.number)
    else:
        wanted = _chosen_lines(checker, lines, order_lines, ready)
    checker.raise_if_any()

    notice = DeliveryNotice.objects.create(number=numbering.next_number(NUMBER_PREFIX), order=order,
                                           warehouse_id=order.warehouse_id, address=address, notes=notes,
                                           created_by=actor if getattr(actor, "pk", None) else None)
    notice_lines = DeliveryNoticeLine.objects.bulk_create([
        DeliveryNoticeLine(notice=notice, position=i, order_line=line, product_id=line.product_id, quantity=quantity)
        for i, (line, quantity) in enumerate(wanted, start=1)])
    audit.record(actor=actor, obj=notice, verb="created", to_state=notice.status,
                 changes={"order": order.number, "lines": len(notice_lines)})
    audit.record(actor=actor, obj=order, verb="delivery_notice_created", changes={"delivery_notice": notice.number})
    outbox.emit(events.DELIVERY_NOTICE_CREATED, aggregate=notice, actor=actor, payload=events.notice_payload(
        notice, lines=[{"line_id": line.pk, "order_line_id": line.order_line_id, "product_id": line.product_id,
                        "quantity": events.qty(line.quantity)} for line in notice_lines]))
    return notice


def _address(checker: OrderChecker, address_id: int | None, order: SalesOrder) -> Address | None:
    addresses = Address.objects.filter(customer_id=order.customer_id)
    if address_id is None:
        return addresses.filter(is_default=True).first()
    address = addresses.filter(pk=address_id).first() if isinstance(address_id, int) else None
    if address is None:
        checker.add(None, "address_id", _("Choose one of the customer's delivery addresses."))
    return address


def _chosen_lines(checker: OrderChecker, lines: Sequence[NoticeLineInput], order_lines: dict[int, SalesOrderLine],
                  ready: dict[int, Decimal]) -> list[tuple[SalesOrderLine, Decimal]]:
    if not lines:
        checker.add(None, "lines", _("Add at least one line."))
    wanted: list[tuple[SalesOrderLine, Decimal]] = []
    too_much: dict[str, list[str]] = {}
    seen: set[int] = set()
    for i, entry in enumerate(lines):
        line = order_lines.get(entry.order_line_id) if isinstance(entry.order_line_id, int) else None
        if line is None or entry.order_line_id in seen:
            checker.add(i, "order_line_id", _("This line is not on the order.") if line is None
                        else _("Each order line may appear once."))
            continue
        seen.add(line.pk)
        quantity = checker.quantity(i, entry.quantity, product=line.product, sign="positive")
        if quantity is None:
            continue
        if quantity > ready[line.pk]:
            too_much[checker.field(i, "quantity")] = [
                _("At most %(ready)s can be shipped: that is what is reserved and not on another notice.") % {
                    "ready": format_quantity(max(ready[line.pk], ZERO))}]
            continue
        wanted.append((line, quantity))
    checker.raise_if_any()
    if too_much:
        raise ExceedsReserved(fields=too_much)
    return wanted


# Picking, packing, checking -----------------------------------------------------------------------------
@dataclass(frozen=True)
class _Bin:
    location_id: int | None
    code: str
    free: Decimal


def plan_picks(quantity: Decimal, bins: Sequence[_Bin]) -> list[tuple[_Bin, Decimal]]:
    """Where to take ``quantity`` from: one bin if any holds enough (the first by bin code), else the
    fewest bins, largest first; returned in bin-code order for the picker's walk. The stock not in a
    bin sorts after every bin."""
    by_code = sorted((b for b in bins if b.free > 0), key=_walk_order)
    single = next((b for b in by_code if b.free >= quantity), None)
    if single is not None:
        return [(single, quantity)]
    picks, left = [], quantity
    for b in sorted(by_code, key=lambda b: (-b.free, _walk_order(b))):
        if left <= 0:
            break
        take = min(b.free, left)
        picks.append((b, take))
        left -= take
    return sorted(picks, key=lambda pick: _walk_order(pick[0]))


def _walk_order(b: _Bin) -> tuple[bool, str]:
    return (b.location_id is None, b.code)


@retry_on_conflict
@transaction.atomic
def start_picking(*, notice_id: int, actor: Any) -> DeliveryNotice:
    """``open → picking``: write the pick list. Per line the bins to take from (fewest bins first, then
    bin code), out of the bins' on-hand stock less what other notices' pick lists already hold there."""
    notice = _get_notice_for_update(notice_id)
    transitions.ensure(notice, to=DeliveryNoticeStatus.PICKING, table=DELIVERY_NOTICE_TRANSITIONS)
    lines = list(notice.lines.select_related("product").order_by("position", "id"))
    product_ids = {line.product_id for line in lines}
    # Pick lists of one product are planned one at a time: hold its balance rows (after the notice,
    # as the ledger's locking order has it) while reading the bins and the other lists.
    inventory_locks.lock_balances(StockBalance.objects.filter(
        product_id__in=product_ids, warehouse_id=notice.warehouse_id).values_list("pk", flat=True))
    taken = selectors.picked_elsewhere(product_ids=product_ids, warehouse_id=notice.warehouse_id,
                                       exclude_notice_id=notice.pk)
    bins: dict[int, list[_Bin]] = defaultdict(list)
    rows = inventory_selectors.list_bin_balances(warehouse_id=notice.warehouse_id).filter(product_id__in=product_ids)
    for product_id, location_id, code, on_hand in rows.values_list("product_id", "location_id", "location__code",
                                                                   "on_hand"):
        bins[product_id].append(_Bin(location_id, code or "", on_hand - taken.get((product_id, location_id), ZERO)))
    picks = []
    for line in lines:
        plan = plan_picks(line.quantity, bins[line.product_id])
        in_bins = sum((quantity for _bin, quantity in plan), ZERO)
        if in_bins < line.quantity:
            raise PickShortage(product_code=line.product.code, requested=line.quantity, in_bins=in_bins)
        for b, quantity in plan:
            picks.append(DeliveryNoticePick(line=line, location_id=b.location_id, quantity=quantity))
        bins[line.product_id] = [_Bin(b.location_id, b.code, b.free - sum(
            (q for p, q in plan if p.location_id == b.location_id), ZERO)) for b in bins[line.product_id]]
    DeliveryNoticePick.objects.bulk_create(picks)
    notice.picking_started_at = timezone.now()
    notice.picked_by = actor if getattr(actor, "pk", None) else None
    transitions.apply(notice, to=DeliveryNoticeStatus.PICKING, table=DELIVERY_NOTICE_TRANSITIONS, actor=actor,
                      update_fields=["picking_started_at", "picked_by"])
    return notice


@retry_on_conflict
@transaction.atomic
def pack_delivery(*, notice_id: int, actor: Any, packages: int | None = None,
                  weight_kg: Decimal | None = None) -> DeliveryNotice:
    """``picking → packed``, with the number of packages and the gross weight when known."""
    checker = OrderChecker()
    if packages is not None and (not isinstance(packages, int) or isinstance(packages, bool) or packages < 1
                                 or packages > 100_000):
        checker.add(None, "packages", _("Enter a whole number of packages from 1 to 100000."))
    if weight_kg is not None:
        weight_kg = checker.number(None, "weight_kg", weight_kg, places=WEIGHT_DECIMALS, low=ZERO,
                                   high=Decimal("999999999"))
    checker.raise_if_any()
    notice = _get_notice_for_update(notice_id)
    notice.packages, notice.weight_kg, notice.packed_at = packages, weight_kg, timezone.now()
    transitions.apply(notice, to=DeliveryNoticeStatus.PACKED, table=DELIVERY_NOTICE_TRANSITIONS, actor=actor,
                      update_fields=["packages", "weight_kg", "packed_at"])
    return notice


@retry_on_conflict
@transaction.atomic
def check_delivery(*, notice_id: int, lines: Sequence[CheckedLine], actor: Any) -> DeliveryNotice:
    """``packed → checked``: a checker counts every line again. Each counted quantity must equal the
    notice's; any difference is a ``check_mismatch`` (422) naming the lines, and nothing changes."""
    notice = _get_notice_for_update(notice_id)
    transitions.ensure(notice, to=DeliveryNoticeStatus.CHECKED, table=DELIVERY_NOTICE_TRANSITIONS)
    notice_lines = {line.pk: line for line in notice.lines.select_related("product__base_unit")}
    checker = OrderChecker()
    counted: dict[int, Decimal] = {}
    for i, entry in enumerate(lines):
        line = notice_lines.get(entry.line_id) if isinstance(entry.line_id, int) else None
        if line is None or entry.line_id in counted:
            checker.add(i, "line_id", _("This line is not on the delivery notice.") if line is None
                        else _("Each line may appear once."))
            continue
        quantity = checker.quantity(i, entry.quantity, product=line.product, sign="non_negative")
        if quantity is None:
            continue
        counted[line.pk] = quantity
        if quantity != line.quantity:
            checker.add(i, "quantity", _("Counted %(counted)s, the notice says %(expected)s.") % {
                "counted": format_quantity(quantity), "expected": format_quantity(line.quantity)})
    missing = [line for pk, line in sorted(notice_lines.items(), key=lambda item: item[1].position)
               if pk not in counted]
    for line in missing:
        checker.add(None, "lines", _("Line %(position)s (%(product)s) was not checked.") % {
            "position": line.position, "product": line.product.code})
    if checker.fields:
        raise CheckMismatch(fields=checker.fields)
    for line in notice_lines.values():
        line.quantity_checked = counted[line.pk]
    DeliveryNoticeLine.objects.bulk_update(list(notice_lines.values()), ["quantity_checked"])
    notice.checked_at = timezone.now()
    notice.checked_by = actor if getattr(actor, "pk", None) else None
    transitions.apply(notice, to=DeliveryNoticeStatus.CHECKED, table=DELIVERY_NOTICE_TRANSITIONS, actor=actor,
                      update_fields=["checked_at", "checked_by"])
    return notice


# Shipping and cancelling ---------------------------------------------------------------------------------
@retry_on_conflict
@transaction.atomic
def ship_delivery(*, notice_id: int, actor: Any, carrier: str = "", tracking_number: str = "") -> DeliveryNotice:
    """``checked → shipped``: issue the reserved stock from the picked bins (the ledger writes the cost of
    goods sold on each move), add to the order lines' shipped quantities, move the order to partially
    shipped or shipped, and number the outbound slip (出库单)."""
    checker = OrderChecker()
    carrier = checker.text("carrier", carrier, max_length=100)
    tracking_number = checker.text("tracking_number", tracking_number, max_length=64)
    checker.raise_if_any()
    order_id = DeliveryNotice.objects.filter(pk=notice_id).values_list("order_id", flat=True).first()
    if order_id is None:
        raise NotFound()
    order = get_order_for_update(order_id)  # the order first, then its notice (locks.py)
    notice = _get_notice_for_update(notice_id)
    transitions.ensure(notice, to=DeliveryNoticeStatus.SHIPPED, table=DELIVERY_NOTICE_TRANSITIONS)
    lines = list(notice.lines.select_related("order_line").prefetch_related("picks").order_by("position", "id"))
    outbound_number = numbering.next_number(OUTBOUND_PREFIX)
    moves = inventory_services.issue_reserved_stock(requests=[inventory_services.IssueReservedRequest(
        reservation_reference=line_ref(order, line.order_line), product_id=line.product_id,
        warehouse_id=notice.warehouse_id, quantity=pick.quantity, location_id=pick.location_id,
        reference=notice_line_ref(notice, line)) for line in lines for pick in line.picks.all()],
        reason=outbound_number, actor=actor)
    cost: dict[int, Decimal] = defaultdict(Decimal)
    for move in moves:
        cost[move.reference_id] += -move.quantity * move.unit_cost  # type: ignore[index]
    for line in lines:
        line.cost_of_goods = quantize_money(cost[line.pk], order.currency)
    DeliveryNoticeLine.objects.bulk_update(lines, ["cost_of_goods"])
    order_lines = list(order.lines.all())  # read under the order's lock: add in Python, exactly
    shipped = {line.order_line_id: line.quantity for line in lines}
    for order_line in order_lines:
        order_line.quantity_shipped += shipped.get(order_line.pk, ZERO)
    SalesOrderLine.objects.bulk_update([ol for ol in order_lines if ol.pk in shipped], ["quantity_shipped"])
    now = timezone.now()
    _advance_order(order, order_lines, actor=actor, now=now)
    notice.order = order
    notice.outbound_number, notice.shipped_at = outbound_number, now
    notice.carrier, notice.tracking_number = carrier, tracking_number
    transitions.apply(notice, to=DeliveryNoticeStatus.SHIPPED, table=DELIVERY_NOTICE_TRANSITIONS, actor=actor,
                      update_fields=["outbound_number", "shipped_at", "carrier", "tracking_number"])
    outbox.emit(events.DELIVERY_NOTICE_SHIPPED, aggregate=notice, actor=actor, payload=events.notice_payload(
        notice, outbound_number=outbound_number, currency=order.currency, order_status=order.status,
        cost_of_goods=events.money(sum((line.cost_of_goods or ZERO for line in lines), ZERO), order.currency),
        lines=[{"line_id": line.pk, "order_line_id": line.order_line_id, "product_id": line.product_id,
                "quantity": events.qty(line.quantity),
                "cost_of_goods": events.money(line.cost_of_goods or ZERO, order.currency),
                "picks": [{"location_id": pick.location_id, "quantity": events.qty(pick.quantity)}
                          for pick in line.picks.all()]} for line in lines]))
    return notice


def _advance_order(order: SalesOrder, lines: Sequence[SalesOrderLine], *, actor: Any, now: Any) -> None:
    """After a shipment: shipped when nothing is left open on any line, else partially shipped."""
    done = all(line.quantity_open <= 0 for line in lines)
    target = SalesOrderStatus.SHIPPED if done else SalesOrderStatus.PARTIALLY_SHIPPED
    if order.status == target:
        return
    fields = []
    if done:
        order.shipped_at = now
        fields.append("shipped_at")
    transitions.apply(order, to=target, table=SALES_ORDER_TRANSITIONS, actor=actor, update_fields=fields)


@retry_on_conflict
@transaction.atomic
def cancel_delivery_notice(*, notice_id: int, actor: Any, reason: str = "") -> DeliveryNotice:
    """Cancel a notice that has not shipped. Nothing moves in the ledger: the stock stays reserved for
    the order lines, ready for a new notice; the pick list no longer holds its bins."""
    checker = OrderChecker()
    reason = checker.text("reason", reason, max_length=200)
    checker.raise_if_any()
    notice = _get_notice_for_update(notice_id)
    notice.cancelled_at = timezone.now()
    transitions.apply(notice, to=DeliveryNoticeStatus.CANCELLED, table=DELIVERY_NOTICE_TRANSITIONS, actor=actor,
                      update_fields=["cancelled_at"], comment=reason)
    outbox.emit(events.DELIVERY_NOTICE_CANCELLED, aggregate=notice, payload=events.notice_payload(notice),
                actor=actor)
    return notice
