"""N3 / issue 3 item 6: 16 threads create and confirm sales orders of 1–3 lines against the same few
products at once (half of them with the "block" policy, half "backorder"), then ship them through
delivery notices, all in parallel.

Exactly the stock is sold (0 oversold), no update is lost (every order, line, reservation, demand
and number a caller saw is in the database, and the numbers have no gaps), the ledger's invariants
hold, and no deadlock or serialization error reaches a caller (``retry_on_conflict`` on the service
entry points retries where the database asks for it). Runs on the configured database; under SQLite
it also re-runs itself on PostgreSQL in a subprocess and skips that part, with the reason, when
PostgreSQL is unreachable (helpers shared with the ledger's race, test_reserve_stock_race.py)."""

from __future__ import annotations

import os
import random
import subprocess
import sys
import threading
from collections import Counter
from decimal import Decimal
from pathlib import Path

import pytest
from django.conf import settings

from caixiao.catalog.tests.factories import ProductFactory, UnitFactory
from caixiao.inventory import selectors as inventory_selectors
from caixiao.inventory.invariants import check_invariants
from caixiao.inventory.models import StockBalance
from caixiao.inventory.tests.factories import LocationFactory, WarehouseFactory
from caixiao.partners.tests.factories import CustomerFactory
from caixiao.sales import selectors, services
from caixiao.sales.enums import PurchaseDemandStatus, SalesOrderStatus
from caixiao.sales.errors import NothingToShip, OrderStockShortage
from caixiao.sales.models import PurchaseDemand, SalesOrder, SalesOrderLine
from caixiao.sales.tests.factories import receive
from tests.concurrency.test_reserve_stock_race import (  # noqa: F401  (shared_database is a fixture)
    _postgres_unreachable,
    _postgres_url,
    run_threads,
    shared_database,
)

pytestmark = pytest.mark.concurrency

THREADS = 16
PRODUCTS = 3
STOCK_PER_BIN = Decimal("25")  # two bins per product: 50 each
D = Decimal


@pytest.mark.usefixtures("shared_database")
def test_sixteen_clients_order_and_ship_the_same_products_without_overselling(django_user_model):
    rep = django_user_model.objects.create_user(username="race_rep", password="pw")
    customer = CustomerFactory(account_manager=rep)
    pcs = UnitFactory(code="PCS", decimals=0)
    warehouse = WarehouseFactory()
    bins = [LocationFactory(warehouse=warehouse, code="A-01"), LocationFactory(warehouse=warehouse, code="B-01")]
    products = [ProductFactory(base_unit=pcs) for _ in range(PRODUCTS)]
    for product in products:
        for location in bins:
            receive(product, warehouse, STOCK_PER_BIN, location=location)
    stock = STOCK_PER_BIN * len(bins)
    confirmed: list[list[int]] = [[] for _ in range(THREADS)]
    blocked = Counter()

    def place_orders(index: int, barrier: threading.Barrier) -> None:
        rng = random.Random(index)
        barrier.wait()
        while any(v > 0 for v in inventory_selectors.available_quantities(
                product_ids=[p.pk for p in products], warehouse_id=warehouse.pk).values()):
            chosen = rng.sample(products, rng.randint(1, PRODUCTS))  # lines in any product order
            order = services.create_order(
                customer_id=customer.pk, warehouse_id=warehouse.pk, actor=rep,
                shortage_policy="block" if rng.random() < 0.5 else "backorder",
                lines=[services.OrderLineInput(product_id=p.pk, quantity=D(rng.randint(1, 4))) for p in chosen])
            try:
                services.confirm_order(order_id=order.pk, actor=rep)
            except OrderStockShortage:
                blocked[index] += 1
                continue
            confirmed[index].append(order.pk)

    errors = run_threads(place_orders, THREADS)

    assert errors == []
    orders = list(SalesOrder.objects.order_by("number"))
    confirmed_ids = {pk for ids in confirmed for pk in ids}
    assert {o.pk for o in orders if o.status == SalesOrderStatus.CONFIRMED} == confirmed_ids
    assert len(orders) == len(confirmed_ids) + sum(blocked.values())  # every order a caller created is there
    assert [int(o.number.rsplit("-", 1)[1]) for o in orders] == list(range(1, len(orders) + 1))  # no lost number
    lines = list(SalesOrderLine.objects.filter(order_id__in=confirmed_ids))
    reserved = selectors.reserved_by_line([line.pk for line in lines])
    for product in products:
        balance = StockBalance.objects.get(product=product, warehouse=warehouse)
        sold = sum((reserved.get(line.pk, D(0)) for line in lines if line.product_id == product.pk), D(0))
        assert (balance.on_hand, balance.allocated, sold) == (stock, stock, stock)  # all of it, not one unit more
    open_demand = dict(PurchaseDemand.objects.filter(status=PurchaseDemandStatus.OPEN, order_line__in=lines)
                       .values_list("order_line_id", "quantity"))
    for line in lines:  # each confirmed line: reserved + backordered (= its open demand) = ordered
        assert reserved.get(line.pk, 0) + open_demand.get(line.pk, 0) == line.quantity
    assert check_invariants() == []

    def ship_orders(index: int, barrier: threading.Barrier) -> None:
        barrier.wait()
        for order_id in confirmed[index]:
            try:
                notice = services.create_delivery_notice(order_id=order_id, actor=rep)
            except NothingToShip:
                continue  # wholly backordered
            services.start_picking(notice_id=notice.pk, actor=rep)
            services.pack_delivery(notice_id=notice.pk, actor=rep)
            services.check_delivery(notice_id=notice.pk, actor=rep, lines=[
                services.CheckedLine(line.pk, line.quantity) for line in notice.lines.all()])
            services.ship_delivery(notice_id=notice.pk, actor=rep)

    errors = run_threads(ship_orders, THREADS)

    assert errors == []
    for product in products:
        balance = StockBalance.objects.get(product=product, warehouse=warehouse)
        assert (balance.on_hand, balance.allocated) == (0, 0)
        shipped = sum(SalesOrderLine.objects.filter(product=product).values_list("quantity_shipped", flat=True),
                      D(0))
        assert shipped == stock
    had_stock = {line.order_id for line in lines if reserved.get(line.pk)}
    statuses = dict(SalesOrder.objects.filter(pk__in=confirmed_ids).values_list("pk", "status"))
    assert {pk for pk, status in statuses.items() if status == SalesOrderStatus.CONFIRMED} == \
        confirmed_ids - had_stock  # only orders that got nothing wait unshipped
    assert check_invariants() == []


@pytest.mark.skipif(not settings.SQLITE,
                    reason="already running on the configured server database")
def test_the_sales_race_on_postgresql():
    url = _postgres_url()
    if reason := _postgres_unreachable(url):
        pytest.skip(reason)
    env = {**os.environ, "DATABASE_URL": f"{url}_sales_{os.getpid()}"}  # a test database of its own
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", f"{__file__}::"
         "test_sixteen_clients_order_and_ship_the_same_products_without_overselling"],
        cwd=Path(settings.BASE_DIR), env=env, capture_output=True, text=True, timeout=900)
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    assert "1 passed" in result.stdout
