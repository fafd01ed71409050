"""Fixtures for the sales tests: a sales rep with a customer, products in whole and fractional units, a
warehouse with two bins, and helpers to put stock on the shelves."""

from decimal import Decimal

import pytest
from django.utils import translation

from caixiao.catalog.tests.factories import ProductFactory, UnitFactory
from caixiao.inventory.tests.factories import LocationFactory, WarehouseFactory
from caixiao.partners.tests.factories import CustomerFactory
from caixiao.sales.tests.factories import receive


@pytest.fixture(autouse=True)
def english():
    """Assert on the English messages (the UI default is zh-Hans)."""
    with translation.override("en"):
        yield


@pytest.fixture
def rep(make_user):
    return make_user("sales_rep")


@pytest.fixture
def clerk(make_user):
    return make_user("warehouse_clerk")


@pytest.fixture
def customer(rep):
    return CustomerFactory(account_manager=rep)


@pytest.fixture
def pcs(db):
    return UnitFactory(code="PCS", name="个", decimals=0)


@pytest.fixture
def kg(db):
    return UnitFactory(code="KG", name="千克", decimals=3)


@pytest.fixture
def product(pcs):
    return ProductFactory(base_unit=pcs, sale_price=Decimal("15.00"), purchase_price=Decimal("10.00"))


@pytest.fixture
def other_product(pcs):
    return ProductFactory(base_unit=pcs, sale_price=Decimal("8.50"), purchase_price=Decimal("5.00"))


@pytest.fixture
def bulk_product(kg):
    """Sold by weight: quantities with up to 3 decimals."""
    return ProductFactory(base_unit=kg, sale_price=Decimal("12.00"), purchase_price=Decimal("4.50"))


@pytest.fixture
def warehouse(db):
    return WarehouseFactory()


@pytest.fixture
def bin_a(warehouse):
    return LocationFactory(warehouse=warehouse, code="A-01")


@pytest.fixture
def bin_b(warehouse):
    return LocationFactory(warehouse=warehouse, code="B-01")


@pytest.fixture
def stock(warehouse, bin_a):
    """``stock(product, 10)`` → receive 10 into bin A-01 at cost 10 (or ``location=``, ``unit_cost=``)."""

    def put(product, quantity, *, location=bin_a, unit_cost="10"):
        return receive(product, warehouse, quantity, location=location, unit_cost=unit_cost)

    return put
