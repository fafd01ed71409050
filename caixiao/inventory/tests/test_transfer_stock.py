from decimal import Decimal

import pytest

from caixiao.core.errors import ValidationFailed
from caixiao.inventory import services
from caixiao.inventory.enums import MoveKind, StockState
from caixiao.inventory.errors import InsufficientStock
from caixiao.inventory.invariants import check_invariants
from caixiao.inventory.models import ProductCost, StockMove
from caixiao.inventory.services import TransferRequest
from caixiao.inventory.tests.stock import in_bin, levels, receive

D = Decimal


def transfer(product, quantity, source, target, *, actor, source_bin=None, target_bin=None, **kwargs):
    return services.transfer_stock(requests=[TransferRequest(
        product_id=product.pk, quantity=D(str(quantity)), from_warehouse_id=source.pk, to_warehouse_id=target.pk,
        from_location_id=source_bin.pk if source_bin else None, to_location_id=target_bin.pk if target_bin else None,
        **kwargs)], actor=actor)


def test_transfer_between_warehouses_moves_stock_and_keeps_the_average(product, warehouse, other_warehouse, bin_a,
                                                                       clerk):
    receive(product, warehouse, 10, unit_cost="7", location=bin_a, actor=clerk)

    out, into = transfer(product, 4, warehouse, other_warehouse, source_bin=bin_a, actor=clerk)

    assert (out.warehouse, out.location, out.quantity) == (warehouse, bin_a, -4)
    assert (into.warehouse, into.location, into.quantity) == (other_warehouse, None, 4)
    assert out.group == into.group and out.kind == into.kind == MoveKind.TRANSFER
    assert out.unit_cost == into.unit_cost == D("7")
    assert levels(product, warehouse)["on_hand"] == 6 and levels(product, other_warehouse)["on_hand"] == 4
    assert ProductCost.objects.get(product=product).average_cost == D("7")
    assert check_invariants() == []


def test_putaway_is_a_transfer_from_no_bin_into_a_bin(product, warehouse, bin_a, bin_b, clerk):
    receive(product, warehouse, 10, actor=clerk)

    transfer(product, 6, warehouse, warehouse, target_bin=bin_a, actor=clerk)
    transfer(product, 2, warehouse, warehouse, source_bin=bin_a, target_bin=bin_b, actor=clerk)

    assert (in_bin(product, warehouse), in_bin(product, warehouse, bin_a), in_bin(product, warehouse, bin_b)) == (
        4, 4, 2)
    assert levels(product, warehouse)["on_hand"] == 10
    assert check_invariants() == []


def test_transfer_of_rejected_stock_between_warehouses(product, warehouse, other_warehouse, clerk):
    receive(product, warehouse, 3, state=StockState.PENDING_QC, actor=clerk)
    services.change_state(requests=[services.StateChangeRequest(
        product_id=product.pk, warehouse_id=warehouse.pk, quantity=D("3"), from_state=StockState.PENDING_QC,
        to_state=StockState.REJECTED)], actor=clerk)

    transfer(product, 3, warehouse, other_warehouse, state=StockState.REJECTED, actor=clerk)

    assert levels(product, other_warehouse)["rejected"] == 3


def test_transfer_cannot_move_allocated_stock(product, warehouse, other_warehouse, clerk, ref):
    receive(product, warehouse, 5, actor=clerk)
    services.reserve_stock(requests=[services.ReserveRequest(product_id=product.pk, warehouse_id=warehouse.pk,
                                                             quantity=D("3"), reference=ref(1))],
                           allow_partial=False, actor=clerk)

    with pytest.raises(InsufficientStock) as err:
        transfer(product, 3, warehouse, other_warehouse, actor=clerk)

    assert (err.value.shortages[0].requested, err.value.shortages[0].available) == (3, 2)
    assert levels(product, other_warehouse)["on_hand"] == 0


def test_transfer_rejects_bins_of_other_warehouses_and_a_null_trip(product, warehouse, other_warehouse, bin_a,
                                                                   clerk):
    receive(product, warehouse, 5, location=bin_a, actor=clerk)

    with pytest.raises(ValidationFailed) as err:
        services.transfer_stock(requests=[
            TransferRequest(product_id=product.pk, quantity=D("1"), from_warehouse_id=warehouse.pk,
                            to_warehouse_id=other_warehouse.pk, from_location_id=bin_a.pk, to_location_id=bin_a.pk),
            TransferRequest(product_id=product.pk, quantity=D("1"), from_warehouse_id=warehouse.pk,
                            to_warehouse_id=warehouse.pk, from_location_id=bin_a.pk, to_location_id=bin_a.pk),
        ], actor=clerk)

    assert set(err.value.fields) == {"requests.0.to_location_id", "requests.1.to_location_id"}
    assert StockMove.objects.count() == 1
