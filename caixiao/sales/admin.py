"""Read-only admin pages for sales documents: they change only through the services (docs/sales.md)."""

from django.contrib import admin

from caixiao.core.admin import ReadOnlyAdmin, ReadOnlyInline
from caixiao.sales.models import (
    DeliveryNotice,
    DeliveryNoticeLine,
    DeliveryNoticePick,
    PurchaseDemand,
    SalesOrder,
    SalesOrderLine,
)


class SalesOrderLineInline(ReadOnlyInline):
    model = SalesOrderLine
    fields = ("position", "product", "quantity", "unit_price", "discount_percent", "tax_rate", "total_gross",
              "quantity_shipped", "quantity_cancelled")


@admin.register(SalesOrder)
class SalesOrderAdmin(ReadOnlyAdmin):
    list_display = ("number", "customer", "warehouse", "status", "requested_on", "total_gross", "currency")
    list_filter = ("status", "warehouse")
    search_fields = ("number", "customer__code", "customer__name", "customer_reference")
    list_select_related = ("customer", "warehouse")
    inlines = [SalesOrderLineInline]


class DeliveryNoticeLineInline(ReadOnlyInline):
    model = DeliveryNoticeLine
    fields = ("position", "order_line", "product", "quantity", "quantity_checked", "cost_of_goods")


@admin.register(DeliveryNotice)
class DeliveryNoticeAdmin(ReadOnlyAdmin):
    list_display = ("number", "order", "warehouse", "status", "outbound_number", "shipped_at")
    list_filter = ("status", "warehouse")
    search_fields = ("number", "outbound_number", "order__number")
    list_select_related = ("order", "warehouse")
    inlines = [DeliveryNoticeLineInline]


@admin.register(DeliveryNoticePick)
class DeliveryNoticePickAdmin(ReadOnlyAdmin):
    list_display = ("line", "location", "quantity")
    list_select_related = ("line__notice", "location")


@admin.register(PurchaseDemand)
class PurchaseDemandAdmin(ReadOnlyAdmin):
    list_display = ("product", "warehouse", "quantity", "needed_on", "status", "order_line")
    list_filter = ("status", "warehouse")
    list_select_related = ("product", "warehouse", "order_line__order")
