"""Fixtures for the ledger tests: a clerk, products in whole and fractional units, warehouses, bins."""

from decimal import Decimal

import pytest
from django.utils import translation

from caixiao.catalog.tests.factories import ProductFactory, UnitFactory
from caixiao.inventory.tests.factories import LocationFactory, WarehouseFactory


@pytest.fixture(autouse=True)
def english():
    """Assert on the English messages (the UI default is zh-Hans)."""
    with translation.override("en"):
        yield


@pytest.fixture
def clerk(django_user_model):
    return django_user_model.objects.create_user(username="clerk", password="pw")


@pytest.fixture
def pcs(db):
    return UnitFactory(code="PCS", name="个", decimals=0)


@pytest.fixture
def kg(db):
    return UnitFactory(code="KG", name="千克", decimals=3)


@pytest.fixture
def product(pcs):
    return ProductFactory(base_unit=pcs, purchase_price=Decimal("10.00"))


@pytest.fixture
def bulk_product(kg):
    """Sold by weight: quantities with up to 3 decimals."""
    return ProductFactory(base_unit=kg, purchase_price=Decimal("4.50"))


@pytest.fixture
def warehouse(db):
    return WarehouseFactory()


@pytest.fixture
def other_warehouse(db):
    return WarehouseFactory()


@pytest.fixture
def bin_a(warehouse):
    return LocationFactory(warehouse=warehouse, code="A-01")


@pytest.fixture
def bin_b(warehouse):
    return LocationFactory(warehouse=warehouse, code="B-01")


@pytest.fixture
def ref(db):
    """``ref(7)`` → a reference to document line 7 (labelled ``SO-TEST-7``), as a sales order line would be."""
    from django.contrib.contenttypes.models import ContentType

    from caixiao.catalog.models import Product
    from caixiao.inventory.references import Ref

    content_type = ContentType.objects.get_for_model(Product)

    def make(line_id: int, label: str = "") -> Ref:
        return Ref(content_type.pk, line_id, label or f"SO-TEST-{line_id}")

    return make
