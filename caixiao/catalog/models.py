from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from caixiao.catalog.enums import Lifecycle
from caixiao.core.fields import MoneyField, QtyField, RateField
from caixiao.core.models import MasterData, TimeStampedModel

ZERO = Decimal("0")


class Category(MasterData):
    parent = models.ForeignKey("self", verbose_name=_("parent category"), null=True, blank=True,
                               on_delete=models.PROTECT, related_name="children")
    history = HistoricalRecords()

    class Meta(MasterData.Meta):
        verbose_name = _("product category")
        verbose_name_plural = _("product categories")


class Unit(MasterData):
    """A unit of measure (个, 箱, kg …); ``decimals`` is how many decimal places a quantity may have."""

    decimals = models.PositiveSmallIntegerField(_("decimal places"), default=0,
                                                validators=[MaxValueValidator(6)])
    history = HistoricalRecords()

    class Meta(MasterData.Meta):
        verbose_name = _("unit")
        verbose_name_plural = _("units")


class Product(MasterData):
    specification = models.CharField(_("specification"), max_length=200, blank=True)
    category = models.ForeignKey(Category, verbose_name=_("category"), on_delete=models.PROTECT,
                                 related_name="products")
    base_unit = models.ForeignKey(Unit, verbose_name=_("base unit"), on_delete=models.PROTECT,
                                  related_name="+")
    barcode = models.CharField(_("barcode"), max_length=64, blank=True, db_index=True)
    purchase_price = MoneyField(_("purchase price"), default=ZERO, validators=[MinValueValidator(ZERO)])
    sale_price = MoneyField(_("sale price"), default=ZERO, validators=[MinValueValidator(ZERO)])
    currency = models.CharField(_("currency"), max_length=3, default="CNY")
    tax_rate = RateField(_("tax rate"), default=Decimal("0.13"),
                         validators=[MinValueValidator(ZERO), MaxValueValidator(Decimal("1"))])
    needs_qc = models.BooleanField(_("needs quality inspection"), default=False)
    safety_stock = QtyField(_("safety stock"), default=ZERO, validators=[MinValueValidator(ZERO)])
    min_order_qty = QtyField(_("minimum order quantity"), default=ZERO, validators=[MinValueValidator(ZERO)])
    pack_size = QtyField(_("pack size"), default=Decimal("1"), validators=[MinValueValidator(Decimal("0.000001"))])
    lead_time_days = models.PositiveIntegerField(_("default lead time (days)"), default=7)
    lifecycle = models.CharField(_("lifecycle"), max_length=16, choices=Lifecycle.choices, default=Lifecycle.MATURE)
    buyer = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("buyer"), null=True, blank=True,
                              on_delete=models.SET_NULL, related_name="bought_products")
    history = HistoricalRecords()

    class Meta(MasterData.Meta):
        verbose_name = _("product")
        verbose_name_plural = _("products")
        constraints = [
            models.CheckConstraint(condition=Q(purchase_price__gte=0) & Q(sale_price__gte=0),
                                   name="product_prices_gte_0"),
            models.CheckConstraint(condition=Q(safety_stock__gte=0) & Q(min_order_qty__gte=0) & Q(pack_size__gt=0),
                                   name="product_planning_qty_valid"),
        ]


class ProductUnit(TimeStampedModel):
    """An alternative unit for a product: 1 ``unit`` = ``factor`` base units (e.g. 1 箱 = 24 个)."""

    product = models.ForeignKey(Product, verbose_name=_("product"), on_delete=models.CASCADE, related_name="units")
    unit = models.ForeignKey(Unit, verbose_name=_("unit"), on_delete=models.PROTECT, related_name="+")
    factor = QtyField(_("base units per unit"), validators=[MinValueValidator(Decimal("0.000001"))])
    barcode = models.CharField(_("barcode"), max_length=64, blank=True, db_index=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("unit conversion")
        verbose_name_plural = _("unit conversions")
        constraints = [
            models.UniqueConstraint(fields=["product", "unit"], name="productunit_product_unit_uniq"),
            models.CheckConstraint(condition=Q(factor__gt=0), name="productunit_factor_gt_0"),
        ]

    def __str__(self) -> str:
        return f"1 {self.unit.code} = {self.factor.normalize()} {self.product.base_unit.code}"
