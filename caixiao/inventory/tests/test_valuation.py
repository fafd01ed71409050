from decimal import Decimal

from caixiao.catalog.tests.factories import CategoryFactory, ProductFactory
from caixiao.inventory import selectors, services
from caixiao.inventory.enums import StockState
from caixiao.inventory.models import ProductCost
from caixiao.inventory.tests.stock import receive
from caixiao.inventory.valuation import moving_average

D = Decimal


def test_moving_average_arithmetic():
    assert moving_average(quantity=D("10"), average=D("4"), receipts=[(D("10"), D("6"))]) == D("5")
    assert moving_average(quantity=D("0"), average=D("4"), receipts=[(D("3"), D("1")), (D("1"), D("2"))]) == (
        D("1.25"))
    assert moving_average(quantity=D("3"), average=D("1"), receipts=[(D("3"), D("2"))]) == D("1.5")
    assert moving_average(quantity=D("3"), average=D("1"), receipts=[(D("6"), D("1.1"))]) == D("1.06666667")
    assert moving_average(quantity=D("0"), average=D("7"), receipts=[]) == D("7")


def average(product) -> Decimal:
    return ProductCost.objects.get(product=product).average_cost


def test_average_moves_on_receipts_in_every_warehouse_and_state(product, warehouse, other_warehouse, clerk):
    receive(product, warehouse, 10, unit_cost="4", actor=clerk)
    receive(product, other_warehouse, 10, unit_cost="6", state=StockState.PENDING_QC, actor=clerk)
    assert average(product) == D("5")

    receive(product, warehouse, 20, unit_cost="8", state=StockState.IN_TRANSIT, actor=clerk)
    assert average(product) == D("6.5")


def test_stock_going_out_keeps_the_average_and_carries_it(product, warehouse, clerk):
    receive(product, warehouse, 3, unit_cost="1", actor=clerk)
    receive(product, warehouse, 3, unit_cost="2", actor=clerk)
    [move] = services.issue_stock(requests=[services.IssueRequest(product_id=product.pk, warehouse_id=warehouse.pk,
                                                                  quantity=D("4"))], actor=clerk)

    assert move.unit_cost == D("1.5") and average(product) == D("1.5")
    receive(product, warehouse, 2, unit_cost="3.5", actor=clerk)
    assert average(product) == D("2.5")  # (2 × 1.5 + 2 × 3.5) / 4


def test_a_receipt_after_running_out_starts_from_its_own_cost(product, warehouse, clerk):
    receive(product, warehouse, 2, unit_cost="9", actor=clerk)
    services.issue_stock(requests=[services.IssueRequest(product_id=product.pk, warehouse_id=warehouse.pk,
                                                         quantity=D("2"))], actor=clerk)

    receive(product, warehouse, 1, unit_cost="3", actor=clerk)

    assert average(product) == D("3")


def test_move_costs_round_to_four_places_and_the_average_keeps_eight(product, warehouse, clerk):
    receive(product, warehouse, 3, unit_cost="1", actor=clerk)
    receive(product, warehouse, 6, unit_cost="1.1", actor=clerk)
    [move] = services.issue_stock(requests=[services.IssueRequest(product_id=product.pk, warehouse_id=warehouse.pk,
                                                                  quantity=D("1"))], actor=clerk)

    assert average(product) == D("1.06666667")
    assert move.unit_cost == D("1.0667")


def test_stock_value_by_warehouse_and_category(pcs, warehouse, other_warehouse, clerk):
    tools, parts = CategoryFactory(code="TOOLS"), CategoryFactory(code="PARTS")
    drill = ProductFactory(category=tools, base_unit=pcs)
    screw = ProductFactory(category=parts, base_unit=pcs)
    receive(drill, warehouse, 3, unit_cost="100.005", actor=clerk)
    receive(screw, warehouse, 1000, unit_cost="0.0133", actor=clerk)
    receive(screw, other_warehouse, 1, unit_cost="0.0133", state=StockState.PENDING_QC, actor=clerk)

    report = selectors.stock_value()

    assert [(r.warehouse_id, r.category_code, r.quantity, r.value) for r in report.rows] == [
        (warehouse.pk, "PARTS", 1000, D("13.30")), (warehouse.pk, "TOOLS", 3, D("300.02")),
        (other_warehouse.pk, "PARTS", 1, D("0.01"))]
    assert report.total == D("313.33")  # 13.3 + 300.015 + 0.0133, rounded once
    assert selectors.stock_value(warehouse_id=other_warehouse.pk).total == D("0.01")
    assert [r.category_code for r in selectors.stock_value(category_id=tools.pk).rows] == ["TOOLS"]
