"""Forms of the sales and warehouse pages. They parse input; the sales services validate (customers
the user may see, quantities against the unit, prices, stock) and their ``DomainError``s come back
as form errors, line errors (``lines.2.quantity``) on the line's row."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, cast

from django import forms
from django.utils.translation import gettext_lazy as _

from caixiao.catalog import selectors as catalog_selectors
from caixiao.core.errors import DomainError
from caixiao.core.money import QTY_DECIMAL_PLACES, QTY_MAX_DIGITS
from caixiao.inventory import selectors as inventory_selectors
from caixiao.partners import selectors as partner_selectors
from caixiao.partners.models import Customer
from caixiao.sales import services as sales_services
from caixiao.sales.enums import DeliveryNoticeStatus, SalesOrderStatus
from caixiao.sales.models import SalesOrder
from caixiao.web.forms import BootstrapForm, BootstrapFormSet, add_domain_error
from caixiao.web.lists import FilterForm


def _quantity(label: Any, required: bool = True) -> forms.DecimalField:
    return forms.DecimalField(label=label, required=required, max_digits=QTY_MAX_DIGITS,
                              decimal_places=QTY_DECIMAL_PLACES)


# Order entry ------------------------------------------------------------------------------------------
class OrderForm(BootstrapForm):
    """The order header; ``lines`` is its formset of lines."""

    customer = forms.ModelChoiceField(label=_("customer"), queryset=Customer.objects.none())
    warehouse = forms.ModelChoiceField(label=_("warehouse"),
                                       queryset=inventory_selectors.list_warehouses().filter(is_active=True))
    requested_on = forms.DateField(label=_("requested delivery date"), required=False,
                                   help_text=_("Leave empty for today."))
    customer_reference = forms.CharField(label=_("customer's reference"), required=False, max_length=64)
    notes = forms.CharField(label=_("notes"), required=False, max_length=4000, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        customers = self.fields["customer"]
        customers.queryset = partner_selectors.list_customers(for_user=user).filter(is_active=True)  # type: ignore[attr-defined]
        self.lines = cast(LineFormSet, OrderLineFormSet(self.data if self.is_bound else None, prefix="lines",
                                                        initial=self.initial.get("lines")))

    def is_valid(self) -> bool:
        return all([super().is_valid(), self.lines.is_valid()])

    def header(self) -> dict[str, Any]:
        data = self.cleaned_data
        header = {"customer_id": data["customer"].pk, "warehouse_id": data["warehouse"].pk,
                  "customer_reference": data["customer_reference"], "notes": data["notes"]}
        if data["requested_on"]:
            header["requested_on"] = data["requested_on"]
        return header

    def add_service_error(self, err: DomainError) -> None:
        """Field errors on the header fields, ``lines.<i>.<field>`` on the i-th line entered."""
        line_forms = self.lines.entered_forms()
        rest: dict[str, list[str]] = {}
        for key, messages in err.fields.items():
            parts = key.split(".")
            if parts[0] == "lines" and len(parts) > 1 and parts[1].isdigit() and int(parts[1]) < len(line_forms):
                form = line_forms[int(parts[1])]
                name = parts[2].removesuffix("_id") if len(parts) > 2 else None
                form.add_error(name if name in form.fields else None, [str(m) for m in messages])
            else:
                rest[key] = messages
        if rest or not err.fields:
            add_domain_error(self, DomainError(err.message, fields=rest))


class OrderLineForm(BootstrapForm):
    id = forms.IntegerField(required=False, widget=forms.HiddenInput)
    product = forms.ModelChoiceField(label=_("product"),
                                     queryset=catalog_selectors.list_products().filter(is_active=True))
    quantity = _quantity(_("quantity"))
    unit_price = forms.DecimalField(label=_("unit price (before tax)"), required=False, max_digits=18,
                                    decimal_places=4, help_text=_("Empty: the product's sale price."))
    discount_percent = forms.DecimalField(label=_("discount %"), required=False, max_digits=5, decimal_places=2)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name in ("product", "quantity"):
            self.fields[name].widget.attrs["class"] += " line-input"
        self.fields["unit_price"].widget.attrs["placeholder"] = _("list price")
        self.fields["discount_percent"].widget.attrs["placeholder"] = "0"

    def as_input(self) -> sales_services.OrderLineInput:
        data = self.cleaned_data
        return sales_services.OrderLineInput(product_id=data["product"].pk, quantity=data["quantity"],
                                             unit_price=data["unit_price"], discount_percent=data["discount_percent"],
                                             id=data["id"])


class LineFormSet(BootstrapFormSet):
    def entered_forms(self) -> list[OrderLineForm]:
        """The order's lines and the new rows filled in, less those marked for deletion, in order: the
        i-th is the service's ``lines.i``. (Django's formset ignores unchanged extra rows and deleted rows.)"""
        return [form for i, form in enumerate(self.forms)
                if (i < self.initial_form_count() or form.has_changed()) and not form.cleaned_data.get("DELETE")]

    def inputs(self) -> list[sales_services.OrderLineInput]:
        return [form.as_input() for form in self.entered_forms()]


OrderLineFormSet = forms.formset_factory(OrderLineForm, formset=LineFormSet, extra=1, can_delete=True)


def order_initial(order: SalesOrder) -> dict[str, Any]:
    return {"customer": order.customer_id, "warehouse": order.warehouse_id, "requested_on": order.requested_on,
            "customer_reference": order.customer_reference, "notes": order.notes,
            "lines": [{"id": line.pk, "product": line.product_id, "quantity": line.quantity,
                       "unit_price": line.unit_price, "discount_percent": line.discount_percent}
                      for line in order.lines.all()]}


class ReasonForm(BootstrapForm):
    reason = forms.CharField(label=_("reason"), required=False, max_length=200)


# Delivery notices -------------------------------------------------------------------------------------
class PackForm(BootstrapForm):
    packages = forms.IntegerField(label=_("packages"), min_value=1, max_value=100_000)
    weight_kg = forms.DecimalField(label=_("weight (kg)"), required=False, max_digits=12, decimal_places=3)


class CheckForm(BootstrapForm):
    """The checker's count of every line (``line_<id>``); the service compares it with the notice."""

    def __init__(self, *args: Any, lines: Iterable[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.lines = list(lines)
        for line in self.lines:
            field = _quantity(line.product.code)
            field.widget = forms.NumberInput(attrs={"class": "form-control form-control-sm text-end", "step": "any",
                                                    "aria-label": line.product.code, "form": "check-form"})
            self.fields[f"line_{line.pk}"] = field

    def checked(self) -> list[sales_services.CheckedLine]:
        return [sales_services.CheckedLine(line_id=line.pk, quantity=self.cleaned_data[f"line_{line.pk}"])
                for line in self.lines]

    def add_service_error(self, err: DomainError) -> None:
        index = {str(i): f"line_{line.pk}" for i, line in enumerate(self.lines)}
        aliases = {f"lines.{i}.quantity": name for i, name in index.items()}
        add_domain_error(self, err, aliases)


class ShipForm(BootstrapForm):
    carrier = forms.CharField(label=_("carrier"), required=False, max_length=100)
    tracking_number = forms.CharField(label=_("tracking number"), required=False, max_length=64)


# Filters ----------------------------------------------------------------------------------------------
class OrderFilterForm(FilterForm):
    q = forms.CharField(label=_("Number, customer or reference"), required=False, max_length=100)
    status = forms.ChoiceField(label=_("status"), required=False,
                               choices=[("", _("All statuses")), *SalesOrderStatus.choices])
    customer = forms.ModelChoiceField(label=_("customer"), required=False, empty_label=_("All customers"),
                                      queryset=Customer.objects.none())
    date_from = forms.DateField(label=_("requested from"), required=False)
    date_to = forms.DateField(label=_("to"), required=False)

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["customer"].queryset = partner_selectors.list_customers(for_user=user)  # type: ignore[attr-defined]


class NoticeFilterForm(FilterForm):
    code = forms.CharField(label=_("Scan or type a DN / SO number or a barcode"), required=False, max_length=100)
    status = forms.ChoiceField(label=_("status"), required=False,
                               choices=[("", _("To do")), ("all", _("All statuses")), *DeliveryNoticeStatus.choices])
    warehouse = forms.ModelChoiceField(label=_("warehouse"), required=False, empty_label=_("All warehouses"),
                                       queryset=inventory_selectors.list_warehouses())
