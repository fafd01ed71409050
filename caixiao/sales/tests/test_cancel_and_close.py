"""cancel_order releases what the order holds and cancels its demand; close_order ends a shipped order."""

from decimal import Decimal

import pytest

from caixiao.core.errors import InvalidTransition, ValidationFailed
from caixiao.inventory.invariants import check_invariants
from caixiao.inventory.models import Reservation
from caixiao.sales import services
from caixiao.sales.enums import SalesOrderStatus
from caixiao.sales.errors import OpenDeliveryNotices
from caixiao.sales.models import PurchaseDemand
from caixiao.sales.tests.factories import make_order, ship_all
from caixiao.sales.tests.helpers import last_event, levels, sales_events, snapshot

D = Decimal


def test_cancelling_a_confirmed_order_releases_its_reservations_and_cancels_its_demand(
        customer, warehouse, product, rep, stock):
    stock(product, 3)
    order = make_order(customer=customer, warehouse=warehouse, items=[(product, 5)], actor=rep, confirm=True)
    assert levels(product, warehouse) == (3, 3)

    order = services.cancel_order(order_id=order.pk, reason="客户取消", actor=rep)

    assert (order.status, order.cancel_reason) == (SalesOrderStatus.CANCELLED, "客户取消")
    assert levels(product, warehouse) == (3, 0)
    assert not Reservation.objects.filter(status="open").exists()
    line = order.lines.get()
    assert (line.quantity_cancelled, line.quantity_shipped) == (5, 0)
    assert list(PurchaseDemand.objects.values_list("status", flat=True)) == ["cancelled"]
    assert sales_events()[-2:] == ["sales.order.cancelled", "sales.purchase_demand.cancelled"]
    payload = last_event("sales.order.cancelled")
    assert payload["reason"] == "客户取消"
    assert payload["lines"] == [{"line_id": line.pk, "product_id": product.pk, "quantity_cancelled": "5.000000",
                                 "released": "3.000000"}]
    assert check_invariants() == []


def test_cancelling_a_draft_changes_only_its_status(customer, warehouse, product, rep):
    order = make_order(customer=customer, warehouse=warehouse, items=[(product, 2)], actor=rep)
    order = services.cancel_order(order_id=order.pk, actor=rep)
    assert order.status == SalesOrderStatus.CANCELLED
    assert order.lines.get().quantity_cancelled == 0


def test_cancelling_a_partially_shipped_order_cancels_the_unshipped_rest(customer, warehouse, product, rep, clerk,
                                                                         stock):
    stock(product, 4)
    order = make_order(customer=customer, warehouse=warehouse, items=[(product, 10)], actor=rep, confirm=True)
    ship_all(order, actor=clerk, lines=[services.NoticeLineInput(order_line_id=order.lines.get().pk,
                                                                  quantity=D("3"))])

    order = services.cancel_order(order_id=order.pk, actor=rep)

    line = order.lines.get()
    assert (line.quantity_shipped, line.quantity_cancelled) == (3, 7)
    assert levels(product, warehouse) == (1, 0)
    assert check_invariants() == []


def test_an_order_with_an_open_delivery_notice_cannot_be_cancelled(customer, warehouse, product, rep, clerk, stock):
    stock(product, 4)
    order = make_order(customer=customer, warehouse=warehouse, items=[(product, 2)], actor=rep, confirm=True)
    notice = services.create_delivery_notice(order_id=order.pk, actor=clerk)
    before = snapshot()
    with pytest.raises(OpenDeliveryNotices) as exc:
        services.cancel_order(order_id=order.pk, actor=rep)
    assert (exc.value.status, exc.value.code) == (409, "open_delivery_notices")
    assert notice.number in str(exc.value)
    assert snapshot() == before


def test_cancel_reason_is_limited(customer, warehouse, product, rep):
    order = make_order(customer=customer, warehouse=warehouse, items=[(product, 2)], actor=rep)
    with pytest.raises(ValidationFailed) as exc:
        services.cancel_order(order_id=order.pk, reason="x" * 201, actor=rep)
    assert exc.value.fields == {"reason": ["Use at most 200 characters."]}


def test_a_shipped_order_closes_and_a_closed_or_cancelled_one_goes_nowhere(customer, warehouse, product, rep,
                                                                          clerk, stock):
    stock(product, 2)
    order = make_order(customer=customer, warehouse=warehouse, items=[(product, 2)], actor=rep, confirm=True)
    with pytest.raises(InvalidTransition):  # not shipped yet
        services.close_order(order_id=order.pk, actor=rep)
    ship_all(order, actor=clerk)

    order = services.close_order(order_id=order.pk, actor=rep)

    assert order.status == SalesOrderStatus.CLOSED and order.closed_at is not None
    assert sales_events()[-1] == "sales.order.closed"
    for transition in (services.cancel_order, services.close_order, services.confirm_order):
        before = snapshot()
        with pytest.raises(InvalidTransition):
            transition(order_id=order.pk, actor=rep)
        assert snapshot() == before
