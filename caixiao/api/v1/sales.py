"""Sales API (issue 3, items 4, 5, 7): sales orders with their lines, availability (ATP) and shipments;
one POST action per transition (confirm, cancel, close), never a PATCH of the status; delivery notices
(the warehouse's to-do list) with one action per fulfilment step; purchase demand; backorder
allocation; the scan box. Reads go through ``sales.selectors`` (scoped to the customers the user
sees), writes through ``sales.services``; POST actions accept an ``Idempotency-Key``."""

from datetime import date, datetime
from decimal import Decimal
from typing import Any, Literal

from django.db.models import QuerySet
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema
from ninja.pagination import paginate
from ninja.responses import Status
from pydantic import ConfigDict

from caixiao.api.crud import Id
from caixiao.api.errors import COMMON_ERRORS, WRITE_ERRORS, ErrorOut
from caixiao.api.idempotency import idempotent
from caixiao.api.pagination import PageNumber
from caixiao.api.permissions import authorize
from caixiao.approvals import selectors as approval_selectors
from caixiao.core.errors import NotFound, PermissionDenied
from caixiao.inventory import selectors as inventory_selectors
from caixiao.sales import selectors, services
from caixiao.sales.approval import DOCUMENT_TYPE as SALES_ORDER_APPROVAL
from caixiao.sales.enums import DeliveryNoticeStatus, PurchaseDemandStatus, SalesOrderStatus, ShortagePolicy
from caixiao.sales.models import DeliveryNotice, PurchaseDemand, SalesOrder
from caixiao.sales.services.inputs import OrderChecker

router = Router(tags=["sales"])

VIEW_ORDERS, ADD_ORDERS, CHANGE_ORDERS = "sales.view_salesorder", "sales.add_salesorder", "sales.change_salesorder"
ALLOCATE = "sales.allocate_backorders"
VIEW_NOTICES, ADD_NOTICES, CHANGE_NOTICES = ("sales.view_deliverynotice", "sales.add_deliverynotice",
                                             "sales.change_deliverynotice")
VIEW_DEMAND = "sales.view_purchasedemand"
ORDERS, NOTICES = ["sales orders"], ["delivery notices"]


def _order(request, pk: int) -> SalesOrder:
    """A visible order with its lines, or 404 (another rep's order does not exist for this user)."""
    try:
        return selectors.get_order(order_id=pk, for_user=request.user)
    except SalesOrder.DoesNotExist:
        raise NotFound() from None


def _notice(request, pk: int) -> DeliveryNotice:
    try:
        return selectors.get_delivery_notice(notice_id=pk, for_user=request.user)
    except DeliveryNotice.DoesNotExist:
        raise NotFound() from None


# Schemas ---------------------------------------------------------------------------------------------------
class OrderLineIn(Schema):
    model_config = ConfigDict(extra="forbid")

    id: Id | None = Field(None, description="an existing line (PATCH only); leave out for a new line")
    product_id: Id
    quantity: Decimal = Field(..., description="in the product's base unit, within its decimal places")
    unit_price: Decimal | None = Field(None, description="before tax; default: the product's sale price")
    discount_percent: Decimal | None = Field(None, description="0–100; default 0")
    tax_rate: Decimal | None = Field(None, description="0–1, e.g. 0.13; default: the product's tax rate")

    def to_input(self) -> services.OrderLineInput:
        return services.OrderLineInput(product_id=self.product_id, quantity=self.quantity,
                                       unit_price=self.unit_price, discount_percent=self.discount_percent,
                                       tax_rate=self.tax_rate, id=self.id)


class SalesOrderIn(Schema):
    model_config = ConfigDict(extra="forbid")  # a status is never set here: transitions are POST actions

    customer_id: Id
    warehouse_id: Id
    requested_on: date | None = Field(None, description="default: today")
    currency: str | None = Field(None, min_length=3, max_length=3, description="default: the customer's")
    owner_id: Id | None = Field(None, description="sales rep; default: the customer's account manager")
    shortage_policy: ShortagePolicy | None = Field(None, description="default: SALES_SHORTAGE_POLICY")
    customer_reference: str = Field("", max_length=64)
    notes: str = Field("", max_length=4000)
    lines: list[OrderLineIn] = Field(default_factory=list, max_length=500)


class SalesOrderPatch(Schema):
    model_config = ConfigDict(extra="forbid")  # a status is never patched: transitions are POST actions

    customer_id: Id | None = None
    warehouse_id: Id | None = None
    requested_on: date | None = None
    currency: str | None = Field(None, min_length=3, max_length=3)
    owner_id: Id | None = None
    shortage_policy: ShortagePolicy | None = None
    customer_reference: str | None = Field(None, max_length=64)
    notes: str | None = Field(None, max_length=4000)
    lines: list[OrderLineIn] | None = Field(None, max_length=500,
                                            description="the whole list: lines left out are removed")


class SalesOrderOut(Schema):
    id: int
    number: str
    status: SalesOrderStatus
    customer_id: int
    customer_code: str = Field(..., alias="customer.code")
    customer_name: str = Field(..., alias="customer.name")
    warehouse_id: int
    warehouse_code: str = Field(..., alias="warehouse.code")
    requested_on: date
    currency: str
    owner_id: int | None
    shortage_policy: ShortagePolicy
    customer_reference: str
    notes: str
    total_net: Decimal
    total_tax: Decimal
    total_gross: Decimal
    confirmed_at: datetime | None
    shipped_at: datetime | None
    closed_at: datetime | None
    cancelled_at: datetime | None
    cancel_reason: str
    created_at: datetime
    updated_at: datetime


class OrderLineOut(Schema):
    id: int
    position: int
    product_id: int
    product_code: str
    product_name: str
    unit: str
    quantity: Decimal
    unit_price: Decimal
    discount_percent: Decimal
    tax_rate: Decimal
    total_net: Decimal
    total_tax: Decimal
    total_gross: Decimal
    quantity_reserved: Decimal
    quantity_backordered: Decimal
    quantity_shipped: Decimal
    quantity_cancelled: Decimal
    quantity_on_delivery_notices: Decimal
    quantity_ready_to_ship: Decimal = Field(..., description="reserved and not yet on a delivery notice")
    available: Decimal = Field(..., description="the product's available stock in the order's warehouse now")
    reservable: Decimal = Field(..., description="drafts: what confirming now would reserve")
    shortage: Decimal = Field(..., description="drafts: what confirming now would leave short; else backordered")


class ReservationOut(Schema):
    id: int
    line_id: int = Field(..., alias="reference_id")
    quantity: Decimal
    quantity_consumed: Decimal
    quantity_released: Decimal
    status: str
    created_at: datetime


class NoticeSummaryOut(Schema):
    id: int
    number: str
    status: DeliveryNoticeStatus
    outbound_number: str
    shipped_at: datetime | None
    created_at: datetime


class DemandOut(Schema):
    id: int
    product_id: int
    product_code: str = Field(..., alias="product.code")
    warehouse_id: int
    warehouse_code: str = Field(..., alias="warehouse.code")
    quantity: Decimal
    needed_on: date
    status: PurchaseDemandStatus
    order_id: int = Field(..., alias="order_line.order_id")
    order_number: str = Field(..., alias="order_line.order.number")
    order_line_id: int
    created_at: datetime
    updated_at: datetime


class CreditOut(Schema):
    """The customer's credit against this order (S2), for drafts and orders pending approval."""

    credit_limit: Decimal = Field(..., description="0: no credit check")
    open_orders: Decimal = Field(..., description="confirmed and partially shipped orders not yet shipped")
    exposure: Decimal = Field(..., description="open orders + this order")
    over_limit: bool


class ApprovalSummaryOut(Schema):
    """The order's latest approval (details under /approval-instances/{id})."""

    instance_id: int
    status: str = Field(..., description="pending | approved | rejected | returned | withdrawn | cancelled")
    current_step: int


class SalesOrderDetailOut(SalesOrderOut):
    """Built from an order carrying ``order.detail`` (``order_detail``)."""

    lines: list[OrderLineOut]
    reservations: list[ReservationOut]
    delivery_notices: list[NoticeSummaryOut]
    purchase_demands: list[DemandOut]
    credit: CreditOut | None = Field(None, description="drafts and orders pending approval")
    approval: ApprovalSummaryOut | None = Field(None, description="the latest approval, if it was ever submitted")

    @staticmethod
    def resolve_credit(obj) -> dict | None:
        return obj.detail["credit"]

    @staticmethod
    def resolve_approval(obj) -> dict | None:
        return obj.detail["approval"]

    @staticmethod
    def resolve_lines(obj) -> list:
        return obj.detail["lines"]

    @staticmethod
    def resolve_reservations(obj) -> list:
        return obj.detail["reservations"]

    @staticmethod
    def resolve_delivery_notices(obj) -> list:
        return obj.detail["delivery_notices"]

    @staticmethod
    def resolve_purchase_demands(obj) -> list:
        return obj.detail["purchase_demands"]


class SalesOrderFilter(Schema):
    status: SalesOrderStatus | None = None
    customer_id: Id | None = None
    warehouse_id: Id | None = None
    date_from: date | None = Field(None, description="requested delivery date from (inclusive)")
    date_to: date | None = Field(None, description="requested delivery date to (inclusive)")
    q: str | None = Field(None, max_length=100, description="number, customer reference, code or name")


class AvailabilityLineIn(Schema):
    product_id: Id
    quantity: Decimal


class AvailabilityIn(Schema):
    warehouse_id: Id
    lines: list[AvailabilityLineIn] = Field(..., min_length=1, max_length=500)


class AvailabilityOut(Schema):
    product_id: int
    requested: Decimal
    available: Decimal
    reservable: Decimal
    shortage: Decimal


class ReasonIn(Schema):
    reason: str = Field("", max_length=200)


class AllocateIn(Schema):
    product_id: Id
    warehouse_id: Id


class AllocatedOut(Schema):
    order_id: int
    order_number: str
    line_id: int
    position: int
    reserved: Decimal
    backordered: Decimal


def order_detail(order: SalesOrder, *, user: Any) -> SalesOrder:
    """Attach everything the order page shows as ``order.detail``: the lines with their live quantities
    (three queries), the ledger's reservations of the lines, the delivery notices and the purchase demand."""
    statuses = selectors.order_line_statuses(order)
    line_ids = [s.line.pk for s in statuses]
    reservations = inventory_selectors.list_reservations(open_only=False).filter(
        reference_type_id=selectors.line_content_type_id(), reference_id__in=line_ids)
    order.detail = {  # type: ignore[attr-defined]
        "lines": [{
            "id": s.line.pk, "position": s.line.position, "product_id": s.line.product_id,
            "product_code": s.line.product.code, "product_name": s.line.product.name,
            "unit": s.line.product.base_unit.code, "quantity": s.line.quantity, "unit_price": s.line.unit_price,
            "discount_percent": s.line.discount_percent, "tax_rate": s.line.tax_rate,
            "total_net": s.line.total_net, "total_tax": s.line.total_tax, "total_gross": s.line.total_gross,
            "quantity_reserved": s.reserved, "quantity_backordered": s.backordered,
            "quantity_shipped": s.line.quantity_shipped, "quantity_cancelled": s.line.quantity_cancelled,
            "quantity_on_delivery_notices": s.on_delivery_notices, "quantity_ready_to_ship": s.ready_to_ship,
            "available": s.available, "reservable": s.reservable, "shortage": s.shortage} for s in statuses],
        "reservations": list(reservations),
        "delivery_notices": list(order.delivery_notices.order_by("created_at", "id")),
        "purchase_demands": list(selectors.list_purchase_demands(for_user=user, order_id=order.pk)),
        "credit": None, "approval": None,
    }
    if order.status in (SalesOrderStatus.DRAFT, SalesOrderStatus.PENDING_APPROVAL):
        credit = selectors.credit_exposure(order)
        order.detail["credit"] = {  # type: ignore[attr-defined]
            "credit_limit": credit.credit_limit, "open_orders": credit.open_orders, "exposure": credit.exposure,
            "over_limit": credit.over_limit}
    instance = approval_selectors.current_instance(doc_type=SALES_ORDER_APPROVAL, obj=order)
    if instance is not None:
        order.detail["approval"] = {  # type: ignore[attr-defined]
            "instance_id": instance.pk, "status": instance.status, "current_step": instance.current_step}
    return order


def _detail(request, pk: int) -> SalesOrder:
    return order_detail(_order(request, pk), user=request.user)


# Sales orders --------------------------------------------------------------------------------------------
@router.get("/sales-orders", response={200: list[SalesOrderOut], **COMMON_ERRORS}, tags=ORDERS,
            operation_id="list_salesorder", summary="List sales orders")
@paginate(PageNumber)
def list_orders(request, filters: SalesOrderFilter = Query(...)) -> QuerySet[SalesOrder]:
    authorize(request, VIEW_ORDERS)
    return selectors.list_orders(for_user=request.user, **filters.dict())


@router.post("/sales-orders", response={201: SalesOrderDetailOut, **WRITE_ERRORS}, tags=ORDERS,
             operation_id="create_salesorder", summary="Enter a sales order (draft)")
@idempotent(SalesOrderDetailOut)
def create_order(request, payload: SalesOrderIn):
    authorize(request, ADD_ORDERS)
    data = payload.dict(exclude={"lines"})
    order = services.create_order(lines=[line.to_input() for line in payload.lines], actor=request.user, **data)
    return Status(201, _detail(request, order.pk))


@router.post("/sales-orders/availability", response={200: list[AvailabilityOut], **COMMON_ERRORS}, tags=ORDERS,
             operation_id="salesorder_availability", summary="Available-to-promise for lines before saving")
def availability(request, payload: AvailabilityIn):
    """Per line, in order: available, requested, reservable (lines of one product share the stock in
    line order) and shortage. Reads only."""
    authorize(request, VIEW_ORDERS)
    checker = OrderChecker()
    checker.load(product_ids=[line.product_id for line in payload.lines], warehouse_ids=[payload.warehouse_id])
    checker.warehouse(None, payload.warehouse_id)
    for i, line in enumerate(payload.lines):
        checker.quantity(i, line.quantity, product=checker.product(i, line.product_id), sign="positive")
    checker.raise_if_any()
    return selectors.line_availability(warehouse_id=payload.warehouse_id,
                                       lines=[(line.product_id, line.quantity) for line in payload.lines])


@router.post("/sales-orders/allocate-backorders", response={200: list[AllocatedOut], **WRITE_ERRORS},
             tags=ORDERS, operation_id="allocate_backorders",
             summary="Reserve available stock for backordered lines, first requested first")
@idempotent(AllocatedOut)
def allocate_backorders(request, payload: AllocateIn):
    authorize(request, ALLOCATE)
    allocated = services.allocate_backorders(product_id=payload.product_id, warehouse_id=payload.warehouse_id,
                                             actor=request.user)
    return [AllocatedOut(order_id=a.line.order_id, order_number=a.line.order.number, line_id=a.line.pk,
                         position=a.line.position, reserved=a.reserved, backordered=a.backordered)
            for a in allocated]


@router.get("/sales-orders/{int:pk}", response={200: SalesOrderDetailOut, **WRITE_ERRORS}, tags=ORDERS,
            operation_id="get_salesorder", summary="A sales order with its lines, ATP, reservations and shipments")
def get_order(request, pk: int):
    authorize(request, VIEW_ORDERS)
    return _detail(request, pk)


@router.patch("/sales-orders/{int:pk}", response={200: SalesOrderDetailOut, **WRITE_ERRORS}, tags=ORDERS,
              operation_id="update_salesorder", summary="Change a draft order (header and lines)")
def update_order(request, pk: int, payload: SalesOrderPatch):
    authorize(request, CHANGE_ORDERS)
    _order(request, pk)
    data = payload.dict(exclude_unset=True, exclude={"lines"})
    lines = None if payload.lines is None else [line.to_input() for line in payload.lines]
    services.update_order(order_id=pk, data=data, lines=lines, actor=request.user)
    return _detail(request, pk)


def _order_action(name: str, summary: str, service, *, with_reason: bool = False) -> None:
    path = f"/sales-orders/{{int:pk}}/{name}"
    options: dict[str, Any] = {"response": {200: SalesOrderDetailOut, **WRITE_ERRORS}, "tags": ORDERS,
                               "operation_id": f"{name}_salesorder", "summary": summary}
    if with_reason:
        @router.post(path, **options)
        @idempotent(SalesOrderDetailOut)
        def action_with_reason(request, pk: int, payload: ReasonIn):
            authorize(request, CHANGE_ORDERS)
            _order(request, pk)
            service(order_id=pk, reason=payload.reason, actor=request.user)
            return _detail(request, pk)
    else:
        @router.post(path, **options)
        @idempotent(SalesOrderDetailOut)
        def action(request, pk: int):
            authorize(request, CHANGE_ORDERS)
            _order(request, pk)
            service(order_id=pk, actor=request.user)
            return _detail(request, pk)


_order_action("confirm", "Confirm: reserve stock, freeze totals (shortage policy: block or backorder)",
              services.confirm_order)
_order_action("cancel", "Cancel a draft, or the unshipped rest of an order; releases its reservations",
              services.cancel_order, with_reason=True)
_order_action("close", "Close a shipped order", services.close_order)


# Purchase demand -----------------------------------------------------------------------------------------
class DemandFilter(Schema):
    status: PurchaseDemandStatus | None = None
    product_id: Id | None = None
    warehouse_id: Id | None = None
    order_id: Id | None = None


@router.get("/purchase-demands", response={200: list[DemandOut], **COMMON_ERRORS}, tags=["purchase demand"],
            operation_id="list_purchasedemand", summary="Purchase demand (缺货转采购) left by short order lines")
@paginate(PageNumber)
def list_demands(request, filters: DemandFilter = Query(...)) -> QuerySet[PurchaseDemand]:
    authorize(request, VIEW_DEMAND)
    return selectors.list_purchase_demands(for_user=request.user, **filters.dict())


# Delivery notices ----------------------------------------------------------------------------------------
class PickOut(Schema):
    location_id: int | None
    location_code: str | None = Field(None, alias="location.code", description="null: stock not in a bin")
    quantity: Decimal


class NoticeLineOut(Schema):
    id: int
    position: int
    order_line_id: int
    product_id: int
    product_code: str = Field(..., alias="product.code")
    product_name: str = Field(..., alias="product.name")
    unit: str = Field(..., alias="product.base_unit.code")
    quantity: Decimal
    quantity_checked: Decimal | None
    cost_of_goods: Decimal | None
    picks: list[PickOut]

    @staticmethod
    def resolve_picks(obj) -> list:
        return list(obj.picks.all())


class DeliveryNoticeOut(Schema):
    id: int
    number: str
    status: DeliveryNoticeStatus
    order_id: int
    order_number: str = Field(..., alias="order.number")
    customer_id: int = Field(..., alias="order.customer_id")
    customer_name: str = Field(..., alias="order.customer.name")
    requested_on: date = Field(..., alias="order.requested_on")
    warehouse_id: int
    warehouse_code: str = Field(..., alias="warehouse.code")
    address_id: int | None
    notes: str
    packages: int | None
    weight_kg: Decimal | None
    outbound_number: str
    carrier: str
    tracking_number: str
    picking_started_at: datetime | None
    packed_at: datetime | None
    checked_at: datetime | None
    shipped_at: datetime | None
    cancelled_at: datetime | None
    created_at: datetime


class DeliveryNoticeDetailOut(DeliveryNoticeOut):
    lines: list[NoticeLineOut]

    @staticmethod
    def resolve_lines(obj) -> list:
        return list(obj.lines.all())


class NoticeFilter(Schema):
    scope: Literal["todo", "all"] = Field("todo", description="todo: open notices, most urgent first (the "
                                                               "warehouse's to-do list); all: every notice, newest first")
    status: DeliveryNoticeStatus | None = None
    order_id: Id | None = None
    warehouse_id: Id | None = None
    q: str | None = Field(None, max_length=100, description="notice, order or outbound slip number, customer")


class NoticeLineIn(Schema):
    order_line_id: Id
    quantity: Decimal


class DeliveryNoticeIn(Schema):
    order_id: Id
    lines: list[NoticeLineIn] | None = Field(None, max_length=500,
                                             description="default: every line's reserved quantity not yet on a notice")
    address_id: Id | None = Field(None, description="default: the customer's default delivery address")
    notes: str = Field("", max_length=4000)


class PackIn(Schema):
    packages: int | None = Field(None, ge=1, le=100_000)
    weight_kg: Decimal | None = Field(None, ge=0)


class CheckedLineIn(Schema):
    line_id: Id
    quantity: Decimal


class CheckIn(Schema):
    lines: list[CheckedLineIn] = Field(..., max_length=500)


class ShipIn(Schema):
    carrier: str = Field("", max_length=100)
    tracking_number: str = Field("", max_length=64)


@router.get("/delivery-notices", response={200: list[DeliveryNoticeOut], **COMMON_ERRORS}, tags=NOTICES,
            operation_id="list_deliverynotice", summary="Delivery notices: the warehouse's to-do list")
@paginate(PageNumber)
def list_notices(request, filters: NoticeFilter = Query(...)) -> QuerySet[DeliveryNotice]:
    authorize(request, VIEW_NOTICES)
    data = filters.dict()
    if data.pop("scope") == "todo":
        notices = selectors.list_open_delivery_notices(for_user=request.user, warehouse_id=data.pop("warehouse_id"))
        return selectors.filter_delivery_notices(notices, **data)
    return selectors.list_delivery_notices(for_user=request.user, **data)


@router.post("/delivery-notices", response={201: DeliveryNoticeDetailOut, **WRITE_ERRORS}, tags=NOTICES,
             operation_id="create_deliverynotice", summary="Create a delivery notice from a confirmed order")
@idempotent(DeliveryNoticeDetailOut)
def create_notice(request, payload: DeliveryNoticeIn):
    authorize(request, ADD_NOTICES)
    _order(request, payload.order_id)
    lines = None if payload.lines is None else [
        services.NoticeLineInput(order_line_id=line.order_line_id, quantity=line.quantity) for line in payload.lines]
    notice = services.create_delivery_notice(order_id=payload.order_id, lines=lines, address_id=payload.address_id,
                                             notes=payload.notes, actor=request.user)
    return Status(201, _notice(request, notice.pk))


@router.get("/delivery-notices/{int:pk}", response={200: DeliveryNoticeDetailOut, **WRITE_ERRORS}, tags=NOTICES,
            operation_id="get_deliverynotice", summary="A delivery notice with its lines and pick list")
def get_notice(request, pk: int):
    authorize(request, VIEW_NOTICES)
    return _notice(request, pk)


def _notice_step(request, pk: int, service, **kwargs) -> DeliveryNotice:
    authorize(request, CHANGE_NOTICES)
    _notice(request, pk)
    service(notice_id=pk, actor=request.user, **kwargs)
    return _notice(request, pk)


@router.post("/delivery-notices/{int:pk}/start-picking", response={200: DeliveryNoticeDetailOut, **WRITE_ERRORS},
             tags=NOTICES, operation_id="start_picking_deliverynotice",
             summary="Start picking: writes the pick list (bins to take from)")
@idempotent(DeliveryNoticeDetailOut)
def start_picking(request, pk: int):
    return _notice_step(request, pk, services.start_picking)


@router.post("/delivery-notices/{int:pk}/pack", response={200: DeliveryNoticeDetailOut, **WRITE_ERRORS},
             tags=NOTICES, operation_id="pack_deliverynotice", summary="Packed (packages and weight optional)")
@idempotent(DeliveryNoticeDetailOut)
def pack(request, pk: int, payload: PackIn):
    return _notice_step(request, pk, services.pack_delivery, packages=payload.packages, weight_kg=payload.weight_kg)


@router.post("/delivery-notices/{int:pk}/check", response={200: DeliveryNoticeDetailOut, **WRITE_ERRORS},
             tags=NOTICES, operation_id="check_deliverynotice",
             summary="Checked: every line counted again; a difference is check_mismatch (422)")
@idempotent(DeliveryNoticeDetailOut)
def check(request, pk: int, payload: CheckIn):
    return _notice_step(request, pk, services.check_delivery, lines=[
        services.CheckedLine(line_id=line.line_id, quantity=line.quantity) for line in payload.lines])


@router.post("/delivery-notices/{int:pk}/ship", response={200: DeliveryNoticeDetailOut, **WRITE_ERRORS},
             tags=NOTICES, operation_id="ship_deliverynotice",
             summary="Ship: issue the stock from the picked bins, write the outbound slip (出库单)")
@idempotent(DeliveryNoticeDetailOut)
def ship(request, pk: int, payload: ShipIn):
    return _notice_step(request, pk, services.ship_delivery, carrier=payload.carrier,
                        tracking_number=payload.tracking_number)


@router.post("/delivery-notices/{int:pk}/cancel", response={200: DeliveryNoticeDetailOut, **WRITE_ERRORS},
             tags=NOTICES, operation_id="cancel_deliverynotice",
             summary="Cancel a notice that has not shipped (the stock stays reserved for the order)")
@idempotent(DeliveryNoticeDetailOut)
def cancel_notice(request, pk: int, payload: ReasonIn):
    return _notice_step(request, pk, services.cancel_delivery_notice, reason=payload.reason)


# The scan box --------------------------------------------------------------------------------------------
class ScanOut(Schema):
    kind: Literal["delivery_notice", "sales_order", "product"]
    id: int
    label: str


SCAN_PERMISSIONS = {"delivery_notice": VIEW_NOTICES, "sales_order": VIEW_ORDERS, "product": "catalog.view_product"}


@router.get("/scan", response={200: ScanOut, 404: ErrorOut, **COMMON_ERRORS}, tags=["scan"],
            operation_id="scan", summary="What a scanned code names: a delivery notice, a sales order or a product")
def scan(request, code: str = Query(..., min_length=1, max_length=100)):
    kinds = [kind for kind, perm in SCAN_PERMISSIONS.items() if request.user.has_perm(perm)]
    if not kinds:
        raise PermissionDenied()
    found = selectors.find_document_or_product(code, for_user=request.user, kinds=kinds)
    if found is None:
        raise NotFound(_("Nothing has the code “%(code)s”.") % {"code": code.strip()})
    return found
