from decimal import Decimal

import pytest

from caixiao.core.errors import ValidationFailed
from caixiao.inventory import services
from caixiao.inventory.enums import STATE_TRANSITIONS, MoveKind, StockState
from caixiao.inventory.errors import InsufficientStock
from caixiao.inventory.invariants import check_invariants
from caixiao.inventory.models import StockMove
from caixiao.inventory.services import StateChangeRequest
from caixiao.inventory.tests.stock import in_bin, levels, receive

D = Decimal
IN_TRANSIT, PENDING_QC, ON_HAND, REJECTED = (StockState.IN_TRANSIT, StockState.PENDING_QC, StockState.ON_HAND,
                                             StockState.REJECTED)


def change(product, warehouse, quantity, frm, to, *, actor, location=None, reference=None):
    return services.change_state(requests=[StateChangeRequest(
        product_id=product.pk, warehouse_id=warehouse.pk, quantity=D(str(quantity)), from_state=frm, to_state=to,
        location_id=location.pk if location else None, reference=reference)], actor=actor)


def test_receiving_inspecting_and_putting_away_moves_stock_through_the_states(product, warehouse, bin_a, clerk,
                                                                                  ref):
    receive(product, warehouse, 10, state=IN_TRANSIT, actor=clerk)  # shipping notice
    change(product, warehouse, 10, IN_TRANSIT, PENDING_QC, actor=clerk, reference=ref(1))  # received
    passed = change(product, warehouse, 8, PENDING_QC, ON_HAND, location=bin_a, actor=clerk)  # QC pass + putaway
    change(product, warehouse, 2, PENDING_QC, REJECTED, actor=clerk)  # QC fail

    assert levels(product, warehouse) == {"in_transit": 0, "pending_qc": 0, "on_hand": 8, "allocated": 0,
                                          "rejected": 2}
    assert in_bin(product, warehouse, bin_a) == 8
    out, into = passed
    assert (out.state, out.quantity, out.location) == (PENDING_QC, -8, None)
    assert (into.state, into.quantity, into.location) == (ON_HAND, 8, bin_a)
    assert out.group == into.group and out.kind == MoveKind.STATE_CHANGE
    assert out.unit_cost == into.unit_cost == D("10")  # internal moves carry the average
    assert check_invariants() == []


def test_change_state_several_lines_each_its_own_group(product, bulk_product, warehouse, clerk):
    receive(product, warehouse, 4, state=PENDING_QC, actor=clerk)
    receive(bulk_product, warehouse, "1.5", state=PENDING_QC, actor=clerk)

    moves = services.change_state(requests=[
        StateChangeRequest(product_id=product.pk, warehouse_id=warehouse.pk, quantity=D("4"),
                           from_state=PENDING_QC, to_state=ON_HAND),
        StateChangeRequest(product_id=bulk_product.pk, warehouse_id=warehouse.pk, quantity=D("1.5"),
                           from_state=PENDING_QC, to_state=REJECTED),
    ], actor=clerk)

    assert len(moves) == 4 and len({m.group for m in moves}) == 2
    assert levels(bulk_product, warehouse)["rejected"] == D("1.5")


@pytest.mark.parametrize(("frm", "to"), [
    (frm, to) for frm in StockState.values for to in StockState.values if to not in STATE_TRANSITIONS[frm]
])
def test_change_state_refuses_transitions_not_in_the_table(product, warehouse, clerk, frm, to):
    receive(product, warehouse, 3, state=frm if frm != REJECTED else ON_HAND, actor=clerk)

    with pytest.raises(ValidationFailed) as err:
        change(product, warehouse, 1, frm, to, actor=clerk)

    assert "cannot go from" in err.value.fields["requests.0.to_state"][0]
    assert StockMove.objects.count() == 1


def test_change_state_cannot_take_more_than_the_state_holds(product, warehouse, clerk):
    receive(product, warehouse, 3, state=PENDING_QC, actor=clerk)

    with pytest.raises(InsufficientStock) as err:
        change(product, warehouse, 4, PENDING_QC, ON_HAND, actor=clerk)

    [shortage] = err.value.shortages
    assert (shortage.state, shortage.requested, shortage.available) == (PENDING_QC, 4, 3)
    assert err.value.status == 409 and err.value.code == "insufficient_stock"
    assert err.value.as_dict()["details"]["shortages"][0]["requested"] == "4"
    assert levels(product, warehouse)["pending_qc"] == 3
    assert StockMove.objects.count() == 1


def test_change_state_out_of_on_hand_keeps_allocated_stock(product, warehouse, clerk, ref):
    receive(product, warehouse, 5, actor=clerk)
    services.reserve_stock(requests=[services.ReserveRequest(product_id=product.pk, warehouse_id=warehouse.pk,
                                                             quantity=D("4"), reference=ref(1))],
                           allow_partial=False, actor=clerk)

    with pytest.raises(InsufficientStock):
        change(product, warehouse, 2, ON_HAND, REJECTED, actor=clerk)
    change(product, warehouse, 1, ON_HAND, REJECTED, actor=clerk)

    assert levels(product, warehouse) == {"on_hand": 4, "allocated": 4, "rejected": 1, "pending_qc": 0,
                                          "in_transit": 0}


def test_change_state_bin_only_on_the_on_hand_side(product, warehouse, bin_a, clerk):
    receive(product, warehouse, 3, state=IN_TRANSIT, actor=clerk)

    with pytest.raises(ValidationFailed) as err:
        change(product, warehouse, 1, IN_TRANSIT, PENDING_QC, location=bin_a, actor=clerk)

    assert "Only on-hand stock is kept in bins" in err.value.fields["requests.0.location_id"][0]
