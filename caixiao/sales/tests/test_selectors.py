"""Reads: the backlog in the ledger's stock levels, scoping by customer, the warehouse's to-do list,
the scan box, purchase demand, and event payloads."""

import json
from decimal import Decimal

import pytest

from caixiao.accounts.tests.factories import DepartmentFactory
from caixiao.core.errors import ValidationFailed
from caixiao.core.models import OutboxEvent
from caixiao.inventory import selectors as inventory_selectors
from caixiao.partners.tests.factories import CustomerFactory
from caixiao.sales import selectors, services
from caixiao.sales.enums import PurchaseDemandStatus
from caixiao.sales.models import PurchaseDemand
from caixiao.sales.tests.factories import make_order, ship_all

D = Decimal


def test_the_backlog_is_open_order_quantity_not_yet_shipped_in_stock_levels(customer, warehouse, product,
                                                                           other_product, rep, clerk, stock):
    stock(product, 10)
    make_order(customer=customer, warehouse=warehouse, items=[(product, 3)], actor=rep)  # a draft is no backlog
    shipped_part = make_order(customer=customer, warehouse=warehouse, items=[(product, 4), (other_product, 2)],
                              actor=rep, confirm=True)
    ship_all(shipped_part, actor=clerk, lines=[services.NoticeLineInput(
        order_line_id=shipped_part.lines.get(position=1).pk, quantity=D("1"))])
    cancelled = make_order(customer=customer, warehouse=warehouse, items=[(product, 2)], actor=rep, confirm=True)
    services.cancel_order(order_id=cancelled.pk, actor=rep)

    assert selectors.backlog(product_ids=None, warehouse_ids=None) == {
        (product.pk, warehouse.pk): 3, (other_product.pk, warehouse.pk): 2}
    assert selectors.backlog(product_ids=[product.pk], warehouse_ids=[warehouse.pk]) == {
        (product.pk, warehouse.pk): 3}
    levels = {level.product_id: level for level in inventory_selectors.stock_levels(warehouse_ids=[warehouse.pk])}
    assert levels[product.pk].quantity("backlog") == 3 and levels[product.pk].on_hand == 9
    assert levels[other_product.pk].as_dict()["backlog"] == 2  # no stock at all, still listed


def test_sales_documents_are_scoped_by_the_customers_account_manager(warehouse, product, make_user, stock):
    department = DepartmentFactory()
    rep = make_user("sales_rep", department=department)
    colleague = make_user("sales_rep", department=department)
    outsider = make_user("sales_rep")
    manager = make_user("sales_manager", department=department)
    clerk = make_user("warehouse_clerk")
    stock(product, 10)
    mine = make_order(customer=CustomerFactory(account_manager=rep), warehouse=warehouse, items=[(product, 1)],
                      actor=rep, confirm=True)
    theirs = make_order(customer=CustomerFactory(account_manager=colleague), warehouse=warehouse,
                        items=[(product, 1)], actor=colleague, confirm=True)
    notice = services.create_delivery_notice(order_id=mine.pk, actor=clerk)

    def visible(user):
        return set(selectors.list_orders(for_user=user).values_list("pk", flat=True))

    assert visible(rep) == {mine.pk}
    assert visible(outsider) == set()
    assert visible(manager) == {mine.pk, theirs.pk}
    assert visible(clerk) == {mine.pk, theirs.pk}
    assert list(selectors.list_open_delivery_notices(for_user=rep)) == [notice]
    assert list(selectors.list_open_delivery_notices(for_user=colleague)) == []
    assert selectors.find_document_or_product(mine.number, for_user=outsider) is None


def test_the_to_do_list_holds_open_notices_most_urgent_first(customer, warehouse, product, rep, clerk, stock):
    from datetime import date
    stock(product, 10)
    late = make_order(customer=customer, warehouse=warehouse, items=[(product, 1)], actor=rep, confirm=True,
                      requested_on=date(2031, 1, 9))
    soon = make_order(customer=customer, warehouse=warehouse, items=[(product, 1)], actor=rep, confirm=True,
                      requested_on=date(2031, 1, 2))
    done = make_order(customer=customer, warehouse=warehouse, items=[(product, 1)], actor=rep, confirm=True)
    late_notice = services.create_delivery_notice(order_id=late.pk, actor=clerk)
    soon_notice = services.create_delivery_notice(order_id=soon.pk, actor=clerk)
    ship_all(done, actor=clerk)

    assert list(selectors.list_open_delivery_notices(for_user=clerk)) == [soon_notice, late_notice]


def test_the_scan_box_finds_notices_orders_and_products(customer, warehouse, product, rep, clerk, stock):
    stock(product, 5)
    product.barcode = "6901234567892"
    product.save()
    order = make_order(customer=customer, warehouse=warehouse, items=[(product, 1)], actor=rep, confirm=True)
    notice = ship_all(order, actor=clerk)

    def scan(code):
        found = selectors.find_document_or_product(code, for_user=clerk)
        return (found.kind, found.id) if found else None

    assert scan(f"  {notice.number.lower()} ") == ("delivery_notice", notice.pk)
    assert scan(notice.outbound_number) == ("delivery_notice", notice.pk)
    assert scan(order.number) == ("sales_order", order.pk)
    assert scan("6901234567892") == ("product", product.pk)
    assert scan(product.code.lower()) == ("product", product.pk)
    assert scan("nothing-here") is None and scan("") is None


def test_purchasing_consumes_demand_which_then_stops_counting(customer, warehouse, product, rep, stock):
    order = make_order(customer=customer, warehouse=warehouse, items=[(product, 5)], actor=rep, confirm=True)
    demand = PurchaseDemand.objects.get()
    assert selectors.open_demand_by_product() == {(product.pk, warehouse.pk): 5}

    [consumed] = services.consume_purchase_demand(demand_ids=[demand.pk], actor=rep)

    assert consumed.status == PurchaseDemandStatus.CONSUMED and consumed.consumed_at is not None
    assert selectors.open_demand_by_product() == {}
    stock(product, 2)
    services.allocate_backorders(product_id=product.pk, warehouse_id=warehouse.pk, actor=rep)
    assert not PurchaseDemand.objects.filter(status="open").exists()  # purchasing already covers the rest
    assert list(selectors.list_purchase_demands(for_user=rep, order_id=order.pk)) == [consumed]
    with pytest.raises(ValidationFailed):
        services.consume_purchase_demand(demand_ids=[demand.pk, 999999], actor=rep)


def test_every_sales_event_payload_is_json_with_a_version_and_decimals_as_strings(customer, warehouse, product, rep,
                                                                                  clerk, stock):
    stock(product, 3)
    order = make_order(customer=customer, warehouse=warehouse, items=[(product, 5)], actor=rep, confirm=True)
    ship_all(order, actor=clerk)
    services.cancel_order(order_id=order.pk, actor=rep)

    events = OutboxEvent.objects.filter(type__startswith="sales.")
    assert {e.type for e in events} == {
        "sales.order.created", "sales.order.confirmed", "sales.order.backordered", "sales.order.cancelled",
        "sales.purchase_demand.recorded", "sales.purchase_demand.cancelled", "sales.delivery_notice.created",
        "sales.delivery_notice.shipped"}
    for event in events:
        payload = json.loads(json.dumps(event.payload))
        assert payload["version"] == 1
        assert not any(isinstance(v, float) for v in payload.values())
