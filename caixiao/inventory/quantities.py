"""Quantities of the vocabulary that the ledger does not own (SPEC "Quantities"): ``on_order``
(approved purchase order lines not yet shipped by the supplier) and ``backlog`` (open sales order
lines not yet shipped) are derived from document lines by the apps that own them. They register a
provider here, in their ``AppConfig.ready()``, so ``inventory`` never imports them::

    from caixiao.inventory.quantities import register_quantity_provider
    register_quantity_provider("backlog", sales_selectors.backlog_by_product_and_warehouse)

A provider is called with keyword arguments ``product_ids`` and ``warehouse_ids`` (each a collection
of ids, or None for all) and returns ``{(product_id, warehouse_id): quantity}`` from one set-based
query, leaving out zeros. ``selectors.stock_levels`` adds every registered quantity to its rows."""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from decimal import Decimal
from typing import Protocol


class QuantityProvider(Protocol):
    def __call__(self, *, product_ids: Collection[int] | None,
                 warehouse_ids: Collection[int] | None) -> Mapping[tuple[int, int], Decimal]: ...


# The names SPEC.md gives the derived quantities; a provider may only register one of these.
DERIVED_QUANTITIES = ("on_order", "backlog")

_providers: dict[str, QuantityProvider] = {}


def register_quantity_provider(name: str, provider: QuantityProvider | Callable[..., Mapping]) -> None:
    if name not in DERIVED_QUANTITIES:
        raise ValueError(f"unknown derived quantity {name!r}; expected one of {DERIVED_QUANTITIES}")
    if _providers.get(name, provider) is not provider:
        raise ValueError(f"a provider for {name!r} is already registered")
    _providers[name] = provider  # type: ignore[assignment]


def unregister_quantity_provider(name: str) -> None:
    _providers.pop(name, None)


def quantity_providers() -> dict[str, QuantityProvider]:
    return dict(_providers)
