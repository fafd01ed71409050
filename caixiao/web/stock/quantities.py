"""The quantity vocabulary of SPEC "Quantities" as the UI labels and explains it, and the stock level
rows of a page: balance rows joined with every quantity the ledger and the registered providers
give (one query for the page's balances plus one per provider)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.db.models import F, Q, QuerySet
from django.utils.translation import gettext_lazy as _

from caixiao.inventory import selectors as inventory_selectors
from caixiao.inventory.models import StockBalance
from caixiao.inventory.quantities import DERIVED_QUANTITIES, quantity_providers
from caixiao.inventory.selectors import StockLevel


@dataclass(frozen=True)
class Quantity:
    name: str      # the vocabulary term, as in the API
    label: Any
    meaning: Any


VOCABULARY = [
    Quantity("on_hand", _("on hand"), _("Released stock physically in the warehouse, including allocated stock.")),
    Quantity("allocated", _("allocated"), _("Part of on hand reserved for confirmed sales orders.")),
    Quantity("available", _("available"), _("On hand minus allocated: what a new order may take.")),
    Quantity("pending_qc", _("pending inspection"), _("Received and waiting for inspection; not sellable.")),
    Quantity("in_transit", _("in transit"), _("Shipped by the supplier, not yet received.")),
    Quantity("rejected", _("rejected"), _("Failed inspection; waiting to be returned or scrapped.")),
    Quantity("on_order", _("on order"), _("On approved purchase orders, not yet shipped by the supplier.")),
    Quantity("backlog", _("backlog"), _("Open sales order quantity not yet shipped.")),
]


def shown_quantities() -> list[Quantity]:
    """The ledger's quantities, and the derived ones whose owner has registered a provider."""
    registered = quantity_providers().keys()
    return [q for q in VOCABULARY if q.name not in DERIVED_QUANTITIES or q.name in registered]


def filter_balances(rows: QuerySet[StockBalance], *, q: str = "", below_safety_stock: bool = False
                    ) -> QuerySet[StockBalance]:
    """``list_balances`` rows narrowed by a product search and to those below safety stock
    (available < the product's safety stock)."""
    if below_safety_stock:
        rows = rows.filter(product__safety_stock__gt=F("available_quantity"))
    if term := q.strip():
        rows = rows.filter(Q(product__code__icontains=term) | Q(product__name__icontains=term)
                           | Q(product__barcode=term))
    return rows


@dataclass(frozen=True)
class LevelRow:
    balance: StockBalance
    level: StockLevel
    figures: list[tuple[Quantity, Any]]

    @property
    def below_safety_stock(self) -> bool:
        return self.level.available < self.balance.product.safety_stock


def level_rows(balances: Iterable[StockBalance], quantities: list[Quantity]) -> list[LevelRow]:
    balances = list(balances)
    levels = {(level.product_id, level.warehouse_id): level for level in inventory_selectors.stock_levels(
        product_ids={b.product_id for b in balances}, warehouse_ids={b.warehouse_id for b in balances})}
    rows = []
    for balance in balances:
        level = levels.get((balance.product_id, balance.warehouse_id)) or StockLevel(
            balance.product_id, balance.warehouse_id)
        rows.append(LevelRow(balance, level, [(q, level.quantity(q.name)) for q in quantities]))
    return rows
