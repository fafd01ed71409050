"""Errors of the sales app (STYLE.md B9: codes per app). Services raise them; the API maps them to
``{"code", "message", "fields"}`` with the status below, the web UI to form errors. Stock errors from
the ledger (``insufficient_stock``, ``reservation_exceeded``) and ``invalid_transition`` (409) pass
through unchanged."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from caixiao.core.errors import Conflict, ValidationFailed
from caixiao.inventory.errors import InventoryErrorCode, format_quantity


class SalesErrorCode(StrEnum):
    INSUFFICIENT_STOCK = InventoryErrorCode.INSUFFICIENT_STOCK  # confirming with the "block" policy
    NOT_EDITABLE = "not_editable"
    AWAITING_APPROVAL = "awaiting_approval"
    BLOCKED_BY_RULE = "blocked_by_rule"
    APPROVAL_REQUIRED = "approval_required"
    EMPTY_ORDER = "empty_order"
    OPEN_DELIVERY_NOTICES = "open_delivery_notices"
    ORDER_NOT_OPEN = "order_not_open"
    NOTHING_TO_SHIP = "nothing_to_ship"
    EXCEEDS_RESERVED = "exceeds_reserved"
    CHECK_MISMATCH = "check_mismatch"
    PICK_SHORTAGE = "pick_shortage"


@dataclass(frozen=True)
class LineShortage:
    """One order line that stock does not cover: ``reservable + shortage == requested``."""

    line_id: int
    position: int
    product_id: int
    product_code: str
    requested: Decimal
    available: Decimal
    reservable: Decimal
    shortage: Decimal

    def as_dict(self) -> dict[str, object]:
        return {"line_id": self.line_id, "position": self.position, "product_id": self.product_id,
                "product_code": self.product_code, "requested": format_quantity(self.requested),
                "available": format_quantity(self.available), "reservable": format_quantity(self.reservable),
                "shortage": format_quantity(self.shortage)}

    def describe(self) -> str:
        return _("line %(position)s, %(product)s: %(requested)s requested, %(reservable)s available") % {
            "position": self.position, "product": self.product_code, "requested": format_quantity(self.requested),
            "reservable": format_quantity(self.reservable)}


class OrderStockShortage(Conflict):
    """Confirming with the "block" policy found lines stock does not cover; nothing was reserved, and the
    shortages were recorded as purchase demand."""

    code = SalesErrorCode.INSUFFICIENT_STOCK

    def __init__(self, *, order_number: str, shortages: Sequence[LineShortage]) -> None:
        self.shortages = list(shortages)
        message = _("%(order)s cannot be confirmed, stock is short: %(lines)s. Purchase demand was recorded.") % {
            "order": order_number, "lines": "; ".join(s.describe() for s in self.shortages)}
        super().__init__(message, shortages=[s.as_dict() for s in self.shortages])


class NotEditable(Conflict):
    code = SalesErrorCode.NOT_EDITABLE

    def __init__(self, *, number: str, status_label: str) -> None:
        super().__init__(_("%(document)s is %(status)s and can no longer be changed.") % {
            "document": number, "status": status_label})


class AwaitingApproval(Conflict):
    """Confirming an order that waits for approval: the final approval confirms it."""

    code = SalesErrorCode.AWAITING_APPROVAL

    def __init__(self, *, number: str) -> None:
        super().__init__(_("%(order)s is waiting for approval; the final approval confirms it.") % {
            "order": number})


class BlockedByRule(ValidationFailed):
    """A rule on the ``sales.order.confirm`` hook blocks confirming (docs/rules.md "Hooks")."""

    code = SalesErrorCode.BLOCKED_BY_RULE

    def __init__(self, *, messages: list[str]) -> None:
        super().__init__(" ".join(messages), reasons=messages)


class ApprovalRequiredNoStep(ValidationFailed):
    """A rule asks for approval but no step of the active sales-order flow applies."""

    code = SalesErrorCode.APPROVAL_REQUIRED

    def __init__(self, *, messages: list[str]) -> None:
        super().__init__(_("A rule asks for approval (%(reasons)s), but no step of the sales-order approval flow "
                           "applies; ask an administrator to add one that checks “rule_requires_approval”.") % {
            "reasons": "; ".join(messages)}, reasons=messages)


class EmptyOrder(ValidationFailed):
    code = SalesErrorCode.EMPTY_ORDER

    def __init__(self) -> None:
        super().__init__(_("Add at least one line before confirming."),
                         fields={"lines": [_("Add at least one line.")]})


class OpenDeliveryNotices(Conflict):
    code = SalesErrorCode.OPEN_DELIVERY_NOTICES

    def __init__(self, *, numbers: Sequence[str]) -> None:
        super().__init__(_("Cancel or ship the open delivery notices first: %(numbers)s.") % {
            "numbers": ", ".join(numbers)}, delivery_notices=list(numbers))


class OrderNotOpen(Conflict):
    code = SalesErrorCode.ORDER_NOT_OPEN

    def __init__(self, *, number: str, status_label: str) -> None:
        super().__init__(_("%(order)s is %(status)s; only confirmed or partially shipped orders are shipped.") % {
            "order": number, "status": status_label})


class NothingToShip(Conflict):
    code = SalesErrorCode.NOTHING_TO_SHIP

    def __init__(self, *, number: str) -> None:
        super().__init__(_("%(order)s has no reserved quantity left to ship.") % {"order": number})


class ExceedsReserved(Conflict):
    """A delivery notice asked for more of a line than is reserved for it and not yet on another notice."""

    code = SalesErrorCode.EXCEEDS_RESERVED
    default_message = gettext_lazy("Some lines ask for more than is reserved and not yet on a delivery notice.")


class CheckMismatch(ValidationFailed):
    code = SalesErrorCode.CHECK_MISMATCH
    default_message = gettext_lazy("The checked quantities do not match the delivery notice; recount or cancel it.")


class PickShortage(Conflict):
    code = SalesErrorCode.PICK_SHORTAGE

    def __init__(self, *, product_code: str, requested: Decimal, in_bins: Decimal) -> None:
        super().__init__(_("The bins hold %(in_bins)s of %(product)s not yet on another pick list; %(requested)s "
                           "is needed.") % {"in_bins": format_quantity(in_bins), "product": product_code,
                                            "requested": format_quantity(requested)},
                         product=product_code, requested=format_quantity(requested),
                         in_bins=format_quantity(in_bins))
