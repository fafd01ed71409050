"""Forms of the stock pages. They only parse input; the inventory services validate (quantities
against the unit's decimals, bins against the warehouse, stock against what is there) and their
``DomainError`` comes back as form errors."""

from __future__ import annotations

import json
from typing import Any

from django import forms
from django.urls import reverse_lazy
from django.utils.translation import gettext_lazy as _

from caixiao.catalog import selectors as catalog_selectors
from caixiao.core.money import QTY_DECIMAL_PLACES, QTY_MAX_DIGITS
from caixiao.inventory import selectors as inventory_selectors
from caixiao.inventory.enums import MoveKind, StockCountStatus, StockState
from caixiao.web.forms import BootstrapForm, style_widget
from caixiao.web.lists import FilterForm


def _products() -> forms.ModelChoiceField:
    return forms.ModelChoiceField(label=_("product"), queryset=catalog_selectors.list_products().filter(is_active=True))


def _warehouse(label: Any = None) -> forms.ModelChoiceField:
    return forms.ModelChoiceField(label=label or _("warehouse"), queryset=inventory_selectors.list_warehouses().filter(is_active=True))


def _bin(label: Any = None) -> forms.ModelChoiceField:
    return forms.ModelChoiceField(label=label or _("bin location"), required=False, empty_label=_("(not in a bin)"),
                                  queryset=inventory_selectors.list_locations().filter(is_active=True))


class BinsFollowWarehouse(BootstrapForm):
    """A form whose bin fields list the bins of the warehouse chosen next to them: ``bins`` maps each
    bin field to its warehouse field; choosing a warehouse reloads the bin options (htmx)."""

    bins: dict[str, str] = {}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for bin_name, warehouse_name in self.bins.items():
            field = self.fields[bin_name]
            chosen = self[warehouse_name].value()
            if str(chosen).isdigit():
                field.queryset = field.queryset.filter(warehouse_id=chosen)  # type: ignore[attr-defined]
            self.fields[warehouse_name].widget.attrs.update({
                "hx-get": reverse_lazy("web:stock-bins"), "hx-target": f"#id_{bin_name}", "hx-swap": "innerHTML",
                "hx-vals": json.dumps({"empty": "" if isinstance(field, forms.ModelMultipleChoiceField) else "1"})})


def _quantity(help_text: Any = "") -> forms.DecimalField:
    return forms.DecimalField(label=_("quantity"), max_digits=QTY_MAX_DIGITS, decimal_places=QTY_DECIMAL_PLACES,
                              help_text=help_text)


def _reason(required: bool) -> forms.CharField:
    return forms.CharField(label=_("reason"), max_length=200, required=required)


class AdjustmentForm(BinsFollowWarehouse):
    bins = {"location": "warehouse"}
    product = _products()
    warehouse = _warehouse()
    location = _bin()
    state = forms.ChoiceField(label=_("state"), choices=StockState.choices, initial=StockState.ON_HAND,
                              help_text=_("Only on-hand stock is kept in bins."))
    quantity = _quantity(help_text=_("Positive for stock found, negative for stock lost or damaged."))
    reason = _reason(required=True)

    def service_kwargs(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {"product_id": data["product"].pk, "warehouse_id": data["warehouse"].pk,
                "location_id": data["location"].pk if data["location"] else None, "state": data["state"],
                "quantity": data["quantity"], "reason": data["reason"]}


class TransferForm(BinsFollowWarehouse):
    bins = {"from_location": "from_warehouse", "to_location": "to_warehouse"}
    product = _products()
    quantity = _quantity(help_text=_("Only stock that is not allocated to orders can move."))
    from_warehouse = _warehouse(_("from warehouse"))
    from_location = _bin(_("from bin"))
    to_warehouse = _warehouse(_("to warehouse"))
    to_location = _bin(_("to bin"))
    reason = _reason(required=False)

    def service_kwargs(self) -> dict[str, Any]:
        data = self.cleaned_data

        def pk(name: str) -> int | None:
            return data[name].pk if data[name] else None

        return {"product_id": data["product"].pk, "quantity": data["quantity"],
                "from_warehouse_id": pk("from_warehouse"), "to_warehouse_id": pk("to_warehouse"),
                "from_location_id": pk("from_location"), "to_location_id": pk("to_location")}


class StockCountForm(BinsFollowWarehouse):
    bins = {"locations": "warehouse"}
    warehouse = _warehouse()
    category = forms.ModelChoiceField(label=_("category"), required=False, empty_label=_("All categories"),
                                      queryset=catalog_selectors.list_categories().filter(is_active=True))
    locations = forms.ModelMultipleChoiceField(
        label=_("bin locations"), required=False, queryset=inventory_selectors.list_locations().filter(is_active=True),
        help_text=_("Leave empty to count every bin holding stock; hold Ctrl (⌘) to choose several."))
    note = forms.CharField(label=_("note"), required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2}))


class CountedForm(BootstrapForm):
    """One counted-quantity field per line of a draft count, ``line_<id>``; empty: not counted yet."""

    def __init__(self, *args: Any, lines: list[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.lines = lines
        for line in lines:
            field = forms.DecimalField(label=line.product.code, required=False, max_digits=QTY_MAX_DIGITS,
                                       decimal_places=QTY_DECIMAL_PLACES, initial=line.counted_quantity)
            style_widget(field)
            field.widget.attrs["aria-label"] = _("Counted quantity of %(product)s") % {"product": line.product.code}
            self.fields[f"line_{line.pk}"] = field

    def counted(self) -> dict[int, Any]:
        """``{line id: counted quantity}`` of the lines filled in."""
        return {line.pk: value for line in self.lines
                if (value := self.cleaned_data.get(f"line_{line.pk}")) is not None}


# Filters of the list pages: optional, unknown values are ignored -------------------------------------
def _all(label: Any) -> list[tuple[str, Any]]:
    return [("", label)]


class StockLevelFilterForm(FilterForm):
    q = forms.CharField(label=_("Product code, name or barcode"), required=False, max_length=100)
    warehouse = forms.ModelChoiceField(label=_("warehouse"), required=False, empty_label=_("All warehouses"),
                                       queryset=inventory_selectors.list_warehouses())
    category = forms.ModelChoiceField(label=_("category"), required=False, empty_label=_("All categories"),
                                      queryset=catalog_selectors.list_categories())
    below = forms.BooleanField(label=_("Below safety stock"), required=False)
    empty = forms.BooleanField(label=_("Include empty rows"), required=False)


class MoveFilterForm(FilterForm):
    q = forms.CharField(label=_("Product code or name"), required=False, max_length=100)
    warehouse = forms.ModelChoiceField(label=_("warehouse"), required=False, empty_label=_("All warehouses"),
                                       queryset=inventory_selectors.list_warehouses())
    state = forms.ChoiceField(label=_("state"), required=False, choices=_all(_("All states")) + StockState.choices)
    kind = forms.ChoiceField(label=_("kind"), required=False, choices=_all(_("All kinds")) + MoveKind.choices)
    date_from = forms.DateField(label=_("from"), required=False)
    date_to = forms.DateField(label=_("to"), required=False)
    reference = forms.CharField(label=_("Document number"), required=False, max_length=100)


class StockCountFilterForm(FilterForm):
    warehouse = forms.ModelChoiceField(label=_("warehouse"), required=False, empty_label=_("All warehouses"),
                                       queryset=inventory_selectors.list_warehouses())
    status = forms.ChoiceField(label=_("status"), required=False,
                               choices=_all(_("All statuses")) + StockCountStatus.choices)


class StockValueFilterForm(FilterForm):
    warehouse = forms.ModelChoiceField(label=_("warehouse"), required=False, empty_label=_("All warehouses"),
                                       queryset=inventory_selectors.list_warehouses())
    category = forms.ModelChoiceField(label=_("category"), required=False, empty_label=_("All categories"),
                                      queryset=catalog_selectors.list_categories())
