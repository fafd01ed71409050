"""Fixtures for the rule engine tests: the sales fixtures (rep, customer, product, warehouse, stock)
plus helpers to write sales history in past weeks and to make rules through the services."""

import datetime as dt
from decimal import Decimal
from unittest import mock

import pytest
from django.utils import timezone

from caixiao.inventory import services as inventory_services
from caixiao.rules import services
from caixiao.sales.tests.conftest import (  # noqa: F401 - fixtures
    bin_a,
    customer,
    english,
    pcs,
    product,
    rep,
    stock,
    warehouse,
)

D = Decimal


@pytest.fixture(autouse=True)
def _fresh_engine_cache():
    from caixiao.rules import engine

    engine.invalidate_cache()
    yield
    engine.invalidate_cache()


@pytest.fixture
def ship(warehouse, bin_a):  # noqa: F811 - the imported fixtures
    """``ship(product, 5, weeks_ago=3)`` → an on-hand issue (a sale) in the middle of that past week."""

    def issue(item, quantity, *, weeks_ago: int, now: dt.datetime | None = None):
        now = now or timezone.now()
        today = timezone.localtime(now).date()
        monday = today - dt.timedelta(days=today.weekday()) - dt.timedelta(weeks=weeks_ago)
        at = timezone.make_aware(dt.datetime.combine(monday + dt.timedelta(days=2), dt.time(10)))
        with mock.patch("django.utils.timezone.now", return_value=at):
            return inventory_services.issue_stock(requests=[inventory_services.IssueRequest(
                product_id=item.pk, warehouse_id=warehouse.pk, quantity=D(str(quantity)), location_id=bin_a.pk)],
                reason="sold", actor=None)

    return issue


@pytest.fixture
def make_rule(admin_user):
    def make(**data):
        data.setdefault("code", "test-rule")
        data.setdefault("name", "Test rule")
        data.setdefault("enabled", True)
        return services.create_rule(data=data, actor=admin_user)

    return make
