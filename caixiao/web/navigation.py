"""The navigation by role: each entry names the permission that shows it (checked again by the view).

Other apps add their pages with ``register_section``; the workbench shortcuts follow the same rule."""

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.urls import NoReverseMatch, reverse
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from caixiao.web import resources as r
from caixiao.web.crud import Resource


@dataclass(frozen=True)
class NavItem:
    label: object
    url_name: str
    perm: str | None = None
    icon: str = "dot"
    when: Callable[[Any], bool] | None = None  # a further test of the user, e.g. "not a supplier portal user"


@dataclass(frozen=True)
class NavSection:
    label: object
    items: list[NavItem] = field(default_factory=list)


def resource_item(res: Resource) -> NavItem:
    return NavItem(capfirst(res.model._meta.verbose_name_plural), res.url_name("list"), res.perm("view"), res.icon)


MENU: list[NavSection] = [
    NavSection(_("Workbench"), [NavItem(_("My workbench"), "web:workbench", None, "house")]),
    NavSection(_("Sales"), [NavItem(_("Sales orders"), "web:sales-orders", "sales.view_salesorder", "receipt")]),
    NavSection(_("Warehouse"), [
        NavItem(_("Warehouse to-do"), "web:warehouse-todo", "sales.view_deliverynotice", "clipboard2-check"),
        resource_item(r.WAREHOUSE),
    ]),
    NavSection(_("Master data"), [resource_item(r.PRODUCT), resource_item(r.CATEGORY), resource_item(r.UNIT)]),
    NavSection(_("Customers"), [resource_item(r.CUSTOMER), resource_item(r.CUSTOMER_CATEGORY),
                                resource_item(r.REGION), resource_item(r.PAYMENT_TERM)]),
    NavSection(_("Suppliers"), [resource_item(r.SUPPLIER), resource_item(r.SUPPLIER_PRICE)]),
    NavSection(_("Inventory"), [
        NavItem(_("Stock levels"), "web:stock-levels", "inventory.view_stockbalance", "boxes"),
        NavItem(_("Stock moves"), "web:stock-moves", "inventory.view_stockmove", "clock-history"),
        NavItem(_("Adjust stock"), "web:stock-adjust", "inventory.add_stockmove", "sliders"),
        NavItem(_("Transfer stock"), "web:stock-transfer", "inventory.add_stockmove", "arrow-left-right"),
        NavItem(_("Stock counts"), "web:stock-counts", "inventory.view_stockcount", "clipboard-check"),
        NavItem(_("Stock value"), "web:stock-value", "inventory.view_productcost", "cash-stack"),
        NavItem(_("Stock check"), "web:stock-check", "inventory.view_reservation", "shield-check"),
    ]),
    NavSection(_("Organisation"), [resource_item(r.USER), resource_item(r.DEPARTMENT),
                                   resource_item(r.POSITION)]),
    NavSection(_("API tokens"), [NavItem(_("My API tokens"), "web:api-tokens", None, "key")]),
]

# Shortcuts on the workbench: the most common starting points, shown to whoever may use them.
SHORTCUTS: list[NavItem] = [
    NavItem(_("New sales order"), "web:sales-order-create", "sales.add_salesorder", "receipt"),
    NavItem(_("Warehouse to-do"), "web:warehouse-todo", "sales.view_deliverynotice", "clipboard2-check"),
    NavItem(_("New customer"), r.CUSTOMER.url_name("create"), r.CUSTOMER.perm("add"), "person-plus"),
    NavItem(_("Customers"), r.CUSTOMER.url_name("list"), r.CUSTOMER.perm("view"), "people"),
    NavItem(_("New product"), r.PRODUCT.url_name("create"), r.PRODUCT.perm("add"), "plus-square"),
    NavItem(_("Products"), r.PRODUCT.url_name("list"), r.PRODUCT.perm("view"), "box-seam"),
    NavItem(_("New supplier"), r.SUPPLIER.url_name("create"), r.SUPPLIER.perm("add"), "truck"),
    NavItem(_("Supplier prices"), r.SUPPLIER_PRICE.url_name("list"), r.SUPPLIER_PRICE.perm("change"),
            "currency-yen"),
    NavItem(_("Warehouses"), r.WAREHOUSE.url_name("list"), r.WAREHOUSE.perm("change"), "building"),
    NavItem(_("Stock levels"), "web:stock-levels", "inventory.view_stockbalance", "boxes"),
    NavItem(_("Payment terms"), r.PAYMENT_TERM.url_name("list"), r.PAYMENT_TERM.perm("change"), "calendar-check"),
    NavItem(_("New user"), r.USER.url_name("create"), r.USER.perm("add"), "person-badge"),
    NavItem(_("My API tokens"), "web:api-tokens", None, "key"),
]


def register_section(section: NavSection) -> None:
    MENU.append(section)


def _visible(items: list[NavItem], user, path: str = "") -> list[dict]:
    visible = []
    for item in items:
        if item.perm and not user.has_perm(item.perm):
            continue
        if item.when is not None and not item.when(user):
            continue
        try:
            url = reverse(item.url_name)
        except NoReverseMatch:
            continue
        active = path == url or (url != "/" and path.startswith(url))
        visible.append({"label": item.label, "url": url, "icon": item.icon, "active": active})
    return visible


def menu_for(user, path: str = "") -> list[dict]:
    sections = []
    for section in MENU:
        items = _visible(section.items, user, path)
        if items:
            sections.append({"label": section.label, "items": items})
    return sections


def shortcuts_for(user) -> list[dict]:
    return _visible(SHORTCUTS, user)
