from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from caixiao.inventory import services
from caixiao.inventory.invariants import check_invariants
from caixiao.inventory.models import BinBalance, Reservation, StockBalance
from caixiao.inventory.tests.stock import receive

D = Decimal


@pytest.fixture
def stocked(product, warehouse, bin_a, clerk, ref):
    receive(product, warehouse, 10, location=bin_a, actor=clerk)
    services.reserve_stock(requests=[services.ReserveRequest(product_id=product.pk, warehouse_id=warehouse.pk,
                                                             quantity=D("4"), reference=ref(1))],
                           allow_partial=False, actor=clerk)
    assert check_invariants() == []


def test_a_balance_that_disagrees_with_its_moves_is_a_drift(stocked, product, warehouse):
    StockBalance.objects.filter(product=product).update(on_hand=D("11"))

    drifts = check_invariants()

    assert [(d.check, d.column, d.expected, d.stored) for d in drifts] == [("balance", "on_hand", 10, 11)]
    assert str(drifts[0]) == f"[balance] product {product.pk} @ warehouse {warehouse.pk} on_hand: ledger 10, stored 11"


def test_a_bin_that_disagrees_with_its_moves_is_a_drift(stocked, product, bin_a):
    BinBalance.objects.filter(location=bin_a).update(on_hand=D("9"))

    assert [(d.check, d.location_id, d.expected, d.stored) for d in check_invariants()] == [
        ("bin", bin_a.pk, 10, 9)]


def test_allocated_that_disagrees_with_open_reservations_is_a_drift(stocked, product):
    Reservation.objects.update(quantity=D("5"))

    assert [(d.check, d.expected, d.stored) for d in check_invariants()] == [("allocated", 5, 4)]


def test_inconsistent_reservations_are_drifts(stocked):
    Reservation.objects.update(quantity=D("5"))  # open remainder 5 vs allocated 4
    drifts = check_invariants()
    assert {d.check for d in drifts} == {"allocated"}


def test_check_stock_command_prints_drifts_and_fails(stocked, product):
    out = StringIO()
    call_command("check_stock", stdout=out)
    assert "no drift" in out.getvalue()

    StockBalance.objects.filter(product=product).update(pending_qc=D("1"))
    out = StringIO()
    with pytest.raises(CommandError) as err:
        call_command("check_stock", stdout=out)

    assert err.value.returncode == 1
    assert "[balance]" in out.getvalue() and "pending_qc" in out.getvalue()
    assert StockBalance.objects.get(product=product).pending_qc == 1  # reported, not repaired
