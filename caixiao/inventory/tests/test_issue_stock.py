from decimal import Decimal

import pytest

from caixiao.inventory import services
from caixiao.inventory.enums import MoveKind, StockState
from caixiao.inventory.errors import InsufficientStock
from caixiao.inventory.invariants import check_invariants
from caixiao.inventory.services import IssueRequest
from caixiao.inventory.tests.stock import levels, receive

D = Decimal


def test_return_to_supplier_issues_rejected_stock_at_the_average(product, warehouse, clerk, ref):
    receive(product, warehouse, 4, unit_cost="9", state=StockState.PENDING_QC, actor=clerk)
    services.change_state(requests=[services.StateChangeRequest(
        product_id=product.pk, warehouse_id=warehouse.pk, quantity=D("4"), from_state=StockState.PENDING_QC,
        to_state=StockState.REJECTED)], actor=clerk)

    [move] = services.issue_stock(requests=[IssueRequest(product_id=product.pk, warehouse_id=warehouse.pk,
                                                         quantity=D("4"), state=StockState.REJECTED,
                                                         reference=ref(5, "RTV-2026-000001 #1"))],
                                  reason="return to supplier", actor=clerk)

    assert (move.kind, move.state, move.quantity, move.unit_cost) == (MoveKind.ISSUE, StockState.REJECTED, -4, D("9"))
    assert move.reference_label == "RTV-2026-000001 #1"
    assert levels(product, warehouse)["rejected"] == 0
    assert check_invariants() == []


def test_issue_stock_leaves_allocated_stock_alone(product, warehouse, clerk, ref):
    receive(product, warehouse, 5, actor=clerk)
    services.reserve_stock(requests=[services.ReserveRequest(product_id=product.pk, warehouse_id=warehouse.pk,
                                                             quantity=D("5"), reference=ref(1))],
                           allow_partial=False, actor=clerk)

    with pytest.raises(InsufficientStock):
        services.issue_stock(requests=[IssueRequest(product_id=product.pk, warehouse_id=warehouse.pk,
                                                    quantity=D("1"))], actor=clerk)
    assert levels(product, warehouse)["on_hand"] == 5
