"""Row locks of the stock ledger, always taken in this order within a transaction (docs/ledger.md):

1. the caller's document (sales order, receipt, stock count …),
2. Reservation rows, by pk,
3. ProductCost rows, by product id,
4. StockBalance rows, by pk (BinBalance rows are only changed while their StockBalance row is held).

``select_for_update(no_key=True)``: the rows are updated, never deleted and their keys never change,
so inserts referring to them (moves, reservations) are not blocked. On SQLite there is no row lock:
IMMEDIATE transactions serialise writers, and the helpers skip the query."""

from __future__ import annotations

from collections.abc import Iterable

from django.db import connection, models

from caixiao.inventory.models import ProductCost, Reservation, StockBalance, StockCount


def _lock(queryset: models.QuerySet) -> None:
    if connection.features.has_select_for_update:
        list(queryset.select_for_update(no_key=True, of=("self",)).order_by("pk").values_list("pk", flat=True))


def lock_balances(balance_ids: Iterable[int]) -> None:
    _lock(StockBalance.objects.filter(pk__in=list(balance_ids)))


def lock_costs(product_ids: Iterable[int]) -> None:
    _lock(ProductCost.objects.filter(pk__in=list(product_ids)))


def lock_reservations(queryset: models.QuerySet[Reservation]) -> list[Reservation]:
    """Lock and return the reservations of ``queryset`` in pk order."""
    if connection.features.has_select_for_update:
        queryset = queryset.select_for_update(no_key=True, of=("self",))
    return list(queryset.order_by("pk"))


def get_balance_for_update(*, balance_id: int) -> StockBalance:
    queryset = StockBalance.objects.all()
    if connection.features.has_select_for_update:
        queryset = queryset.select_for_update(no_key=True, of=("self",))
    return queryset.get(pk=balance_id)


def get_stock_count_for_update(*, count_id: int) -> StockCount:
    queryset = StockCount.objects.select_related("warehouse")
    if connection.features.has_select_for_update:
        queryset = queryset.select_for_update(no_key=True, of=("self",))
    return queryset.get(pk=count_id)
