"""The master-data and organisation pages of the staff UI, one ``Resource`` per model (see crud.py).

Reads go through each domain's selectors, writes through its services; models without a service of
their own (units, unit-conversion edits) use ``core.masterdata``."""

from __future__ import annotations

from typing import Any, cast

from django.utils.translation import gettext_lazy as _

from caixiao.accounts import selectors as account_selectors
from caixiao.accounts import services as account_services
from caixiao.accounts.models import Department, Position, User
from caixiao.catalog import selectors as catalog_selectors
from caixiao.catalog import services as catalog_services
from caixiao.catalog.models import Category, Product, ProductUnit, Unit
from caixiao.inventory import selectors as inventory_selectors
from caixiao.inventory import services as inventory_services
from caixiao.inventory.models import Location, Warehouse
from caixiao.partners import selectors as partner_selectors
from caixiao.partners import services as partner_services
from caixiao.partners.models import (
    Address,
    Contact,
    Customer,
    CustomerCategory,
    PaymentTerm,
    PriceBreak,
    Region,
    Supplier,
    SupplierPrice,
)
from caixiao.web.crud import Child, Column, Resource
from caixiao.web.forms import NewUserForm, SupplierPriceForm, UserForm

ACTIVE = Column("is_active", _("active"))


# Catalog ----------------------------------------------------------------------------------------
CATEGORY = Resource(
    key="category", model=Category, path="categories", icon="diagram-3",
    queryset=lambda user: catalog_selectors.list_categories(),
    fields=["code", "name", "parent"],
    columns=["code", "name", Column("parent", link=True), ACTIVE],
    create=catalog_services.create_category, update=catalog_services.update_category,
)

UNIT = Resource(
    key="unit", model=Unit, path="units", icon="rulers",
    queryset=lambda user: catalog_selectors.list_units(),
    fields=["code", "name", "decimals"],
    columns=["code", "name", "decimals", ACTIVE],
)

PRODUCT = Resource(
    key="product", model=Product, path="products", icon="box-seam",
    queryset=lambda user: catalog_selectors.list_products(),
    fields=["code", "name", "specification", "category", "base_unit", "barcode", "lifecycle", "buyer",
            "purchase_price", "sale_price", "currency", "tax_rate",
            "needs_qc", "safety_stock", "min_order_qty", "pack_size", "lead_time_days"],
    sections=[
        (_("General"), ["code", "name", "specification", Column("category", link=True), "base_unit", "barcode",
                        "lifecycle", "buyer"]),
        (_("Prices"), ["purchase_price", "sale_price", "currency", "tax_rate"]),
        (_("Purchasing and stock"), ["needs_qc", "safety_stock", "min_order_qty", "pack_size", "lead_time_days"]),
    ],
    columns=["code", "name", "specification", Column("category.name", _("category")),
             Column("base_unit.name", _("base unit")), "purchase_price", "sale_price", ACTIVE],
    search_fields=["code", "name", "barcode", "specification"],
    create=catalog_services.create_product, update=catalog_services.update_product,
    children=[
        Child(key="units", model=ProductUnit, parent_field="product",
              rows=lambda product, user: catalog_selectors.list_product_units().filter(product_id=product.pk),
              fields=["unit", "factor", "barcode"],
              columns=["unit", Column("factor", _("base units per unit")), "barcode"],
              create=catalog_services.create_product_unit, deletable=True),
        Child(key="prices", model=SupplierPrice, parent_field="product", link="supplierprice",
              title=_("supplier prices"),
              rows=lambda product, user: partner_selectors.list_supplier_prices(for_user=user).filter(product_id=product.pk),
              columns=["supplier", "unit_price", "min_quantity", "lead_time_days", "is_preferred", ACTIVE]),
    ],
)


# Customers --------------------------------------------------------------------------------------
REGION = Resource(
    key="region", model=Region, path="regions", icon="geo-alt",
    queryset=lambda user: partner_selectors.list_regions(),
    fields=["code", "name", "parent"],
    columns=["code", "name", Column("parent", link=True), ACTIVE],
    create=partner_services.create_region, update=partner_services.update_region,
)

PAYMENT_TERM = Resource(
    key="paymentterm", model=PaymentTerm, path="payment-terms", icon="calendar-check",
    queryset=lambda user: partner_selectors.list_payment_terms(),
    fields=["code", "name", "days", "basis"],
    columns=["code", "name", "days", "basis", ACTIVE],
    create=partner_services.create_payment_term, update=partner_services.update_payment_term,
)

CUSTOMER_CATEGORY = Resource(
    key="customercategory", model=CustomerCategory, path="customer-categories", icon="tags",
    queryset=lambda user: partner_selectors.list_customer_categories(),
    fields=["code", "name"],
    columns=["code", "name", ACTIVE],
    create=partner_services.create_customer_category, update=partner_services.update_customer_category,
)

CONTACT_FIELDS = ["name", "title", "phone", "email", "is_primary"]
CONTACT_COLUMNS = ["name", "title", "phone", "email", "is_primary"]


def _my_customer_defaults(request: Any) -> dict[str, Any]:
    return {"account_manager": request.user.pk}


CUSTOMER = Resource(
    key="customer", model=Customer, path="customers", icon="people",
    queryset=lambda user: partner_selectors.list_customers(for_user=user),
    fields=["code", "name", "category", "region", "account_manager", "payment_term", "credit_limit", "currency",
            "tax_id", "phone", "notes"],
    sections=[
        (_("General"), ["code", "name", Column("category", link=True), Column("region", link=True),
                        "account_manager", "tax_id", "phone", "notes"]),
        (_("Credit and payment"), ["credit_limit", "currency", Column("payment_term", link=True)]),
    ],
    columns=["code", "name", Column("category.name", _("category")), Column("region.name", _("region")),
             "account_manager", "credit_limit", ACTIVE],
    search_fields=["code", "name", "phone", "tax_id"],
    create=partner_services.create_customer, update=partner_services.update_customer,
    initial=_my_customer_defaults,
    children=[
        Child(key="contacts", model=Contact, parent_field="customer",
              rows=lambda customer, user: partner_selectors.list_contacts(for_user=user).filter(customer_id=customer.pk),
              fields=CONTACT_FIELDS, columns=CONTACT_COLUMNS,
              create=partner_services.create_contact, update=partner_services.update_contact, deletable=True),
        Child(key="addresses", model=Address, parent_field="customer",
              rows=lambda customer, user: partner_selectors.list_addresses(for_user=user).filter(customer_id=customer.pk),
              fields=["label", "recipient", "phone", "province", "city", "district", "street", "postcode",
                      "is_default"],
              columns=["label", "recipient", "phone", Column("address", _("address"), value=str), "postcode",
                       "is_default"],
              create=partner_services.create_address, update=partner_services.update_address, deletable=True),
    ],
)


# Suppliers --------------------------------------------------------------------------------------
SUPPLIER = Resource(
    key="supplier", model=Supplier, path="suppliers", icon="truck",
    queryset=lambda user: partner_selectors.list_suppliers(for_user=user),
    fields=["code", "name", "rating", "score", "lead_time_days", "buyer", "payment_term", "currency", "tax_id",
            "phone", "address", "bank_name", "bank_account_name", "bank_account_number"],
    sections=[
        (_("General"), ["code", "name", "rating", "score", "lead_time_days", "buyer", "tax_id", "phone",
                        "address"]),
        (_("Bank account and payment"), ["bank_name", "bank_account_name", "bank_account_number",
                                         Column("payment_term", link=True), "currency"]),
    ],
    columns=["code", "name", "rating", "score", "lead_time_days", "buyer", ACTIVE],
    search_fields=["code", "name", "phone", "tax_id"],
    create=partner_services.create_supplier, update=partner_services.update_supplier,
    children=[
        Child(key="contacts", model=Contact, parent_field="supplier",
              rows=lambda supplier, user: partner_selectors.list_contacts(for_user=user).filter(supplier_id=supplier.pk),
              fields=CONTACT_FIELDS, columns=CONTACT_COLUMNS,
              create=partner_services.create_contact, update=partner_services.update_contact, deletable=True),
        Child(key="prices", model=SupplierPrice, parent_field="supplier", link="supplierprice",
              title=_("price list"),
              rows=lambda supplier, user: partner_selectors.list_supplier_prices(for_user=user)
              .filter(supplier_id=supplier.pk),
              columns=["product", "supplier_product_code", "unit_price", "min_quantity", "lead_time_days",
                       "is_preferred", ACTIVE]),
    ],
)

SUPPLIER_PRICE = Resource(
    key="supplierprice", model=SupplierPrice, path="supplier-prices", icon="currency-yen",
    queryset=lambda user: partner_selectors.list_supplier_prices(for_user=user),
    form=SupplierPriceForm,
    fields=["supplier", "product", "supplier_product_code", "unit_price", "currency", "min_quantity",
            "lead_time_days", "valid_from", "valid_to", "is_preferred"],
    sections=[(None, [Column("supplier", link=True), Column("product", link=True), "supplier_product_code",
                      "unit_price", "currency", "min_quantity", "lead_time_days", "valid_from", "valid_to",
                      "is_preferred"])],
    columns=[Column("product", sort="product__code"), Column("supplier", sort="supplier__code"),
             "supplier_product_code", "unit_price", "min_quantity", "lead_time_days", "is_preferred", ACTIVE],
    search_fields=["product__code", "product__name", "supplier__code", "supplier__name", "supplier_product_code"],
    sort_fields=["product__code", "supplier__code", "unit_price"],
    default_sort="product__code",
    display=lambda price: f"{price.supplier.name} · {price.product.code} {price.product.name}",
    create=partner_services.create_supplier_price, update=partner_services.update_supplier_price,
    children=[
        Child(key="breaks", model=PriceBreak, parent_field="supplier_price", perm_model=SupplierPrice,
              title=_("price breaks"), rows=lambda price, user: cast(SupplierPrice, price).breaks.all(),
              columns=["min_quantity", "unit_price"]),
    ],
)


# Warehouses -------------------------------------------------------------------------------------
WAREHOUSE = Resource(
    key="warehouse", model=Warehouse, path="warehouses", icon="building",
    queryset=lambda user: inventory_selectors.list_warehouses(),
    fields=["code", "name", "address", "manager"],
    columns=["code", "name", "address", "manager", ACTIVE],
    create=inventory_services.create_warehouse, update=inventory_services.update_warehouse,
    children=[
        Child(key="locations", model=Location, parent_field="warehouse",
              rows=lambda warehouse, user: inventory_selectors.list_locations().filter(warehouse_id=warehouse.pk),
              fields=["code", "name", "barcode", "is_active"], columns=["code", "name", "barcode", ACTIVE],
              create=inventory_services.create_location, update=inventory_services.update_location),
    ],
)


# Organisation -----------------------------------------------------------------------------------
def _role_labels(user: User) -> str:
    return ", ".join(str(g.role.label) if hasattr(g, "role") else g.name for g in user.groups.all())


def _create_user(*, data: dict[str, Any], actor: Any) -> User:
    roles = data.pop("roles", [])
    password = data.pop("password", "") or None
    return account_services.create_user(data=data, roles=roles, password=password, actor=actor)


def _update_user(*, instance: User, data: dict[str, Any], actor: Any) -> User:
    roles = data.pop("roles", None)
    return account_services.update_user(instance=instance, data=data, roles=roles, actor=actor)


def _set_user_active(user: User, *, active: bool, actor: Any) -> User:
    return account_services.set_user_active(user=user, active=active, actor=actor)


USER_FIELDS = ["username", "display_name", "email", "phone", "department", "position", "manager"]

USER = Resource(
    key="user", model=User, path="users", icon="person-badge",
    queryset=lambda user: account_selectors.list_users().prefetch_related("groups__role"),
    form=UserForm, create_form=NewUserForm, fields=[*USER_FIELDS, "roles"],
    create_fields=[*USER_FIELDS, "roles", "password"],
    sections=[
        (_("Account"), ["username", "display_name", "email", "phone", "last_login"]),
        (_("Organisation"), [Column("department", link=True), Column("position", link=True), "manager",
                             Column("roles", _("roles"), value=_role_labels)]),
    ],
    columns=["username", "display_name", "department", "position", Column("roles", _("roles"), value=_role_labels),
             ACTIVE],
    search_fields=["username", "display_name", "email", "phone"],
    sort_fields=["username", "display_name"], default_sort="username",
    create=_create_user, update=_update_user, set_active=_set_user_active,
)

DEPARTMENT = Resource(
    key="department", model=Department, path="departments", icon="diagram-2",
    queryset=lambda user: account_selectors.list_departments(),
    fields=["code", "name", "parent", "head"],
    columns=["code", "name", Column("parent", link=True), "head", ACTIVE],
    create=account_services.create_department, update=account_services.update_department,
)

POSITION = Resource(
    key="position", model=Position, path="positions", icon="person-workspace",
    queryset=lambda user: account_selectors.list_positions(),
    fields=["code", "name", "department"],
    columns=["code", "name", Column("department", link=True), ACTIVE],
    create=account_services.create_position, update=account_services.update_position,
)

RESOURCES = [CATEGORY, UNIT, PRODUCT, REGION, PAYMENT_TERM, CUSTOMER_CATEGORY, CUSTOMER, SUPPLIER, SUPPLIER_PRICE,
             WAREHOUSE, USER, DEPARTMENT, POSITION]
