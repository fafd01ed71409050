"""Partner endpoints: regions, payment terms, customer categories, customers, suppliers, contacts,
delivery addresses and supplier price lists (X1). Customers, their contacts and addresses are
scoped to what the user may see (X2); a supplier portal user sees only its own supplier and prices."""

from datetime import date, datetime
from decimal import Decimal

from django.db.models import Q
from ninja import Field, FilterSchema, Router, Schema

from caixiao.api.crud import Id, Resource, register
from caixiao.partners import selectors, services
from caixiao.partners.enums import PaymentBasis, SupplierRating
from caixiao.partners.models import (
    Address,
    Contact,
    Customer,
    CustomerCategory,
    PaymentTerm,
    Region,
    Supplier,
    SupplierPrice,
)

router = Router(tags=["partners"])

CODE = Field(..., min_length=1, max_length=32, description="unique; upper-case letters, digits, . _ -")
NAME = Field(..., min_length=1, max_length=200)
CODE_PATCH = Field(None, min_length=1, max_length=32)
NAME_PATCH = Field(None, min_length=1, max_length=200)


def _user_label(user) -> str | None:
    return str(user) if user is not None else None


# Regions ---------------------------------------------------------------------------------------
class RegionOut(Schema):
    id: int
    code: str
    name: str
    parent_id: int | None
    is_active: bool
    updated_at: datetime


class RegionIn(Schema):
    code: str = CODE
    name: str = NAME
    parent_id: Id | None = None


class RegionPatch(Schema):
    code: str | None = CODE_PATCH
    name: str | None = NAME_PATCH
    parent_id: Id | None = None


class RegionFilter(FilterSchema):
    parent_id: Id | None = None
    is_active: bool | None = None


register(router, Resource(Region, "regions", RegionOut, RegionIn, RegionPatch, RegionFilter,
                          queryset=lambda r: selectors.list_regions(), create=services.create_region,
                          update=services.update_region, tag="regions"))


# Payment terms ---------------------------------------------------------------------------------
class PaymentTermOut(Schema):
    id: int
    code: str
    name: str
    days: int
    basis: PaymentBasis
    is_active: bool
    updated_at: datetime


class PaymentTermIn(Schema):
    code: str = CODE
    name: str = NAME
    days: int = Field(30, ge=0, le=3650)
    basis: PaymentBasis = PaymentBasis.INVOICE


class PaymentTermPatch(Schema):
    code: str | None = CODE_PATCH
    name: str | None = NAME_PATCH
    days: int | None = Field(None, ge=0, le=3650)
    basis: PaymentBasis | None = None


class ActiveFilter(FilterSchema):
    is_active: bool | None = None


register(router, Resource(PaymentTerm, "payment-terms", PaymentTermOut, PaymentTermIn, PaymentTermPatch,
                          ActiveFilter, queryset=lambda r: selectors.list_payment_terms(),
                          create=services.create_payment_term, update=services.update_payment_term,
                          tag="payment terms"))


# Customer categories ---------------------------------------------------------------------------
class CustomerCategoryOut(Schema):
    id: int
    code: str
    name: str
    is_active: bool
    updated_at: datetime


class CustomerCategoryIn(Schema):
    code: str = CODE
    name: str = NAME


class CustomerCategoryPatch(Schema):
    code: str | None = CODE_PATCH
    name: str | None = NAME_PATCH


register(router, Resource(CustomerCategory, "customer-categories", CustomerCategoryOut, CustomerCategoryIn,
                          CustomerCategoryPatch, ActiveFilter,
                          queryset=lambda r: selectors.list_customer_categories(),
                          create=services.create_customer_category, update=services.update_customer_category,
                          tag="customer categories"))


# Customers -------------------------------------------------------------------------------------
class CustomerOut(Schema):
    id: int
    code: str
    name: str
    category_id: int
    category_name: str = Field(..., alias="category.name")
    region_id: int
    region_name: str = Field(..., alias="region.name")
    credit_limit: Decimal
    currency: str
    payment_term_id: int | None
    account_manager_id: int | None
    account_manager_name: str | None
    tax_id: str
    phone: str
    notes: str
    is_active: bool
    created_at: datetime
    updated_at: datetime

    @staticmethod
    def resolve_account_manager_name(obj: Customer) -> str | None:
        return _user_label(obj.account_manager)


class CustomerIn(Schema):
    code: str = CODE
    name: str = NAME
    category_id: Id
    region_id: Id
    credit_limit: Decimal = Field(Decimal("0"), ge=0, max_digits=18, decimal_places=4)
    currency: str = Field("CNY", min_length=3, max_length=3)
    payment_term_id: Id | None = None
    account_manager_id: Id | None = Field(None, description="defaults to the caller for sales reps and managers")
    tax_id: str = Field("", max_length=32)
    phone: str = Field("", max_length=32)
    notes: str = Field("", max_length=5000)


class CustomerPatch(Schema):
    code: str | None = CODE_PATCH
    name: str | None = NAME_PATCH
    category_id: Id | None = None
    region_id: Id | None = None
    credit_limit: Decimal | None = Field(None, ge=0, max_digits=18, decimal_places=4)
    currency: str | None = Field(None, min_length=3, max_length=3)
    payment_term_id: Id | None = None
    account_manager_id: Id | None = None
    tax_id: str | None = Field(None, max_length=32)
    phone: str | None = Field(None, max_length=32)
    notes: str | None = Field(None, max_length=5000)


class CustomerFilter(FilterSchema):
    category_id: Id | None = None
    region_id: Id | None = None
    account_manager_id: Id | None = None
    payment_term_id: Id | None = None
    is_active: bool | None = None


register(router, Resource(Customer, "customers", CustomerOut, CustomerIn, CustomerPatch, CustomerFilter,
                          search_fields=("code", "name", "tax_id", "phone"),
                          ordering_fields=("code", "name", "credit_limit", "created_at", "updated_at", "id"),
                          queryset=lambda r: selectors.list_customers(for_user=r.user),
                          create=services.create_customer, update=services.update_customer, tag="customers"))


# Suppliers -------------------------------------------------------------------------------------
class SupplierOut(Schema):
    id: int
    code: str
    name: str
    rating: SupplierRating
    score: Decimal
    lead_time_days: int
    currency: str
    payment_term_id: int | None
    tax_id: str
    phone: str
    address: str
    bank_name: str
    bank_account_name: str
    bank_account_number: str
    buyer_id: int | None
    buyer_name: str | None
    is_active: bool
    created_at: datetime
    updated_at: datetime

    @staticmethod
    def resolve_buyer_name(obj: Supplier) -> str | None:
        return _user_label(obj.buyer)


class SupplierIn(Schema):
    code: str = CODE
    name: str = NAME
    rating: SupplierRating = SupplierRating.C
    score: Decimal = Field(Decimal("80"), ge=0, le=100, max_digits=5, decimal_places=2)
    lead_time_days: int = Field(7, ge=0, le=3650)
    currency: str = Field("CNY", min_length=3, max_length=3)
    payment_term_id: Id | None = None
    tax_id: str = Field("", max_length=32)
    phone: str = Field("", max_length=32)
    address: str = Field("", max_length=300)
    bank_name: str = Field("", max_length=100)
    bank_account_name: str = Field("", max_length=100)
    bank_account_number: str = Field("", max_length=64)
    buyer_id: Id | None = None


class SupplierPatch(Schema):
    code: str | None = CODE_PATCH
    name: str | None = NAME_PATCH
    rating: SupplierRating | None = None
    score: Decimal | None = Field(None, ge=0, le=100, max_digits=5, decimal_places=2)
    lead_time_days: int | None = Field(None, ge=0, le=3650)
    currency: str | None = Field(None, min_length=3, max_length=3)
    payment_term_id: Id | None = None
    tax_id: str | None = Field(None, max_length=32)
    phone: str | None = Field(None, max_length=32)
    address: str | None = Field(None, max_length=300)
    bank_name: str | None = Field(None, max_length=100)
    bank_account_name: str | None = Field(None, max_length=100)
    bank_account_number: str | None = Field(None, max_length=64)
    buyer_id: Id | None = None


class SupplierFilter(FilterSchema):
    rating: SupplierRating | None = None
    buyer_id: Id | None = None
    payment_term_id: Id | None = None
    is_active: bool | None = None


register(router, Resource(Supplier, "suppliers", SupplierOut, SupplierIn, SupplierPatch, SupplierFilter,
                          search_fields=("code", "name", "tax_id", "phone"),
                          ordering_fields=("code", "name", "rating", "score", "created_at", "updated_at", "id"),
                          queryset=lambda r: selectors.list_suppliers(for_user=r.user),
                          create=services.create_supplier, update=services.update_supplier, tag="suppliers"))


# Contacts --------------------------------------------------------------------------------------
class ContactOut(Schema):
    id: int
    customer_id: int | None
    supplier_id: int | None
    name: str
    title: str
    phone: str
    email: str
    is_primary: bool
    updated_at: datetime


class ContactIn(Schema):
    customer_id: Id | None = Field(None, description="exactly one of customer_id and supplier_id")
    supplier_id: Id | None = None
    name: str = Field(..., min_length=1, max_length=100)
    title: str = Field("", max_length=100)
    phone: str = Field("", max_length=32)
    email: str = Field("", max_length=254)
    is_primary: bool = False


class ContactPatch(Schema):
    customer_id: Id | None = None
    supplier_id: Id | None = None
    name: str | None = Field(None, min_length=1, max_length=100)
    title: str | None = Field(None, max_length=100)
    phone: str | None = Field(None, max_length=32)
    email: str | None = Field(None, max_length=254)
    is_primary: bool | None = None


class ContactFilter(FilterSchema):
    customer_id: Id | None = None
    supplier_id: Id | None = None
    is_primary: bool | None = None


register(router, Resource(Contact, "contacts", ContactOut, ContactIn, ContactPatch, ContactFilter,
                          search_fields=("name", "title", "phone", "email"),
                          ordering_fields=("name", "created_at", "updated_at", "id"), default_ordering="name",
                          queryset=lambda r: selectors.list_contacts(for_user=r.user),
                          create=services.create_contact, update=services.update_contact, tag="contacts"))


# Delivery addresses ----------------------------------------------------------------------------
class AddressOut(Schema):
    id: int
    customer_id: int
    label: str
    recipient: str
    phone: str
    province: str
    city: str
    district: str
    street: str
    postcode: str
    is_default: bool
    updated_at: datetime


class AddressIn(Schema):
    customer_id: Id
    label: str = Field("", max_length=50)
    recipient: str = Field(..., min_length=1, max_length=100)
    phone: str = Field("", max_length=32)
    province: str = Field(..., min_length=1, max_length=50)
    city: str = Field(..., min_length=1, max_length=50)
    district: str = Field("", max_length=50)
    street: str = Field(..., min_length=1, max_length=200)
    postcode: str = Field("", max_length=12)
    is_default: bool = False


class AddressPatch(Schema):
    label: str | None = Field(None, max_length=50)
    recipient: str | None = Field(None, min_length=1, max_length=100)
    phone: str | None = Field(None, max_length=32)
    province: str | None = Field(None, min_length=1, max_length=50)
    city: str | None = Field(None, min_length=1, max_length=50)
    district: str | None = Field(None, max_length=50)
    street: str | None = Field(None, min_length=1, max_length=200)
    postcode: str | None = Field(None, max_length=12)
    is_default: bool | None = None


class AddressFilter(FilterSchema):
    customer_id: Id | None = None
    is_default: bool | None = None


register(router, Resource(Address, "addresses", AddressOut, AddressIn, AddressPatch, AddressFilter,
                          search_fields=("label", "recipient", "phone", "province", "city", "street"),
                          ordering_fields=("city", "created_at", "updated_at", "id"), default_ordering="id",
                          queryset=lambda r: selectors.list_addresses(for_user=r.user),
                          create=services.create_address, update=services.update_address, tag="addresses"))


# Supplier price lists --------------------------------------------------------------------------
class PriceBreakOut(Schema):
    min_quantity: Decimal
    unit_price: Decimal


class PriceBreakIn(Schema):
    min_quantity: Decimal = Field(..., gt=0, max_digits=18, decimal_places=6)
    unit_price: Decimal = Field(..., ge=0, max_digits=18, decimal_places=4)


class SupplierPriceOut(Schema):
    id: int
    supplier_id: int
    supplier_code: str = Field(..., alias="supplier.code")
    product_id: int
    product_code: str = Field(..., alias="product.code")
    product_name: str = Field(..., alias="product.name")
    supplier_product_code: str
    unit_price: Decimal
    currency: str
    min_quantity: Decimal
    lead_time_days: int
    valid_from: date | None
    valid_to: date | None
    is_preferred: bool
    is_active: bool
    breaks: list[PriceBreakOut]
    updated_at: datetime


class SupplierPriceIn(Schema):
    supplier_id: Id
    product_id: Id
    supplier_product_code: str = Field("", max_length=64)
    unit_price: Decimal = Field(..., ge=0, max_digits=18, decimal_places=4)
    currency: str = Field("CNY", min_length=3, max_length=3)
    min_quantity: Decimal = Field(Decimal("0"), ge=0, max_digits=18, decimal_places=6)
    lead_time_days: int = Field(7, ge=0, le=3650)
    valid_from: date | None = None
    valid_to: date | None = None
    is_preferred: bool = False
    breaks: list[PriceBreakIn] = Field([], description="quantity breaks, each quantity once")


class SupplierPricePatch(Schema):
    supplier_product_code: str | None = Field(None, max_length=64)
    unit_price: Decimal | None = Field(None, ge=0, max_digits=18, decimal_places=4)
    currency: str | None = Field(None, min_length=3, max_length=3)
    min_quantity: Decimal | None = Field(None, ge=0, max_digits=18, decimal_places=6)
    lead_time_days: int | None = Field(None, ge=0, le=3650)
    valid_from: date | None = None
    valid_to: date | None = None
    is_preferred: bool | None = None
    breaks: list[PriceBreakIn] | None = Field(None, description="replaces all breaks when sent")


class SupplierPriceFilter(FilterSchema):
    supplier_id: Id | None = None
    product_id: Id | None = None
    is_preferred: bool | None = None
    is_active: bool | None = None
    valid_on: date | None = Field(None, description="only prices valid on this day")

    def filter_valid_on(self, value: date) -> Q:
        return (Q(valid_from__isnull=True) | Q(valid_from__lte=value)) & (
            Q(valid_to__isnull=True) | Q(valid_to__gte=value))


register(router, Resource(SupplierPrice, "supplier-prices", SupplierPriceOut, SupplierPriceIn, SupplierPricePatch,
                          SupplierPriceFilter,
                          search_fields=("supplier__code", "supplier__name", "product__code", "product__name",
                                         "supplier_product_code"),
                          ordering_fields=("unit_price", "lead_time_days", "valid_from", "valid_to", "created_at",
                                           "updated_at", "id"),
                          default_ordering="id",
                          queryset=lambda r: selectors.list_supplier_prices(for_user=r.user),
                          create=services.create_supplier_price, update=services.update_supplier_price,
                          tag="supplier prices"))
