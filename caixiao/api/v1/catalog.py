"""Catalog endpoints: product categories, units, products and unit conversions (X1)."""

from datetime import datetime
from decimal import Decimal

from ninja import Field, FilterSchema, Router, Schema

from caixiao.api.crud import Id, Resource, register
from caixiao.catalog import selectors, services
from caixiao.catalog.enums import Lifecycle
from caixiao.catalog.models import Category, Product, ProductUnit, Unit

router = Router(tags=["catalog"])

CODE = Field(..., min_length=1, max_length=32, description="unique; upper-case letters, digits, . _ -")
NAME = Field(..., min_length=1, max_length=200)


# Categories ------------------------------------------------------------------------------------
class CategoryOut(Schema):
    id: int
    code: str
    name: str
    parent_id: int | None
    is_active: bool
    updated_at: datetime


class CategoryIn(Schema):
    code: str = CODE
    name: str = NAME
    parent_id: int | None = None


class CategoryPatch(Schema):
    code: str | None = Field(None, min_length=1, max_length=32)
    name: str | None = Field(None, min_length=1, max_length=200)
    parent_id: int | None = None


class CategoryFilter(FilterSchema):
    parent_id: Id | None = None
    is_active: bool | None = None


register(router, Resource(Category, "product-categories", CategoryOut, CategoryIn, CategoryPatch, CategoryFilter,
                          queryset=lambda r: selectors.list_categories(), create=services.create_category,
                          update=services.update_category, tag="product categories"))


# Units -----------------------------------------------------------------------------------------
class UnitOut(Schema):
    id: int
    code: str
    name: str
    decimals: int
    is_active: bool


class UnitIn(Schema):
    code: str = CODE
    name: str = NAME
    decimals: int = Field(0, ge=0, le=6)


class UnitPatch(Schema):
    code: str | None = Field(None, min_length=1, max_length=32)
    name: str | None = Field(None, min_length=1, max_length=200)
    decimals: int | None = Field(None, ge=0, le=6)


register(router, Resource(Unit, "units", UnitOut, UnitIn, UnitPatch, tag="units"))


# Products --------------------------------------------------------------------------------------
class ProductOut(Schema):
    id: int
    code: str
    name: str
    specification: str
    category_id: int
    category_name: str = Field(..., alias="category.name")
    base_unit_id: int
    base_unit_code: str = Field(..., alias="base_unit.code")
    barcode: str
    purchase_price: Decimal
    sale_price: Decimal
    currency: str
    tax_rate: Decimal
    needs_qc: bool
    safety_stock: Decimal
    min_order_qty: Decimal
    pack_size: Decimal
    lead_time_days: int
    lifecycle: Lifecycle
    buyer_id: int | None
    is_active: bool
    created_at: datetime
    updated_at: datetime


class ProductIn(Schema):
    code: str = CODE
    name: str = NAME
    specification: str = Field("", max_length=200)
    category_id: int
    base_unit_id: int
    barcode: str = Field("", max_length=64)
    purchase_price: Decimal = Field(Decimal("0"), ge=0, max_digits=18, decimal_places=4)
    sale_price: Decimal = Field(Decimal("0"), ge=0, max_digits=18, decimal_places=4)
    currency: str = Field("CNY", min_length=3, max_length=3)
    tax_rate: Decimal = Field(Decimal("0.13"), ge=0, le=1, max_digits=7, decimal_places=4)
    needs_qc: bool = False
    safety_stock: Decimal = Field(Decimal("0"), ge=0, max_digits=18, decimal_places=6)
    min_order_qty: Decimal = Field(Decimal("0"), ge=0, max_digits=18, decimal_places=6)
    pack_size: Decimal = Field(Decimal("1"), gt=0, max_digits=18, decimal_places=6)
    lead_time_days: int = Field(7, ge=0, le=3650)
    lifecycle: Lifecycle = Lifecycle.MATURE
    buyer_id: int | None = None


class ProductPatch(Schema):
    code: str | None = Field(None, min_length=1, max_length=32)
    name: str | None = Field(None, min_length=1, max_length=200)
    specification: str | None = Field(None, max_length=200)
    category_id: int | None = None
    base_unit_id: int | None = None
    barcode: str | None = Field(None, max_length=64)
    purchase_price: Decimal | None = Field(None, ge=0, max_digits=18, decimal_places=4)
    sale_price: Decimal | None = Field(None, ge=0, max_digits=18, decimal_places=4)
    currency: str | None = Field(None, min_length=3, max_length=3)
    tax_rate: Decimal | None = Field(None, ge=0, le=1, max_digits=7, decimal_places=4)
    needs_qc: bool | None = None
    safety_stock: Decimal | None = Field(None, ge=0, max_digits=18, decimal_places=6)
    min_order_qty: Decimal | None = Field(None, ge=0, max_digits=18, decimal_places=6)
    pack_size: Decimal | None = Field(None, gt=0, max_digits=18, decimal_places=6)
    lead_time_days: int | None = Field(None, ge=0, le=3650)
    lifecycle: Lifecycle | None = None
    buyer_id: int | None = None


class ProductFilter(FilterSchema):
    category_id: Id | None = None
    is_active: bool | None = None
    needs_qc: bool | None = None
    lifecycle: Lifecycle | None = None
    barcode: str | None = None
    buyer_id: Id | None = None


register(router, Resource(Product, "products", ProductOut, ProductIn, ProductPatch, ProductFilter,
                          search_fields=("code", "name", "specification", "barcode"),
                          queryset=lambda r: selectors.list_products(), create=services.create_product,
                          update=services.update_product, tag="products"))


# Unit conversions ------------------------------------------------------------------------------
class ProductUnitOut(Schema):
    id: int
    product_id: int
    unit_id: int
    unit_code: str = Field(..., alias="unit.code")
    factor: Decimal
    barcode: str


class ProductUnitIn(Schema):
    product_id: int
    unit_id: int
    factor: Decimal = Field(..., gt=0, max_digits=18, decimal_places=6)
    barcode: str = Field("", max_length=64)


class ProductUnitPatch(Schema):
    factor: Decimal | None = Field(None, gt=0, max_digits=18, decimal_places=6)
    barcode: str | None = Field(None, max_length=64)


class ProductUnitFilter(FilterSchema):
    product_id: Id | None = None


register(router, Resource(ProductUnit, "product-units", ProductUnitOut, ProductUnitIn, ProductUnitPatch,
                          ProductUnitFilter, search_fields=("barcode", "unit__code", "product__code"),
                          ordering_fields=("id", "factor"), default_ordering="id",
                          queryset=lambda r: selectors.list_product_units(), create=services.create_product_unit,
                          tag="unit conversions"))
