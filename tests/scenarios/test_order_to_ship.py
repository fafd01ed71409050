"""Scenario (SPEC O1–O5, issue 3): goods arrive and pass inspection into a bin, a customer orders more
than there is, the order is confirmed (reserve what exists, backorder the rest, purchase demand), the
warehouse ships what is reserved, more stock arrives, the backorder is allocated and shipped, and the
order closes. After every step the ledger's invariants hold; at the end every quantity adds up."""

from datetime import date
from decimal import Decimal

import pytest
from django.utils import translation

from caixiao.catalog.tests.factories import ProductFactory, UnitFactory
from caixiao.core import outbox
from caixiao.core.models import OutboxEvent
from caixiao.inventory import selectors as inventory_selectors
from caixiao.inventory import services as inventory_services
from caixiao.inventory.enums import MoveKind, StockState
from caixiao.inventory.invariants import check_invariants
from caixiao.inventory.models import StockMove
from caixiao.inventory.tests.factories import LocationFactory, WarehouseFactory
from caixiao.partners.tests.factories import AddressFactory, CustomerFactory
from caixiao.sales import selectors, services
from caixiao.sales.enums import SalesOrderStatus
from caixiao.sales.models import PurchaseDemand

pytestmark = pytest.mark.django_db
D = Decimal


def level(product, warehouse):
    [row] = inventory_selectors.stock_levels(product_ids=[product.pk], warehouse_ids=[warehouse.pk])
    return {k: row.as_dict()[k] for k in ("on_hand", "allocated", "available", "pending_qc", "backlog")}


def arrive(product, warehouse, quantity, bin_, *, cost, actor):
    """Received into inspection, passed, and put straight into a bin."""
    inventory_services.receive_stock(requests=[inventory_services.ReceiveRequest(
        product_id=product.pk, warehouse_id=warehouse.pk, quantity=D(quantity), unit_cost=D(cost),
        state=StockState.PENDING_QC)], actor=actor)
    inventory_services.change_state(requests=[inventory_services.StateChangeRequest(
        product_id=product.pk, warehouse_id=warehouse.pk, quantity=D(quantity), from_state=StockState.PENDING_QC,
        to_state=StockState.ON_HAND, location_id=bin_.pk)], actor=actor)


def ship(order, *, actor):
    notice = services.create_delivery_notice(order_id=order.pk, actor=actor)
    services.start_picking(notice_id=notice.pk, actor=actor)
    services.pack_delivery(notice_id=notice.pk, packages=1, weight_kg=D("2.5"), actor=actor)
    services.check_delivery(notice_id=notice.pk, lines=[services.CheckedLine(line.pk, line.quantity)
                                                        for line in notice.lines.all()], actor=actor)
    assert check_invariants() == []
    return services.ship_delivery(notice_id=notice.pk, carrier="顺丰", actor=actor)


def test_receive_order_confirm_pick_pack_check_ship_backorder_close(make_user):
    with translation.override("en"):
        rep, clerk = make_user("sales_rep"), make_user("warehouse_clerk")
        pcs = UnitFactory(code="PCS", name="个", decimals=0)
        tea = ProductFactory(code="LJ-250", base_unit=pcs, sale_price=D("88.00"), purchase_price=D("40"))
        cups = ProductFactory(code="CUP-6", base_unit=pcs, sale_price=D("25.00"), purchase_price=D("9"))
        warehouse = WarehouseFactory(code="HZ")
        bin_a, bin_b = LocationFactory(warehouse=warehouse, code="A-01"), LocationFactory(warehouse=warehouse,
                                                                                           code="B-02")
        customer = CustomerFactory(account_manager=rep)
        AddressFactory(customer=customer, is_default=True)

        arrive(tea, warehouse, "30", bin_a, cost="40", actor=clerk)
        arrive(tea, warehouse, "20", bin_b, cost="46", actor=clerk)  # average 42.40
        arrive(cups, warehouse, "10", bin_a, cost="9", actor=clerk)
        assert check_invariants() == []

        order = services.create_order(customer_id=customer.pk, warehouse_id=warehouse.pk,
                                      requested_on=date(2031, 4, 1), actor=rep, lines=[
                                          services.OrderLineInput(tea.pk, D("40"), discount_percent=D("5")),
                                          services.OrderLineInput(cups.pk, D("16"))])
        preview = selectors.order_line_statuses(selectors.get_order(order_id=order.pk, for_user=rep))
        assert [(s.available, s.reservable, s.shortage) for s in preview] == [(50, 40, 0), (10, 10, 6)]

        order = services.confirm_order(order_id=order.pk, actor=rep)
        assert (order.total_net, order.total_tax, order.total_gross) == (D("3744.00"), D("486.72"), D("4230.72"))
        assert level(tea, warehouse) == {"on_hand": 50, "allocated": 40, "available": 10, "pending_qc": 0,
                                         "backlog": 40}
        assert level(cups, warehouse)["allocated"] == 10 and level(cups, warehouse)["backlog"] == 16
        assert list(PurchaseDemand.objects.values_list("product__code", "quantity", "status")) == [
            ("CUP-6", 6, "open")]
        assert check_invariants() == []

        first = ship(order, actor=clerk)
        assert [(pick.location.code, pick.quantity) for line in first.lines.order_by("position")
                for pick in line.picks.select_related("location")] == [("A-01", 30), ("B-02", 10), ("A-01", 10)]
        order.refresh_from_db()
        assert order.status == SalesOrderStatus.PARTIALLY_SHIPPED
        assert level(tea, warehouse) == {"on_hand": 10, "allocated": 0, "available": 10, "pending_qc": 0,
                                         "backlog": 0}
        assert level(cups, warehouse) == {"on_hand": 0, "allocated": 0, "available": 0, "pending_qc": 0,
                                          "backlog": 6}
        cost = {line.product_id: line.cost_of_goods for line in first.lines.all()}
        assert cost == {tea.pk: D("1696.00"), cups.pk: D("90.00")}  # 40 × 42.40, 10 × 9
        issued = StockMove.objects.filter(kind=MoveKind.ISSUE, reference_label__startswith=first.number)
        assert sum(-m.quantity * m.unit_cost for m in issued) == D("1786")

        arrive(cups, warehouse, "12", bin_b, cost="10", actor=clerk)
        services.allocate_backorders(product_id=cups.pk, warehouse_id=warehouse.pk, actor=clerk)
        assert not PurchaseDemand.objects.filter(status="open").exists()
        second = ship(order, actor=clerk)
        assert [(line.quantity, line.cost_of_goods) for line in second.lines.all()] == [(6, D("60.00"))]

        order.refresh_from_db()
        assert order.status == SalesOrderStatus.SHIPPED
        assert [(line.quantity_shipped, line.quantity_cancelled) for line in order.lines.order_by("position")] == [
            (40, 0), (16, 0)]
        services.close_order(order_id=order.pk, actor=rep)
        assert level(cups, warehouse) == {"on_hand": 6, "allocated": 0, "available": 6, "pending_qc": 0,
                                          "backlog": 0}
        assert check_invariants() == []

        outbox.process_due()  # the worker delivers every event; nothing is left failing
        sales_events = list(OutboxEvent.objects.filter(type__startswith="sales.").values_list("type", flat=True))
        assert sales_events.count("sales.delivery_notice.shipped") == 2
        assert {"sales.order.created", "sales.order.confirmed", "sales.order.backordered",
                "sales.purchase_demand.recorded", "sales.order.backorder_allocated", "sales.order.closed"} <= set(
            sales_events)
