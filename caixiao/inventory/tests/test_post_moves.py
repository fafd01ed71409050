from decimal import Decimal

import pytest

from caixiao.core.errors import ValidationFailed
from caixiao.inventory import services
from caixiao.inventory.enums import MoveKind, StockState
from caixiao.inventory.errors import InsufficientStock
from caixiao.inventory.invariants import check_invariants
from caixiao.inventory.models import LedgerIsAppendOnly, StockBalance, StockMove
from caixiao.inventory.services import MoveRequest
from caixiao.inventory.tests.stock import levels, receive

D = Decimal


def test_post_moves_applies_the_net_change_of_each_balance(product, warehouse, clerk):
    moves = services.post_moves(requests=[
        MoveRequest(product_id=product.pk, warehouse_id=warehouse.pk, state=StockState.ON_HAND, quantity=D("5"),
                    unit_cost=D("2")),
        MoveRequest(product_id=product.pk, warehouse_id=warehouse.pk, state=StockState.ON_HAND, quantity=D("-3")),
    ], kind=MoveKind.ADJUSTMENT, reason="net", actor=clerk)

    assert [m.quantity for m in moves] == [5, -3]
    assert levels(product, warehouse)["on_hand"] == 2
    assert StockBalance.objects.count() == 1
    assert check_invariants() == []


def test_post_moves_reports_every_shortage_and_changes_nothing(product, bulk_product, warehouse, clerk):
    receive(product, warehouse, 1, actor=clerk)

    with pytest.raises(InsufficientStock) as err:
        services.post_moves(requests=[
            MoveRequest(product_id=product.pk, warehouse_id=warehouse.pk, state=StockState.ON_HAND,
                        quantity=D("-2")),
            MoveRequest(product_id=bulk_product.pk, warehouse_id=warehouse.pk, state=StockState.PENDING_QC,
                        quantity=D("-0.5")),
        ], kind=MoveKind.ISSUE, actor=clerk)

    assert [(s.product_id, s.state, s.requested, s.available) for s in err.value.shortages] == [
        (product.pk, StockState.ON_HAND, 2, 1), (bulk_product.pk, StockState.PENDING_QC, D("0.5"), 0)]
    assert product.code in err.value.message and "1 available" in err.value.message
    assert levels(product, warehouse)["on_hand"] == 1
    assert StockMove.objects.count() == 1


def test_internal_moves_must_balance(product, warehouse, other_warehouse, clerk):
    receive(product, warehouse, 3, actor=clerk)

    with pytest.raises(ValidationFailed) as err:
        services.post_moves(requests=[
            MoveRequest(product_id=product.pk, warehouse_id=warehouse.pk, state=StockState.ON_HAND,
                        quantity=D("-2")),
            MoveRequest(product_id=product.pk, warehouse_id=other_warehouse.pk, state=StockState.ON_HAND,
                        quantity=D("1")),
        ], kind=MoveKind.TRANSFER, actor=clerk)

    assert "add up to zero" in err.value.fields["requests"][0]


@pytest.mark.parametrize(("request_kwargs", "field"), [
    ({"quantity": D("0")}, "requests.0.quantity"),
    ({"state": "lost"}, "requests.0.state"),
    ({"quantity": D("-1"), "unit_cost": D("1")}, "requests.0.unit_cost"),
    ({"state": StockState.PENDING_QC, "quantity": D("-1"), "from_allocation": True}, "requests.0.from_allocation"),
])
def test_post_moves_rejects_bad_requests(product, warehouse, clerk, request_kwargs, field):
    args = {"product_id": product.pk, "warehouse_id": warehouse.pk, "state": StockState.ON_HAND,
            "quantity": D("1"), **request_kwargs}

    with pytest.raises(ValidationFailed) as err:
        services.post_moves(requests=[MoveRequest(**args)], kind=MoveKind.ADJUSTMENT, actor=clerk)

    assert field in err.value.fields


def test_post_moves_rejects_an_unknown_kind(product, warehouse, clerk):
    with pytest.raises(ValidationFailed) as err:
        services.post_moves(requests=[MoveRequest(product_id=product.pk, warehouse_id=warehouse.pk,
                                                  state=StockState.ON_HAND, quantity=D("1"))],
                            kind="gift", actor=clerk)

    assert "kind" in err.value.fields


def test_stock_moves_are_append_only(product, warehouse, clerk):
    move = receive(product, warehouse, 1, actor=clerk)

    with pytest.raises(LedgerIsAppendOnly):
        move.save()
    with pytest.raises(LedgerIsAppendOnly):
        move.delete()
    with pytest.raises(LedgerIsAppendOnly):
        StockMove.objects.filter(pk=move.pk).update(quantity=D("2"))
    with pytest.raises(LedgerIsAppendOnly):
        StockMove.objects.all().delete()
    assert StockMove.objects.get().quantity == 1


def test_balances_refuse_negative_values_in_the_database(product, warehouse, clerk):
    """The CHECK constraints are the backstop behind the conditional updates."""
    from django.db import IntegrityError, transaction

    receive(product, warehouse, 1, actor=clerk)
    for change in ({"on_hand": D("-1")}, {"allocated": D("2")}, {"pending_qc": D("-1")}):
        with pytest.raises(IntegrityError), transaction.atomic():
            StockBalance.objects.filter(product=product).update(**change)
