"""Decimal money and quantity rules (STYLE.md B6).

Money is stored with 4 decimal places and shown/rounded to the currency's minor unit at document
boundaries; quantities are stored with 6 places and rounded to what the unit allows. Rounding is
always ROUND_HALF_UP and happens only where a document line or total is fixed, never mid-formula.
"""

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

MONEY_MAX_DIGITS = 18
MONEY_DECIMAL_PLACES = 4
QTY_MAX_DIGITS = 18
QTY_DECIMAL_PLACES = 6
RATE_MAX_DIGITS = 7
RATE_DECIMAL_PLACES = 4

# Minor units per ISO 4217 for the currencies an SME here meets; others default to 2.
CURRENCY_MINOR_UNITS = {"CNY": 2, "USD": 2, "EUR": 2, "HKD": 2, "JPY": 0, "KRW": 0, "TWD": 2, "GBP": 2}

ZERO = Decimal("0")


def to_decimal(value: object) -> Decimal:
    """Build a Decimal from a str/int/Decimal; floats are refused (they carry binary error)."""
    if isinstance(value, Decimal):
        return value
    if isinstance(value, (bool, float)):
        raise TypeError("money and quantities are built from str or int, never float")
    try:
        return Decimal(str(value))
    except InvalidOperation as exc:
        raise ValueError(f"not a decimal number: {value!r}") from exc


def currency_exponent(currency: str) -> Decimal:
    return Decimal(1).scaleb(-CURRENCY_MINOR_UNITS.get(currency.upper(), 2))


def quantize_money(amount: Decimal, currency: str = "CNY") -> Decimal:
    """Round an amount to the currency's minor unit, half up (line totals, taxes, document totals)."""
    return to_decimal(amount).quantize(currency_exponent(currency), rounding=ROUND_HALF_UP)


def quantize_price(amount: Decimal) -> Decimal:
    """Unit prices and costs keep the stored precision (4 places)."""
    return to_decimal(amount).quantize(Decimal(1).scaleb(-MONEY_DECIMAL_PLACES), rounding=ROUND_HALF_UP)


def quantize_qty(quantity: Decimal, decimals: int = QTY_DECIMAL_PLACES) -> Decimal:
    """Round a quantity to the number of decimals a unit allows, half up."""
    return to_decimal(quantity).quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP)


def decimal_places(value: Decimal) -> int:
    """How many decimal places a value actually uses (1.500 -> 1, 2 -> 0)."""
    normalized = to_decimal(value).normalize()
    exponent = normalized.as_tuple().exponent
    return max(0, -exponent) if isinstance(exponent, int) else 0
