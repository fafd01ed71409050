from decimal import Decimal

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Round
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from caixiao.core.codes import code_validator
from caixiao.core.fields import MoneyField, QtyField
from caixiao.core.models import MasterData, TimeStampedModel
from caixiao.core.money import QTY_DECIMAL_PLACES
from caixiao.inventory.enums import STATE_COLUMNS, MoveKind, ReservationStatus, StockCountStatus, StockState

ZERO = Decimal("0")


class Warehouse(MasterData):
    address = models.CharField(_("address"), max_length=300, blank=True)
    manager = models.ForeignKey("accounts.User", verbose_name=_("manager"), null=True, blank=True,
                                on_delete=models.SET_NULL, related_name="managed_warehouses")
    history = HistoricalRecords()

    class Meta(MasterData.Meta):
        verbose_name = _("warehouse")
        verbose_name_plural = _("warehouses")


class Location(models.Model):
    """A bin location (库位) inside a warehouse, e.g. ``A-01-03``; codes are unique per warehouse."""

    warehouse = models.ForeignKey(Warehouse, verbose_name=_("warehouse"), on_delete=models.PROTECT,
                                  related_name="locations")
    code = models.CharField(_("code"), max_length=32, validators=[code_validator])
    name = models.CharField(_("name"), max_length=100, blank=True)
    barcode = models.CharField(_("barcode"), max_length=64, blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("bin location")
        verbose_name_plural = _("bin locations")
        ordering = ["warehouse_id", "code"]
        constraints = [models.UniqueConstraint(fields=["warehouse", "code"], name="location_warehouse_code_uniq")]

    def __str__(self) -> str:
        return f"{self.warehouse.code}/{self.code}"


# The stock ledger ---------------------------------------------------------------------------------
# Quantities are in the product's base unit. On SQLite, DecimalFields are stored as doubles: every
# balance update rounds in SQL (``ROUND(x, 6)``, see services/ledger.py) so stored values stay the
# exact image of a 6-place decimal and the CHECK constraints below compare exactly.

AVERAGE_COST_MAX_DIGITS = 24
AVERAGE_COST_DECIMAL_PLACES = 8
# consumed + released, rounded like every stored quantity (an exact sum on PostgreSQL and SQLite).
_DONE = Round(F("quantity_consumed") + F("quantity_released"), QTY_DECIMAL_PLACES)


class LedgerIsAppendOnly(RuntimeError):
    """A stock move was about to be changed or deleted; corrections are new moves."""


class StockMoveQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise LedgerIsAppendOnly("stock moves are never updated; post a correcting move")

    def delete(self):
        raise LedgerIsAppendOnly("stock moves are never deleted; post a correcting move")


class StockMove(models.Model):
    """One line of the append-only stock ledger: a signed quantity of a product entering (+) or
    leaving (−) one state in one warehouse (and bin, for on-hand stock)."""

    product = models.ForeignKey("catalog.Product", verbose_name=_("product"), on_delete=models.PROTECT,
                                related_name="stock_moves")
    warehouse = models.ForeignKey(Warehouse, verbose_name=_("warehouse"), on_delete=models.PROTECT,
                                  related_name="stock_moves")
    location = models.ForeignKey(Location, verbose_name=_("bin location"), null=True, blank=True,
                                 on_delete=models.PROTECT, related_name="stock_moves")
    state = models.CharField(_("state"), max_length=16, choices=StockState.choices)
    quantity = QtyField(_("quantity"))
    unit_cost = MoneyField(_("unit cost"))
    kind = models.CharField(_("kind"), max_length=16, choices=MoveKind.choices)
    group = models.UUIDField(_("move group"), db_index=True)
    reference_type = models.ForeignKey(ContentType, verbose_name=_("document type"), null=True, blank=True,
                                       on_delete=models.PROTECT, related_name="+")
    reference_id = models.PositiveBigIntegerField(_("document line"), null=True, blank=True)
    reference = GenericForeignKey("reference_type", "reference_id")
    reference_label = models.CharField(_("document"), max_length=100, blank=True)
    reason = models.CharField(_("reason"), max_length=200, blank=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("actor"), null=True, blank=True,
                              on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(_("created at"), auto_now_add=True, db_index=True)

    objects = StockMoveQuerySet.as_manager()

    class Meta:
        verbose_name = _("stock move")
        verbose_name_plural = _("stock moves")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["product", "warehouse", "created_at"], name="stockmove_product_wh_at"),
            models.Index(fields=["reference_type", "reference_id"], name="stockmove_reference"),
        ]
        constraints = [
            models.CheckConstraint(condition=~Q(quantity=0), name="stockmove_quantity_not_0"),
            models.CheckConstraint(condition=Q(unit_cost__gte=0), name="stockmove_unit_cost_gte_0"),
            models.CheckConstraint(condition=Q(location__isnull=True) | Q(state=StockState.ON_HAND),
                                   name="stockmove_bin_only_on_hand"),
            models.CheckConstraint(condition=Q(reference_type__isnull=True, reference_id__isnull=True)
                                   | Q(reference_type__isnull=False, reference_id__isnull=False),
                                   name="stockmove_reference_complete"),
        ]

    def __str__(self) -> str:
        return f"{self.product_id}@{self.warehouse_id} {self.state} {self.quantity:+}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise LedgerIsAppendOnly("stock moves are never updated; post a correcting move")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise LedgerIsAppendOnly("stock moves are never deleted; post a correcting move")

    @property
    def value(self) -> Decimal:
        """Quantity × unit cost, unrounded (round with ``quantize_money`` where it is shown)."""
        return self.quantity * self.unit_cost


def _not_negative(model: str, *columns: str) -> list[models.CheckConstraint]:
    return [models.CheckConstraint(condition=Q(**{f"{c}__gte": 0}), name=f"{model}_{c}_gte_0") for c in columns]


class StockBalance(models.Model):
    """The locked projection of the ledger per product × warehouse: one column per state, plus the
    part of on_hand reserved for orders. Kept in the same transaction as the moves."""

    product = models.ForeignKey("catalog.Product", verbose_name=_("product"), on_delete=models.PROTECT,
                                related_name="stock_balances")
    warehouse = models.ForeignKey(Warehouse, verbose_name=_("warehouse"), on_delete=models.PROTECT,
                                  related_name="stock_balances")
    in_transit = QtyField(_("in transit"), default=ZERO)
    pending_qc = QtyField(_("pending inspection"), default=ZERO)
    on_hand = QtyField(_("on hand"), default=ZERO)
    rejected = QtyField(_("rejected"), default=ZERO)
    allocated = QtyField(_("allocated"), default=ZERO)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("stock balance")
        verbose_name_plural = _("stock balances")
        ordering = ["product_id", "warehouse_id"]
        constraints = [
            models.UniqueConstraint(fields=["product", "warehouse"], name="stockbalance_product_wh_uniq"),
            *_not_negative("stockbalance", *STATE_COLUMNS, "allocated"),
            models.CheckConstraint(condition=Q(allocated__lte=F("on_hand")),
                                   name="stockbalance_allocated_lte_on_hand"),
        ]

    def __str__(self) -> str:
        return f"{self.product_id}@{self.warehouse_id}"

    @property
    def available(self) -> Decimal:
        return self.on_hand - self.allocated


class BinBalance(models.Model):
    """On-hand stock per product × bin; the row without a bin holds on-hand stock not yet put away.
    The rows of a product × warehouse add up to its StockBalance.on_hand."""

    product = models.ForeignKey("catalog.Product", verbose_name=_("product"), on_delete=models.PROTECT,
                                related_name="bin_balances")
    warehouse = models.ForeignKey(Warehouse, verbose_name=_("warehouse"), on_delete=models.PROTECT,
                                  related_name="bin_balances")
    location = models.ForeignKey(Location, verbose_name=_("bin location"), null=True, blank=True,
                                 on_delete=models.PROTECT, related_name="bin_balances")
    on_hand = QtyField(_("on hand"), default=ZERO)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("bin balance")
        verbose_name_plural = _("bin balances")
        ordering = ["product_id", "warehouse_id", "location_id"]
        constraints = [
            models.UniqueConstraint(fields=["product", "location"], condition=Q(location__isnull=False),
                                    name="binbalance_product_bin_uniq"),
            models.UniqueConstraint(fields=["product", "warehouse"], condition=Q(location__isnull=True),
                                    name="binbalance_product_unbinned_uniq"),
            *_not_negative("binbalance", "on_hand"),
        ]

    def __str__(self) -> str:
        return f"{self.product_id}@{self.warehouse_id}/{self.location_id or '-'}"


class Reservation(models.Model):
    """Part of a warehouse's on_hand promised to a document line (a sales order line). The open
    remainder ``quantity − consumed − released`` of all reservations is StockBalance.allocated."""

    product = models.ForeignKey("catalog.Product", verbose_name=_("product"), on_delete=models.PROTECT,
                                related_name="reservations")
    warehouse = models.ForeignKey(Warehouse, verbose_name=_("warehouse"), on_delete=models.PROTECT,
                                  related_name="reservations")
    quantity = QtyField(_("quantity"))
    quantity_consumed = QtyField(_("quantity issued"), default=ZERO)
    quantity_released = QtyField(_("quantity released"), default=ZERO)
    status = models.CharField(_("status"), max_length=16, choices=ReservationStatus.choices,
                              default=ReservationStatus.OPEN)
    reference_type = models.ForeignKey(ContentType, verbose_name=_("document type"), on_delete=models.PROTECT,
                                       related_name="+")
    reference_id = models.PositiveBigIntegerField(_("document line"))
    reference = GenericForeignKey("reference_type", "reference_id")
    reference_label = models.CharField(_("document"), max_length=100, blank=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("actor"), null=True, blank=True,
                              on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("reservation")
        verbose_name_plural = _("reservations")
        ordering = ["id"]
        indexes = [
            models.Index(fields=["reference_type", "reference_id"], name="reservation_reference"),
            models.Index(fields=["product", "warehouse", "status"], name="reservation_product_wh_status"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gt=0), name="reservation_quantity_gt_0"),
            *_not_negative("reservation", "quantity_consumed", "quantity_released"),
            models.CheckConstraint(
                condition=Q(status=ReservationStatus.OPEN, quantity__gt=_DONE)
                | Q(status=ReservationStatus.CLOSED, quantity=_DONE),
                name="reservation_status_matches_remainder"),
        ]

    def __str__(self) -> str:
        return f"{self.reference_label or self.reference_id}: {self.quantity}"

    @property
    def remaining(self) -> Decimal:
        return self.quantity - self.quantity_consumed - self.quantity_released


class ProductCost(models.Model):
    """The moving weighted average unit cost of a product over all its stock (docs/ledger.md)."""

    product = models.OneToOneField("catalog.Product", verbose_name=_("product"), on_delete=models.PROTECT,
                                   primary_key=True, related_name="cost")
    average_cost = models.DecimalField(_("average unit cost"), max_digits=AVERAGE_COST_MAX_DIGITS,
                                       decimal_places=AVERAGE_COST_DECIMAL_PLACES, default=ZERO)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("product cost")
        verbose_name_plural = _("product costs")
        constraints = [*_not_negative("productcost", "average_cost")]

    def __str__(self) -> str:
        return f"{self.product_id}: {self.average_cost}"


# Stock counts (盘点) --------------------------------------------------------------------------------
class StockCount(TimeStampedModel):
    """A physical count of a warehouse: draft → counted → posted. Lines snapshot the expected on-hand
    quantity when they are added; posting writes the differences as count moves."""

    number = models.CharField(_("number"), max_length=32, unique=True)
    warehouse = models.ForeignKey(Warehouse, verbose_name=_("warehouse"), on_delete=models.PROTECT,
                                  related_name="stock_counts")
    status = models.CharField(_("status"), max_length=16, choices=StockCountStatus.choices,
                              default=StockCountStatus.DRAFT)
    note = models.TextField(_("note"), blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("created by"), null=True, blank=True,
                                   on_delete=models.PROTECT, related_name="+")
    counted_at = models.DateTimeField(_("counted at"), null=True, blank=True)
    posted_at = models.DateTimeField(_("posted at"), null=True, blank=True)

    class Meta:
        verbose_name = _("stock count")
        verbose_name_plural = _("stock counts")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.number


class StockCountLine(models.Model):
    count = models.ForeignKey(StockCount, verbose_name=_("stock count"), on_delete=models.CASCADE,
                              related_name="lines")
    product = models.ForeignKey("catalog.Product", verbose_name=_("product"), on_delete=models.PROTECT,
                                related_name="+")
    location = models.ForeignKey(Location, verbose_name=_("bin location"), null=True, blank=True,
                                 on_delete=models.PROTECT, related_name="+")
    expected_quantity = QtyField(_("expected quantity"))
    counted_quantity = QtyField(_("counted quantity"), null=True, blank=True)

    class Meta:
        verbose_name = _("stock count line")
        verbose_name_plural = _("stock count lines")
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["count", "product", "location"], condition=Q(location__isnull=False),
                                    name="stockcountline_count_product_bin_uniq"),
            models.UniqueConstraint(fields=["count", "product"], condition=Q(location__isnull=True),
                                    name="stockcountline_count_product_unbinned_uniq"),
            *_not_negative("stockcountline", "expected_quantity", "counted_quantity"),
        ]

    def __str__(self) -> str:
        return f"{self.count_id}/{self.product_id}/{self.location_id or '-'}"

    @property
    def difference(self) -> Decimal | None:
        if self.counted_quantity is None:
            return None
        return self.counted_quantity - self.expected_quantity
