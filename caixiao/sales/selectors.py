"""Reads for sales orders, delivery notices and purchase demand. Nothing here writes or locks (the
``get_*_for_update`` helpers are in ``locks.py``).

Row visibility (X2), one rule for every sales document: a user sees the documents of the customers
they may see, i.e. whose account manager is in ``accounts.selectors.visible_owner_ids(user)`` (a sales
rep their own customers, a manager their departments', warehouse, finance and executives all). The
order's ``owner`` (who entered it) does not widen or narrow that.

Quantities of a line: ``quantity_shipped`` and ``quantity_cancelled`` are stored on the line;
``reserved`` is the open remainder of the ledger's reservations naming the line; ``backordered`` is
what is left: ``quantity − shipped − cancelled − reserved`` (for confirmed orders)."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_DOWN, Decimal
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db.models import Count, F, Prefetch, Q, QuerySet, Sum
from django.db.models.functions import Round

from caixiao.accounts import selectors as account_selectors
from caixiao.catalog import selectors as catalog_selectors
from caixiao.catalog.models import Product
from caixiao.core.fields import QtyField
from caixiao.core.money import QTY_DECIMAL_PLACES, quantize_money, quantize_qty
from caixiao.inventory import selectors as inventory_selectors
from caixiao.inventory.enums import ReservationStatus
from caixiao.inventory.models import Reservation
from caixiao.sales.enums import (
    OPEN_NOTICE_STATUSES,
    OPEN_ORDER_STATUSES,
    PICKING_NOTICE_STATUSES,
    PurchaseDemandStatus,
    SalesOrderStatus,
)
from caixiao.sales.models import (
    DeliveryNotice,
    DeliveryNoticeLine,
    DeliveryNoticePick,
    PurchaseDemand,
    SalesOrder,
    SalesOrderLine,
)

ZERO = Decimal("0")


def _exact(value: Decimal | None) -> Decimal:
    """Sums come back from SQLite as doubles: round to the stored 6 places."""
    return quantize_qty(value or ZERO, QTY_DECIMAL_PLACES)


def _visible(queryset: QuerySet, for_user: Any, customer_path: str) -> QuerySet:
    owners = account_selectors.visible_owner_ids(for_user)
    if owners is None:
        return queryset
    return queryset.filter(**{f"{customer_path}__account_manager_id__in": owners})


# Orders --------------------------------------------------------------------------------------------------
def list_orders(*, for_user: Any, status: str | None = None, customer_id: int | None = None,
                warehouse_id: int | None = None, date_from: date | None = None, date_to: date | None = None,
                q: str | None = None) -> QuerySet[SalesOrder]:
    """Orders the user may see, newest first. Dates filter the requested delivery date, both ends
    included; ``q`` searches the number, the customer's reference, code and name."""
    orders = _visible(SalesOrder.objects.select_related("customer", "warehouse", "owner"), for_user, "customer")
    if status:
        orders = orders.filter(status=status)
    if customer_id is not None:
        orders = orders.filter(customer_id=customer_id)
    if warehouse_id is not None:
        orders = orders.filter(warehouse_id=warehouse_id)
    if date_from is not None:
        orders = orders.filter(requested_on__gte=date_from)
    if date_to is not None:
        orders = orders.filter(requested_on__lte=date_to)
    if q:
        term = q.strip()[:100]
        orders = orders.filter(Q(number__icontains=term) | Q(customer_reference__icontains=term)
                               | Q(customer__code__icontains=term) | Q(customer__name__icontains=term))
    return orders.order_by("-created_at", "-id")


def get_order(*, order_id: int, for_user: Any) -> SalesOrder:
    """One visible order with its lines (and their products); ``SalesOrder.DoesNotExist`` otherwise."""
    lines = SalesOrderLine.objects.select_related("product", "product__base_unit").order_by("position", "id")
    return list_orders(for_user=for_user).prefetch_related(Prefetch("lines", queryset=lines)).get(pk=order_id)


def get_order_for_approver(*, order_id: int) -> SalesOrder:
    """One order with its lines whatever the user's data scope: for the people deciding its approval (an
    approver from another department must see what they approve). The caller checks that the user is
    one of them; ``SalesOrder.DoesNotExist`` otherwise."""
    lines = SalesOrderLine.objects.select_related("product", "product__base_unit").order_by("position", "id")
    return (SalesOrder.objects.select_related("customer", "warehouse", "owner")
            .prefetch_related(Prefetch("lines", queryset=lines)).get(pk=order_id))


def line_content_type_id() -> int:
    return ContentType.objects.get_for_model(SalesOrderLine).pk


def reserved_by_line(line_ids: Collection[int]) -> dict[int, Decimal]:
    """``{line_id: open reserved quantity}`` from the ledger's reservations, one query; no zeros."""
    if not line_ids:
        return {}
    rows = (Reservation.objects.filter(reference_type_id=line_content_type_id(), reference_id__in=list(line_ids),
                                       status=ReservationStatus.OPEN)
            .values_list("reference_id").order_by()
            .annotate(total=Sum(F("quantity") - F("quantity_consumed") - F("quantity_released"),
                                output_field=QtyField())))
    return {line_id: _exact(total) for line_id, total in rows if _exact(total)}


def noticed_by_line(line_ids: Collection[int], *, exclude_notice_id: int | None = None) -> dict[int, Decimal]:
    """``{order_line_id: quantity on open delivery notices}``: promised to the warehouse, not yet shipped."""
    if not line_ids:
        return {}
    rows = DeliveryNoticeLine.objects.filter(order_line_id__in=list(line_ids),
                                             notice__status__in=OPEN_NOTICE_STATUSES)
    if exclude_notice_id is not None:
        rows = rows.exclude(notice_id=exclude_notice_id)
    totals = rows.values_list("order_line_id").order_by().annotate(total=Sum("quantity", output_field=QtyField()))
    return {line_id: _exact(total) for line_id, total in totals}


# Availability (ATP) ------------------------------------------------------------------------------------
@dataclass(frozen=True)
class LineAvailability:
    """Available-to-promise for one line of an order being entered or confirmed (SPEC O2).

    ``available`` is the product's available stock in the warehouse (on_hand − allocated); lines of the
    same product share it in line order, so ``reservable`` is what this line would get and
    ``shortage = requested − reservable``."""

    product_id: int
    requested: Decimal
    available: Decimal
    reservable: Decimal
    shortage: Decimal


def line_availability(*, warehouse_id: int, lines: Sequence[tuple[int, Decimal]]) -> list[LineAvailability]:
    """Per ``(product_id, quantity)`` line, in order: available, requested, reservable, shortage.
    Two queries for any number of lines (balances, units)."""
    product_ids = {product_id for product_id, _ in lines}
    available = {p: quantity for (p, _w), quantity in inventory_selectors.available_quantities(
        product_ids=product_ids, warehouse_id=warehouse_id).items()}
    decimals = dict(Product.objects.filter(pk__in=product_ids).values_list("pk", "base_unit__decimals"))
    left = {p: max(_exact(available.get(p)), ZERO) for p in product_ids}
    result = []
    for product_id, requested in lines:
        step = Decimal(1).scaleb(-decimals.get(product_id, QTY_DECIMAL_PLACES))
        reservable = min(requested, left[product_id].quantize(step, rounding=ROUND_DOWN))
        reservable = max(reservable, ZERO)
        left[product_id] -= reservable
        result.append(LineAvailability(product_id=product_id, requested=_exact(requested),
                                       available=_exact(available.get(product_id)), reservable=_exact(reservable),
                                       shortage=_exact(requested - reservable)))
    return result


@dataclass(frozen=True)
class LineStatus:
    """Everything the order page and the API show per line: the stored line and its live quantities."""

    line: SalesOrderLine
    reserved: Decimal
    backordered: Decimal
    on_delivery_notices: Decimal
    available: Decimal  # the product's available stock in the order's warehouse now
    reservable: Decimal  # drafts: what confirming now would reserve (ATP); otherwise zero
    shortage: Decimal  # drafts: what confirming now would leave short; otherwise the backorder

    @property
    def ready_to_ship(self) -> Decimal:
        """Reserved and not yet on a delivery notice."""
        return max(self.reserved - self.on_delivery_notices, ZERO)


def order_line_statuses(order: SalesOrder) -> list[LineStatus]:
    """The lines of ``order`` (use ``get_order`` so they are prefetched) with their live quantities:
    three queries whatever the number of lines."""
    lines = list(order.lines.all())
    ids = [line.pk for line in lines]
    reserved = reserved_by_line(ids)
    noticed = noticed_by_line(ids)
    atp = line_availability(warehouse_id=order.warehouse_id,
                            lines=[(line.product_id, line.quantity) for line in lines])
    draft = order.status in (SalesOrderStatus.DRAFT, SalesOrderStatus.PENDING_APPROVAL)  # nothing reserved yet
    result = []
    for line, availability in zip(lines, atp, strict=True):
        held = reserved.get(line.pk, ZERO)
        backordered = max(line.quantity_open - held, ZERO) if order.status in OPEN_ORDER_STATUSES else ZERO
        result.append(LineStatus(line=line, reserved=held, backordered=backordered,
                                 on_delivery_notices=noticed.get(line.pk, ZERO), available=availability.available,
                                 reservable=availability.reservable if draft else ZERO,
                                 shortage=availability.shortage if draft else backordered))
    return result


def backordered_pairs(pairs: Collection[tuple[int, int]]) -> set[tuple[int, int]]:
    """Which of these (product, warehouse) pairs have a line of an open order still waiting for stock:
    two queries however many pairs (a receipt of many products asks once, not once per product)."""
    if not pairs:
        return set()
    lines = SalesOrderLine.objects.select_related("order").filter(
        product_id__in={p for p, _w in pairs}, order__warehouse_id__in={w for _p, w in pairs})
    return {(line.product_id, line.order.warehouse_id) for line, _waits in _waiting(lines)} & set(pairs)


def backordered_lines(*, product_id: int, warehouse_id: int) -> list[tuple[SalesOrderLine, Decimal]]:
    """Lines of open orders for the product and warehouse that still wait for stock, first requested
    first (then first confirmed), with the quantity each waits for."""
    return _waiting(SalesOrderLine.objects.select_related("order").filter(
        product_id=product_id, order__warehouse_id=warehouse_id)
        .order_by("order__requested_on", "order__confirmed_at", "order_id", "position", "id"))


def _waiting(lines: QuerySet[SalesOrderLine]) -> list[tuple[SalesOrderLine, Decimal]]:
    """The lines of open orders among ``lines`` whose open quantity is not all reserved, each with what
    it still waits for (two queries)."""
    found = list(lines.filter(order__status__in=OPEN_ORDER_STATUSES))
    reserved = reserved_by_line([line.pk for line in found])
    waiting = [(line, line.quantity_open - reserved.get(line.pk, ZERO)) for line in found]
    return [(line, quantity) for line, quantity in waiting if quantity > 0]


# Credit (S2) -------------------------------------------------------------------------------------------
def open_order_value(*, customer_id: int, exclude_order_id: int | None = None) -> Decimal:
    """What the customer's confirmed and partially shipped orders are worth that has not shipped (nor
    been cancelled) yet: each line's gross amount pro rata of its open quantity. Lines nothing has left
    are summed by the database; only the few partly shipped or cancelled ones are read, so the cost does
    not grow with the customer's open orders (it runs on every confirmation: issue 3 item 8)."""
    lines = SalesOrderLine.objects.filter(order__customer_id=customer_id, order__status__in=OPEN_ORDER_STATUSES)
    if exclude_order_id is not None:
        lines = lines.exclude(order_id=exclude_order_id)
    untouched = Q(quantity_shipped=0, quantity_cancelled=0)
    sums = lines.aggregate(untouched=Sum("total_gross", filter=untouched), partial=Count("pk", filter=~untouched))
    total = Decimal(sums["untouched"] or ZERO)
    if sums["partial"]:
        rows = lines.exclude(untouched).values_list("total_gross", "quantity", "quantity_shipped", "quantity_cancelled")
        for gross, quantity, shipped, cancelled in rows:
            if quantity:
                total += Decimal(gross) * (Decimal(quantity) - Decimal(shipped) - Decimal(cancelled)) / Decimal(quantity)
    return quantize_money(total, "CNY")


@dataclass(frozen=True)
class CreditExposure:
    """The customer's credit limit against what is open (S2): ``exposure`` = open orders + this one."""

    credit_limit: Decimal
    open_orders: Decimal
    this_order: Decimal

    @property
    def exposure(self) -> Decimal:
        return self.open_orders + self.this_order

    @property
    def over_limit(self) -> bool:
        """No limit (0) means no credit check."""
        return self.credit_limit > 0 and self.exposure > self.credit_limit

    @property
    def headroom(self) -> Decimal:
        return self.credit_limit - self.exposure


def credit_exposure(order: SalesOrder) -> CreditExposure:
    """The exposure an order adds to its customer's open orders (the order itself counted once)."""
    return CreditExposure(credit_limit=order.customer.credit_limit,
                          open_orders=open_order_value(customer_id=order.customer_id, exclude_order_id=order.pk),
                          this_order=order.total_gross)


# Backlog: the derived quantity registered with the ledger (SPEC "Quantities") -----------------------------
def backlog(*, product_ids: Collection[int] | None, warehouse_ids: Collection[int] | None
            ) -> dict[tuple[int, int], Decimal]:
    """``{(product_id, warehouse_id): open sales-order quantity not yet shipped}`` over confirmed and
    partially shipped orders, one aggregate query, no zeros (``inventory.quantities`` provider)."""
    lines = SalesOrderLine.objects.filter(order__status__in=OPEN_ORDER_STATUSES)
    if product_ids is not None:
        lines = lines.filter(product_id__in=list(product_ids))
    if warehouse_ids is not None:
        lines = lines.filter(order__warehouse_id__in=list(warehouse_ids))
    open_quantity = Round(Sum(F("quantity") - F("quantity_shipped") - F("quantity_cancelled")),
                          QTY_DECIMAL_PLACES, output_field=QtyField())
    rows = lines.values_list("product_id", "order__warehouse_id").order_by().annotate(total=open_quantity)
    return {(p, w): _exact(total) for p, w, total in rows if _exact(total) > 0}


# Delivery notices -----------------------------------------------------------------------------------------
def list_delivery_notices(*, for_user: Any, status: str | None = None, order_id: int | None = None,
                          warehouse_id: int | None = None, q: str | None = None) -> QuerySet[DeliveryNotice]:
    notices = _visible(DeliveryNotice.objects.select_related("order", "order__customer", "warehouse"), for_user,
                       "order__customer")
    if warehouse_id is not None:
        notices = notices.filter(warehouse_id=warehouse_id)
    return filter_delivery_notices(notices, status=status, order_id=order_id, q=q).order_by("-created_at", "-id")


def filter_delivery_notices(notices: QuerySet[DeliveryNotice], *, status: str | None = None,
                            order_id: int | None = None, q: str | None = None) -> QuerySet[DeliveryNotice]:
    if status:
        notices = notices.filter(status=status)
    if order_id is not None:
        notices = notices.filter(order_id=order_id)
    if q:
        term = q.strip()[:100]
        notices = notices.filter(Q(number__icontains=term) | Q(order__number__icontains=term)
                                 | Q(outbound_number__icontains=term) | Q(order__customer__name__icontains=term))
    return notices


def list_open_delivery_notices(*, for_user: Any, warehouse_id: int | None = None) -> QuerySet[DeliveryNotice]:
    """The warehouse's to-do list (O3): notices not yet shipped or cancelled, the most urgent first."""
    notices = list_delivery_notices(for_user=for_user, warehouse_id=warehouse_id)
    return notices.filter(status__in=OPEN_NOTICE_STATUSES).order_by("order__requested_on", "created_at", "id")


def get_delivery_notice(*, notice_id: int, for_user: Any) -> DeliveryNotice:
    """One visible notice with its lines and pick list prefetched."""
    picks = DeliveryNoticePick.objects.select_related("location").order_by(
        F("location__code").asc(nulls_last=True), "id")
    lines = (DeliveryNoticeLine.objects.select_related("product", "product__base_unit", "order_line")
             .prefetch_related(Prefetch("picks", queryset=picks)).order_by("position", "id"))
    return (list_delivery_notices(for_user=for_user).select_related("address")
            .prefetch_related(Prefetch("lines", queryset=lines)).get(pk=notice_id))


def picked_elsewhere(*, product_ids: Collection[int], warehouse_id: int, exclude_notice_id: int | None = None
                     ) -> dict[tuple[int, int | None], Decimal]:
    """``{(product_id, location_id): quantity}`` on the pick lists of notices being picked, packed or
    checked: stock in those bins that is spoken for until it ships."""
    picks = DeliveryNoticePick.objects.filter(line__product_id__in=list(product_ids),
                                              line__notice__warehouse_id=warehouse_id,
                                              line__notice__status__in=PICKING_NOTICE_STATUSES)
    if exclude_notice_id is not None:
        picks = picks.exclude(line__notice_id=exclude_notice_id)
    rows = picks.values_list("line__product_id", "location_id").order_by().annotate(
        total=Sum("quantity", output_field=QtyField()))
    return {(p, loc): _exact(total) for p, loc, total in rows}


# Purchase demand ------------------------------------------------------------------------------------------
def list_purchase_demands(*, for_user: Any, status: str | None = None, product_id: int | None = None,
                          warehouse_id: int | None = None, order_id: int | None = None) -> QuerySet[PurchaseDemand]:
    demands = _visible(PurchaseDemand.objects.select_related(
        "product", "product__base_unit", "warehouse", "order_line", "order_line__order"), for_user,
        "order_line__order__customer")
    if status:
        demands = demands.filter(status=status)
    if product_id is not None:
        demands = demands.filter(product_id=product_id)
    if warehouse_id is not None:
        demands = demands.filter(warehouse_id=warehouse_id)
    if order_id is not None:
        demands = demands.filter(order_line__order_id=order_id)
    return demands.order_by("needed_on", "id")


def open_demand_by_product(*, product_ids: Collection[int] | None = None) -> dict[tuple[int, int], Decimal]:
    """``{(product_id, warehouse_id): open purchase demand}`` for planning, one query."""
    rows = PurchaseDemand.objects.filter(status=PurchaseDemandStatus.OPEN)
    if product_ids is not None:
        rows = rows.filter(product_id__in=list(product_ids))
    totals = rows.values_list("product_id", "warehouse_id").order_by().annotate(
        total=Sum("quantity", output_field=QtyField()))
    return {(p, w): _exact(total) for p, w, total in totals}


# The scan box (O4) ----------------------------------------------------------------------------------------
@dataclass(frozen=True)
class ScanResult:
    kind: str  # "delivery_notice", "sales_order" or "product"
    id: int
    label: str


SCAN_KINDS = ("delivery_notice", "sales_order", "product")


def find_document_or_product(code: str, *, for_user: Any, kinds: Collection[str] = SCAN_KINDS) -> ScanResult | None:
    """What a scanned code names: a delivery notice (by its DN or outbound slip number), a sales order
    (SO number), or a product (code, barcode, or a unit's barcode), looking only for ``kinds``.
    Documents the user may not see are not found."""
    text = (code or "").strip()
    if not text:
        return None
    number = text.upper()
    if "delivery_notice" in kinds:
        notice = (list_delivery_notices(for_user=for_user).filter(Q(number=number) | Q(outbound_number=number))
                  .values_list("pk", "number").first())
        if notice:
            return ScanResult(kind="delivery_notice", id=notice[0], label=notice[1])
    if "sales_order" in kinds:
        order = list_orders(for_user=for_user).filter(number=number).values_list("pk", "number").first()
        if order:
            return ScanResult(kind="sales_order", id=order[0], label=order[1])
    if "product" in kinds:
        product = catalog_selectors.find_by_barcode(text)
        if product is not None:
            return ScanResult(kind="product", id=product.pk, label=str(product))
    return None
