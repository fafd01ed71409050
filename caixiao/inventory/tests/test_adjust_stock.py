from decimal import Decimal

import pytest

from caixiao.core.audit import entries_for
from caixiao.core.errors import ValidationFailed
from caixiao.inventory import services
from caixiao.inventory.enums import MoveKind, StockState
from caixiao.inventory.errors import InsufficientStock
from caixiao.inventory.invariants import check_invariants
from caixiao.inventory.models import ProductCost, StockMove
from caixiao.inventory.tests.stock import in_bin, levels, receive

D = Decimal


def test_adjust_stock_down_writes_move_and_audit_entry(product, warehouse, bin_a, clerk):
    receive(product, warehouse, 10, unit_cost="6", location=bin_a, actor=clerk)

    move = services.adjust_stock(product_id=product.pk, warehouse_id=warehouse.pk, quantity=D("-3"),
                                 location_id=bin_a.pk, reason="破损 damaged", actor=clerk)

    assert (move.kind, move.quantity, move.unit_cost, move.reason) == (MoveKind.ADJUSTMENT, -3, D("6"), "破损 damaged")
    assert levels(product, warehouse)["on_hand"] == 7 and in_bin(product, warehouse, bin_a) == 7
    [entry] = entries_for(move)
    assert (entry.verb, entry.actor, entry.comment) == ("stock.adjusted", clerk, "破损 damaged")
    assert entry.changes["quantity"] == "-3" and entry.changes["unit_cost"] == "6.0000"
    assert check_invariants() == []


def test_adjust_stock_up_comes_in_at_the_average_without_moving_it(product, warehouse, clerk):
    receive(product, warehouse, 10, unit_cost="6", actor=clerk)

    move = services.adjust_stock(product_id=product.pk, warehouse_id=warehouse.pk, quantity=D("2"),
                                 reason="found", actor=clerk)

    assert move.unit_cost == D("6")
    assert ProductCost.objects.get(product=product).average_cost == D("6")
    assert levels(product, warehouse)["on_hand"] == 12


def test_adjust_stock_up_with_a_cost_moves_the_average(product, warehouse, clerk):
    receive(product, warehouse, 10, unit_cost="6", actor=clerk)

    services.adjust_stock(product_id=product.pk, warehouse_id=warehouse.pk, quantity=D("10"), unit_cost=D("8"),
                          reason="opening balance", actor=clerk)

    assert ProductCost.objects.get(product=product).average_cost == D("7")


def test_adjust_stock_of_a_product_never_received_uses_its_purchase_price(product, warehouse, clerk):
    move = services.adjust_stock(product_id=product.pk, warehouse_id=warehouse.pk, quantity=D("1"),
                                 reason="found", actor=clerk)

    assert move.unit_cost == product.purchase_price == D("10")


def test_adjust_stock_other_states(product, warehouse, clerk):
    receive(product, warehouse, 5, state=StockState.IN_TRANSIT, actor=clerk)

    services.adjust_stock(product_id=product.pk, warehouse_id=warehouse.pk, quantity=D("-2"),
                          state=StockState.IN_TRANSIT, reason="short shipped by supplier", actor=clerk)

    assert levels(product, warehouse)["in_transit"] == 3


def test_adjust_stock_cannot_take_more_than_is_on_hand(product, warehouse, clerk):
    receive(product, warehouse, 2, actor=clerk)

    with pytest.raises(InsufficientStock) as err:
        services.adjust_stock(product_id=product.pk, warehouse_id=warehouse.pk, quantity=D("-3"),
                              reason="lost", actor=clerk)

    assert "2 available" in err.value.message
    assert levels(product, warehouse)["on_hand"] == 2
    assert StockMove.objects.count() == 1


def test_adjust_stock_from_an_empty_bin_fails_even_when_the_warehouse_has_stock(product, warehouse, bin_a, bin_b,
                                                                                  clerk):
    receive(product, warehouse, 5, location=bin_a, actor=clerk)

    with pytest.raises(InsufficientStock) as err:
        services.adjust_stock(product_id=product.pk, warehouse_id=warehouse.pk, quantity=D("-1"),
                              location_id=bin_b.pk, reason="lost", actor=clerk)

    [shortage] = err.value.shortages
    assert shortage.bin_level and shortage.location_id == bin_b.pk and shortage.available == 0
    assert "bin B-01" in err.value.message
    with pytest.raises(InsufficientStock, match="not in a bin"):  # stock not put away: none
        services.adjust_stock(product_id=product.pk, warehouse_id=warehouse.pk, quantity=D("-1"),
                              reason="lost", actor=clerk)


@pytest.mark.parametrize(("kwargs", "field"), [
    ({"quantity": D("0")}, "quantity"),
    ({"quantity": D("0.5")}, "quantity"),
    ({"reason": "  "}, "reason"),
    ({"reason": "x" * 201}, "reason"),
    ({"product_id": 0}, "product_id"),
    ({"warehouse_id": 0}, "warehouse_id"),
    ({"state": "lost"}, "state"),
    ({"quantity": D("-1"), "unit_cost": D("1")}, "unit_cost"),
])
def test_adjust_stock_rejects_bad_input(product, warehouse, clerk, kwargs, field):
    receive(product, warehouse, 2, actor=clerk)
    args = {"product_id": product.pk, "warehouse_id": warehouse.pk, "quantity": D("1"), "reason": "x", **kwargs}

    with pytest.raises(ValidationFailed) as err:
        services.adjust_stock(**args, actor=clerk)

    assert field in err.value.fields
    assert StockMove.objects.count() == 1
