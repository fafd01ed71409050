from django.db import models
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from caixiao.core.codes import code_validator
from caixiao.core.models import MasterData


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
