from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from caixiao.core.fields import MoneyField, QtyField
from caixiao.core.models import MasterData, TimeStampedModel
from caixiao.partners.enums import PaymentBasis, SupplierRating

ZERO = Decimal("0")


class Region(MasterData):
    parent = models.ForeignKey("self", verbose_name=_("parent region"), null=True, blank=True,
                               on_delete=models.PROTECT, related_name="children")
    history = HistoricalRecords()

    class Meta(MasterData.Meta):
        verbose_name = _("region")
        verbose_name_plural = _("regions")


class PaymentTerm(MasterData):
    days = models.PositiveIntegerField(_("days"), default=30)
    basis = models.CharField(_("basis"), max_length=16, choices=PaymentBasis.choices, default=PaymentBasis.INVOICE)
    history = HistoricalRecords()

    class Meta(MasterData.Meta):
        verbose_name = _("payment term")
        verbose_name_plural = _("payment terms")


class CustomerCategory(MasterData):
    history = HistoricalRecords()

    class Meta(MasterData.Meta):
        verbose_name = _("customer category")
        verbose_name_plural = _("customer categories")


class Customer(MasterData):
    category = models.ForeignKey(CustomerCategory, verbose_name=_("category"), on_delete=models.PROTECT,
                                 related_name="customers")
    region = models.ForeignKey(Region, verbose_name=_("region"), on_delete=models.PROTECT, related_name="customers")
    credit_limit = MoneyField(_("credit limit"), default=ZERO, validators=[MinValueValidator(ZERO)])
    currency = models.CharField(_("currency"), max_length=3, default="CNY")
    payment_term = models.ForeignKey(PaymentTerm, verbose_name=_("payment terms"), null=True, blank=True,
                                     on_delete=models.PROTECT, related_name="customers")
    account_manager = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("account manager"), null=True,
                                        blank=True, on_delete=models.PROTECT, related_name="managed_customers")
    tax_id = models.CharField(_("tax ID"), max_length=32, blank=True)
    phone = models.CharField(_("phone"), max_length=32, blank=True)
    notes = models.TextField(_("notes"), blank=True)
    history = HistoricalRecords()

    class Meta(MasterData.Meta):
        verbose_name = _("customer")
        verbose_name_plural = _("customers")
        constraints = [models.CheckConstraint(condition=Q(credit_limit__gte=0), name="customer_credit_limit_gte_0")]


class Supplier(MasterData):
    rating = models.CharField(_("rating"), max_length=1, choices=SupplierRating.choices, default=SupplierRating.C)
    score = models.DecimalField(_("score"), max_digits=5, decimal_places=2, default=Decimal("80"),
                                validators=[MinValueValidator(ZERO), MaxValueValidator(Decimal("100"))],
                                help_text=_("0–100, kept current by the supplier scorecard."))
    lead_time_days = models.PositiveIntegerField(_("default lead time (days)"), default=7)
    currency = models.CharField(_("currency"), max_length=3, default="CNY")
    payment_term = models.ForeignKey(PaymentTerm, verbose_name=_("payment terms"), null=True, blank=True,
                                     on_delete=models.PROTECT, related_name="suppliers")
    tax_id = models.CharField(_("tax ID"), max_length=32, blank=True)
    phone = models.CharField(_("phone"), max_length=32, blank=True)
    address = models.CharField(_("address"), max_length=300, blank=True)
    bank_name = models.CharField(_("bank"), max_length=100, blank=True)
    bank_account_name = models.CharField(_("account name"), max_length=100, blank=True)
    bank_account_number = models.CharField(_("account number"), max_length=64, blank=True)
    buyer = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("buyer"), null=True, blank=True,
                              on_delete=models.SET_NULL, related_name="managed_suppliers")
    history = HistoricalRecords()

    class Meta(MasterData.Meta):
        verbose_name = _("supplier")
        verbose_name_plural = _("suppliers")


class Contact(TimeStampedModel):
    """A person at a customer or a supplier (exactly one of the two)."""

    customer = models.ForeignKey(Customer, verbose_name=_("customer"), null=True, blank=True,
                                 on_delete=models.CASCADE, related_name="contacts")
    supplier = models.ForeignKey(Supplier, verbose_name=_("supplier"), null=True, blank=True,
                                 on_delete=models.CASCADE, related_name="contacts")
    name = models.CharField(_("name"), max_length=100)
    title = models.CharField(_("title"), max_length=100, blank=True)
    phone = models.CharField(_("phone"), max_length=32, blank=True)
    email = models.EmailField(_("e-mail"), blank=True)
    is_primary = models.BooleanField(_("primary"), default=False)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("contact")
        verbose_name_plural = _("contacts")
        ordering = ["-is_primary", "name"]
        constraints = [models.CheckConstraint(
            condition=(Q(customer__isnull=False) & Q(supplier__isnull=True))
            | (Q(customer__isnull=True) & Q(supplier__isnull=False)),
            name="contact_one_partner")]

    def __str__(self) -> str:
        return self.name


class Address(TimeStampedModel):
    customer = models.ForeignKey(Customer, verbose_name=_("customer"), on_delete=models.CASCADE,
                                 related_name="addresses")
    label = models.CharField(_("label"), max_length=50, blank=True)
    recipient = models.CharField(_("recipient"), max_length=100)
    phone = models.CharField(_("phone"), max_length=32, blank=True)
    province = models.CharField(_("province"), max_length=50)
    city = models.CharField(_("city"), max_length=50)
    district = models.CharField(_("district"), max_length=50, blank=True)
    street = models.CharField(_("street address"), max_length=200)
    postcode = models.CharField(_("postcode"), max_length=12, blank=True)
    is_default = models.BooleanField(_("default"), default=False)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("address")
        verbose_name_plural = _("addresses")
        ordering = ["-is_default", "id"]

    def __str__(self) -> str:
        return f"{self.province}{self.city}{self.district}{self.street}"


class SupplierPrice(TimeStampedModel):
    """One line of a supplier's price list for a product (S1 price comparison)."""

    supplier = models.ForeignKey(Supplier, verbose_name=_("supplier"), on_delete=models.PROTECT,
                                 related_name="prices")
    product = models.ForeignKey("catalog.Product", verbose_name=_("product"), on_delete=models.PROTECT,
                                related_name="supplier_prices")
    supplier_product_code = models.CharField(_("supplier's product code"), max_length=64, blank=True)
    unit_price = MoneyField(_("unit price"), validators=[MinValueValidator(ZERO)])
    currency = models.CharField(_("currency"), max_length=3, default="CNY")
    min_quantity = QtyField(_("minimum quantity"), default=ZERO, validators=[MinValueValidator(ZERO)])
    lead_time_days = models.PositiveIntegerField(_("lead time (days)"), default=7)
    valid_from = models.DateField(_("valid from"), null=True, blank=True)
    valid_to = models.DateField(_("valid to"), null=True, blank=True)
    is_preferred = models.BooleanField(_("preferred"), default=False)
    is_active = models.BooleanField(_("active"), default=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("supplier price")
        verbose_name_plural = _("supplier prices")
        ordering = ["product_id", "unit_price"]
        constraints = [
            models.CheckConstraint(condition=Q(unit_price__gte=0), name="supplierprice_unit_price_gte_0"),
            models.CheckConstraint(condition=Q(valid_to__isnull=True) | Q(valid_from__isnull=True)
                                   | Q(valid_to__gte=F("valid_from")), name="supplierprice_valid_range"),
        ]
        indexes = [models.Index(fields=["product", "supplier"])]

    def __str__(self) -> str:
        return f"{self.supplier.code} / {self.product.code}: {self.unit_price}"


class PriceBreak(models.Model):
    """Quantity break: from ``min_quantity`` on, the unit price is ``unit_price``."""

    supplier_price = models.ForeignKey(SupplierPrice, on_delete=models.CASCADE, related_name="breaks")
    min_quantity = QtyField(_("from quantity"), validators=[MinValueValidator(Decimal("0.000001"))])
    unit_price = MoneyField(_("unit price"), validators=[MinValueValidator(ZERO)])

    class Meta:
        verbose_name = _("price break")
        verbose_name_plural = _("price breaks")
        ordering = ["min_quantity"]
        constraints = [
            models.UniqueConstraint(fields=["supplier_price", "min_quantity"], name="pricebreak_qty_uniq"),
            models.CheckConstraint(condition=Q(unit_price__gte=0), name="pricebreak_unit_price_gte_0"),
        ]

    def __str__(self) -> str:
        return f"≥{self.min_quantity.normalize()}: {self.unit_price}"
