"""allocate_backorders: stock that arrives goes to waiting lines, first requested first."""

from datetime import date
from decimal import Decimal

import pytest

from caixiao.core.errors import ValidationFailed
from caixiao.core.models import OutboxEvent
from caixiao.inventory.invariants import check_invariants
from caixiao.sales import selectors, services
from caixiao.sales.enums import PurchaseDemandStatus, SalesOrderStatus
from caixiao.sales.models import PurchaseDemand
from caixiao.sales.tests.factories import make_order, ship_all
from caixiao.sales.tests.helpers import levels

D = Decimal


def statuses(order, user):
    return selectors.order_line_statuses(selectors.get_order(order_id=order.pk, for_user=user))


def test_allocate_backorders_reserves_for_waiting_lines_first_requested_first(customer, warehouse, product, rep,
                                                                             stock):
    later = make_order(customer=customer, warehouse=warehouse, items=[(product, 4)], actor=rep, confirm=True,
                       requested_on=date(2031, 3, 2))
    sooner = make_order(customer=customer, warehouse=warehouse, items=[(product, 3)], actor=rep, confirm=True,
                        requested_on=date(2031, 3, 1))
    stock(product, 5)

    allocated = services.allocate_backorders(product_id=product.pk, warehouse_id=warehouse.pk, actor=rep)

    assert [(a.line.order_id, a.reserved, a.backordered) for a in allocated] == [(sooner.pk, 3, 0), (later.pk, 2, 2)]
    assert levels(product, warehouse) == (5, 5)
    assert [s.backordered for s in statuses(later, rep)] == [2]
    assert PurchaseDemand.objects.get(order_line__order=later, status="open").quantity == 2
    assert PurchaseDemand.objects.get(order_line__order=sooner).status == PurchaseDemandStatus.CANCELLED
    payloads = {e.payload["order_id"]: e.payload for e in OutboxEvent.objects.filter(
        type="sales.order.backorder_allocated")}
    assert payloads[later.pk]["lines"][0] | {"reserved": "2.000000", "backordered": "2.000000"} == \
        payloads[later.pk]["lines"][0]
    assert payloads[sooner.pk]["lines"][0]["reserved"] == "3.000000"
    assert services.allocate_backorders(product_id=product.pk, warehouse_id=warehouse.pk, actor=rep) == []
    assert check_invariants() == []


def test_allocate_backorders_with_nothing_waiting_does_nothing(warehouse, product, rep, stock):
    stock(product, 5)
    assert services.allocate_backorders(product_id=product.pk, warehouse_id=warehouse.pk, actor=rep) == []
    assert levels(product, warehouse) == (5, 0)


def test_allocate_backorders_refuses_unknown_product_or_warehouse(rep, db):
    with pytest.raises(ValidationFailed) as exc:
        services.allocate_backorders(product_id=987654, warehouse_id=876543, actor=rep)
    assert set(exc.value.fields) == {"product_id", "warehouse_id"}


def test_partial_shipment_backorder_and_allocation_story(customer, warehouse, product, other_product, rep, clerk,
                                                         stock):
    """Order 10 + 4 with 6 + 4 in stock: ship what is there, backorder the rest, stock arrives, ship again."""
    stock(product, 6)
    stock(other_product, 4)
    order = make_order(customer=customer, warehouse=warehouse, items=[(product, 10), (other_product, 4)],
                       actor=rep, confirm=True)
    assert [(s.reserved, s.backordered) for s in statuses(order, rep)] == [(6, 4), (4, 0)]

    first = ship_all(order, actor=clerk)

    order.refresh_from_db()
    assert order.status == SalesOrderStatus.PARTIALLY_SHIPPED
    assert [(line.quantity, line.order_line.position) for line in first.lines.all()] == [(6, 1), (4, 2)]
    assert [(s.line.quantity_shipped, s.reserved, s.backordered) for s in statuses(order, rep)] == [
        (6, 0, 4), (4, 0, 0)]
    assert levels(product, warehouse) == (0, 0) and levels(other_product, warehouse) == (0, 0)

    stock(product, 10)
    services.allocate_backorders(product_id=product.pk, warehouse_id=warehouse.pk, actor=rep)
    assert levels(product, warehouse) == (10, 4)
    second = ship_all(order, actor=clerk)

    order.refresh_from_db()
    assert order.status == SalesOrderStatus.SHIPPED and order.shipped_at is not None
    assert [line.quantity for line in second.lines.all()] == [4]
    assert levels(product, warehouse) == (6, 0)
    assert first.outbound_number != second.outbound_number
    assert not PurchaseDemand.objects.filter(status="open").exists()
    assert check_invariants() == []


# Stock that becomes available goes to waiting lines by itself (sales/handlers.py) ------------------------
def run_worker():
    """Play the background worker: run every pending event delivery."""
    from caixiao.core import outbox

    while outbox.process_due():
        pass


def waiting(order, user):
    return [s.backordered for s in statuses(order, user)]


def test_received_stock_goes_to_backordered_lines_without_anyone_asking(customer, warehouse, product, rep, stock):
    later = make_order(customer=customer, warehouse=warehouse, items=[(product, 4)], actor=rep, confirm=True,
                       requested_on=date(2031, 3, 2))
    sooner = make_order(customer=customer, warehouse=warehouse, items=[(product, 3)], actor=rep, confirm=True,
                        requested_on=date(2031, 3, 1))
    stock(product, 5)
    run_worker()
    assert (waiting(sooner, rep), waiting(later, rep)) == ([0], [2])
    assert levels(product, warehouse) == (5, 5)
    assert PurchaseDemand.objects.get(order_line__order=later, status="open").quantity == 2
    from caixiao.core.models import EventDelivery

    # Replaying the deliveries (a worker that died after the handler's commit, say) reserves nothing twice.
    EventDelivery.objects.filter(handler="sales.allocate_backorders").update(status="pending", attempts=0)
    run_worker()
    assert levels(product, warehouse) == (5, 5)
    assert check_invariants() == []


def test_a_cancelled_order_frees_its_stock_for_the_next_waiting_order(customer, warehouse, product, rep, stock):
    stock(product, 3)
    run_worker()
    first = make_order(customer=customer, warehouse=warehouse, items=[(product, 3)], actor=rep, confirm=True)
    second = make_order(customer=customer, warehouse=warehouse, items=[(product, 2)], actor=rep, confirm=True)
    assert waiting(second, rep) == [2]
    services.cancel_order(order_id=first.pk, actor=rep, reason="客户取消")
    run_worker()
    assert waiting(second, rep) == [0]
    assert levels(product, warehouse) == (3, 2)
    assert check_invariants() == []


def test_a_count_surplus_and_an_adjustment_up_are_allocated(customer, warehouse, product, rep,
                                                             clerk, stock):
    from caixiao.inventory import services as stock_services

    stock(product, 1, location=None)
    run_worker()
    order = make_order(customer=customer, warehouse=warehouse, items=[(product, 4)], actor=rep, confirm=True)
    assert waiting(order, rep) == [3]
    stock_services.adjust_stock(product_id=product.pk, warehouse_id=warehouse.pk, quantity=D(1), reason="找到",
                                actor=clerk)
    run_worker()
    assert waiting(order, rep) == [2]
    count = stock_services.create_stock_count(warehouse_id=warehouse.pk, actor=clerk, lines=[
        stock_services.CountLineRequest(product_id=product.pk)])
    (line,) = count.lines.all()
    stock_services.record_counted_quantities(count_id=count.pk, counted={line.pk: D(3)}, actor=clerk)
    stock_services.complete_stock_count(count_id=count.pk, actor=clerk)
    stock_services.post_stock_count(count_id=count.pk, actor=clerk)
    run_worker()
    assert waiting(order, rep) == [1]
    assert levels(product, warehouse) == (3, 3)
    assert check_invariants() == []


def test_a_receipt_of_many_products_asks_once_which_have_waiting_lines(customer, warehouse, product, rep, stock, pcs):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from caixiao.catalog.tests.factories import ProductFactory
    from caixiao.inventory import services as stock_services

    waiting_order = make_order(customer=customer, warehouse=warehouse, items=[(product, 2)], actor=rep, confirm=True)
    others = [ProductFactory(base_unit=pcs) for _ in range(6)]
    run_worker()  # the order's own events
    assert selectors.backordered_pairs({(p.pk, warehouse.pk) for p in [product, *others]}) == {(product.pk, warehouse.pk)}

    def handler_queries(products) -> int:  # one receipt of these products
        stock_services.receive_stock(actor=rep, requests=[stock_services.ReceiveRequest(
            product_id=p.pk, warehouse_id=warehouse.pk, quantity=D(1), unit_cost=D(5)) for p in products])
        with CaptureQueriesContext(connection) as queries:
            run_worker()
        return len(queries)

    assert handler_queries(others[:1]) == handler_queries(others[1:])  # one product or five: the same queries
    stock(product, 2)
    run_worker()
    assert waiting(waiting_order, rep) == [0]
