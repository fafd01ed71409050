from decimal import Decimal

import pytest

from caixiao.core.errors import ValidationFailed
from caixiao.inventory import services
from caixiao.inventory.enums import MoveKind, StockState
from caixiao.inventory.invariants import check_invariants
from caixiao.inventory.models import BinBalance, ProductCost, StockBalance, StockMove
from caixiao.inventory.services import ReceiveRequest
from caixiao.inventory.tests.stock import in_bin, levels, receive

D = Decimal


def test_receive_stock_on_hand_writes_move_balance_bin_and_cost(product, warehouse, bin_a, clerk, ref):
    move = receive(product, warehouse, 12, unit_cost="8.50", location=bin_a, actor=clerk, reference=ref(1))

    assert (move.kind, move.state, move.quantity, move.unit_cost) == (MoveKind.RECEIPT, StockState.ON_HAND, 12, D("8.5"))
    assert (move.location, move.reference_label, move.actor) == (bin_a, "SO-TEST-1", clerk)
    assert move.reference_id == 1 and move.group is not None
    assert levels(product, warehouse) == {"on_hand": 12, "allocated": 0, "pending_qc": 0, "in_transit": 0,
                                          "rejected": 0}
    assert in_bin(product, warehouse, bin_a) == 12
    assert ProductCost.objects.get(product=product).average_cost == D("8.5")
    assert check_invariants() == []


@pytest.mark.parametrize("state", [StockState.IN_TRANSIT, StockState.PENDING_QC])
def test_receive_stock_into_transit_or_inspection_is_not_on_hand(product, warehouse, clerk, state):
    receive(product, warehouse, 5, state=state, actor=clerk)

    assert levels(product, warehouse)[state] == 5
    assert levels(product, warehouse)["on_hand"] == 0
    assert not BinBalance.objects.exists()
    assert check_invariants() == []


def test_receive_stock_several_lines_one_transaction(product, bulk_product, warehouse, other_warehouse, clerk):
    moves = services.receive_stock(requests=[
        ReceiveRequest(product_id=product.pk, warehouse_id=warehouse.pk, quantity=D("3"), unit_cost=D("1")),
        ReceiveRequest(product_id=bulk_product.pk, warehouse_id=other_warehouse.pk, quantity=D("2.125"),
                       unit_cost=D("4")),
    ], reason="opening stock", actor=clerk)

    assert [m.quantity for m in moves] == [3, D("2.125")]
    assert {m.reason for m in moves} == {"opening stock"}
    assert len({m.group for m in moves}) == 2  # one group per line
    assert levels(bulk_product, other_warehouse)["on_hand"] == D("2.125")


@pytest.mark.parametrize(("quantity", "message"), [
    (D("0"), "greater than zero"),
    (D("-1"), "greater than zero"),
    (D("1.5"), "whole number"),
    (D("1E+13"), "too large"),
    ("abc", "Enter a number"),
    (1.5, "Enter a number"),  # floats are refused
])
def test_receive_stock_rejects_bad_quantities(product, warehouse, clerk, quantity, message):
    with pytest.raises(ValidationFailed) as err:
        services.receive_stock(requests=[ReceiveRequest(product_id=product.pk, warehouse_id=warehouse.pk,
                                                        quantity=quantity, unit_cost=D("1"))], actor=clerk)

    assert message in err.value.fields["requests.0.quantity"][0]
    assert not StockMove.objects.exists() and not StockBalance.objects.exists()


def test_receive_stock_allows_the_units_decimals(bulk_product, warehouse, clerk):
    receive(bulk_product, warehouse, "1.125", actor=clerk)

    with pytest.raises(ValidationFailed) as err:
        receive(bulk_product, warehouse, "1.1255", actor=clerk)
    assert err.value.fields == {"requests.0.quantity": ["Use at most 3 decimal places for 千克."]}
    assert levels(bulk_product, warehouse)["on_hand"] == D("1.125")


def test_receive_stock_reports_every_bad_field_and_writes_nothing(product, warehouse, other_warehouse, clerk):
    foreign_bin = other_warehouse.locations.create(code="X-01")

    with pytest.raises(ValidationFailed) as err:
        services.receive_stock(requests=[
            ReceiveRequest(product_id=product.pk, warehouse_id=warehouse.pk, quantity=D("1"), unit_cost=D("1")),
            ReceiveRequest(product_id=999999, warehouse_id=888888, quantity=D("1"), unit_cost=D("-1")),
            ReceiveRequest(product_id=product.pk, warehouse_id=warehouse.pk, quantity=D("1"), unit_cost=D("1"),
                           location_id=foreign_bin.pk),
            ReceiveRequest(product_id=product.pk, warehouse_id=warehouse.pk, quantity=D("1"), unit_cost=D("1"),
                           state=StockState.REJECTED),
        ], actor=clerk)

    fields = err.value.fields
    assert set(fields) == {"requests.1.product_id", "requests.1.warehouse_id", "requests.1.unit_cost",
                           "requests.2.location_id", "requests.3.state"}
    assert "999999" in fields["requests.1.product_id"][0]
    assert fields["requests.2.location_id"] == [f"Bin X-01 is not in warehouse {warehouse.code}."]
    assert err.value.status == 422 and err.value.code == "validation_error"
    assert not StockMove.objects.exists()


def test_receive_stock_bin_only_for_on_hand(product, warehouse, bin_a, clerk):
    with pytest.raises(ValidationFailed) as err:
        receive(product, warehouse, 1, state=StockState.PENDING_QC, location=bin_a, actor=clerk)

    assert "Only on-hand stock is kept in bins" in err.value.fields["requests.0.location_id"][0]


def test_receive_stock_needs_a_line(clerk, db):
    with pytest.raises(ValidationFailed) as err:
        services.receive_stock(requests=[], actor=clerk)

    assert err.value.fields == {"requests": ["Add at least one line."]}
