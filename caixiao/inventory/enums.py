"""States, kinds and transition tables of the stock ledger (docs/ledger.md)."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class StockState(models.TextChoices):
    """Where a quantity stands in its life in one warehouse (SPEC "Quantities")."""

    IN_TRANSIT = "in_transit", _("In transit")
    PENDING_QC = "pending_qc", _("Pending inspection")
    ON_HAND = "on_hand", _("On hand")
    REJECTED = "rejected", _("Rejected")


# One StockBalance column per state, named after the state.
STATE_COLUMNS: tuple[str, ...] = tuple(StockState.values)

# States stock may be received into from outside (a shipping notice, a receipt, a customer return).
RECEIVABLE_STATES = frozenset({StockState.IN_TRANSIT, StockState.PENDING_QC, StockState.ON_HAND})

# Moves between states inside one warehouse (change_state). Stock enters in_transit only by being
# received (a supplier's shipping notice); stock leaves the ledger only by issue or adjustment.
STATE_TRANSITIONS: dict[str, frozenset[str]] = {
    StockState.IN_TRANSIT: frozenset({StockState.PENDING_QC, StockState.ON_HAND, StockState.REJECTED}),
    StockState.PENDING_QC: frozenset({StockState.ON_HAND, StockState.REJECTED}),
    StockState.ON_HAND: frozenset({StockState.PENDING_QC, StockState.REJECTED}),
    StockState.REJECTED: frozenset({StockState.PENDING_QC, StockState.ON_HAND}),
}


class MoveKind(models.TextChoices):
    """Why a move was written. Receipts, issues, adjustments and counts bring stock in or take it out
    (they change the valued quantity); state changes and transfers move it inside the ledger."""

    RECEIPT = "receipt", _("Receipt")
    ISSUE = "issue", _("Issue")
    ADJUSTMENT = "adjustment", _("Adjustment")
    COUNT = "count", _("Stock count")
    STATE_CHANGE = "state_change", _("State change")
    TRANSFER = "transfer", _("Transfer")


# Kinds whose moves of one group net to zero per product: they never change the valuation.
INTERNAL_KINDS = frozenset({MoveKind.STATE_CHANGE, MoveKind.TRANSFER})


class ReservationStatus(models.TextChoices):
    OPEN = "open", _("Open")
    CLOSED = "closed", _("Closed")


class StockCountStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    COUNTED = "counted", _("Counted")
    POSTED = "posted", _("Posted")
    CANCELLED = "cancelled", _("Cancelled")


STOCK_COUNT_TRANSITIONS: dict[str, frozenset[str]] = {
    StockCountStatus.DRAFT: frozenset({StockCountStatus.COUNTED, StockCountStatus.CANCELLED}),
    StockCountStatus.COUNTED: frozenset({StockCountStatus.POSTED, StockCountStatus.DRAFT,
                                         StockCountStatus.CANCELLED}),
    StockCountStatus.POSTED: frozenset(),
    StockCountStatus.CANCELLED: frozenset(),
}

OPEN_STOCK_COUNT_STATUSES = frozenset({StockCountStatus.DRAFT, StockCountStatus.COUNTED})
