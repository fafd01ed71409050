"""Model fields for money, quantities and rates: always Decimal (STYLE.md B6)."""

from functools import partial

from django.db import models

from caixiao.core.money import (
    MONEY_DECIMAL_PLACES,
    MONEY_MAX_DIGITS,
    QTY_DECIMAL_PLACES,
    QTY_MAX_DIGITS,
    RATE_DECIMAL_PLACES,
    RATE_MAX_DIGITS,
)

MoneyField = partial(models.DecimalField, max_digits=MONEY_MAX_DIGITS, decimal_places=MONEY_DECIMAL_PLACES)
QtyField = partial(models.DecimalField, max_digits=QTY_MAX_DIGITS, decimal_places=QTY_DECIMAL_PLACES)
RateField = partial(models.DecimalField, max_digits=RATE_MAX_DIGITS, decimal_places=RATE_DECIMAL_PLACES)


def CurrencyField(**kwargs):
    kwargs.setdefault("max_length", 3)
    kwargs.setdefault("default", "CNY")
    return models.CharField(**kwargs)
