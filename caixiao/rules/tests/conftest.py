"""Fixtures for the rule engine tests: a product in whole pieces, a warehouse with a bin, stock and
sales history in past weeks (through the ledger services), and rules made through the services.
Only layers below ``rules`` are imported here; stories with sales orders and notifications are in
``tests/scenarios/test_rules.py``."""

import datetime as dt
from decimal import Decimal
from unittest import mock

import pytest
from django.utils import timezone, translation

from caixiao.catalog.tests.factories import ProductFactory, UnitFactory
from caixiao.inventory import services as inventory_services
from caixiao.inventory.tests.factories import LocationFactory, WarehouseFactory
from caixiao.rules import services

D = Decimal


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


@pytest.fixture(autouse=True)
def _fresh_engine_cache():
    from caixiao.rules import engine

    engine.invalidate_cache()
    yield
    engine.invalidate_cache()


@pytest.fixture
def product(db):
    return ProductFactory(base_unit=UnitFactory(code="PCS", name="个", decimals=0), sale_price=D("15.00"),
                          purchase_price=D("10.00"))


@pytest.fixture
def warehouse(db):
    return WarehouseFactory()


@pytest.fixture
def bin_a(warehouse):
    return LocationFactory(warehouse=warehouse, code="A-01")


@pytest.fixture
def stock(warehouse, bin_a):
    """``stock(product, 10)`` → receive 10 into bin A-01."""

    def put(item, quantity):
        return inventory_services.receive_stock(requests=[inventory_services.ReceiveRequest(
            product_id=item.pk, warehouse_id=warehouse.pk, quantity=D(str(quantity)), unit_cost=D("10"),
            location_id=bin_a.pk)], actor=None)

    return put


@pytest.fixture
def ship(warehouse, bin_a):
    """``ship(product, 5, weeks_ago=3)`` → an on-hand issue (a sale) in the middle of that past week."""

    def issue(item, quantity, *, weeks_ago: int):
        today = timezone.localdate()
        monday = today - dt.timedelta(days=today.weekday()) - dt.timedelta(weeks=weeks_ago)
        at = timezone.make_aware(dt.datetime.combine(monday + dt.timedelta(days=2), dt.time(10)))
        with mock.patch("django.utils.timezone.now", return_value=at):
            return inventory_services.issue_stock(requests=[inventory_services.IssueRequest(
                product_id=item.pk, warehouse_id=warehouse.pk, quantity=D(str(quantity)), location_id=bin_a.pk)],
                reason="sold", actor=None)

    return issue


@pytest.fixture
def growing(product, stock, ship):
    """Safety stock 100, weekly sales 10 → 13 → 16 → 20 over the last four weeks (3 weeks of > 20%)."""
    product.safety_stock = D("100")
    product.save()
    stock(product, 500)
    for weeks_ago, quantity in ((4, 10), (3, 13), (2, 16), (1, 20)):
        ship(product, quantity, weeks_ago=weeks_ago)
    return product


@pytest.fixture
def make_rule(admin_user):
    def make(**data):
        data.setdefault("code", "test-rule")
        data.setdefault("name", "Test rule")
        data.setdefault("enabled", True)
        return services.create_rule(data=data, actor=admin_user)

    return make
