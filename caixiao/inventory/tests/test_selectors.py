from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from caixiao.catalog.tests.factories import ProductFactory
from caixiao.inventory import selectors, services
from caixiao.inventory.enums import MoveKind, StockState
from caixiao.inventory.quantities import register_quantity_provider, unregister_quantity_provider
from caixiao.inventory.tests.stock import receive

D = Decimal


@pytest.fixture
def backlog_provider(monkeypatch):
    """Stands in for sales (whose real provider is set aside for the test): 7 units of backlog for
    every product asked about, in warehouse 1..n."""
    from caixiao.inventory import quantities

    monkeypatch.setattr(quantities, "_providers", {})
    calls = []

    def backlog(*, product_ids, warehouse_ids):
        calls.append((product_ids, warehouse_ids))
        return {(p, w): D("7") for p in product_ids or () for w in warehouse_ids or ()}

    register_quantity_provider("backlog", backlog)
    yield calls
    unregister_quantity_provider("backlog")


def test_stock_levels_carry_every_quantity_of_the_vocabulary(product, warehouse, clerk, ref, backlog_provider):
    receive(product, warehouse, 10, actor=clerk)
    receive(product, warehouse, 4, state=StockState.PENDING_QC, actor=clerk)
    receive(product, warehouse, 3, state=StockState.IN_TRANSIT, actor=clerk)
    services.reserve_stock(requests=[services.ReserveRequest(product_id=product.pk, warehouse_id=warehouse.pk,
                                                             quantity=D("6"), reference=ref(1))],
                           allow_partial=False, actor=clerk)

    [level] = selectors.stock_levels(product_ids=[product.pk], warehouse_ids=[warehouse.pk])

    assert level.as_dict() == {"product_id": product.pk, "warehouse_id": warehouse.pk, "on_hand": 10,
                               "allocated": 6, "available": 4, "pending_qc": 4, "in_transit": 3, "rejected": 0,
                               "on_order": 0, "backlog": 7}
    assert level.quantity("backlog") == 7 and level.quantity("on_order") == 0
    assert backlog_provider == [([product.pk], [warehouse.pk])]


def test_stock_levels_include_pairs_known_only_to_a_provider(product, warehouse, backlog_provider):
    [level] = selectors.stock_levels(product_ids=[product.pk], warehouse_ids=[warehouse.pk])

    assert (level.on_hand, level.available, level.quantity("backlog")) == (0, 0, 7)


def test_stock_levels_are_set_based(pcs, warehouse, other_warehouse, clerk, django_assert_num_queries,
                                    backlog_provider):
    products = [ProductFactory(base_unit=pcs) for _ in range(5)]
    for product in products:
        receive(product, warehouse, 1, actor=clerk)
        receive(product, other_warehouse, 2, actor=clerk)

    with django_assert_num_queries(1):  # the provider here makes no query; a real one makes one
        levels = selectors.stock_levels()

    assert len(levels) == 10


def test_only_registered_vocabulary_names_may_be_provided():
    with pytest.raises(ValueError, match="unknown derived quantity"):
        register_quantity_provider("on_the_moon", lambda **kw: {})


def test_available_quantity(product, bulk_product, warehouse, other_warehouse, clerk, ref):
    receive(product, warehouse, 5, actor=clerk)
    receive(bulk_product, warehouse, "0.3", actor=clerk)
    services.reserve_stock(requests=[services.ReserveRequest(product_id=bulk_product.pk, warehouse_id=warehouse.pk,
                                                             quantity=D("0.1"), reference=ref(1))],
                           allow_partial=False, actor=clerk)

    assert selectors.available_quantity(product_id=product.pk, warehouse_id=warehouse.pk) == 5
    assert selectors.available_quantity(product_id=bulk_product.pk, warehouse_id=warehouse.pk) == D("0.2")
    assert selectors.available_quantity(product_id=product.pk, warehouse_id=other_warehouse.pk) == 0
    assert selectors.available_quantities(product_ids=[product.pk, bulk_product.pk]) == {
        (product.pk, warehouse.pk): 5, (bulk_product.pk, warehouse.pk): D("0.2")}


def test_list_balances_and_bins(product, warehouse, bin_a, clerk):
    receive(product, warehouse, 5, location=bin_a, actor=clerk)
    receive(product, warehouse, 2, actor=clerk)

    [row] = selectors.list_balances(warehouse_id=warehouse.pk)
    assert (row.on_hand, row.available_quantity) == (7, 7)
    assert [(b.location, b.on_hand) for b in selectors.list_bin_balances(product_id=product.pk)] == [
        (bin_a, 5), (None, 2)]


def test_list_moves_filters(product, bulk_product, warehouse, other_warehouse, bin_a, clerk, ref):
    receive(product, warehouse, 5, location=bin_a, actor=clerk, reference=ref(1, "PO-2026-000001 #1"))
    receive(bulk_product, other_warehouse, 1, actor=clerk, reference=ref(2, "PO-2026-000002 #1"))
    services.adjust_stock(product_id=product.pk, warehouse_id=warehouse.pk, quantity=D("-1"), location_id=bin_a.pk,
                          reason="damaged", actor=clerk)
    today = timezone.localdate()

    assert selectors.list_moves(product_id=product.pk).count() == 2
    assert selectors.list_moves(warehouse_id=other_warehouse.pk).get().product == bulk_product
    assert selectors.list_moves(kind=MoveKind.ADJUSTMENT).get().quantity == -1
    assert selectors.list_moves(location_id=bin_a.pk).count() == 2
    assert selectors.list_moves(state=StockState.PENDING_QC).count() == 0
    assert selectors.list_moves(reference=ref(2)).get().product == bulk_product
    assert selectors.list_moves(reference_label="PO-2026-000001").get().quantity == 5
    assert selectors.list_moves(date_from=today, date_to=today).count() == 3
    assert selectors.list_moves(date_from=today + timedelta(days=1)).count() == 0
    assert selectors.list_moves(date_to=today - timedelta(days=1)).count() == 0
    assert selectors.list_moves().first().kind == MoveKind.ADJUSTMENT  # newest first


def test_suggest_picks_walks_the_bins(product, warehouse, bin_a, bin_b, clerk):
    receive(product, warehouse, 2, location=bin_b, actor=clerk)
    receive(product, warehouse, 3, location=bin_a, actor=clerk)
    receive(product, warehouse, 4, actor=clerk)

    picks = selectors.suggest_picks(product_id=product.pk, warehouse_id=warehouse.pk, quantity=D("6"))

    assert [(p.location_code, p.quantity) for p in picks] == [("A-01", 3), ("B-01", 2), ("", 1)]
    assert sum(p.quantity for p in selectors.suggest_picks(product_id=product.pk, warehouse_id=warehouse.pk,
                                                           quantity=D("100"))) == 9


def test_reservations_selectors(product, warehouse, clerk, ref):
    receive(product, warehouse, 5, actor=clerk)
    services.reserve_stock(requests=[services.ReserveRequest(product_id=product.pk, warehouse_id=warehouse.pk,
                                                             quantity=D("2"), reference=ref(1))],
                           allow_partial=False, actor=clerk)

    assert selectors.reserved_quantity(reference=ref(1)) == 2
    assert selectors.reserved_quantity(reference=ref(2)) == 0
    assert selectors.list_reservations(product_id=product.pk).count() == 1
