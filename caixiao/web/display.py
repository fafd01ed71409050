"""How values look in the UI: money with two to four decimals, quantities without trailing zeros,
rates as percentages. Used by the resource tables and by the ``caixiao_web`` template filters."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from django.utils import numberformat


def _decimal(value: Any) -> Decimal | None:
    if value is None or value == "":
        return None
    try:
        return value if isinstance(value, Decimal) else Decimal(str(value))
    except InvalidOperation:
        return None


def _format(amount: Decimal, places: int) -> str:
    return numberformat.format(amount, ".", decimal_pos=places, grouping=3, thousand_sep=",", force_grouping=True)


def money(value: Any) -> str:
    """``12.5000`` → ``12.50``, ``0.1234`` → ``0.1234``, with thousands separators."""
    amount = _decimal(value)
    if amount is None:
        return ""
    places = max(2, -min(0, amount.normalize().as_tuple().exponent))  # type: ignore[operator]
    return _format(amount, min(places, 4))


def qty(value: Any) -> str:
    """``24.000000`` → ``24``, ``1.500000`` → ``1.5``."""
    amount = _decimal(value)
    if amount is None:
        return ""
    places = max(0, -min(0, amount.normalize().as_tuple().exponent))  # type: ignore[operator]
    return _format(amount, places)


def percent(value: Any) -> str:
    """``0.1300`` → ``13%``."""
    rate = _decimal(value)
    if rate is None:
        return ""
    return f"{qty(rate * 100)}%"
