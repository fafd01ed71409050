"""confirm_order: reservations in one transaction, frozen totals, the two shortage policies, purchase
demand recorded once per line, and the ATP figures shown on entry and confirmation."""

from decimal import Decimal

import pytest

from caixiao.core.errors import InvalidTransition
from caixiao.core.models import AuditEntry
from caixiao.inventory.invariants import check_invariants
from caixiao.inventory.models import Reservation
from caixiao.sales import selectors, services
from caixiao.sales.enums import PurchaseDemandStatus, SalesOrderStatus
from caixiao.sales.errors import EmptyOrder, OrderStockShortage
from caixiao.sales.models import PurchaseDemand
from caixiao.sales.tests.factories import make_order
from caixiao.sales.tests.helpers import last_event, levels, sales_events, snapshot

D = Decimal


def test_confirm_order_reserves_every_line_and_freezes_totals(customer, warehouse, product, other_product, rep,
                                                              stock):
    stock(product, 10)
    stock(other_product, 3)
    order = make_order(customer=customer, warehouse=warehouse, items=[(product, 4), (other_product, 3)], actor=rep)

    order = services.confirm_order(order_id=order.pk, actor=rep)

    assert order.status == SalesOrderStatus.CONFIRMED and order.confirmed_at is not None
    assert (order.total_net, order.total_tax, order.total_gross) == (D("85.50"), D("11.12"), D("96.62"))
    assert levels(product, warehouse) == (10, 4)
    assert levels(other_product, warehouse) == (3, 3)
    first, second = order.lines.order_by("position")
    assert selectors.reserved_by_line([first.pk, second.pk]) == {first.pk: 4, second.pk: 3}
    labels = set(Reservation.objects.values_list("reference_label", flat=True))
    assert labels == {f"{order.number} #1", f"{order.number} #2"}
    assert not PurchaseDemand.objects.exists()
    assert AuditEntry.objects.filter(verb="status:confirmed", object_id=str(order.pk)).exists()
    assert sales_events() == ["sales.order.created", "sales.order.confirmed"]
    payload = last_event("sales.order.confirmed")
    assert payload["total_gross"] == "96.62" and payload["shortage_policy"] == "backorder"
    assert payload["lines"][0] == {"line_id": first.pk, "position": 1, "product_id": product.pk,
                                   "quantity": "4.000000", "reserved": "4.000000", "backordered": "0.000000"}
    assert check_invariants() == []


def test_backorder_policy_reserves_what_exists_backorders_the_rest_and_records_demand(
        customer, warehouse, product, other_product, rep, stock):
    stock(product, 3)
    order = make_order(customer=customer, warehouse=warehouse, items=[(product, 5), (other_product, 2)], actor=rep)

    order = services.confirm_order(order_id=order.pk, actor=rep)

    assert order.status == SalesOrderStatus.CONFIRMED
    assert levels(product, warehouse) == (3, 3)
    first, second = selectors.order_line_statuses(selectors.get_order(order_id=order.pk, for_user=rep))
    assert (first.reserved, first.backordered, second.reserved, second.backordered) == (3, 2, 0, 2)
    demands = {d.order_line_id: d for d in PurchaseDemand.objects.all()}
    assert {k: (d.quantity, d.status, d.product_id) for k, d in demands.items()} == {
        first.line.pk: (2, PurchaseDemandStatus.OPEN, product.pk),
        second.line.pk: (2, PurchaseDemandStatus.OPEN, other_product.pk)}
    assert demands[first.line.pk].needed_on == order.requested_on
    assert sales_events() == ["sales.order.created", "sales.order.confirmed", "sales.order.backordered",
                              "sales.purchase_demand.recorded", "sales.purchase_demand.recorded"]
    backordered = last_event("sales.order.backordered")["lines"]
    assert [(line["position"], line["reserved"], line["backordered"]) for line in backordered] == [
        (1, "3.000000", "2.000000"), (2, "0.000000", "2.000000")]
    demand = last_event("sales.purchase_demand.recorded")
    assert demand | {"product_id": other_product.pk, "quantity": "2.000000", "order_number": order.number} == demand
    assert check_invariants() == []


def test_block_policy_refuses_the_order_changes_nothing_but_records_demand_once(
        customer, warehouse, product, other_product, rep, stock):
    stock(product, 10)
    stock(other_product, 1)
    order = make_order(customer=customer, warehouse=warehouse, policy="block",
                       items=[(product, 4), (other_product, 3), (product, 7)], actor=rep)
    _first, second, third = order.lines.order_by("position")

    for _attempt in range(3):  # retrying does not pile up demand
        with pytest.raises(OrderStockShortage) as exc:
            services.confirm_order(order_id=order.pk, actor=rep)

    assert (exc.value.status, exc.value.code) == (409, "insufficient_stock")
    assert exc.value.details["shortages"] == [
        {"line_id": second.pk, "position": 2, "product_id": other_product.pk, "product_code": other_product.code,
         "requested": "3", "available": "1", "reservable": "1", "shortage": "2"},
        {"line_id": third.pk, "position": 3, "product_id": product.pk, "product_code": product.code,
         "requested": "7", "available": "10", "reservable": "6", "shortage": "1"}]
    assert "line 2" in str(exc.value) and "Purchase demand was recorded" in str(exc.value)
    order.refresh_from_db()
    assert order.status == SalesOrderStatus.DRAFT and order.confirmed_at is None
    assert levels(product, warehouse) == (10, 0) and levels(other_product, warehouse) == (1, 0)
    assert not Reservation.objects.exists()
    assert sorted(PurchaseDemand.objects.values_list("order_line_id", "quantity", "status")) == [
        (second.pk, 2, "open"), (third.pk, 1, "open")]
    assert sales_events().count("sales.purchase_demand.recorded") == 2
    assert AuditEntry.objects.filter(verb="confirm_blocked", object_id=str(order.pk)).count() == 3


def test_a_blocked_order_confirms_once_stock_arrives_and_its_demand_is_cancelled(
        customer, warehouse, product, rep, stock):
    order = make_order(customer=customer, warehouse=warehouse, policy="block", items=[(product, 4)], actor=rep)
    with pytest.raises(OrderStockShortage):
        services.confirm_order(order_id=order.pk, actor=rep)
    stock(product, 4)

    services.confirm_order(order_id=order.pk, actor=rep)

    assert levels(product, warehouse) == (4, 4)
    assert list(PurchaseDemand.objects.values_list("status", flat=True)) == ["cancelled"]
    assert sales_events()[-1] == "sales.purchase_demand.cancelled"


def test_confirming_twice_is_an_invalid_transition_and_changes_nothing(customer, warehouse, product, rep, stock):
    stock(product, 5)
    order = make_order(customer=customer, warehouse=warehouse, items=[(product, 2)], actor=rep, confirm=True)
    before = snapshot()
    with pytest.raises(InvalidTransition) as exc:
        services.confirm_order(order_id=order.pk, actor=rep)
    assert (exc.value.status, exc.value.code) == (409, "invalid_transition")
    assert snapshot() == before
    assert levels(product, warehouse) == (5, 2)


def test_confirming_an_empty_order_is_refused(customer, warehouse, rep):
    order = services.create_order(customer_id=customer.pk, warehouse_id=warehouse.pk, actor=rep)
    with pytest.raises(EmptyOrder) as exc:
        services.confirm_order(order_id=order.pk, actor=rep)
    assert (exc.value.status, exc.value.code, exc.value.fields) == (422, "empty_order",
                                                                   {"lines": ["Add at least one line."]})


def test_line_availability_shares_stock_between_lines_of_one_product_in_line_order(
        warehouse, product, bulk_product, other_product, stock):
    stock(product, 5)
    stock(bulk_product, "2.5")

    rows = selectors.line_availability(warehouse_id=warehouse.pk, lines=[
        (product.pk, D("3")), (bulk_product.pk, D("1.25")), (product.pk, D("4")), (other_product.pk, D("1"))])

    assert [(r.available, r.requested, r.reservable, r.shortage) for r in rows] == [
        (5, 3, 3, 0), (D("2.5"), D("1.25"), D("1.25"), 0), (5, 4, 2, 2), (0, 1, 0, 1)]


def test_order_line_statuses_show_atp_on_a_draft(customer, warehouse, product, rep, stock):
    stock(product, 3)
    order = make_order(customer=customer, warehouse=warehouse, items=[(product, 5)], actor=rep)
    [status] = selectors.order_line_statuses(selectors.get_order(order_id=order.pk, for_user=rep))
    assert (status.available, status.reservable, status.shortage, status.reserved, status.backordered) == (
        3, 3, 2, 0, 0)
