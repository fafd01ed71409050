"""Moving weighted average cost (移动加权平均), the pure arithmetic (docs/ledger.md "Valuation").

The average is kept per product over all its stock (every state, every warehouse) with 8 decimal
places, ROUND_HALF_UP. Each receipt with a cost moves it:

    new average = (quantity before × average before + Σ received quantity × unit cost)
                  / (quantity before + Σ received quantity)

Everything else leaves it alone: stock going out, and stock coming in without a cost (a positive
adjustment or count difference), moves at the average of the moment."""

from __future__ import annotations

from collections.abc import Iterable
from decimal import ROUND_HALF_UP, Decimal, localcontext

from caixiao.inventory.models import AVERAGE_COST_DECIMAL_PLACES

AVERAGE_COST_EXPONENT = Decimal(1).scaleb(-AVERAGE_COST_DECIMAL_PLACES)


def quantize_average(value: Decimal) -> Decimal:
    return value.quantize(AVERAGE_COST_EXPONENT, rounding=ROUND_HALF_UP)


def moving_average(*, quantity: Decimal, average: Decimal, receipts: Iterable[tuple[Decimal, Decimal]]) -> Decimal:
    """The average after ``receipts`` (pairs of quantity > 0 and unit cost) join ``quantity`` at ``average``."""
    with localcontext() as context:
        context.prec = 50
        received = list(receipts)
        total = quantity + sum((q for q, _cost in received), Decimal(0))
        if total <= 0:
            return average
        value = quantity * average + sum((q * cost for q, cost in received), Decimal(0))
        return quantize_average(value / total)
