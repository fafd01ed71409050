"""Inventory write services (docs/ledger.md). Callers import this package:
``from caixiao.inventory import services as inventory_services``.

Every function takes keyword arguments and an ``actor``, owns its transaction (a savepoint when the
caller already has one) and raises ``DomainError``s: ``ValidationFailed`` (422) for bad input,
``InsufficientStock`` / ``ReservationExceeded`` / ``InvalidTransition`` (409)."""

from caixiao.inventory.services.counts import (
    CountLineRequest,
    add_stock_count_lines,
    cancel_stock_count,
    complete_stock_count,
    create_stock_count,
    post_stock_count,
    record_counted_quantities,
    reopen_stock_count,
)
from caixiao.inventory.services.ledger import MoveRequest, post_moves
from caixiao.inventory.services.movements import (
    IssueRequest,
    ReceiveRequest,
    StateChangeRequest,
    TransferRequest,
    adjust_stock,
    change_state,
    issue_stock,
    receive_stock,
    transfer_stock,
)
from caixiao.inventory.services.reservations import (
    IssueReservedRequest,
    ReleaseRequest,
    ReserveRequest,
    ReserveResult,
    issue_reserved_stock,
    release_reservation,
    reserve_stock,
)
from caixiao.inventory.services.warehouses import (
    create_location,
    create_warehouse,
    update_location,
    update_warehouse,
)

__all__ = [
    "CountLineRequest",
    "IssueRequest",
    "IssueReservedRequest",
    "MoveRequest",
    "ReceiveRequest",
    "ReleaseRequest",
    "ReserveRequest",
    "ReserveResult",
    "StateChangeRequest",
    "TransferRequest",
    "add_stock_count_lines",
    "adjust_stock",
    "cancel_stock_count",
    "change_state",
    "complete_stock_count",
    "create_location",
    "create_stock_count",
    "create_warehouse",
    "issue_reserved_stock",
    "issue_stock",
    "post_moves",
    "post_stock_count",
    "receive_stock",
    "record_counted_quantities",
    "release_reservation",
    "reopen_stock_count",
    "reserve_stock",
    "transfer_stock",
    "update_location",
    "update_warehouse",
]
