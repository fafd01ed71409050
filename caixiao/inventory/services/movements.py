"""Stock movements: receive, change state, adjust, transfer, issue. Each service checks its whole
request (all lines, one ``ValidationFailed`` listing every bad field), then writes the moves and
balances through ``ledger.write_moves`` in one transaction."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from caixiao.core import audit
from caixiao.core.retry import retry_on_conflict
from caixiao.inventory import events
from caixiao.inventory.enums import RECEIVABLE_STATES, STATE_TRANSITIONS, MoveKind, StockState
from caixiao.inventory.models import StockMove
from caixiao.inventory.references import Reference, as_ref
from caixiao.inventory.services.inputs import LineChecker
from caixiao.inventory.services.ledger import Move, write_moves


def _require_lines(checker: LineChecker, requests: Sequence[object]) -> None:
    if not requests:
        checker.add(None, "requests", _("Add at least one line."))


# Receipts ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class ReceiveRequest:
    """Stock arriving from outside at a known unit cost: a shipping notice (``in_transit``), a receipt
    into inspection (``pending_qc``) or straight into stock (``on_hand``, optionally into a bin)."""

    product_id: int
    warehouse_id: int
    quantity: Decimal
    unit_cost: Decimal
    state: str = StockState.ON_HAND
    location_id: int | None = None
    reference: Reference | None = None


@retry_on_conflict
@transaction.atomic
def receive_stock(*, requests: Sequence[ReceiveRequest], reason: str = "", actor: Any) -> list[StockMove]:
    """Receipt moves (+quantity) that also move the products' average cost. One move per line."""
    checker = LineChecker().load(product_ids=(r.product_id for r in requests),
                                 warehouse_ids=(r.warehouse_id for r in requests),
                                 location_ids=(r.location_id for r in requests))
    _require_lines(checker, requests)
    reason = checker.reason(reason)
    moves = []
    for i, r in enumerate(requests):
        product, warehouse = checker.product(i, r.product_id), checker.warehouse(i, r.warehouse_id)
        state = checker.state(i, r.state, allowed=sorted(RECEIVABLE_STATES))
        quantity = checker.quantity(i, r.quantity, product=product, sign="positive")
        unit_cost = checker.unit_cost(i, r.unit_cost)
        location = checker.location(i, r.location_id, warehouse=warehouse, state=state or "")
        if product and warehouse and state and quantity and unit_cost is not None:
            moves.append(Move(product=product, warehouse=warehouse, state=state, quantity=quantity,
                              location=location, unit_cost=unit_cost, ref=as_ref(r.reference), group_key=i))
    checker.raise_if_any()
    posted = write_moves(moves, kind=MoveKind.RECEIPT, reason=reason, actor=actor)
    events.emit_moves(events.STOCK_RECEIVED, posted, actor=actor)
    return posted


# State changes ------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class StateChangeRequest:
    """Stock changing state inside one warehouse (STATE_TRANSITIONS): receipt of a shipping notice
    (in_transit → pending_qc/on_hand), inspection (pending_qc → on_hand/rejected), quarantine …
    ``location_id`` is the bin of the on-hand side, if any (put away on acceptance)."""

    product_id: int
    warehouse_id: int
    quantity: Decimal
    from_state: str
    to_state: str
    location_id: int | None = None
    reference: Reference | None = None


@retry_on_conflict
@transaction.atomic
def change_state(*, requests: Sequence[StateChangeRequest], reason: str = "", actor: Any) -> list[StockMove]:
    """Two moves per line, one group: −quantity in ``from_state``, +quantity in ``to_state``."""
    checker = LineChecker().load(product_ids=(r.product_id for r in requests),
                                 warehouse_ids=(r.warehouse_id for r in requests),
                                 location_ids=(r.location_id for r in requests))
    _require_lines(checker, requests)
    reason = checker.reason(reason)
    moves = []
    for i, r in enumerate(requests):
        product, warehouse = checker.product(i, r.product_id), checker.warehouse(i, r.warehouse_id)
        frm, to = checker.state(i, r.from_state, name="from_state"), checker.state(i, r.to_state, name="to_state")
        quantity = checker.quantity(i, r.quantity, product=product, sign="positive")
        if frm and to and to not in STATE_TRANSITIONS[frm]:
            checker.add(i, "to_state", _("Stock cannot go from %(frm)s to %(to)s.") % {
                "frm": StockState(frm).label, "to": StockState(to).label})
            continue
        binned_side = StockState.ON_HAND if StockState.ON_HAND in (frm, to) else (frm or "")
        location = checker.location(i, r.location_id, warehouse=warehouse, state=binned_side)
        if product and warehouse and frm and to and quantity:
            ref = as_ref(r.reference)
            moves += [
                Move(product=product, warehouse=warehouse, state=frm, quantity=-quantity, ref=ref, group_key=i,
                     location=location if frm == StockState.ON_HAND else None),
                Move(product=product, warehouse=warehouse, state=to, quantity=quantity, ref=ref, group_key=i,
                     location=location if to == StockState.ON_HAND else None),
            ]
    checker.raise_if_any()
    posted = write_moves(moves, kind=MoveKind.STATE_CHANGE, reason=reason, actor=actor)
    events.emit_moves(events.STOCK_STATE_CHANGED, posted, actor=actor)
    return posted


# Adjustments --------------------------------------------------------------------------------------------
@retry_on_conflict
@transaction.atomic
def adjust_stock(*, product_id: int, warehouse_id: int, quantity: Decimal, reason: str, actor: Any,
                 state: str = StockState.ON_HAND, location_id: int | None = None,
                 unit_cost: Decimal | None = None, reference: Reference | None = None) -> StockMove:
    """Correct a balance by ``quantity`` (+ found, − lost/damaged) with a reason; audited.

    Stock found comes in at ``unit_cost`` if given (it then moves the average), else at the average."""
    checker = LineChecker().load(product_ids=[product_id], warehouse_ids=[warehouse_id], location_ids=[location_id])
    product, warehouse = checker.product(None, product_id), checker.warehouse(None, warehouse_id)
    state = checker.state(None, state) or ""
    signed = checker.quantity(None, quantity, product=product, sign="nonzero")
    location = checker.location(None, location_id, warehouse=warehouse, state=state)
    cost = None if unit_cost is None else checker.unit_cost(None, unit_cost)
    if unit_cost is not None and signed is not None and signed < 0:
        checker.add(None, "unit_cost", _("A unit cost is given only for stock coming in."))
    reason = checker.reason(reason, required=True)
    checker.raise_if_any()
    assert product and warehouse and signed
    [move] = write_moves([Move(product=product, warehouse=warehouse, state=state, quantity=signed,
                               location=location, unit_cost=cost, ref=as_ref(reference))],
                         kind=MoveKind.ADJUSTMENT, reason=reason, actor=actor)
    audit.record(actor=actor, obj=move, verb="stock.adjusted", comment=reason, changes={
        "product_id": product.pk, "warehouse_id": warehouse.pk, "location_id": move.location_id,
        "state": state, "quantity": str(signed), "unit_cost": str(move.unit_cost)})
    events.emit_moves(events.STOCK_ADJUSTED, [move], actor=actor)
    return move


# Transfers ----------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class TransferRequest:
    """Stock moving between warehouses, or between bins of one warehouse (putaway: from no bin into
    a bin). Only stock that is not allocated can move."""

    product_id: int
    quantity: Decimal
    from_warehouse_id: int
    to_warehouse_id: int
    from_location_id: int | None = None
    to_location_id: int | None = None
    state: str = StockState.ON_HAND
    reference: Reference | None = None


@retry_on_conflict
@transaction.atomic
def transfer_stock(*, requests: Sequence[TransferRequest], reason: str = "", actor: Any) -> list[StockMove]:
    """Two moves per line, one group: −quantity at the source, +quantity at the destination."""
    checker = LineChecker().load(
        product_ids=(r.product_id for r in requests),
        warehouse_ids=[w for r in requests for w in (r.from_warehouse_id, r.to_warehouse_id)],
        location_ids=[loc for r in requests for loc in (r.from_location_id, r.to_location_id)])
    _require_lines(checker, requests)
    reason = checker.reason(reason)
    moves = []
    for i, r in enumerate(requests):
        product = checker.product(i, r.product_id)
        source = checker.warehouse(i, r.from_warehouse_id, name="from_warehouse_id")
        target = checker.warehouse(i, r.to_warehouse_id, name="to_warehouse_id")
        state = checker.state(i, r.state) or ""
        quantity = checker.quantity(i, r.quantity, product=product, sign="positive")
        source_bin = checker.location(i, r.from_location_id, warehouse=source, state=state, name="from_location_id")
        target_bin = checker.location(i, r.to_location_id, warehouse=target, state=state, name="to_location_id")
        if (r.from_warehouse_id, r.from_location_id) == (r.to_warehouse_id, r.to_location_id):
            checker.add(i, "to_location_id", _("Choose a destination other than the source."))
        if product and source and target and state and quantity:
            ref = as_ref(r.reference)
            moves += [
                Move(product=product, warehouse=source, state=state, quantity=-quantity, location=source_bin,
                     ref=ref, group_key=i),
                Move(product=product, warehouse=target, state=state, quantity=quantity, location=target_bin,
                     ref=ref, group_key=i),
            ]
    checker.raise_if_any()
    posted = write_moves(moves, kind=MoveKind.TRANSFER, reason=reason, actor=actor)
    events.emit_moves(events.STOCK_TRANSFERRED, posted, actor=actor)
    return posted


# Issues without a reservation --------------------------------------------------------------------------
@dataclass(frozen=True)
class IssueRequest:
    """Stock leaving without a reservation: a return to the supplier (from ``rejected`` or
    ``on_hand``), scrapping, internal use. On-hand stock must not be allocated."""

    product_id: int
    warehouse_id: int
    quantity: Decimal
    state: str = StockState.ON_HAND
    location_id: int | None = None
    reference: Reference | None = None


@retry_on_conflict
@transaction.atomic
def issue_stock(*, requests: Sequence[IssueRequest], reason: str = "", actor: Any) -> list[StockMove]:
    """Issue moves (−quantity) at the average cost of the moment. Shipments of sales orders use
    ``issue_reserved_stock`` instead."""
    checker = LineChecker().load(product_ids=(r.product_id for r in requests),
                                 warehouse_ids=(r.warehouse_id for r in requests),
                                 location_ids=(r.location_id for r in requests))
    _require_lines(checker, requests)
    reason = checker.reason(reason)
    moves = []
    for i, r in enumerate(requests):
        product, warehouse = checker.product(i, r.product_id), checker.warehouse(i, r.warehouse_id)
        state = checker.state(i, r.state) or ""
        quantity = checker.quantity(i, r.quantity, product=product, sign="positive")
        location = checker.location(i, r.location_id, warehouse=warehouse, state=state)
        if product and warehouse and state and quantity:
            moves.append(Move(product=product, warehouse=warehouse, state=state, quantity=-quantity,
                              location=location, ref=as_ref(r.reference), group_key=i))
    checker.raise_if_any()
    posted = write_moves(moves, kind=MoveKind.ISSUE, reason=reason, actor=actor)
    events.emit_moves(events.STOCK_ISSUED, posted, actor=actor)
    return posted
