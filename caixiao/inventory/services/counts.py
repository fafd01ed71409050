"""Stock counts (盘点): draft → counted → posted (or cancelled), STOCK_COUNT_TRANSITIONS.

A line names a product and a bin (or the stock not in a bin) of the count's warehouse and snapshots
its expected on-hand quantity when it is added. Posting writes ``counted − expected`` of every line
as a count move (+ found at the average cost, − missing), so moves posted while the count was
running are kept, not overwritten."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from caixiao.core import audit, numbering, outbox, transitions
from caixiao.core.errors import Conflict, NotFound
from caixiao.core.retry import retry_on_conflict
from caixiao.inventory import events, locks
from caixiao.inventory.enums import STOCK_COUNT_TRANSITIONS, MoveKind, StockCountStatus, StockState
from caixiao.inventory.models import BinBalance, StockCount, StockCountLine
from caixiao.inventory.references import Ref
from caixiao.inventory.services.inputs import LineChecker
from caixiao.inventory.services.ledger import Move, write_moves

NUMBER_PREFIX = "SC"
ZERO = Decimal("0")


@dataclass(frozen=True)
class CountLineRequest:
    product_id: int
    location_id: int | None = None  # None: the product's stock in the warehouse that is not in a bin


@retry_on_conflict
@transaction.atomic
def create_stock_count(*, warehouse_id: int, lines: Sequence[CountLineRequest] | None = None, note: str = "",
                       actor: Any) -> StockCount:
    """A draft count of ``lines``; without lines, of every product and bin holding stock in the warehouse."""
    checker = LineChecker("lines").load(warehouse_ids=[warehouse_id])
    warehouse = checker.warehouse(None, warehouse_id)
    checker.raise_if_any()
    assert warehouse is not None
    count = StockCount.objects.create(number=numbering.next_number(NUMBER_PREFIX), warehouse=warehouse, note=note,
                                      created_by=actor if getattr(actor, "pk", None) else None)
    if lines is None:
        rows = BinBalance.objects.filter(warehouse=warehouse).exclude(on_hand=0).order_by("product_id", "location_id")
        lines = [CountLineRequest(product_id=p, location_id=loc) for p, loc in rows.values_list("product_id",
                                                                                               "location_id")]
    _add_lines(count, lines)
    audit.record(actor=actor, obj=count, verb="created", to_state=count.status,
                 changes={"warehouse_id": warehouse.pk, "lines": len(lines)})
    return count


@retry_on_conflict
@transaction.atomic
def add_stock_count_lines(*, count_id: int, lines: Sequence[CountLineRequest], actor: Any) -> list[StockCountLine]:
    """More lines on a draft count (a product found where it was not expected)."""
    count = _get_draft_for_update(count_id)
    added = _add_lines(count, lines)
    audit.record(actor=actor, obj=count, verb="lines_added", changes={"lines": [line.pk for line in added]})
    return added


@retry_on_conflict
@transaction.atomic
def record_counted_quantities(*, count_id: int, counted: Mapping[int, Decimal], actor: Any) -> StockCount:
    """Enter counted quantities by line id on a draft count (0 or more, in the product's unit)."""
    count = _get_draft_for_update(count_id)
    lines = {line.pk: line for line in count.lines.select_related("product__base_unit")}
    checker = LineChecker("counted")
    for line_id, value in counted.items():
        line = lines.get(line_id)
        if line is None:
            checker.add(None, f"counted.{line_id}", _("This line is not on the count."))
            continue
        quantity = checker.quantity(None, value, product=line.product, sign="non_negative", name=f"counted.{line_id}")
        if quantity is not None:
            line.counted_quantity = quantity
    checker.raise_if_any()
    changed = [lines[line_id] for line_id in counted]
    StockCountLine.objects.bulk_update(changed, ["counted_quantity"])
    audit.record(actor=actor, obj=count, verb="counted_quantities",
                 changes={str(line.pk): str(line.counted_quantity) for line in changed})
    return count


@retry_on_conflict
@transaction.atomic
def complete_stock_count(*, count_id: int, actor: Any) -> StockCount:
    """draft → counted: every line has a counted quantity; nothing moves yet."""
    count = _get_for_update(count_id)
    transitions.ensure(count, to=StockCountStatus.COUNTED, table=STOCK_COUNT_TRANSITIONS)
    missing = list(count.lines.filter(counted_quantity__isnull=True).values_list("pk", flat=True))
    checker = LineChecker("counted")
    if not count.lines.exists():
        checker.add(None, "lines", _("Add at least one line."))
    for line_id in missing:
        checker.add(None, f"counted.{line_id}", _("Enter the counted quantity."))
    checker.raise_if_any()
    count.counted_at = timezone.now()
    transitions.apply(count, to=StockCountStatus.COUNTED, table=STOCK_COUNT_TRANSITIONS, actor=actor,
                      update_fields=["counted_at"])
    return count


@retry_on_conflict
@transaction.atomic
def reopen_stock_count(*, count_id: int, actor: Any, reason: str = "") -> StockCount:
    """counted → draft, to recount."""
    count = _get_for_update(count_id)
    transitions.apply(count, to=StockCountStatus.DRAFT, table=STOCK_COUNT_TRANSITIONS, actor=actor, comment=reason)
    return count


@retry_on_conflict
@transaction.atomic
def post_stock_count(*, count_id: int, actor: Any) -> StockCount:
    """counted → posted: one count move per line whose counted quantity differs from the expected."""
    count = _get_for_update(count_id)
    transitions.ensure(count, to=StockCountStatus.POSTED, table=STOCK_COUNT_TRANSITIONS)
    moves = [
        Move(product=line.product, warehouse=count.warehouse, state=StockState.ON_HAND, quantity=line.difference,
             location=line.location, ref=Ref.to(line, label=count.number), group_key=line.pk)
        for line in count.lines.select_related("product__base_unit", "location")
        if line.difference
    ]
    posted = write_moves(moves, kind=MoveKind.COUNT, actor=actor,
                         reason=_("Stock count %(number)s") % {"number": count.number}) if moves else []
    count.posted_at = timezone.now()
    transitions.apply(count, to=StockCountStatus.POSTED, table=STOCK_COUNT_TRANSITIONS, actor=actor,
                      update_fields=["posted_at"], changes={"moves": len(moves)})
    outbox.emit(events.STOCK_COUNT_POSTED, aggregate=count, actor=actor,
                payload={**events.stock_count_payload(count), "moves": events.moves_payload(posted)["moves"]})
    return count


@retry_on_conflict
@transaction.atomic
def cancel_stock_count(*, count_id: int, actor: Any, reason: str = "") -> StockCount:
    count = _get_for_update(count_id)
    transitions.apply(count, to=StockCountStatus.CANCELLED, table=STOCK_COUNT_TRANSITIONS, actor=actor,
                      comment=reason)
    return count


# Helpers ------------------------------------------------------------------------------------------------
def _get_for_update(count_id: int) -> StockCount:
    try:
        return locks.get_stock_count_for_update(count_id=count_id)
    except StockCount.DoesNotExist:
        raise NotFound() from None


def _get_draft_for_update(count_id: int) -> StockCount:
    count = _get_for_update(count_id)
    if count.status != StockCountStatus.DRAFT:
        raise Conflict(_("Only a draft stock count can be changed."), code="not_editable")
    return count


def _add_lines(count: StockCount, lines: Sequence[CountLineRequest]) -> list[StockCountLine]:
    checker = LineChecker("lines").load(product_ids=(r.product_id for r in lines),
                                        location_ids=(r.location_id for r in lines))
    taken: set[tuple[int, int | None]] = set(count.lines.values_list("product_id", "location_id"))
    for i, request in enumerate(lines):
        checker.product(i, request.product_id)
        checker.location(i, request.location_id, warehouse=count.warehouse, state=StockState.ON_HAND)
        key = (request.product_id, request.location_id)
        if key in taken:
            checker.add(i, "product_id", _("This product and bin are already on the count."))
        taken.add(key)
    checker.raise_if_any()
    expected = _expected_quantities(count, lines)
    return StockCountLine.objects.bulk_create([
        StockCountLine(count=count, product_id=r.product_id, location_id=r.location_id,
                       expected_quantity=expected.get((r.product_id, r.location_id), ZERO))
        for r in lines
    ])


def _expected_quantities(count: StockCount, lines: Sequence[CountLineRequest]) -> dict[tuple[int, int | None], Decimal]:
    rows = BinBalance.objects.filter(warehouse=count.warehouse, product_id__in={r.product_id for r in lines})
    return {(p, loc): on_hand for p, loc, on_hand in rows.values_list("product_id", "location_id", "on_hand")}
