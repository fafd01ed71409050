"""Input checks shared by the stock services: every bad value of a request is collected as a
per-field message (``requests.2.quantity``) and raised together as one ``ValidationFailed`` (422)
before anything is written."""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal
from typing import Literal

from django.utils.translation import gettext as _

from caixiao.catalog.models import Product
from caixiao.core import rows
from caixiao.core.errors import ValidationFailed
from caixiao.core.money import QTY_DECIMAL_PLACES, QTY_MAX_DIGITS, decimal_places, to_decimal
from caixiao.inventory.enums import StockState
from caixiao.inventory.models import Location, StockMove, Warehouse

QUANTITY_LIMIT = Decimal(10) ** (QTY_MAX_DIGITS - QTY_DECIMAL_PLACES)
COST_LIMIT = Decimal(10) ** 14
REASON_MAX_LENGTH = StockMove._meta.get_field("reason").max_length or 200

Sign = Literal["positive", "nonzero", "non_negative"]


def _as_decimal(value: object) -> Decimal | None:
    try:
        number = to_decimal(value)
    except (TypeError, ValueError):
        return None
    return number if number.is_finite() else None


def _ids(values: Iterable[object]) -> set[int]:
    return {v for v in values if isinstance(v, int) and not isinstance(v, bool)}


class LineChecker:
    """Loads the products, warehouses and bins a request names (three queries) and checks each line.

    ``product_fields``: the product fields a subclass reads (the rest are deferred, as ``only()`` defers
    them); empty: every field."""

    product_fields: tuple[str, ...] = ()

    def __init__(self, prefix: str = "requests") -> None:
        self.prefix = prefix
        self.fields: dict[str, list[str]] = {}
        self.products: dict[int, Product] = {}
        self.warehouses: dict[int, Warehouse] = {}
        self.locations: dict[int, Location] = {}

    def field(self, index: int | None, name: str) -> str:
        return name if index is None else f"{self.prefix}.{index}.{name}"

    def add(self, index: int | None, name: str, message: str) -> None:
        self.fields.setdefault(self.field(index, name), []).append(message)

    def raise_if_any(self) -> None:
        if self.fields:
            raise ValidationFailed(fields=self.fields)

    def load(self, *, product_ids: Iterable[object] = (), warehouse_ids: Iterable[object] = (),
             location_ids: Iterable[object] = ()) -> LineChecker:
        # Prepared statements (core/rows.py): every stock and order service checks its lines here.
        if ids := _ids(product_ids):
            self.products = {p.pk: p for p in rows.select(Product, "catalog_product.id IN %s", [ids],
                                                          related=("base_unit",), only=self.product_fields)}
        if ids := _ids(warehouse_ids):
            self.warehouses = {w.pk: w for w in rows.select(Warehouse, "id IN %s", [ids])}
        if ids := _ids(location_ids):
            self.locations = {loc.pk: loc for loc in rows.select(Location, "inventory_location.id IN %s", [ids],
                                                                 related=("warehouse",))}
        return self

    # One value each ---------------------------------------------------------------------------
    def product(self, index: int | None, product_id: object, name: str = "product_id") -> Product | None:
        product = self.products.get(product_id) if isinstance(product_id, int) else None
        if product is None:
            self.add(index, name, _("Unknown %(target)s: %(value)s") % {
                "target": Product._meta.verbose_name, "value": product_id})
        return product

    def warehouse(self, index: int | None, warehouse_id: object, name: str = "warehouse_id") -> Warehouse | None:
        warehouse = self.warehouses.get(warehouse_id) if isinstance(warehouse_id, int) else None
        if warehouse is None:
            self.add(index, name, _("Unknown %(target)s: %(value)s") % {
                "target": Warehouse._meta.verbose_name, "value": warehouse_id})
        return warehouse

    def location(self, index: int | None, location_id: object, *, warehouse: Warehouse | None, state: str,
                 name: str = "location_id") -> Location | None:
        """A bin of ``warehouse``, or None (stock not in a bin). Only on-hand stock is kept in bins."""
        if location_id is None:
            return None
        location = self.locations.get(location_id) if isinstance(location_id, int) else None
        if location is None:
            self.add(index, name, _("Unknown %(target)s: %(value)s") % {
                "target": Location._meta.verbose_name, "value": location_id})
        elif state not in StockState.values:
            pass  # the state itself is reported
        elif state != StockState.ON_HAND:
            self.add(index, name, _("Only on-hand stock is kept in bins; leave the bin empty."))
        elif warehouse is not None and location.warehouse_id != warehouse.pk:
            self.add(index, name, _("Bin %(bin)s is not in warehouse %(warehouse)s.") % {
                "bin": location.code, "warehouse": warehouse.code})
        else:
            return location
        return None

    def quantity(self, index: int | None, value: object, *, product: Product | None, sign: Sign,
                 name: str = "quantity") -> Decimal | None:
        """A quantity in the product's base unit with no more decimals than the unit allows."""
        number = _as_decimal(value)
        if number is None:
            self.add(index, name, _("Enter a number."))
        elif sign == "positive" and number <= 0:
            self.add(index, name, _("Enter a quantity greater than zero."))
        elif sign == "nonzero" and number == 0:
            self.add(index, name, _("Enter a quantity other than zero."))
        elif sign == "non_negative" and number < 0:
            self.add(index, name, _("Enter a quantity of zero or more."))
        elif abs(number) >= QUANTITY_LIMIT:
            self.add(index, name, _("The quantity is too large."))
        elif product is not None and decimal_places(number) > product.base_unit.decimals:
            self.add(index, name, self._decimals_message(product))
        else:
            return number
        return None

    def unit_cost(self, index: int | None, value: object, name: str = "unit_cost") -> Decimal | None:
        number = _as_decimal(value)
        if number is None:
            self.add(index, name, _("Enter a number."))
        elif number < 0:
            self.add(index, name, _("Enter a unit cost of zero or more."))
        elif number >= COST_LIMIT:
            self.add(index, name, _("The unit cost is too large."))
        else:
            return number
        return None

    def state(self, index: int | None, value: object, *, allowed: Iterable[str] = StockState.values,
              name: str = "state") -> str | None:
        allowed = list(allowed)
        if value in allowed:
            return str(value)
        self.add(index, name, _("Choose one of: %(choices)s.") % {
            "choices": ", ".join(str(StockState(s).label) for s in allowed)})
        return None

    def reason(self, value: object, *, required: bool = False) -> str:
        text = value.strip() if isinstance(value, str) else ""
        if required and not text:
            self.add(None, "reason", _("This field is required."))
        elif len(text) > REASON_MAX_LENGTH:
            self.add(None, "reason", _("Use at most %(n)s characters.") % {"n": REASON_MAX_LENGTH})
        return text

    @staticmethod
    def _decimals_message(product: Product) -> str:
        unit = product.base_unit
        if unit.decimals == 0:
            return _("Enter a whole number of %(unit)s.") % {"unit": unit.name}
        return _("Use at most %(n)s decimal places for %(unit)s.") % {"n": unit.decimals, "unit": unit.name}
