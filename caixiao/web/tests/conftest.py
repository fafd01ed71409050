"""Master data for the web view tests, built through the domain services."""

from decimal import Decimal

import pytest

from caixiao.accounts.models import Department, Position
from caixiao.catalog import services as catalog_services
from caixiao.catalog.models import Unit
from caixiao.inventory import services as inventory_services
from caixiao.partners import services as partner_services


@pytest.fixture
def admin_client(client, admin_user):
    client.force_login(admin_user)
    return client


@pytest.fixture
def login(client):
    def as_user(user):
        client.force_login(user)
        return client

    return as_user


@pytest.fixture
def catalog(admin_user):
    """A category, two units and a product."""
    category = catalog_services.create_category(data={"code": "FOOD", "name": "食品"}, actor=admin_user)
    pcs = Unit.objects.create(code="PCS", name="个")
    box = Unit.objects.create(code="BOX", name="箱")
    product = catalog_services.create_product(data={
        "code": "P001", "name": "绿茶", "category_id": category.pk, "base_unit_id": pcs.pk,
        "purchase_price": Decimal("12.5"), "sale_price": Decimal("19.9")}, actor=admin_user)
    return {"category": category, "pcs": pcs, "box": box, "product": product}


@pytest.fixture
def partners(admin_user):
    """A region, payment term, customer category, customer and supplier."""
    region = partner_services.create_region(data={"code": "EAST", "name": "华东"}, actor=admin_user)
    term = partner_services.create_payment_term(data={"code": "NET30", "name": "30天", "days": 30}, actor=admin_user)
    ccat = partner_services.create_customer_category(data={"code": "RETAIL", "name": "零售"}, actor=admin_user)
    customer = partner_services.create_customer(data={
        "code": "C001", "name": "上海超市", "category_id": ccat.pk, "region_id": region.pk,
        "account_manager_id": admin_user.pk}, actor=admin_user)
    supplier = partner_services.create_supplier(data={"code": "S001", "name": "杭州茶厂"}, actor=admin_user)
    return {"region": region, "term": term, "ccat": ccat, "customer": customer, "supplier": supplier}


@pytest.fixture
def warehouse(admin_user):
    return inventory_services.create_warehouse(data={"code": "WH1", "name": "上海仓"}, actor=admin_user)


@pytest.fixture
def org(admin_user):
    department = Department.objects.create(code="SALES", name="销售部")
    position = Position.objects.create(code="REP", name="销售代表", department=department)
    return {"department": department, "position": position}



@pytest.fixture
def world(catalog, partners, warehouse, org):
    return {**catalog, **partners, "warehouse": warehouse, **org}


def post_data(form) -> dict:
    """What a browser would send for ``form`` as rendered (its initial values), formsets included."""
    data: dict = {}
    forms = [form]
    for formset in getattr(form, "formsets", ()):
        forms += [formset.management_form, *formset.forms]
    for each in forms:
        for field in each:
            value = field.value()
            if value is None or value is False:
                continue
            if value is True:
                value = "on"
            data[field.html_name] = [str(v) for v in value] if isinstance(value, list | tuple) else str(value)
    return data
