"""Stock API (issue 3, item 7): stock levels with every quantity of the vocabulary (SPEC
"Quantities"), per warehouse and per bin; the move history; adjustments and transfers; stock counts
(盘点) with one action per transition of ``STOCK_COUNT_TRANSITIONS``; the invariant check and the
stock value report. Reads go through ``inventory.selectors``, writes through ``inventory.services``;
their ``DomainError``s become ``{"code", "message", "fields"}`` responses (caixiao/api/errors.py)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date, datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

from django.db.models import Count, F, Q, QuerySet
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema
from ninja.responses import Status

from caixiao.api.crud import Id
from caixiao.api.errors import COMMON_ERRORS, WRITE_ERRORS
from caixiao.api.pagination import PageNumber
from caixiao.api.permissions import authorize
from caixiao.core.errors import DomainError, ValidationFailed
from caixiao.inventory import selectors, services
from caixiao.inventory.enums import STOCK_COUNT_TRANSITIONS, MoveKind, StockCountStatus, StockState
from caixiao.inventory.invariants import check_invariants
from caixiao.inventory.models import BinBalance, StockBalance, StockCount, StockMove
from caixiao.inventory.quantities import DERIVED_QUANTITIES, quantity_providers
from caixiao.inventory.selectors import StockLevel

router = Router(tags=["stock"])

VIEW_STOCK = "inventory.view_stockbalance"
VIEW_MOVES = "inventory.view_stockmove"
MOVE_STOCK = "inventory.add_stockmove"  # adjustments and transfers
VIEW_COUNTS, ADD_COUNTS, CHANGE_COUNTS = ("inventory.view_stockcount", "inventory.add_stockcount",
                                          "inventory.change_stockcount")
CHECK_STOCK = (VIEW_STOCK, "inventory.view_reservation")  # the check compares balances with reservations
VIEW_VALUE = "inventory.view_productcost"

# The ledger's quantities of SPEC "Quantities"; on_order and backlog come from registered providers.
LEDGER_QUANTITIES = ("on_hand", "allocated", "available", "pending_qc", "in_transit", "rejected")


@contextmanager
def _fields_renamed(rename: Callable[[str], str]) -> Iterator[None]:
    """Report a service's field errors under the names the client sent."""
    try:
        yield
    except DomainError as exc:
        exc.fields = {rename(name): messages for name, messages in exc.fields.items()}
        raise


def _page(queryset: QuerySet, pagination: PageNumber.Input, rows: Callable[[list], list] = list) -> dict[str, Any]:
    """One page of ``queryset`` (PageNumber's limits), its items passed through ``rows``."""
    page = PageNumber().paginate_queryset(queryset, pagination)
    page["items"] = rows(page["items"])
    return page


# Stock levels ------------------------------------------------------------------------------------------
class StockLevelOut(Schema):
    product_id: int
    product_code: str
    product_name: str
    unit: str
    warehouse_id: int
    warehouse_code: str
    warehouse_name: str
    on_hand: Decimal = Field(..., description="实物库存: released stock in the warehouse (includes allocated)")
    allocated: Decimal = Field(..., description="已分配: part of on_hand reserved for confirmed sales orders")
    available: Decimal = Field(..., description="可用库存: on_hand − allocated")
    pending_qc: Decimal = Field(..., description="待检库存: received, waiting for inspection")
    in_transit: Decimal = Field(..., description="在途库存: shipped by the supplier, not yet received")
    rejected: Decimal = Field(..., description="不合格: failed inspection")
    on_order: Decimal | None = Field(..., description="已订未发; null until purchasing provides it")
    backlog: Decimal | None = Field(..., description="待发货订单; null until sales provides it")
    safety_stock: Decimal
    below_safety_stock: bool = Field(..., description="available < the product's safety stock")


class StockLevelPage(Schema):
    items: list[StockLevelOut]
    count: int
    page: int
    page_size: int


class StockLevelFilters(Schema):
    product_id: Id | None = None
    warehouse_id: Id | None = None
    category_id: Id | None = None
    below_safety_stock: bool = Field(False, description="only rows whose available stock is below safety stock")
    include_empty: bool = Field(False, description="also rows with nothing in any state")
    q: str | None = Field(None, max_length=100, description="search in product code, name and barcode")


def stock_level_rows(balances: list[StockBalance]) -> list[dict[str, Any]]:
    """Balance rows with every quantity of the vocabulary: the derived ones (on_order, backlog) come
    from the registered providers for the products and warehouses of the page, one query each."""
    levels = {(level.product_id, level.warehouse_id): level for level in selectors.stock_levels(
        product_ids={b.product_id for b in balances}, warehouse_ids={b.warehouse_id for b in balances})}
    registered = quantity_providers().keys()
    rows = []
    for balance in balances:
        level = levels.get((balance.product_id, balance.warehouse_id)) or StockLevel(
            balance.product_id, balance.warehouse_id)
        product, warehouse = balance.product, balance.warehouse
        rows.append({
            "product_id": product.pk, "product_code": product.code, "product_name": product.name,
            "unit": product.base_unit.name, "warehouse_id": warehouse.pk, "warehouse_code": warehouse.code,
            "warehouse_name": warehouse.name,
            **{name: level.quantity(name) for name in LEDGER_QUANTITIES},
            **{name: level.quantity(name) if name in registered else None for name in DERIVED_QUANTITIES},
            "safety_stock": product.safety_stock, "below_safety_stock": level.available < product.safety_stock,
        })
    return rows


def filter_balances(filters: StockLevelFilters) -> QuerySet[StockBalance]:
    below = filters.below_safety_stock
    rows = selectors.list_balances(product_id=filters.product_id, warehouse_id=filters.warehouse_id,
                                   category_id=filters.category_id, include_empty=filters.include_empty or below)
    if below:
        rows = rows.filter(product__safety_stock__gt=F("available_quantity"))
    if filters.q and (term := filters.q.strip()):
        rows = rows.filter(Q(product__code__icontains=term) | Q(product__name__icontains=term)
                           | Q(product__barcode=term))
    return rows


@router.get("/stock-levels", response={200: StockLevelPage, **COMMON_ERRORS}, operation_id="list_stock_levels",
            summary="Stock levels per product and warehouse")
def list_stock_levels(request, filters: StockLevelFilters = Query(...), pagination: PageNumber.Input = Query(...)):
    authorize(request, VIEW_STOCK)
    return _page(filter_balances(filters), pagination, stock_level_rows)


class BinLevelOut(Schema):
    product_id: int
    product_code: str = Field(..., alias="product.code")
    product_name: str = Field(..., alias="product.name")
    warehouse_id: int
    warehouse_code: str = Field(..., alias="warehouse.code")
    location_id: int | None = Field(..., description="null: on-hand stock not put away in a bin")
    location_code: str | None
    on_hand: Decimal

    @staticmethod
    def resolve_location_code(obj: BinBalance) -> str | None:
        return obj.location.code if obj.location is not None else None


class BinLevelPage(Schema):
    items: list[BinLevelOut]
    count: int
    page: int
    page_size: int


class BinLevelFilters(Schema):
    product_id: Id | None = None
    warehouse_id: Id | None = None
    location_id: Id | None = None
    include_empty: bool = False


@router.get("/stock-levels/bins", response={200: BinLevelPage, **COMMON_ERRORS}, operation_id="list_bin_levels",
            summary="On-hand stock per bin")
def list_bin_levels(request, filters: BinLevelFilters = Query(...), pagination: PageNumber.Input = Query(...)):
    authorize(request, VIEW_STOCK)
    return _page(selectors.list_bin_balances(**filters.dict()), pagination)


# Moves -------------------------------------------------------------------------------------------------
class StockMoveOut(Schema):
    id: int
    created_at: datetime
    product_id: int
    product_code: str = Field(..., alias="product.code")
    warehouse_id: int
    warehouse_code: str = Field(..., alias="warehouse.code")
    location_id: int | None
    location_code: str | None
    state: StockState
    kind: MoveKind
    quantity: Decimal = Field(..., description="signed, in the product's base unit")
    unit_cost: Decimal
    group: UUID
    reference_label: str
    reason: str
    actor: str | None

    @staticmethod
    def resolve_location_code(obj: StockMove) -> str | None:
        return obj.location.code if obj.location is not None else None

    @staticmethod
    def resolve_actor(obj: StockMove) -> str | None:
        return str(obj.actor) if obj.actor is not None else None


class StockMovePage(Schema):
    items: list[StockMoveOut]
    count: int
    page: int
    page_size: int


class StockMoveFilters(Schema):
    product_id: Id | None = None
    warehouse_id: Id | None = None
    location_id: Id | None = None
    state: StockState | None = None
    kind: MoveKind | None = None
    date_from: date | None = Field(None, description="local calendar day, included")
    date_to: date | None = Field(None, description="local calendar day, included")
    reference_label: str | None = Field(None, max_length=100, description="start of the document label, e.g. SO-2026-000123")


@router.get("/stock-moves", response={200: StockMovePage, **COMMON_ERRORS}, operation_id="list_stock_moves",
            summary="Stock move history, newest first")
def list_stock_moves(request, filters: StockMoveFilters = Query(...), pagination: PageNumber.Input = Query(...)):
    authorize(request, VIEW_MOVES)
    return _page(selectors.list_moves(**filters.dict()), pagination)


def _moves(moves: list[StockMove]) -> list[StockMove]:
    """The posted moves re-read with their labels (two legs of a transfer come back in order)."""
    return list(selectors.list_moves().filter(pk__in=[m.pk for m in moves]).order_by("id"))


class AdjustmentIn(Schema):
    product_id: Id
    warehouse_id: Id
    location_id: Id | None = Field(None, description="a bin of the warehouse; null: stock not in a bin")
    quantity: Decimal = Field(..., description="signed: + found, − lost or damaged; the unit's decimals at most")
    reason: str = Field(..., max_length=200)
    state: StockState = StockState.ON_HAND
    unit_cost: Decimal | None = Field(None, description="for stock coming in at a known cost (moves the average)")


@router.post("/stock-adjustments", response={201: StockMoveOut, **WRITE_ERRORS}, operation_id="adjust_stock",
             summary="Adjust stock by a signed quantity, with a reason")
def adjust_stock(request, payload: AdjustmentIn):
    authorize(request, MOVE_STOCK)
    move = services.adjust_stock(**payload.dict(), actor=request.user)
    return Status(201, _moves([move])[0])


class TransferLineIn(Schema):
    product_id: Id
    quantity: Decimal = Field(..., description="greater than zero; only unallocated stock moves")
    from_warehouse_id: Id
    to_warehouse_id: Id
    from_location_id: Id | None = None
    to_location_id: Id | None = None


class TransferIn(Schema):
    lines: list[TransferLineIn] = Field(..., max_length=500)
    reason: str = Field("", max_length=200)


@router.post("/stock-transfers", response={201: list[StockMoveOut], **WRITE_ERRORS}, operation_id="transfer_stock",
             summary="Move stock between warehouses or bins")
def transfer_stock(request, payload: TransferIn):
    authorize(request, MOVE_STOCK)
    requests = [services.TransferRequest(**line.dict()) for line in payload.lines]
    with _fields_renamed(lambda name: name.replace("requests", "lines", 1)):
        moves = services.transfer_stock(requests=requests, reason=payload.reason, actor=request.user)
    return Status(201, _moves(moves))


# Stock counts ------------------------------------------------------------------------------------------
# One action per target status of STOCK_COUNT_TRANSITIONS: POST /stock-counts/{id}/<action>.
COUNT_ACTIONS: dict[str, tuple[str, Callable[..., StockCount]]] = {
    "complete": (StockCountStatus.COUNTED, services.complete_stock_count),
    "post": (StockCountStatus.POSTED, services.post_stock_count),
    "reopen": (StockCountStatus.DRAFT, services.reopen_stock_count),
    "cancel": (StockCountStatus.CANCELLED, services.cancel_stock_count),
}


def count_actions(status: str) -> list[str]:
    return [action for action, (to, _service) in COUNT_ACTIONS.items() if to in STOCK_COUNT_TRANSITIONS[status]]


def _counts() -> QuerySet[StockCount]:
    return (StockCount.objects.select_related("warehouse", "created_by").annotate(line_count=Count("lines"))
            .order_by("-created_at", "-id"))


class StockCountLineOut(Schema):
    id: int
    product_id: int
    product_code: str = Field(..., alias="product.code")
    product_name: str = Field(..., alias="product.name")
    unit: str = Field(..., alias="product.base_unit.name")
    location_id: int | None
    location_code: str | None
    expected_quantity: Decimal
    counted_quantity: Decimal | None
    difference: Decimal | None

    @staticmethod
    def resolve_location_code(obj: Any) -> str | None:
        return obj.location.code if obj.location is not None else None


class StockCountOut(Schema):
    id: int
    number: str
    warehouse_id: int
    warehouse_code: str = Field(..., alias="warehouse.code")
    status: StockCountStatus
    note: str
    created_by: str | None
    created_at: datetime
    counted_at: datetime | None
    posted_at: datetime | None
    line_count: int
    actions: list[str] = Field(..., description="the transitions allowed now: POST /stock-counts/{id}/<action>")

    @staticmethod
    def resolve_created_by(obj: StockCount) -> str | None:
        return str(obj.created_by) if obj.created_by is not None else None

    @staticmethod
    def resolve_actions(obj: StockCount) -> list[str]:
        return count_actions(obj.status)


class StockCountDetailOut(StockCountOut):
    lines: list[StockCountLineOut]

    @staticmethod
    def resolve_lines(obj: StockCount) -> list[Any]:
        return list(obj.lines.select_related("product__base_unit", "location"))


class StockCountPage(Schema):
    items: list[StockCountOut]
    count: int
    page: int
    page_size: int


class StockCountFilters(Schema):
    warehouse_id: Id | None = None
    status: StockCountStatus | None = None


class StockCountIn(Schema):
    warehouse_id: Id
    category_id: Id | None = Field(None, description="count only products of this category")
    location_ids: list[Id] | None = Field(None, max_length=500, description="count only these bins")
    note: str = Field("", max_length=2000)


class CountedLineIn(Schema):
    line_id: Id
    counted_quantity: Decimal = Field(..., description="zero or more, in the product's base unit")


class CountedIn(Schema):
    lines: list[CountedLineIn] = Field(..., min_length=1, max_length=5000)


class ReasonIn(Schema):
    reason: str = Field("", max_length=200)


def count_lines_for(*, warehouse_id: int, category_id: int | None, location_ids: list[int] | None
                    ) -> list[services.CountLineRequest] | None:
    """The lines of a new count: every product and bin holding stock in the warehouse (None: the
    service's default), narrowed to a category and/or bins. Bins of another warehouse are passed on
    for the service to refuse."""
    if category_id is None and location_ids is None:
        return None
    rows = BinBalance.objects.exclude(on_hand=0)
    rows = rows.filter(location_id__in=location_ids) if location_ids is not None else rows.filter(
        warehouse_id=warehouse_id)
    if category_id is not None:
        rows = rows.filter(product__category_id=category_id)
    lines = [services.CountLineRequest(product_id=p, location_id=loc)
             for p, loc in rows.order_by("product_id", "location_id").values_list("product_id", "location_id")]
    if not lines:
        raise ValidationFailed(fields={"location_ids" if location_ids is not None else "category_id": [
            _("There is no stock to count in this selection.")]})
    return lines


@router.get("/stock-counts", response={200: StockCountPage, **COMMON_ERRORS}, operation_id="list_stock_counts",
            summary="Stock counts (盘点), newest first")
def list_stock_counts(request, filters: StockCountFilters = Query(...), pagination: PageNumber.Input = Query(...)):
    authorize(request, VIEW_COUNTS)
    rows = _counts()
    if filters.warehouse_id is not None:
        rows = rows.filter(warehouse_id=filters.warehouse_id)
    if filters.status is not None:
        rows = rows.filter(status=filters.status)
    return _page(rows, pagination)


@router.post("/stock-counts", response={201: StockCountDetailOut, **WRITE_ERRORS}, operation_id="create_stock_count",
             summary="Start a stock count of a warehouse")
def create_stock_count(request, payload: StockCountIn):
    authorize(request, ADD_COUNTS)
    lines = count_lines_for(warehouse_id=payload.warehouse_id, category_id=payload.category_id,
                            location_ids=payload.location_ids)
    count = services.create_stock_count(warehouse_id=payload.warehouse_id, lines=lines, note=payload.note,
                                        actor=request.user)
    return Status(201, _counts().get(pk=count.pk))


@router.get("/stock-counts/{int:pk}", response={200: StockCountDetailOut, **WRITE_ERRORS},
            operation_id="get_stock_count")
def get_stock_count(request, pk: int):
    authorize(request, VIEW_COUNTS)
    return get_object_or_404(_counts(), pk=pk)


@router.post("/stock-counts/{int:pk}/lines", response={200: StockCountDetailOut, **WRITE_ERRORS},
             operation_id="record_counted_quantities", summary="Record counted quantities (draft counts)")
def record_counted_quantities(request, pk: int, payload: CountedIn):
    authorize(request, CHANGE_COUNTS)
    index = {line.line_id: i for i, line in enumerate(payload.lines)}

    def rename(name: str) -> str:
        line_id = name.removeprefix("counted.")
        if line_id.isdigit() and int(line_id) in index:
            return f"lines.{index[int(line_id)]}.counted_quantity"
        return name

    with _fields_renamed(rename):
        services.record_counted_quantities(
            count_id=pk, counted={line.line_id: line.counted_quantity for line in payload.lines}, actor=request.user)
    return _counts().get(pk=pk)


def _register_count_action(action: str, service: Callable[..., StockCount]) -> None:
    takes_reason = action in {"reopen", "cancel"}

    @router.post(f"/stock-counts/{{int:pk}}/{action}", response={200: StockCountDetailOut, **WRITE_ERRORS},
                 operation_id=f"{action}_stock_count", summary=f"Stock count transition: {action}")
    def count_action(request, pk: int, payload: ReasonIn | None = None):
        authorize(request, CHANGE_COUNTS)
        extra = {"reason": payload.reason} if takes_reason and payload is not None else {}
        service(count_id=pk, actor=request.user, **extra)
        return _counts().get(pk=pk)


for _action, (_to, _service) in COUNT_ACTIONS.items():
    _register_count_action(_action, _service)


# Invariant check and stock value -----------------------------------------------------------------------
class DriftOut(Schema):
    check: str = Field(..., description="balance, bin, allocated, negative, reservation or bin_warehouse")
    product_id: int | None
    warehouse_id: int | None
    column: str
    location_id: int | None
    expected: Decimal | None = Field(..., description="what the ledger (moves, reservations) says")
    stored: Decimal | None = Field(..., description="what the balance row holds")
    detail: str


class StockCheckOut(Schema):
    ok: bool
    drifts: list[DriftOut]


@router.get("/stock-check", response={200: StockCheckOut, **COMMON_ERRORS}, operation_id="check_stock",
            summary="Verify the ledger invariants over the whole database (repairs nothing)")
def check_stock(request):
    authorize(request, *CHECK_STOCK)
    drifts = check_invariants()
    return {"ok": not drifts, "drifts": drifts}


class StockValueRowOut(Schema):
    warehouse_id: int
    warehouse_code: str
    category_id: int
    category_code: str
    category_name: str
    quantity: Decimal
    value: Decimal


class StockValueOut(Schema):
    currency: str
    total: Decimal
    rows: list[StockValueRowOut]


class StockValueFilters(Schema):
    warehouse_id: Id | None = None
    category_id: Id | None = None


@router.get("/stock-value", response={200: StockValueOut, **COMMON_ERRORS}, operation_id="stock_value",
            summary="Stock value by warehouse and category (quantity × moving average cost)")
def stock_value(request, filters: StockValueFilters = Query(...)):
    authorize(request, VIEW_VALUE)
    return selectors.stock_value(**filters.dict())

