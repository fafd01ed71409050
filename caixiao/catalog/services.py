"""Write services for the catalog (X1). Generic validation lives in ``core.masterdata``; the rules
specific to products and units live here."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from caixiao.catalog.models import Category, Product, ProductUnit
from caixiao.core import masterdata
from caixiao.core.errors import ValidationFailed


def _check_category_parent(instance: Category | None, parent_id: int | None) -> None:
    if parent_id is None or instance is None or instance.pk is None:
        return
    node: int | None = parent_id
    while node is not None:
        if node == instance.pk:
            raise ValidationFailed(fields={"parent_id": [_("A category cannot sit below itself.")]})
        node = Category.objects.filter(pk=node).values_list("parent_id", flat=True).first()


@transaction.atomic
def create_category(*, data: dict[str, Any], actor: Any) -> Category:
    return masterdata.create_record(Category, data=data, actor=actor)


@transaction.atomic
def update_category(*, instance: Category, data: dict[str, Any], actor: Any) -> Category:
    if "parent_id" in data:
        _check_category_parent(instance, data["parent_id"])
    return masterdata.update_record(instance, data=data, actor=actor)


def _check_product(data: dict[str, Any], instance: Product | None = None) -> None:
    errors: dict[str, list[str]] = {}
    barcode = data.get("barcode")
    if barcode:
        clash = Product.objects.filter(barcode=barcode)
        if instance is not None:
            clash = clash.exclude(pk=instance.pk)
        if clash.exists():
            errors["barcode"] = [_("Another product already uses this barcode.")]
    if errors:
        raise ValidationFailed(fields=errors)


@transaction.atomic
def create_product(*, data: dict[str, Any], actor: Any) -> Product:
    _check_product(data)
    return masterdata.create_record(Product, data=data, actor=actor)


@transaction.atomic
def update_product(*, instance: Product, data: dict[str, Any], actor: Any) -> Product:
    _check_product(data, instance)
    if "base_unit_id" in data and data["base_unit_id"] != instance.base_unit_id and _has_stock_history(instance):
        raise ValidationFailed(fields={"base_unit_id": [
            _("The base unit cannot change once stock has moved; create a new product instead.")]})
    return masterdata.update_record(instance, data=data, actor=actor)


def _has_stock_history(product: Product) -> bool:
    related = [r for r in product._meta.related_objects if r.related_model._meta.model_name == "stockmove"]
    return any(r.related_model._default_manager.filter(**{r.field.name: product}).exists() for r in related)


@transaction.atomic
def create_product_unit(*, data: dict[str, Any], actor: Any) -> ProductUnit:
    product = Product.objects.filter(pk=data.get("product_id") or 0).first()
    if product is not None and data.get("unit_id") == product.base_unit_id:
        raise ValidationFailed(fields={"unit_id": [_("The base unit needs no conversion.")]})
    return masterdata.create_record(ProductUnit, data=data, actor=actor)
