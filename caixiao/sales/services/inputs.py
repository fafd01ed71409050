"""Checking what a user entered on an order, and pricing its lines.

Every bad value is collected as a per-field message (``lines.2.quantity``) and raised together as one
``ValidationFailed`` (422) before anything is written. Quantities are in the product's base unit with
no more decimals than the unit allows (the ledger's ``LineChecker`` gives the same messages as every
stock service); prices have at most 4 decimals, discounts 2, tax rates 4.

Pricing (STYLE.md B6): unit prices are before tax. Per line, ``net = quantity × unit_price ×
(1 − discount% / 100)`` and ``tax = net × tax_rate``, each rounded half up to the currency's minor unit
(``core.money.quantize_money``) once, at the line; order totals are the exact sums of the line
figures."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from caixiao.accounts.models import User
from caixiao.catalog.models import Product
from caixiao.core import rows
from caixiao.core.money import decimal_places, quantize_money, to_decimal
from caixiao.inventory.models import Warehouse
from caixiao.inventory.services.inputs import LineChecker
from caixiao.partners import selectors as partner_selectors
from caixiao.partners.models import Customer
from caixiao.sales.enums import ShortagePolicy
from caixiao.sales.models import SalesOrderLine

ZERO = Decimal("0")
HUNDRED = Decimal("100")
AMOUNT_LIMIT = Decimal(10) ** 13  # a line or order total must stay well inside MoneyField (18, 4)
PRICE_DECIMALS = 4
DISCOUNT_DECIMALS = 2
TAX_RATE_DECIMALS = 4
CURRENCY_PATTERN = re.compile(r"^[A-Z]{3}$")
NOTES_MAX_LENGTH = 4000
HEADER_FIELDS = ("customer_id", "warehouse_id", "requested_on", "currency", "owner_id", "shortage_policy",
                 "customer_reference", "notes")


@dataclass(frozen=True)
class OrderLineInput:
    """One line as entered. Without ``unit_price`` / ``tax_rate`` the product's sale price and tax rate
    apply. ``id`` names an existing line when a draft's lines are replaced (``update_order``)."""

    product_id: int
    quantity: Decimal
    unit_price: Decimal | None = None
    discount_percent: Decimal | None = None
    tax_rate: Decimal | None = None
    id: int | None = None


@dataclass(frozen=True)
class LineTotals:
    net: Decimal
    tax: Decimal

    @property
    def gross(self) -> Decimal:
        return self.net + self.tax


def line_totals(*, quantity: Decimal, unit_price: Decimal, discount_percent: Decimal, tax_rate: Decimal,
                currency: str) -> LineTotals:
    net = quantize_money(quantity * unit_price * (HUNDRED - discount_percent) / HUNDRED, currency)
    return LineTotals(net=net, tax=quantize_money(net * tax_rate, currency))


def price_line(line: SalesOrderLine, currency: str) -> None:
    totals = line_totals(quantity=line.quantity, unit_price=line.unit_price, discount_percent=line.discount_percent,
                         tax_rate=line.tax_rate, currency=currency)
    line.total_net, line.total_tax, line.total_gross = totals.net, totals.tax, totals.gross


def order_totals(lines: Iterable[SalesOrderLine]) -> tuple[Decimal, Decimal, Decimal]:
    """(net, tax, gross): exact sums of the rounded line figures."""
    lines = list(lines)
    net = sum((line.total_net for line in lines), ZERO)
    tax = sum((line.total_tax for line in lines), ZERO)
    return net, tax, net + tax


def default_shortage_policy() -> str:
    return settings.SALES_SHORTAGE_POLICY


class OrderChecker(LineChecker):
    """The ledger's line checks (products, quantities in their unit) plus the order's header and prices."""

    # What entering a line reads of its product (every order reads its products; issue 3 item 8).
    product_fields = ("code", "name", "is_active", "base_unit", "sale_price", "tax_rate")

    def __init__(self) -> None:
        super().__init__(prefix="lines")

    def number(self, index: int | None, name: str, value: object, *, places: int, low: Decimal,
               high: Decimal | None, low_inclusive: bool = True) -> Decimal | None:
        try:
            number = to_decimal(value)
        except (TypeError, ValueError):
            number = None
        if number is None or not number.is_finite():
            self.add(index, name, _("Enter a number."))
        elif number < low or (number == low and not low_inclusive):
            self.add(index, name, _("Enter a value of at least %(low)s.") % {"low": low} if low_inclusive
                     else _("Enter a value greater than %(low)s.") % {"low": low})
        elif high is not None and number > high:
            self.add(index, name, _("Enter a value of at most %(high)s.") % {"high": high})
        elif number >= AMOUNT_LIMIT:
            self.add(index, name, _("The number is too large."))
        elif decimal_places(number) > places:
            self.add(index, name, _("Use at most %(n)s decimal places.") % {"n": places})
        else:
            return number
        return None

    # The header ----------------------------------------------------------------------------------------
    def customer(self, customer_id: object, *, actor: Any) -> Customer | None:
        """A customer the actor may see (a rep orders for their own customers, X2); the system sees all."""
        found = rows.select(Customer, "id = %s", [int(customer_id)]) if _is_id(customer_id) else []  # type: ignore[call-overload]
        customer = found[0] if found else None
        mine = customer is not None and customer.account_manager_id == getattr(actor, "pk", None)
        if customer is not None and getattr(actor, "pk", None) and not mine:
            visible: QuerySet[Customer] = partner_selectors.list_customers(for_user=actor)
            customer = customer if visible.filter(pk=customer.pk).exists() else None
        if customer is None:
            self.add(None, "customer_id", _("Unknown %(target)s: %(value)s") % {
                "target": Customer._meta.verbose_name, "value": customer_id})
        elif not customer.is_active:
            self.add(None, "customer_id", _("This customer is inactive."))
        return customer

    def active_warehouse(self, warehouse_id: object) -> Warehouse | None:
        self.load(warehouse_ids=[warehouse_id])
        warehouse = self.warehouse(None, warehouse_id)
        if warehouse is not None and not warehouse.is_active:
            self.add(None, "warehouse_id", _("This warehouse is inactive."))
        return warehouse

    def owner(self, owner_id: object) -> User | None:
        if owner_id is None:
            return None
        owner = User.objects.filter(pk=int(owner_id), is_active=True).first() if _is_id(owner_id) else None  # type: ignore[call-overload]
        if owner is None:
            self.add(None, "owner_id", _("Unknown %(target)s: %(value)s") % {
                "target": User._meta.verbose_name, "value": owner_id})
        return owner

    def currency(self, value: object) -> str | None:
        text = value.strip().upper() if isinstance(value, str) else ""
        if not CURRENCY_PATTERN.match(text):
            self.add(None, "currency", _("Enter a three-letter currency code such as CNY."))
            return None
        return text

    def policy(self, value: object) -> str | None:
        if value in ShortagePolicy.values:
            return str(value)
        self.add(None, "shortage_policy", _("Choose one of: %(choices)s.") % {
            "choices": ", ".join(str(label) for label in ShortagePolicy.labels)})
        return None

    def requested_on(self, value: object) -> date | None:
        if isinstance(value, date):
            return value
        self.add(None, "requested_on", _("Enter a valid date (YYYY-MM-DD)."))
        return None

    def text(self, name: str, value: object, *, max_length: int) -> str:
        text = value.strip() if isinstance(value, str) else ""
        if value is not None and not isinstance(value, str):
            self.add(None, name, _("Enter text."))
        elif len(text) > max_length:
            self.add(None, name, _("Use at most %(n)s characters.") % {"n": max_length})
        return text

    # Lines ---------------------------------------------------------------------------------------------
    def order_lines(self, lines: Sequence[OrderLineInput], *, existing: Mapping[int, SalesOrderLine] | None = None
                    ) -> list[SalesOrderLine]:
        """Unsaved (or, with ``id``, updated) line objects in entry order, positions 1, 2, …"""
        self.load(product_ids=(line.product_id for line in lines))
        result = []
        seen: set[int] = set()
        for i, entry in enumerate(lines):
            product = self.product(i, entry.product_id)
            if product is not None and not product.is_active:
                self.add(i, "product_id", _("%(product)s is no longer sold.") % {"product": product.code})
                product = None
            quantity = self.quantity(i, entry.quantity, product=product, sign="positive")
            unit_price = self._price(i, entry, product)
            discount = (ZERO if entry.discount_percent is None else
                        self.number(i, "discount_percent", entry.discount_percent, places=DISCOUNT_DECIMALS,
                                    low=ZERO, high=HUNDRED))
            tax_rate = self._tax_rate(i, entry, product)
            line = self._line(i, entry, existing or {}, seen)
            if None in (product, quantity, unit_price, discount, tax_rate, line):
                continue
            assert product is not None and line is not None and quantity is not None and unit_price is not None
            assert discount is not None and tax_rate is not None
            line.position, line.product = i + 1, product
            line.quantity, line.unit_price = quantity, unit_price
            line.discount_percent, line.tax_rate = discount, tax_rate
            result.append(line)
        return result

    def _price(self, index: int, entry: OrderLineInput, product: Product | None) -> Decimal | None:
        if entry.unit_price is None:
            return product.sale_price if product is not None else ZERO
        return self.number(index, "unit_price", entry.unit_price, places=PRICE_DECIMALS, low=ZERO, high=None)

    def _tax_rate(self, index: int, entry: OrderLineInput, product: Product | None) -> Decimal | None:
        if entry.tax_rate is None:
            return product.tax_rate if product is not None else ZERO
        return self.number(index, "tax_rate", entry.tax_rate, places=TAX_RATE_DECIMALS, low=ZERO, high=Decimal("1"))

    def _line(self, index: int, entry: OrderLineInput, existing: Mapping[int, SalesOrderLine],
              seen: set[int]) -> SalesOrderLine | None:
        if entry.id is None:
            return SalesOrderLine()
        line = existing.get(entry.id) if _is_id(entry.id) else None
        if line is None or entry.id in seen:
            self.add(index, "id", _("This line is not on the order."))
            return None
        seen.add(entry.id)
        return line

    def totals(self, lines: Sequence[SalesOrderLine], currency: str) -> None:
        """Price every line; report amounts too large to store."""
        for i, line in enumerate(lines):
            price_line(line, currency)
            if line.total_gross >= AMOUNT_LIMIT:
                self.add(i, "quantity", _("The amount of this line is too large."))
        if sum((line.total_gross for line in lines), ZERO) >= AMOUNT_LIMIT:
            self.add(None, "lines", _("The order total is too large."))


def _is_id(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 0 < value < 2**63


def today() -> date:
    return timezone.localdate()

