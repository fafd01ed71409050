"""Delivery notices: created from reserved quantity, picked from bins, packed, checked, shipped through
the ledger (stock out, allocation released, cost of goods), cancelled; every step in order only."""

from decimal import Decimal

import pytest

from caixiao.core.errors import InvalidTransition, ValidationFailed
from caixiao.inventory import services as inventory_services
from caixiao.inventory.enums import MoveKind
from caixiao.inventory.errors import InsufficientStock
from caixiao.inventory.invariants import check_invariants
from caixiao.inventory.models import BinBalance, Reservation, StockMove
from caixiao.partners.tests.factories import AddressFactory
from caixiao.sales import services
from caixiao.sales.enums import DeliveryNoticeStatus, SalesOrderStatus
from caixiao.sales.errors import CheckMismatch, ExceedsReserved, NothingToShip, OrderNotOpen, PickShortage
from caixiao.sales.services import CheckedLine, NoticeLineInput
from caixiao.sales.services.fulfilment import _Bin
from caixiao.sales.tests.factories import make_order, ship_all
from caixiao.sales.tests.helpers import last_event, levels, sales_events, snapshot

D = Decimal


def picks_of(notice):
    return [(pick.location.code if pick.location else None, pick.quantity)
            for line in notice.lines.order_by("position") for pick in line.picks.order_by("id")]


def checked(notice):
    return [CheckedLine(line_id=line.pk, quantity=line.quantity) for line in notice.lines.all()]


@pytest.fixture
def confirmed(customer, warehouse, product, other_product, rep, stock):
    """An order of 5 product + 2 other_product, all in stock in bin A-01, confirmed."""
    stock(product, 8)
    stock(other_product, 2, unit_cost="4")
    return make_order(customer=customer, warehouse=warehouse, items=[(product, 5), (other_product, 2)], actor=rep,
                      confirm=True)


# Creating ---------------------------------------------------------------------------------------------
def test_a_delivery_notice_takes_every_reserved_quantity_by_default(confirmed, customer, clerk):
    address = AddressFactory(customer=customer, is_default=True)

    notice = services.create_delivery_notice(order_id=confirmed.pk, actor=clerk)

    assert notice.number.startswith("DN-") and notice.status == DeliveryNoticeStatus.OPEN
    assert (notice.order, notice.warehouse_id, notice.address) == (confirmed, confirmed.warehouse_id, address)
    assert [(line.position, line.order_line.position, line.quantity) for line in notice.lines.all()] == [
        (1, 1, 5), (2, 2, 2)]
    payload = last_event("sales.delivery_notice.created")
    assert payload["order_number"] == confirmed.number and payload["lines"][0]["quantity"] == "5.000000"


def test_chosen_lines_and_quantities_up_to_what_is_reserved_and_not_on_another_notice(confirmed, clerk):
    first_line = confirmed.lines.get(position=1)
    services.create_delivery_notice(order_id=confirmed.pk, lines=[NoticeLineInput(first_line.pk, D("3"))],
                                    actor=clerk)
    before = snapshot()

    with pytest.raises(ExceedsReserved) as exc:
        services.create_delivery_notice(order_id=confirmed.pk, lines=[NoticeLineInput(first_line.pk, D("3"))],
                                        actor=clerk)

    assert (exc.value.status, exc.value.code) == (409, "exceeds_reserved")
    assert exc.value.fields == {"lines.0.quantity": [
        "At most 2 can be shipped: that is what is reserved and not on another notice."]}
    assert snapshot() == before
    second = services.create_delivery_notice(order_id=confirmed.pk, actor=clerk)  # the rest
    assert [(line.order_line.position, line.quantity) for line in second.lines.all()] == [(1, 2), (2, 2)]
    with pytest.raises(NothingToShip) as exc2:
        services.create_delivery_notice(order_id=confirmed.pk, actor=clerk)
    assert exc2.value.code == "nothing_to_ship"


def test_bad_notice_lines_are_refused(confirmed, customer, warehouse, product, rep, clerk):
    other_order = make_order(customer=customer, warehouse=warehouse, items=[(product, 1)], actor=rep, confirm=True)
    line = confirmed.lines.get(position=1)
    with pytest.raises(ValidationFailed) as exc:
        services.create_delivery_notice(order_id=confirmed.pk, address_id=424242, lines=[
            NoticeLineInput(other_order.lines.get().pk, D("1")), NoticeLineInput(line.pk, D("0")),
            NoticeLineInput(line.pk, D("1"))], actor=clerk)
    assert exc.value.fields == {"address_id": ["Choose one of the customer's delivery addresses."],
                                "lines.0.order_line_id": ["This line is not on the order."],
                                "lines.1.quantity": ["Enter a quantity greater than zero."],
                                "lines.2.order_line_id": ["Each order line may appear once."]}


def test_only_confirmed_or_partially_shipped_orders_get_notices(customer, warehouse, product, rep, clerk):
    draft = make_order(customer=customer, warehouse=warehouse, items=[(product, 1)], actor=rep)
    with pytest.raises(OrderNotOpen) as exc:
        services.create_delivery_notice(order_id=draft.pk, actor=clerk)
    assert (exc.value.status, exc.value.code) == (409, "order_not_open")


# Picking ----------------------------------------------------------------------------------------------
def test_plan_picks_uses_one_bin_when_one_holds_enough_else_the_fewest_bins():
    bins = [_Bin(3, "C-01", D("9")), _Bin(1, "A-01", D("3")), _Bin(2, "B-01", D("5")), _Bin(None, "", D("20"))]
    assert [(b.code, q) for b, q in services.plan_picks(D("4"), bins)] == [("B-01", 4)]  # first by code that fits
    assert [(b.code, q) for b, q in services.plan_picks(D("12"), bins[:3])] == [("B-01", 3), ("C-01", 9)]
    assert [(b.code, q) for b, q in services.plan_picks(D("10"), [bins[1], bins[3]])] == [("", 10)]
    assert [(b.code, q) for b, q in services.plan_picks(D("30"), bins[:3])] == [
        ("A-01", 3), ("B-01", 5), ("C-01", 9)]  # all there is: the caller reports the shortage


def test_start_picking_writes_the_pick_list_from_the_bins(customer, warehouse, product, bin_a, bin_b, rep, clerk,
                                                         stock):
    stock(product, 3, location=bin_a)
    stock(product, 4, location=bin_b)
    stock(product, 2, location=None)
    order = make_order(customer=customer, warehouse=warehouse, items=[(product, 8)], actor=rep, confirm=True)
    notice = services.create_delivery_notice(order_id=order.pk, actor=clerk)

    notice = services.start_picking(notice_id=notice.pk, actor=clerk)

    assert notice.status == DeliveryNoticeStatus.PICKING and notice.picked_by == clerk
    assert picks_of(notice) == [("A-01", 3), ("B-01", 4), (None, 1)]


def test_pick_lists_of_other_notices_hold_their_bins(customer, warehouse, product, bin_a, bin_b, rep, clerk, stock):
    stock(product, 4, location=bin_a)
    stock(product, 4, location=bin_b)
    first = make_order(customer=customer, warehouse=warehouse, items=[(product, 4)], actor=rep, confirm=True)
    second = make_order(customer=customer, warehouse=warehouse, items=[(product, 4)], actor=rep, confirm=True)
    one = services.create_delivery_notice(order_id=first.pk, actor=clerk)
    two = services.create_delivery_notice(order_id=second.pk, actor=clerk)

    services.start_picking(notice_id=one.pk, actor=clerk)
    services.start_picking(notice_id=two.pk, actor=clerk)

    assert picks_of(one) == [("A-01", 4)] and picks_of(two) == [("B-01", 4)]


def test_picking_follows_stock_moved_between_bins_while_another_list_holds_it(
        customer, warehouse, product, bin_a, bin_b, rep, clerk, stock):
    stock(product, 4, location=bin_a)
    first = make_order(customer=customer, warehouse=warehouse, items=[(product, 2)], actor=rep, confirm=True)
    second = make_order(customer=customer, warehouse=warehouse, items=[(product, 2)], actor=rep, confirm=True)
    one = services.create_delivery_notice(order_id=first.pk, actor=clerk)
    two = services.create_delivery_notice(order_id=second.pk, actor=clerk)
    services.start_picking(notice_id=one.pk, actor=clerk)  # holds 2 of A-01
    inventory_services.transfer_stock(requests=[inventory_services.TransferRequest(
        product_id=product.pk, quantity=D("1"), from_warehouse_id=warehouse.pk, to_warehouse_id=warehouse.pk,
        from_location_id=bin_a.pk, to_location_id=bin_b.pk)], actor=clerk)

    services.start_picking(notice_id=two.pk, actor=clerk)

    assert picks_of(two) == [("A-01", 1), ("B-01", 1)]


def test_start_picking_reports_bins_that_hold_too_little(customer, warehouse, product, bin_a, rep, clerk, stock):
    stock(product, 4, location=bin_a)
    order = make_order(customer=customer, warehouse=warehouse, items=[(product, 4)], actor=rep, confirm=True)
    notice = services.create_delivery_notice(order_id=order.pk, actor=clerk)
    BinBalance.objects.filter(product=product, location=bin_a).update(on_hand=D("3"))  # drift behind the ledger
    before = snapshot()

    with pytest.raises(PickShortage) as exc:
        services.start_picking(notice_id=notice.pk, actor=clerk)

    assert (exc.value.status, exc.value.code) == (409, "pick_shortage")
    assert snapshot() == before


# Packing, checking --------------------------------------------------------------------------------------
def test_steps_out_of_order_are_invalid_transitions_and_change_nothing(confirmed, clerk):
    notice = services.create_delivery_notice(order_id=confirmed.pk, actor=clerk)
    for step in (lambda: services.pack_delivery(notice_id=notice.pk, actor=clerk),
                 lambda: services.check_delivery(notice_id=notice.pk, lines=checked(notice), actor=clerk),
                 lambda: services.ship_delivery(notice_id=notice.pk, actor=clerk)):
        before = snapshot()
        with pytest.raises(InvalidTransition):
            step()
        assert snapshot() == before
    services.start_picking(notice_id=notice.pk, actor=clerk)
    with pytest.raises(InvalidTransition):
        services.start_picking(notice_id=notice.pk, actor=clerk)


def test_pack_records_packages_and_weight_and_refuses_nonsense(confirmed, clerk):
    notice = services.create_delivery_notice(order_id=confirmed.pk, actor=clerk)
    services.start_picking(notice_id=notice.pk, actor=clerk)
    with pytest.raises(ValidationFailed) as exc:
        services.pack_delivery(notice_id=notice.pk, packages=0, weight_kg=D("1.2345"), actor=clerk)
    assert set(exc.value.fields) == {"packages", "weight_kg"}

    notice = services.pack_delivery(notice_id=notice.pk, packages=2, weight_kg=D("12.5"), actor=clerk)

    assert (notice.status, notice.packages, notice.weight_kg) == (DeliveryNoticeStatus.PACKED, 2, D("12.5"))


def test_a_check_that_does_not_match_is_refused_naming_the_lines(confirmed, clerk):
    notice = services.create_delivery_notice(order_id=confirmed.pk, actor=clerk)
    services.start_picking(notice_id=notice.pk, actor=clerk)
    services.pack_delivery(notice_id=notice.pk, actor=clerk)
    first, second = notice.lines.order_by("position")
    before = snapshot()

    with pytest.raises(CheckMismatch) as exc:
        services.check_delivery(notice_id=notice.pk, lines=[CheckedLine(first.pk, D("4"))], actor=clerk)

    assert (exc.value.status, exc.value.code) == (422, "check_mismatch")
    assert exc.value.fields == {"lines.0.quantity": ["Counted 4, the notice says 5."],
                                "lines": [f"Line 2 ({second.product.code}) was not checked."]}
    assert snapshot() == before
    notice = services.check_delivery(notice_id=notice.pk, lines=checked(notice), actor=clerk)
    assert notice.status == DeliveryNoticeStatus.CHECKED and notice.checked_by == clerk
    assert [line.quantity_checked for line in notice.lines.order_by("position")] == [5, 2]


# Shipping -----------------------------------------------------------------------------------------------
def test_shipping_issues_the_picked_stock_with_cost_of_goods_and_updates_the_order(
        confirmed, warehouse, product, other_product, bin_a, clerk):
    notice = ship_all(confirmed, actor=clerk)

    assert notice.status == DeliveryNoticeStatus.SHIPPED and notice.outbound_number.startswith("OS-")
    confirmed.refresh_from_db()
    assert confirmed.status == SalesOrderStatus.SHIPPED
    assert [line.quantity_shipped for line in confirmed.lines.order_by("position")] == [5, 2]
    assert levels(product, warehouse) == (3, 0) and levels(other_product, warehouse) == (0, 0)
    assert BinBalance.objects.get(product=product, location=bin_a).on_hand == 3
    moves = StockMove.objects.filter(kind=MoveKind.ISSUE).order_by("id")
    assert [(m.product_id, m.quantity, m.location_id, m.reason) for m in moves] == [
        (product.pk, -5, bin_a.pk, notice.outbound_number), (other_product.pk, -2, bin_a.pk, notice.outbound_number)]
    assert {m.reference_label for m in moves} == {f"{notice.number} #1", f"{notice.number} #2"}
    assert [line.cost_of_goods for line in notice.lines.order_by("position")] == [D("50.00"), D("8.00")]
    assert not Reservation.objects.filter(status="open").exists()
    assert sales_events()[-1] == "sales.delivery_notice.shipped"
    payload = last_event("sales.delivery_notice.shipped")
    assert (payload["outbound_number"], payload["cost_of_goods"], payload["order_status"]) == (
        notice.outbound_number, "58.00", "shipped")
    assert payload["lines"][0] | {"quantity": "5.000000", "cost_of_goods": "50.00",
                                  "picks": [{"location_id": bin_a.pk, "quantity": "5.000000"}]} == payload["lines"][0]
    assert check_invariants() == []


def test_a_bin_emptied_after_picking_stops_the_shipment_and_nothing_ships(customer, warehouse, product, bin_a,
                                                                         bin_b, rep, clerk, stock):
    stock(product, 6, location=bin_a)
    order = make_order(customer=customer, warehouse=warehouse, items=[(product, 4)], actor=rep, confirm=True)
    notice = services.create_delivery_notice(order_id=order.pk, actor=clerk)
    services.start_picking(notice_id=notice.pk, actor=clerk)
    services.pack_delivery(notice_id=notice.pk, actor=clerk)
    services.check_delivery(notice_id=notice.pk, lines=checked(notice), actor=clerk)
    inventory_services.transfer_stock(requests=[inventory_services.TransferRequest(
        product_id=product.pk, quantity=D("3"), from_warehouse_id=warehouse.pk, to_warehouse_id=warehouse.pk,
        from_location_id=bin_a.pk, to_location_id=bin_b.pk)], actor=clerk)
    before = snapshot()

    with pytest.raises(InsufficientStock) as exc:
        services.ship_delivery(notice_id=notice.pk, actor=clerk)

    assert exc.value.status == 409 and exc.value.shortages[0].bin_level
    assert snapshot() == before


def test_cancelling_a_notice_frees_its_quantity_and_bins_and_keeps_the_reservation(confirmed, warehouse, product,
                                                                                 clerk):
    notice = services.create_delivery_notice(order_id=confirmed.pk, actor=clerk)
    services.start_picking(notice_id=notice.pk, actor=clerk)

    notice = services.cancel_delivery_notice(notice_id=notice.pk, reason="客户改地址", actor=clerk)

    assert notice.status == DeliveryNoticeStatus.CANCELLED
    assert levels(product, warehouse) == (8, 5)
    assert sales_events()[-1] == "sales.delivery_notice.cancelled"
    again = services.create_delivery_notice(order_id=confirmed.pk, actor=clerk)
    services.start_picking(notice_id=again.pk, actor=clerk)
    assert picks_of(again) == [("A-01", 5), ("A-01", 2)]
    with pytest.raises(InvalidTransition):
        services.cancel_delivery_notice(notice_id=notice.pk, actor=clerk)
