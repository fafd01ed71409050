"""Sales documents (SPEC O1–O5): sales orders and their lines, delivery notices (发货通知单) with
their lines and pick lists, and the purchase demand (缺货转采购) a shortage leaves for purchasing.

Quantities are in the product's base unit. What a line holds reserved is not stored here: it is the
open remainder of the ledger's ``Reservation`` rows that name the line (``selectors.line_quantities``).
What a line has shipped and what was cancelled are facts of sales documents, stored on the line and
changed only under the order's row lock."""

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Round
from django.utils.translation import gettext_lazy as _

from caixiao.core.fields import CurrencyField, MoneyField, QtyField, RateField
from caixiao.core.models import TimeStampedModel
from caixiao.core.money import QTY_DECIMAL_PLACES
from caixiao.sales.enums import (
    DeliveryNoticeStatus,
    PurchaseDemandStatus,
    SalesOrderStatus,
    ShortagePolicy,
)

ZERO = Decimal("0")
# shipped + cancelled, rounded like every stored quantity (exact on SQLite, whose decimals are doubles).
_DONE = Round(F("quantity_shipped") + F("quantity_cancelled"), QTY_DECIMAL_PLACES)


class SalesOrder(TimeStampedModel):
    """A customer's order (O1). Lines are edited while it is a draft; confirming reserves stock and
    freezes the totals."""

    number = models.CharField(_("number"), max_length=32, unique=True)
    customer = models.ForeignKey("partners.Customer", verbose_name=_("customer"), on_delete=models.PROTECT,
                                 related_name="sales_orders")
    warehouse = models.ForeignKey("inventory.Warehouse", verbose_name=_("warehouse"), on_delete=models.PROTECT,
                                  related_name="sales_orders")
    requested_on = models.DateField(_("requested delivery date"))
    currency = CurrencyField(verbose_name=_("currency"))
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("sales rep"), null=True, blank=True,
                              on_delete=models.PROTECT, related_name="sales_orders")
    shortage_policy = models.CharField(_("when stock is short"), max_length=16, choices=ShortagePolicy.choices)
    customer_reference = models.CharField(_("customer's reference"), max_length=64, blank=True)
    notes = models.TextField(_("notes"), blank=True)
    status = models.CharField(_("status"), max_length=20, choices=SalesOrderStatus.choices,
                              default=SalesOrderStatus.DRAFT, db_index=True)
    total_net = MoneyField(_("total before tax"), default=ZERO)
    total_tax = MoneyField(_("tax"), default=ZERO)
    total_gross = MoneyField(_("total"), default=ZERO)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("created by"), null=True, blank=True,
                                   on_delete=models.PROTECT, related_name="+")
    confirmed_at = models.DateTimeField(_("confirmed at"), null=True, blank=True)
    shipped_at = models.DateTimeField(_("shipped at"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    cancelled_at = models.DateTimeField(_("cancelled at"), null=True, blank=True)
    cancel_reason = models.CharField(_("reason for cancelling"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("sales order")
        verbose_name_plural = _("sales orders")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["customer", "status"], name="salesorder_customer_status"),
                   models.Index(fields=["status", "requested_on"], name="salesorder_status_requested")]
        permissions = [("allocate_backorders", _("Can reserve arrived stock for backordered order lines"))]
        constraints = [
            models.CheckConstraint(condition=Q(total_net__gte=0) & Q(total_tax__gte=0) & Q(total_gross__gte=0),
                                   name="salesorder_totals_gte_0"),
        ]

    def __str__(self) -> str:
        return self.number


class SalesOrderLine(models.Model):
    order = models.ForeignKey(SalesOrder, verbose_name=_("sales order"), on_delete=models.CASCADE,
                              related_name="lines")
    position = models.PositiveSmallIntegerField(_("line"))
    product = models.ForeignKey("catalog.Product", verbose_name=_("product"), on_delete=models.PROTECT,
                                related_name="sales_order_lines")
    quantity = QtyField(_("quantity"))
    unit_price = MoneyField(_("unit price (before tax)"))
    discount_percent = models.DecimalField(_("discount %"), max_digits=5, decimal_places=2, default=ZERO)
    tax_rate = RateField(_("tax rate"))
    total_net = MoneyField(_("amount before tax"), default=ZERO)
    total_tax = MoneyField(_("tax"), default=ZERO)
    total_gross = MoneyField(_("amount"), default=ZERO)
    quantity_shipped = QtyField(_("quantity shipped"), default=ZERO)
    quantity_cancelled = QtyField(_("quantity cancelled"), default=ZERO)

    class Meta:
        verbose_name = _("sales order line")
        verbose_name_plural = _("sales order lines")
        ordering = ["order_id", "position", "id"]
        indexes = [models.Index(fields=["product", "order"], name="salesorderline_product_order")]
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gt=0), name="salesorderline_quantity_gt_0"),
            models.CheckConstraint(condition=Q(unit_price__gte=0), name="salesorderline_unit_price_gte_0"),
            models.CheckConstraint(condition=Q(discount_percent__gte=0) & Q(discount_percent__lte=100),
                                   name="salesorderline_discount_0_100"),
            models.CheckConstraint(condition=Q(tax_rate__gte=0) & Q(tax_rate__lte=1),
                                   name="salesorderline_tax_rate_0_1"),
            models.CheckConstraint(condition=Q(quantity_shipped__gte=0) & Q(quantity_cancelled__gte=0),
                                   name="salesorderline_done_gte_0"),
            models.CheckConstraint(condition=Q(quantity__gte=_DONE),
                                   name="salesorderline_done_lte_quantity"),
        ]

    def __str__(self) -> str:
        return f"{self.order.number} #{self.position}"

    @property
    def quantity_open(self) -> Decimal:
        """Neither shipped nor cancelled: the line's part of the backlog."""
        return self.quantity - self.quantity_shipped - self.quantity_cancelled


class DeliveryNotice(TimeStampedModel):
    """发货通知单 (O3): what the warehouse is to pick, pack, check and ship for one order. Shipping
    writes the outbound slip number (出库单) and the issue moves."""

    number = models.CharField(_("number"), max_length=32, unique=True)
    order = models.ForeignKey(SalesOrder, verbose_name=_("sales order"), on_delete=models.PROTECT,
                              related_name="delivery_notices")
    warehouse = models.ForeignKey("inventory.Warehouse", verbose_name=_("warehouse"), on_delete=models.PROTECT,
                                  related_name="delivery_notices")
    address = models.ForeignKey("partners.Address", verbose_name=_("delivery address"), null=True, blank=True,
                                on_delete=models.PROTECT, related_name="delivery_notices")
    status = models.CharField(_("status"), max_length=16, choices=DeliveryNoticeStatus.choices,
                              default=DeliveryNoticeStatus.OPEN, db_index=True)
    notes = models.TextField(_("notes"), blank=True)
    packages = models.PositiveIntegerField(_("packages"), null=True, blank=True)
    weight_kg = models.DecimalField(_("weight (kg)"), max_digits=12, decimal_places=3, null=True, blank=True)
    outbound_number = models.CharField(_("outbound slip"), max_length=32, blank=True, db_index=True)
    carrier = models.CharField(_("carrier"), max_length=100, blank=True)
    tracking_number = models.CharField(_("tracking number"), max_length=64, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("created by"), null=True, blank=True,
                                   on_delete=models.PROTECT, related_name="+")
    picked_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("picked by"), null=True, blank=True,
                                  on_delete=models.PROTECT, related_name="+")
    checked_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("checked by"), null=True, blank=True,
                                   on_delete=models.PROTECT, related_name="+")
    picking_started_at = models.DateTimeField(_("picking started at"), null=True, blank=True)
    packed_at = models.DateTimeField(_("packed at"), null=True, blank=True)
    checked_at = models.DateTimeField(_("checked at"), null=True, blank=True)
    shipped_at = models.DateTimeField(_("shipped at"), null=True, blank=True)
    cancelled_at = models.DateTimeField(_("cancelled at"), null=True, blank=True)

    class Meta:
        verbose_name = _("delivery notice")
        verbose_name_plural = _("delivery notices")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(weight_kg__isnull=True) | Q(weight_kg__gte=0),
                                   name="deliverynotice_weight_gte_0"),
        ]

    def __str__(self) -> str:
        return self.number


class DeliveryNoticeLine(models.Model):
    notice = models.ForeignKey(DeliveryNotice, verbose_name=_("delivery notice"), on_delete=models.CASCADE,
                               related_name="lines")
    position = models.PositiveSmallIntegerField(_("line"))
    order_line = models.ForeignKey(SalesOrderLine, verbose_name=_("order line"), on_delete=models.PROTECT,
                                   related_name="delivery_lines")
    product = models.ForeignKey("catalog.Product", verbose_name=_("product"), on_delete=models.PROTECT,
                                related_name="+")
    quantity = QtyField(_("quantity"))
    quantity_checked = QtyField(_("quantity checked"), null=True, blank=True)
    cost_of_goods = MoneyField(_("cost of goods sold"), null=True, blank=True)

    class Meta:
        verbose_name = _("delivery notice line")
        verbose_name_plural = _("delivery notice lines")
        ordering = ["notice_id", "position", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gt=0), name="deliverynoticeline_quantity_gt_0"),
            models.UniqueConstraint(fields=["notice", "order_line"], name="deliverynoticeline_notice_orderline_uniq"),
        ]

    def __str__(self) -> str:
        return f"{self.notice.number} #{self.position}"


class DeliveryNoticePick(models.Model):
    """One row of the pick list: take ``quantity`` of the line's product from ``location`` (None: the
    stock not put away in a bin). Written when picking starts; shipping issues from these bins."""

    line = models.ForeignKey(DeliveryNoticeLine, verbose_name=_("delivery notice line"), on_delete=models.CASCADE,
                             related_name="picks")
    location = models.ForeignKey("inventory.Location", verbose_name=_("bin location"), null=True, blank=True,
                                 on_delete=models.PROTECT, related_name="+")
    quantity = QtyField(_("quantity"))

    class Meta:
        verbose_name = _("pick")
        verbose_name_plural = _("pick list")
        ordering = ["line_id", "id"]
        constraints = [models.CheckConstraint(condition=Q(quantity__gt=0), name="deliverynoticepick_quantity_gt_0")]

    def __str__(self) -> str:
        return f"{self.line} ← {self.location_id or '-'}: {self.quantity}"


class PurchaseDemand(TimeStampedModel):
    """缺货转采购: the part of a sales order line that stock could not cover when it was confirmed (or
    when confirming was blocked). At most one open row per order line; its quantity follows the
    line's current shortage until purchasing consumes it (planning and purchasing read these rows)."""

    product = models.ForeignKey("catalog.Product", verbose_name=_("product"), on_delete=models.PROTECT,
                                related_name="purchase_demands")
    warehouse = models.ForeignKey("inventory.Warehouse", verbose_name=_("warehouse"), on_delete=models.PROTECT,
                                  related_name="purchase_demands")
    quantity = QtyField(_("quantity"))
    order_line = models.ForeignKey(SalesOrderLine, verbose_name=_("order line"), on_delete=models.PROTECT,
                                   related_name="purchase_demands")
    needed_on = models.DateField(_("needed by"))
    status = models.CharField(_("status"), max_length=16, choices=PurchaseDemandStatus.choices,
                              default=PurchaseDemandStatus.OPEN, db_index=True)
    consumed_at = models.DateTimeField(_("consumed at"), null=True, blank=True)
    cancelled_at = models.DateTimeField(_("cancelled at"), null=True, blank=True)

    class Meta:
        verbose_name = _("purchase demand")
        verbose_name_plural = _("purchase demands")
        ordering = ["needed_on", "id"]
        indexes = [models.Index(fields=["status", "product", "warehouse"], name="purchasedemand_open_product")]
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gt=0), name="purchasedemand_quantity_gt_0"),
            models.UniqueConstraint(fields=["order_line"], condition=Q(status=PurchaseDemandStatus.OPEN),
                                    name="purchasedemand_one_open_per_line"),
        ]

    def __str__(self) -> str:
        return f"{self.product_id}@{self.warehouse_id}: {self.quantity}"
