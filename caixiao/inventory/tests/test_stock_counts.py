from decimal import Decimal

import pytest

from caixiao.core.audit import entries_for
from caixiao.core.errors import Conflict, InvalidTransition, NotFound, ValidationFailed
from caixiao.inventory import services
from caixiao.inventory.enums import MoveKind, StockCountStatus
from caixiao.inventory.errors import InsufficientStock
from caixiao.inventory.invariants import check_invariants
from caixiao.inventory.models import StockMove
from caixiao.inventory.services import CountLineRequest
from caixiao.inventory.tests.stock import in_bin, levels, receive

D = Decimal


def count_of(warehouse, *lines, actor):
    return services.create_stock_count(warehouse_id=warehouse.pk, actor=actor, lines=[
        CountLineRequest(product_id=product.pk, location_id=location.pk if location else None)
        for product, location in lines] if lines else None)


def test_a_count_posts_the_differences_as_count_moves(product, bulk_product, warehouse, bin_a, clerk):
    receive(product, warehouse, 10, unit_cost="3", location=bin_a, actor=clerk)
    receive(bulk_product, warehouse, "2.5", actor=clerk)

    count = count_of(warehouse, actor=clerk)  # every product and bin holding stock
    lines = {(line.product_id, line.location_id): line for line in count.lines.all()}
    assert {key: line.expected_quantity for key, line in lines.items()} == {
        (product.pk, bin_a.pk): 10, (bulk_product.pk, None): D("2.5")}
    assert count.number.startswith("SC-") and count.status == StockCountStatus.DRAFT

    services.record_counted_quantities(count_id=count.pk, counted={
        lines[(product.pk, bin_a.pk)].pk: D("8"), lines[(bulk_product.pk, None)].pk: D("2.75")}, actor=clerk)
    services.complete_stock_count(count_id=count.pk, actor=clerk)
    count = services.post_stock_count(count_id=count.pk, actor=clerk)

    assert count.status == StockCountStatus.POSTED and count.posted_at and count.counted_at
    moves = StockMove.objects.filter(kind=MoveKind.COUNT).order_by("quantity")
    assert [(m.product, m.location, m.quantity, m.reference_label) for m in moves] == [
        (product, bin_a, -2, count.number), (bulk_product, None, D("0.25"), count.number)]
    assert moves[0].unit_cost == D("3")
    assert in_bin(product, warehouse, bin_a) == 8 and levels(bulk_product, warehouse)["on_hand"] == D("2.75")
    assert [e.verb for e in entries_for(count)][::-1] == ["created", "counted_quantities", "status:counted",
                                                          "status:posted"]
    assert check_invariants() == []


def test_posting_a_count_twice_is_an_invalid_transition(product, warehouse, clerk):
    receive(product, warehouse, 1, actor=clerk)
    count = count_of(warehouse, (product, None), actor=clerk)
    [line] = count.lines.all()
    services.record_counted_quantities(count_id=count.pk, counted={line.pk: D("0")}, actor=clerk)
    services.complete_stock_count(count_id=count.pk, actor=clerk)
    services.post_stock_count(count_id=count.pk, actor=clerk)

    with pytest.raises(InvalidTransition) as err:
        services.post_stock_count(count_id=count.pk, actor=clerk)

    assert err.value.status == 409
    assert StockMove.objects.filter(kind=MoveKind.COUNT).count() == 1
    assert levels(product, warehouse)["on_hand"] == 0


def test_a_draft_count_cannot_be_posted(product, warehouse, clerk):
    count = count_of(warehouse, (product, None), actor=clerk)

    with pytest.raises(InvalidTransition):
        services.post_stock_count(count_id=count.pk, actor=clerk)


def test_completing_needs_every_counted_quantity(product, bulk_product, warehouse, clerk):
    count = count_of(warehouse, (product, None), (bulk_product, None), actor=clerk)
    first = count.lines.first()
    services.record_counted_quantities(count_id=count.pk, counted={first.pk: D("1")}, actor=clerk)

    with pytest.raises(ValidationFailed) as err:
        services.complete_stock_count(count_id=count.pk, actor=clerk)

    assert list(err.value.fields) == [f"counted.{count.lines.last().pk}"]
    count.refresh_from_db()
    assert count.status == StockCountStatus.DRAFT


def test_counted_quantities_are_checked(product, warehouse, clerk):
    count = count_of(warehouse, (product, None), actor=clerk)
    line = count.lines.get()

    with pytest.raises(ValidationFailed) as err:
        services.record_counted_quantities(count_id=count.pk, counted={line.pk: D("-1"), 999: D("1")}, actor=clerk)
    assert set(err.value.fields) == {f"counted.{line.pk}", "counted.999"}

    with pytest.raises(ValidationFailed):
        services.record_counted_quantities(count_id=count.pk, counted={line.pk: D("1.5")}, actor=clerk)
    line.refresh_from_db()
    assert line.counted_quantity is None


def test_count_lines_are_checked(product, warehouse, other_warehouse, bin_a, clerk):
    foreign_bin = other_warehouse.locations.create(code="F-1")

    with pytest.raises(ValidationFailed) as err:
        count_of(warehouse, (product, bin_a), (product, bin_a), (product, foreign_bin), actor=clerk)
    assert set(err.value.fields) == {"lines.1.product_id", "lines.2.location_id"}

    with pytest.raises(ValidationFailed):
        services.create_stock_count(warehouse_id=0, actor=clerk)


def test_lines_can_be_added_to_a_draft_only(product, bulk_product, warehouse, clerk):
    receive(bulk_product, warehouse, "1.5", actor=clerk)
    count = count_of(warehouse, (product, None), actor=clerk)

    [line] = services.add_stock_count_lines(count_id=count.pk, lines=[CountLineRequest(product_id=bulk_product.pk)],
                                            actor=clerk)
    assert line.expected_quantity == D("1.5")

    services.record_counted_quantities(count_id=count.pk, counted={line.pk: D("1"), count.lines.first().pk: D("0")},
                                       actor=clerk)
    services.complete_stock_count(count_id=count.pk, actor=clerk)
    with pytest.raises(Conflict) as err:
        services.add_stock_count_lines(count_id=count.pk, lines=[CountLineRequest(product_id=product.pk,
                                                                                  location_id=None)], actor=clerk)
    assert err.value.code == "not_editable"


def test_reopen_and_cancel(product, warehouse, clerk):
    count = count_of(warehouse, (product, None), actor=clerk)
    services.record_counted_quantities(count_id=count.pk, counted={count.lines.get().pk: D("2")}, actor=clerk)
    services.complete_stock_count(count_id=count.pk, actor=clerk)

    assert services.reopen_stock_count(count_id=count.pk, actor=clerk).status == StockCountStatus.DRAFT
    assert services.cancel_stock_count(count_id=count.pk, reason="wrong day", actor=clerk).status == (
        StockCountStatus.CANCELLED)
    with pytest.raises(InvalidTransition):
        services.complete_stock_count(count_id=count.pk, actor=clerk)
    assert not StockMove.objects.exists()


def test_a_count_cannot_take_allocated_stock(product, warehouse, clerk, ref):
    receive(product, warehouse, 5, actor=clerk)
    services.reserve_stock(requests=[services.ReserveRequest(product_id=product.pk, warehouse_id=warehouse.pk,
                                                             quantity=D("5"), reference=ref(1))],
                           allow_partial=False, actor=clerk)
    count = count_of(warehouse, (product, None), actor=clerk)
    services.record_counted_quantities(count_id=count.pk, counted={count.lines.get().pk: D("4")}, actor=clerk)
    services.complete_stock_count(count_id=count.pk, actor=clerk)

    with pytest.raises(InsufficientStock):
        services.post_stock_count(count_id=count.pk, actor=clerk)

    count.refresh_from_db()
    assert count.status == StockCountStatus.COUNTED


def test_unknown_count(db, clerk):
    with pytest.raises(NotFound):
        services.post_stock_count(count_id=404, actor=clerk)
