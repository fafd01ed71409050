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
