from decimal import Decimal

import pytest

from caixiao.core.errors import ValidationFailed
from caixiao.inventory import selectors, services
from caixiao.inventory.enums import MoveKind, ReservationStatus, StockState
from caixiao.inventory.errors import InsufficientStock, ReservationExceeded
from caixiao.inventory.invariants import check_invariants
from caixiao.inventory.models import Reservation, StockMove
from caixiao.inventory.services import IssueReservedRequest, ReleaseRequest, ReserveRequest
from caixiao.inventory.tests.stock import in_bin, levels, receive

D = Decimal


def reserve(product, warehouse, quantity, reference, *, actor, allow_partial=False):
    [result] = services.reserve_stock(requests=[ReserveRequest(
        product_id=product.pk, warehouse_id=warehouse.pk, quantity=D(str(quantity)), reference=reference)],
        allow_partial=allow_partial, actor=actor)
    return result


def ship(product, warehouse, quantity, order_line, *, actor, location=None, reference=None):
    return services.issue_reserved_stock(requests=[IssueReservedRequest(
        reservation_reference=order_line, product_id=product.pk, warehouse_id=warehouse.pk,
        quantity=D(str(quantity)), location_id=location.pk if location else None, reference=reference)],
        actor=actor)


# reserve_stock ------------------------------------------------------------------------------------------
def test_reserve_stock_allocates_and_records_a_reservation(product, warehouse, clerk, ref):
    receive(product, warehouse, 10, actor=clerk)

    result = reserve(product, warehouse, 4, ref(1), actor=clerk)

    assert (result.reserved, result.shortage, result.complete) == (4, 0, True)
    row = result.reservation
    assert (row.quantity, row.status, row.reference_id, row.reference_label) == (4, ReservationStatus.OPEN, 1,
                                                                                  "SO-TEST-1")
    assert levels(product, warehouse)["allocated"] == 4
    assert selectors.available_quantity(product_id=product.pk, warehouse_id=warehouse.pk) == 6
    assert not StockMove.objects.filter(kind=MoveKind.ISSUE).exists()  # a reservation is not a move
    assert check_invariants() == []


def test_reserve_stock_blocks_the_whole_order_when_one_line_is_short(product, bulk_product, warehouse, clerk,
                                                                    ref):
    receive(product, warehouse, 10, actor=clerk)
    receive(bulk_product, warehouse, "1.5", actor=clerk)

    with pytest.raises(InsufficientStock) as err:
        services.reserve_stock(requests=[
            ReserveRequest(product_id=product.pk, warehouse_id=warehouse.pk, quantity=D("3"), reference=ref(1)),
            ReserveRequest(product_id=bulk_product.pk, warehouse_id=warehouse.pk, quantity=D("2"),
                           reference=ref(2)),
        ], allow_partial=False, actor=clerk)

    [shortage] = err.value.shortages
    assert (shortage.product_id, shortage.requested, shortage.available) == (bulk_product.pk, 2, D("1.5"))
    assert levels(product, warehouse)["allocated"] == 0
    assert not Reservation.objects.exists()


def test_reserve_stock_partial_reserves_what_exists_and_reports_the_backorder(product, bulk_product, warehouse,
                                                                             other_warehouse, clerk, ref):
    receive(product, warehouse, 10, actor=clerk)
    receive(bulk_product, warehouse, "1.5", actor=clerk)

    results = services.reserve_stock(requests=[
        ReserveRequest(product_id=bulk_product.pk, warehouse_id=warehouse.pk, quantity=D("2"), reference=ref(1)),
        ReserveRequest(product_id=product.pk, warehouse_id=warehouse.pk, quantity=D("3"), reference=ref(2)),
        ReserveRequest(product_id=product.pk, warehouse_id=other_warehouse.pk, quantity=D("1"), reference=ref(3)),
    ], allow_partial=True, actor=clerk)

    assert [(r.reserved, r.shortage) for r in results] == [(D("1.5"), D("0.5")), (3, 0), (0, 1)]
    assert results[2].reservation is None
    assert [r.request.reference for r in results] == [ref(1), ref(2), ref(3)]  # request order
    assert levels(bulk_product, warehouse)["allocated"] == D("1.5")
    assert Reservation.objects.count() == 2
    assert check_invariants() == []


def test_reserve_stock_partial_rounds_down_to_the_unit(product, warehouse, clerk, ref):
    """A whole-number product never gets a fractional reservation."""
    receive(product, warehouse, 2, actor=clerk)
    reserve(product, warehouse, 2, ref(1), actor=clerk)

    result = reserve(product, warehouse, 1, ref(2), actor=clerk, allow_partial=True)

    assert (result.reserved, result.shortage) == (0, 1)


def test_reserve_stock_never_takes_allocated_stock(product, warehouse, clerk, ref):
    receive(product, warehouse, 5, actor=clerk)
    reserve(product, warehouse, 4, ref(1), actor=clerk)

    with pytest.raises(InsufficientStock) as err:
        reserve(product, warehouse, 2, ref(2), actor=clerk)

    assert err.value.shortages[0].available == 1
    assert levels(product, warehouse)["allocated"] == 4


def test_reserve_stock_ignores_stock_not_on_hand(product, warehouse, clerk, ref):
    receive(product, warehouse, 5, state=StockState.PENDING_QC, actor=clerk)

    with pytest.raises(InsufficientStock):
        reserve(product, warehouse, 1, ref(1), actor=clerk)


@pytest.mark.parametrize(("quantity", "field"), [(D("0"), "quantity"), (D("-2"), "quantity"),
                                                 (D("1.5"), "quantity")])
def test_reserve_stock_rejects_bad_quantities(product, warehouse, clerk, ref, quantity, field):
    receive(product, warehouse, 5, actor=clerk)

    with pytest.raises(ValidationFailed) as err:
        reserve(product, warehouse, quantity, ref(1), actor=clerk)

    assert f"requests.0.{field}" in err.value.fields
    assert levels(product, warehouse)["allocated"] == 0


def test_reserve_stock_rejects_unknown_products_and_missing_references(product, warehouse, clerk):
    with pytest.raises(ValidationFailed) as err:
        services.reserve_stock(requests=[
            ReserveRequest(product_id=424242, warehouse_id=warehouse.pk, quantity=D("1"), reference=product),
            ReserveRequest(product_id=product.pk, warehouse_id=warehouse.pk, quantity=D("1"), reference=None),
        ], allow_partial=True, actor=clerk)

    assert set(err.value.fields) == {"requests.0.product_id", "requests.1.reference"}


# release_reservation ------------------------------------------------------------------------------------
def test_release_reservation_gives_stock_back(product, warehouse, clerk, ref):
    receive(product, warehouse, 10, actor=clerk)
    reserve(product, warehouse, 6, ref(1), actor=clerk)

    [row] = services.release_reservation(requests=[ReleaseRequest(reference=ref(1), quantity=D("2"))],
                                         actor=clerk)
    assert (row.quantity_released, row.status, row.remaining) == (2, ReservationStatus.OPEN, 4)
    assert levels(product, warehouse)["allocated"] == 4

    services.release_reservation(requests=[ReleaseRequest(reference=ref(1))], actor=clerk)
    row.refresh_from_db()
    assert (row.quantity_released, row.status) == (6, ReservationStatus.CLOSED)
    assert levels(product, warehouse)["allocated"] == 0
    assert check_invariants() == []


def test_release_reservation_spans_several_reservations_of_a_line(product, warehouse, clerk, ref):
    receive(product, warehouse, 10, actor=clerk)
    reserve(product, warehouse, 2, ref(1), actor=clerk)
    reserve(product, warehouse, 3, ref(1), actor=clerk)  # a backorder reserved later

    services.release_reservation(requests=[ReleaseRequest(reference=ref(1), quantity=D("4"))], actor=clerk)

    assert [(r.quantity_released, r.status) for r in Reservation.objects.order_by("pk")] == [
        (2, ReservationStatus.CLOSED), (2, ReservationStatus.OPEN)]
    assert selectors.reserved_quantity(reference=ref(1)) == 1
    assert check_invariants() == []


def test_release_more_than_reserved_is_refused(product, warehouse, clerk, ref):
    receive(product, warehouse, 10, actor=clerk)
    reserve(product, warehouse, 3, ref(1), actor=clerk)

    with pytest.raises(ReservationExceeded) as err:
        services.release_reservation(requests=[ReleaseRequest(reference=ref(1), quantity=D("4"))], actor=clerk)

    assert (err.value.code, err.value.status) == ("reservation_exceeded", 409)
    assert "SO-TEST-1 has 3 reserved" in err.value.message
    assert levels(product, warehouse)["allocated"] == 3


def test_release_everything_of_a_line_holding_nothing_does_nothing(product, warehouse, clerk, ref):
    assert services.release_reservation(requests=[ReleaseRequest(reference=ref(9))], actor=clerk) == []


def test_release_checks_the_units_decimals(product, warehouse, clerk, ref):
    receive(product, warehouse, 10, actor=clerk)
    reserve(product, warehouse, 3, ref(1), actor=clerk)

    with pytest.raises(ValidationFailed) as err:
        services.release_reservation(requests=[ReleaseRequest(reference=ref(1), quantity=D("0.5"))], actor=clerk)

    assert "requests.0.quantity" in err.value.fields


# issue_reserved_stock -----------------------------------------------------------------------------------
def test_shipping_consumes_the_reservation_and_writes_the_cost_of_goods(product, warehouse, bin_a, clerk, ref):
    receive(product, warehouse, 10, unit_cost="4", location=bin_a, actor=clerk)
    receive(product, warehouse, 10, unit_cost="6", location=bin_a, actor=clerk)
    reserve(product, warehouse, 5, ref(1), actor=clerk)

    [move] = ship(product, warehouse, 3, ref(1), location=bin_a, reference=ref(70, "DN-2026-000001 #1"),
                  actor=clerk)

    assert (move.kind, move.state, move.quantity, move.unit_cost) == (MoveKind.ISSUE, StockState.ON_HAND, -3, D("5"))
    assert (move.location, move.reference_label) == (bin_a, "DN-2026-000001 #1")
    assert levels(product, warehouse)["on_hand"] == 17 and levels(product, warehouse)["allocated"] == 2
    assert in_bin(product, warehouse, bin_a) == 17
    row = Reservation.objects.get()
    assert (row.quantity_consumed, row.status) == (3, ReservationStatus.OPEN)

    ship(product, warehouse, 2, ref(1), location=bin_a, actor=clerk)
    row.refresh_from_db()
    assert (row.quantity_consumed, row.status) == (5, ReservationStatus.CLOSED)
    assert check_invariants() == []


def test_shipping_from_several_bins_in_one_call(product, warehouse, bin_a, bin_b, clerk, ref):
    receive(product, warehouse, 2, location=bin_a, actor=clerk)
    receive(product, warehouse, 2, location=bin_b, actor=clerk)
    reserve(product, warehouse, 4, ref(1), actor=clerk)

    moves = services.issue_reserved_stock(requests=[
        IssueReservedRequest(reservation_reference=ref(1), product_id=product.pk, warehouse_id=warehouse.pk,
                             quantity=D("2"), location_id=bin_a.pk),
        IssueReservedRequest(reservation_reference=ref(1), product_id=product.pk, warehouse_id=warehouse.pk,
                             quantity=D("2"), location_id=bin_b.pk),
    ], actor=clerk)

    assert [m.location for m in moves] == [bin_a, bin_b]
    assert levels(product, warehouse) == {"on_hand": 0, "allocated": 0, "pending_qc": 0, "in_transit": 0,
                                          "rejected": 0}
    assert check_invariants() == []


def test_shipping_more_than_reserved_is_refused(product, warehouse, clerk, ref):
    receive(product, warehouse, 10, actor=clerk)
    reserve(product, warehouse, 3, ref(1), actor=clerk)

    with pytest.raises(ReservationExceeded):
        ship(product, warehouse, 4, ref(1), actor=clerk)
    with pytest.raises(ReservationExceeded):  # two lines of one request count together
        services.issue_reserved_stock(requests=[
            IssueReservedRequest(reservation_reference=ref(1), product_id=product.pk, warehouse_id=warehouse.pk,
                                 quantity=D("2")),
            IssueReservedRequest(reservation_reference=ref(1), product_id=product.pk, warehouse_id=warehouse.pk,
                                 quantity=D("2")),
        ], actor=clerk)
    with pytest.raises(ReservationExceeded):  # nothing reserved for this line at all
        ship(product, warehouse, 1, ref(2), actor=clerk)

    assert levels(product, warehouse)["on_hand"] == 10 and levels(product, warehouse)["allocated"] == 3
    assert Reservation.objects.get().quantity_consumed == 0


def test_shipping_from_a_bin_without_the_stock_is_refused(product, warehouse, bin_a, bin_b, clerk, ref):
    receive(product, warehouse, 5, location=bin_a, actor=clerk)
    reserve(product, warehouse, 5, ref(1), actor=clerk)

    with pytest.raises(InsufficientStock) as err:
        ship(product, warehouse, 5, ref(1), location=bin_b, actor=clerk)

    assert err.value.shortages[0].bin_level
    assert Reservation.objects.get().quantity_consumed == 0  # rolled back with the move


def test_shipping_rejects_a_bin_of_another_warehouse(product, warehouse, other_warehouse, clerk, ref):
    foreign_bin = other_warehouse.locations.create(code="Z-9")
    receive(product, warehouse, 5, actor=clerk)
    reserve(product, warehouse, 5, ref(1), actor=clerk)

    with pytest.raises(ValidationFailed) as err:
        ship(product, warehouse, 1, ref(1), location=foreign_bin, actor=clerk)

    assert "requests.0.location_id" in err.value.fields
