"""Read-only admin pages for the stock ledger: stock changes only through the services."""

from django.contrib import admin

from caixiao.core.admin import ReadOnlyAdmin, ReadOnlyInline
from caixiao.inventory.models import (
    BinBalance,
    ProductCost,
    Reservation,
    StockBalance,
    StockCount,
    StockCountLine,
    StockMove,
)


@admin.register(StockMove)
class StockMoveAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "kind", "product", "warehouse", "location", "state", "quantity", "unit_cost",
                    "reference_label", "actor"]
    list_filter = ["kind", "state", "warehouse"]
    search_fields = ["product__code", "reference_label", "reason"]
    list_select_related = ["product", "warehouse", "location", "actor"]
    date_hierarchy = "created_at"


@admin.register(StockBalance)
class StockBalanceAdmin(ReadOnlyAdmin):
    list_display = ["product", "warehouse", "on_hand", "allocated", "pending_qc", "in_transit", "rejected",
                    "updated_at"]
    list_filter = ["warehouse"]
    search_fields = ["product__code", "product__name"]
    list_select_related = ["product", "warehouse"]


@admin.register(BinBalance)
class BinBalanceAdmin(ReadOnlyAdmin):
    list_display = ["product", "warehouse", "location", "on_hand", "updated_at"]
    list_filter = ["warehouse"]
    search_fields = ["product__code", "location__code"]
    list_select_related = ["product", "warehouse", "location"]


@admin.register(Reservation)
class ReservationAdmin(ReadOnlyAdmin):
    list_display = ["reference_label", "product", "warehouse", "quantity", "quantity_consumed",
                    "quantity_released", "status", "created_at"]
    list_filter = ["status", "warehouse"]
    search_fields = ["product__code", "reference_label"]
    list_select_related = ["product", "warehouse"]


@admin.register(ProductCost)
class ProductCostAdmin(ReadOnlyAdmin):
    list_display = ["product", "average_cost", "updated_at"]
    search_fields = ["product__code", "product__name"]
    list_select_related = ["product"]


class StockCountLineInline(ReadOnlyInline):
    model = StockCountLine
    fields = ["product", "location", "expected_quantity", "counted_quantity"]


@admin.register(StockCount)
class StockCountAdmin(ReadOnlyAdmin):
    list_display = ["number", "warehouse", "status", "created_at", "counted_at", "posted_at"]
    list_filter = ["status", "warehouse"]
    search_fields = ["number"]
    inlines = [StockCountLineInline]
