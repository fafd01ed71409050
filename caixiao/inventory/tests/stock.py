"""Small helpers for ledger tests: put stock somewhere and read balances back."""

from decimal import Decimal

from caixiao.inventory import services
from caixiao.inventory.enums import StockState
from caixiao.inventory.models import BinBalance, StockBalance


def receive(product, warehouse, quantity, *, actor, unit_cost="10", state=StockState.ON_HAND, location=None,
            reference=None):
    [move] = services.receive_stock(requests=[services.ReceiveRequest(
        product_id=product.pk, warehouse_id=warehouse.pk, quantity=Decimal(str(quantity)),
        unit_cost=Decimal(unit_cost), state=state, location_id=location.pk if location else None,
        reference=reference)], actor=actor)
    return move


def balance(product, warehouse) -> StockBalance:
    return StockBalance.objects.get(product=product, warehouse=warehouse)


def levels(product, warehouse) -> dict[str, Decimal]:
    """All columns of the balance (zeros when there is no row)."""
    row = StockBalance.objects.filter(product=product, warehouse=warehouse).first()
    columns = ("on_hand", "allocated", "pending_qc", "in_transit", "rejected")
    return {c: getattr(row, c) if row else Decimal("0") for c in columns}


def in_bin(product, warehouse, location=None) -> Decimal:
    row = BinBalance.objects.filter(product=product, warehouse=warehouse, location=location).first()
    return row.on_hand if row else Decimal("0")
