"""Forms of the staff UI. A form only parses input; the domain service validates and saves, and its
``DomainError`` comes back here as form errors (STYLE.md B9)."""

from __future__ import annotations

from datetime import datetime, time
from decimal import Decimal
from typing import Any

from django import forms
from django.db import models
from django.forms.boundfield import BoundField
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext_noop

from caixiao.accounts.models import Role
from caixiao.core.codes import code_validator, normalize_code
from caixiao.core.errors import DomainError
from caixiao.core.money import MONEY_DECIMAL_PLACES
from caixiao.partners.models import SupplierPrice

# Django 6.1's placeholder for required choice fields has no zh-Hans entry in Django's own catalog;
# marking it here puts it in ours, which takes precedence.
gettext_noop("- Select an option -")


class CodeField(forms.CharField):
    """A master-data code: trimmed and upper-cased before the code validator sees it."""

    default_validators = [code_validator]

    def to_python(self, value: Any) -> str:
        return normalize_code(super().to_python(value) or "")


class BootstrapBoundField(BoundField):
    def build_widget_attrs(self, attrs, widget=None):
        attrs = super().build_widget_attrs(attrs, widget)
        if self.form.is_bound and self.errors:
            base = (widget or self.field.widget).attrs.get("class", "")
            attrs["class"] = f"{attrs.get('class', base)} is-invalid".strip()
        return attrs


class DecimalInput(forms.NumberInput):
    """A number input that shows a stored ``12.5000`` as ``12.50`` and ``24.000000`` as ``24``."""

    def __init__(self, attrs: dict[str, Any] | None = None, min_places: int = 0) -> None:
        super().__init__(attrs)
        self.min_places = min_places

    def format_value(self, value: Any) -> str | None:
        if isinstance(value, Decimal):
            normalized = value.normalize()
            places = max(self.min_places, -min(0, normalized.as_tuple().exponent))  # type: ignore[operator]
            return f"{value:.{places}f}"
        return super().format_value(value)


def style_widget(field: forms.Field) -> None:
    """Give a form field's widget the Bootstrap 5 class it needs."""
    widget = field.widget
    if isinstance(widget, forms.CheckboxSelectMultiple | forms.RadioSelect | forms.CheckboxInput):
        widget.attrs.setdefault("class", "form-check-input")
    elif isinstance(widget, forms.Select | forms.SelectMultiple):
        widget.attrs.setdefault("class", "form-select")
    else:
        widget.attrs.setdefault("class", "form-control")
    if isinstance(field, forms.DecimalField):
        attrs = {**widget.attrs, "class": "form-control text-end"}
        field.widget = DecimalInput(attrs, min_places=2 if field.decimal_places == MONEY_DECIMAL_PLACES else 0)
    if isinstance(field, forms.DateField):
        field.widget = forms.DateInput(attrs={**widget.attrs, "type": "date"}, format="%Y-%m-%d")
    if isinstance(widget, forms.Textarea):
        widget.attrs.setdefault("rows", 3)


class BootstrapForm(forms.Form):
    bound_field_class = BootstrapBoundField

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            style_widget(field)


class ServiceForm(forms.ModelForm):
    """Base of every resource form.

    It parses input into ``service_data()`` (foreign keys as ``<name>_id``, the names the services
    take) and leaves validation of the record to the service: model validation is not run here, so
    the instance stays untouched until the service changes it. Choice lists offer active records
    (and the current value)."""

    bound_field_class = BootstrapBoundField
    formsets: tuple[forms.BaseFormSet, ...] = ()

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name, field in self.fields.items():
            style_widget(field)
            if isinstance(field, forms.ModelChoiceField):
                self._limit_to_active(name, field)

    def _limit_to_active(self, name: str, field: forms.ModelChoiceField) -> None:
        queryset = field.queryset
        if queryset is None or not any(f.name == "is_active" for f in queryset.model._meta.fields):
            return
        current = self.initial.get(name)
        condition = models.Q(is_active=True)
        if current:
            condition |= models.Q(pk__in=current if isinstance(current, list | tuple) else [current])
        field.queryset = queryset.filter(condition)

    def _post_clean(self) -> None:
        """The service validates the record (``core.masterdata``); the form does not touch the instance."""

    def is_valid(self) -> bool:
        results = [super().is_valid()] + [formset.is_valid() for formset in self.formsets]  # validate all
        return all(results)

    def service_data(self) -> dict[str, Any]:
        data: dict[str, Any] = {}
        for name, value in self.cleaned_data.items():
            if isinstance(self._model_field(name), models.ForeignKey):
                data[f"{name}_id"] = value.pk if value is not None else None
            else:
                data[name] = value
        return data

    def _model_field(self, name: str) -> models.Field | None:
        try:
            return self._meta.model._meta.get_field(name)  # type: ignore[return-value]
        except Exception:
            return None

    def add_domain_error(self, err: DomainError) -> None:
        add_domain_error(self, err)


def add_domain_error(form: forms.BaseForm, err: DomainError, aliases: dict[str, str] | None = None) -> None:
    """Show a service's ``DomainError`` on the fields it names (``category_id`` → ``category``); what
    names no field of the form becomes a non-field error."""
    if not err.fields:
        form.add_error(None, str(err.message))
        return
    for key, messages in err.fields.items():
        name: str | None = (aliases or {}).get(key, key)
        if name and name.endswith("_id") and name[:-3] in form.fields:
            name = name[:-3]
        if name not in form.fields:
            name = None
        form.add_error(name, [str(m) for m in messages])


# Users ------------------------------------------------------------------------------------------
def role_choices() -> list[tuple[str, str]]:
    return [(role.group.name, str(role.label)) for role in Role.objects.select_related("group")]


class UserForm(ServiceForm):
    roles = forms.MultipleChoiceField(label=_("roles"), required=False, widget=forms.CheckboxSelectMultiple)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["roles"].choices = role_choices()  # type: ignore[attr-defined]
        if self.instance.pk:
            self.initial.setdefault("roles", list(self.instance.groups.values_list("name", flat=True)))


class NewUserForm(UserForm):
    password = forms.CharField(
        label=_("password"), required=False, strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=_("Leave empty to create a user who cannot log in with a password yet."))


# Supplier prices with their quantity breaks -------------------------------------------------------
class PriceBreakForm(BootstrapForm):
    min_quantity = forms.DecimalField(label=_("from quantity"), max_digits=18, decimal_places=6,
                                      min_value=0)
    unit_price = forms.DecimalField(label=_("unit price"), max_digits=18, decimal_places=4, min_value=0)


class BootstrapFormSet(forms.BaseFormSet):
    def add_fields(self, form: forms.Form, index: int | None) -> None:
        super().add_fields(form, index)
        for field in form.fields.values():
            style_widget(field)


PriceBreakFormSet = forms.formset_factory(PriceBreakForm, formset=BootstrapFormSet, extra=3, can_delete=True)


class SupplierPriceForm(ServiceForm):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        instance: SupplierPrice = self.instance
        initial = ([{"min_quantity": b.min_quantity, "unit_price": b.unit_price} for b in instance.breaks.all()]
                   if instance.pk else [])
        self.breaks = PriceBreakFormSet(self.data if self.is_bound else None, prefix="breaks", initial=initial)
        self.breaks.title = _("Price breaks")  # type: ignore[attr-defined]
        self.formsets = (self.breaks,)

    def service_data(self) -> dict[str, Any]:
        data = super().service_data()
        data["breaks"] = [
            {"min_quantity": f.cleaned_data["min_quantity"], "unit_price": f.cleaned_data["unit_price"]}
            for f in self.breaks.forms
            if f.cleaned_data and not f.cleaned_data.get("DELETE")
        ]
        return data


# API tokens ---------------------------------------------------------------------------------------
class APITokenForm(BootstrapForm):
    name = forms.CharField(label=_("name"), max_length=100,
                           help_text=_("What the token is for, e.g. “ERP sync”."))
    expires_on = forms.DateField(label=_("expires on"), required=False,
                                 help_text=_("Leave empty for a token that does not expire."))

    def expires_at(self) -> datetime | None:
        """The end of the chosen day in the current time zone."""
        day = self.cleaned_data.get("expires_on")
        if day is None:
            return None
        return timezone.make_aware(datetime.combine(day, time.max))
