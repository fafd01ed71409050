"""Errors of the stock ledger. Services raise them; the API maps them to 409 with the details."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum

from django.utils.translation import gettext as _

from caixiao.core.errors import Conflict
from caixiao.inventory.enums import StockState


class InventoryErrorCode(StrEnum):
    INSUFFICIENT_STOCK = "insufficient_stock"
    RESERVATION_EXCEEDED = "reservation_exceeded"


def format_quantity(quantity: Decimal) -> str:
    """``Decimal("12.500")`` → ``"12.5"``; never scientific notation."""
    text = format(quantity, "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


@dataclass(frozen=True)
class Shortage:
    """What a line asked for and what there was: ``available`` is in the state the line takes from
    (for on-hand stock outside a bin: not allocated to orders)."""

    product_id: int
    warehouse_id: int
    requested: Decimal
    available: Decimal
    state: str = StockState.ON_HAND
    location_id: int | None = None
    product_code: str = ""
    warehouse_code: str = ""
    bin_level: bool = False  # the shortage is in one bin (or in the stock not put away), not the warehouse
    location_code: str = ""

    def as_dict(self) -> dict[str, object]:
        return {"product_id": self.product_id, "product_code": self.product_code,
                "warehouse_id": self.warehouse_id, "warehouse_code": self.warehouse_code,
                "location_id": self.location_id, "location_code": self.location_code,
                "bin_level": self.bin_level, "state": str(self.state),
                "requested": format_quantity(self.requested), "available": format_quantity(self.available)}

    def describe(self) -> str:
        where = str(StockState(self.state).label)
        if self.bin_level:
            where = (_("bin %(bin)s") % {"bin": self.location_code} if self.location_code
                     else _("not in a bin"))
        return _("%(product)s in %(warehouse)s (%(where)s): %(requested)s requested, %(available)s available") % {
            "product": self.product_code or self.product_id, "warehouse": self.warehouse_code or self.warehouse_id,
            "where": where, "requested": format_quantity(self.requested),
            "available": format_quantity(self.available)}


class InsufficientStock(Conflict):
    code = InventoryErrorCode.INSUFFICIENT_STOCK

    def __init__(self, *, shortages: Sequence[Shortage]) -> None:
        self.shortages = list(shortages)
        message = _("Not enough stock: %(lines)s.") % {"lines": "; ".join(s.describe() for s in self.shortages)}
        super().__init__(message, shortages=[s.as_dict() for s in self.shortages])


class ReservationExceeded(Conflict):
    """Issuing or releasing more than a document line holds reserved."""

    code = InventoryErrorCode.RESERVATION_EXCEEDED

    def __init__(self, *, reference_label: str, requested: Decimal, reserved: Decimal) -> None:
        self.requested, self.reserved = requested, reserved
        message = _("%(document)s has %(reserved)s reserved; %(requested)s cannot be taken from it.") % {
            "document": reference_label, "reserved": format_quantity(reserved),
            "requested": format_quantity(requested)}
        super().__init__(message, reference=reference_label, requested=format_quantity(requested),
                         reserved=format_quantity(reserved))
