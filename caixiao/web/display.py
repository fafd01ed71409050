"""How values look in the UI: money with two to four decimals, quantities without trailing zeros,
rates as percentages. Used by the resource tables and by the ``caixiao_web`` template filters."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import models
from django.utils import formats, numberformat, timezone

from caixiao.core.money import (
    MONEY_DECIMAL_PLACES,
    MONEY_MAX_DIGITS,
    QTY_DECIMAL_PLACES,
    QTY_MAX_DIGITS,
    RATE_DECIMAL_PLACES,
    RATE_MAX_DIGITS,
)

NUMERIC_KINDS = {"money", "qty", "rate", "number"}


def kind_of(field: models.Field | None) -> str:
    """How a model field's values are shown: money, qty, rate, number, bool or text."""
    if isinstance(field, models.BooleanField):
        return "bool"
    if isinstance(field, models.DecimalField):
        shape = (field.max_digits, field.decimal_places)
        if shape == (MONEY_MAX_DIGITS, MONEY_DECIMAL_PLACES):
            return "money"
        if shape == (QTY_MAX_DIGITS, QTY_DECIMAL_PLACES):
            return "qty"
        if shape == (RATE_MAX_DIGITS, RATE_DECIMAL_PLACES):
            return "rate"
        return "number"
    if isinstance(field, models.IntegerField):
        return "number"
    return "text"


def format_value(value: Any, kind: str) -> Any:
    """``value`` as text for its kind; booleans and empty values are left to the template."""
    if value is None or value == "" or isinstance(value, bool):
        return value
    if kind == "money":
        return money(value)
    if kind == "qty":
        return qty(value)
    if kind == "rate":
        return percent(value)
    if isinstance(value, Decimal):
        return qty(value)
    if isinstance(value, datetime):
        return formats.date_format(timezone.localtime(value) if timezone.is_aware(value) else value,
                                   "Y-m-d H:i")
    if isinstance(value, date):
        return formats.date_format(value, "Y-m-d")
    return value


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
