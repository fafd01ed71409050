"""Issue 3 item 7 / N4: the stock API — levels with every quantity of the vocabulary, bins, move
history, adjustments, transfers, stock counts and their transitions, the invariant check, stock
value; bad input is a 4xx with a code and changes nothing; permissions by role; query ceilings."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from caixiao.catalog.tests.factories import CategoryFactory, ProductFactory, UnitFactory
from caixiao.inventory import services
from caixiao.inventory.enums import STOCK_COUNT_TRANSITIONS, StockState
from caixiao.inventory.models import StockBalance, StockCount, StockMove
from caixiao.inventory.quantities import (
    quantity_providers,
    register_quantity_provider,
    unregister_quantity_provider,
)
from caixiao.inventory.references import Ref
from caixiao.inventory.tests.factories import LocationFactory, WarehouseFactory
from caixiao.inventory.tests.stock import in_bin, levels, receive

pytestmark = pytest.mark.django_db


@pytest.fixture
def pcs(db):
    return UnitFactory(code="PCS", name="个", decimals=0)


@pytest.fixture
def tea(db):
    return CategoryFactory(code="TEA", name="茶叶")


@pytest.fixture
def product(pcs, tea):
    return ProductFactory(code="P-TEA", name="龙井", base_unit=pcs, category=tea, barcode="6900001",
                          purchase_price=Decimal("10"), safety_stock=Decimal("20"))


@pytest.fixture
def warehouse(db):
    return WarehouseFactory(code="SH", name="上海仓")


@pytest.fixture
def other_warehouse(db):
    return WarehouseFactory(code="HZ", name="杭州仓")


@pytest.fixture
def bin_a(warehouse):
    return LocationFactory(warehouse=warehouse, code="A-01")


@pytest.fixture
def bin_b(warehouse):
    return LocationFactory(warehouse=warehouse, code="B-01")


@pytest.fixture
def stocked(product, warehouse, bin_a, admin_user):
    """12 in bin A-01 (3 of them reserved), 2 not in a bin, 5 waiting for inspection."""
    receive(product, warehouse, 12, actor=admin_user, location=bin_a)
    receive(product, warehouse, 2, actor=admin_user)
    receive(product, warehouse, 5, actor=admin_user, state=StockState.PENDING_QC)
    services.reserve_stock(requests=[services.ReserveRequest(
        product_id=product.pk, warehouse_id=warehouse.pk, quantity=Decimal("3"),
        reference=Ref.to(product, label="SO-TEST #1"))], allow_partial=False, actor=admin_user)
    return product


@pytest.fixture
def on_order_provider():
    """A purchasing stand-in: registers ``on_order`` for the test and restores the registry."""
    before = quantity_providers()
    values = {}
    register_quantity_provider("on_order", lambda *, product_ids, warehouse_ids: values)
    yield values
    unregister_quantity_provider("on_order")
    assert quantity_providers().keys() == before.keys()


def unchanged():
    """A snapshot of the ledger to compare before and after a refused request."""
    return (StockMove.objects.count(), list(StockBalance.objects.order_by("pk").values()),
            list(StockCount.objects.order_by("pk").values("pk", "status")))


# Stock levels -----------------------------------------------------------------------------------------
def test_stock_levels_give_every_quantity_of_the_vocabulary(api, stocked, warehouse, on_order_provider):
    on_order_provider[(stocked.pk, warehouse.pk)] = Decimal("40")
    resp = api.get("/stock-levels")
    assert resp.status_code == 200, resp.content
    [row] = resp.json()["items"]
    assert row["product_code"] == "P-TEA" and row["warehouse_code"] == "SH" and row["unit"] == "个"
    figures = {k: Decimal(row[k]) for k in ("on_hand", "allocated", "available", "pending_qc", "in_transit",
                                            "rejected", "on_order", "backlog", "safety_stock")}
    assert figures == {"on_hand": 14, "allocated": 3, "available": 11, "pending_qc": 5, "in_transit": 0,
                       "rejected": 0, "on_order": 40, "backlog": 0, "safety_stock": 20}
    assert row["below_safety_stock"] is True


def test_a_quantity_without_a_provider_is_null(api, stocked):
    assert "on_order" not in quantity_providers()
    [row] = api.get("/stock-levels").json()["items"]
    assert row["on_order"] is None


def test_stock_levels_filter_by_product_warehouse_category_search_and_safety_stock(
        api, stocked, warehouse, other_warehouse, pcs, admin_user):
    coffee = ProductFactory(code="P-COF", name="咖啡", base_unit=pcs, safety_stock=Decimal("1"))
    receive(coffee, other_warehouse, 50, actor=admin_user)
    empty = ProductFactory(code="P-EMPTY", base_unit=pcs, safety_stock=Decimal("5"))
    receive(empty, warehouse, 1, actor=admin_user)
    services.adjust_stock(product_id=empty.pk, warehouse_id=warehouse.pk, quantity=Decimal("-1"), reason="丢失",
                          actor=admin_user)

    def codes(**params):
        resp = api.get("/stock-levels", params)
        assert resp.status_code == 200, resp.content
        return [(r["product_code"], r["warehouse_code"]) for r in resp.json()["items"]]

    assert codes() == [("P-COF", "HZ"), ("P-TEA", "SH")]
    assert codes(include_empty=True) == [("P-COF", "HZ"), ("P-EMPTY", "SH"), ("P-TEA", "SH")]
    assert codes(warehouse_id=warehouse.pk) == [("P-TEA", "SH")]
    assert codes(product_id=coffee.pk) == [("P-COF", "HZ")]
    assert codes(category_id=stocked.category_id) == [("P-TEA", "SH")]
    assert codes(q="龙") == codes(q="6900001") == [("P-TEA", "SH")]
    assert codes(below_safety_stock=True) == [("P-EMPTY", "SH"), ("P-TEA", "SH")]


def test_stock_levels_refuse_bad_filters(api):
    resp = api.get("/stock-levels", {"warehouse_id": "x", "page_size": 500})
    assert resp.status_code == 422
    assert set(resp.json()["fields"]) == {"warehouse_id"}
    resp = api.get("/stock-levels", {"page_size": 500})
    assert resp.status_code == 422 and "page_size" in resp.json()["fields"]


def test_stock_levels_are_set_based(api, warehouse, pcs, admin_user, on_order_provider,
                                    django_assert_max_num_queries):
    for i in range(30):
        receive(ProductFactory(code=f"P{i:03d}", base_unit=pcs), warehouse, i + 1, actor=admin_user)
    # token (read, last used), permissions (2), count, page, balances of the page, one per provider
    # (backlog, on_order)
    with django_assert_max_num_queries(9):
        resp = api.get("/stock-levels", {"page_size": 50})
    assert resp.json()["count"] == 30


def test_bin_levels(api, stocked, warehouse, bin_a, django_assert_max_num_queries):
    with django_assert_max_num_queries(6):  # token (2), permissions (2), count, page
        resp = api.get("/stock-levels/bins", {"warehouse_id": warehouse.pk})
    assert resp.status_code == 200
    rows = [(r["location_code"], Decimal(r["on_hand"])) for r in resp.json()["items"]]
    assert rows == [("A-01", 12), (None, 2)]
    assert api.get("/stock-levels/bins", {"location_id": bin_a.pk}).json()["count"] == 1


# Moves ------------------------------------------------------------------------------------------------
def test_move_history_filters(api, stocked, warehouse, bin_a, django_assert_max_num_queries):
    services.adjust_stock(product_id=stocked.pk, warehouse_id=warehouse.pk, quantity=Decimal("-1"),
                          location_id=bin_a.pk, reason="破损", actor=api.user)

    def moves(**params):
        resp = api.get("/stock-moves", params)
        assert resp.status_code == 200, resp.content
        return resp.json()["items"]

    with django_assert_max_num_queries(6):
        everything = moves()
    assert len(everything) == 4
    newest = everything[0]
    assert (newest["kind"], Decimal(newest["quantity"]), newest["location_code"], newest["reason"],
            newest["actor"]) == ("adjustment", -1, "A-01", "破损", str(api.user))
    assert len(moves(kind="receipt")) == 3
    assert len(moves(state="pending_qc")) == 1
    assert len(moves(product_id=stocked.pk, warehouse_id=warehouse.pk, location_id=bin_a.pk)) == 2
    today = timezone.localdate()
    assert len(moves(date_from=today, date_to=today)) == 4
    assert moves(date_from=today + timedelta(days=1)) == []
    assert moves(reference_label="SO-") == []
    assert api.get("/stock-moves", {"kind": "gift"}).status_code == 422


# Adjustments ------------------------------------------------------------------------------------------
def test_adjustment_contract(api_as, stocked, warehouse, bin_a):
    clerk = api_as("warehouse_clerk")
    resp = clerk.post("/stock-adjustments", {"product_id": stocked.pk, "warehouse_id": warehouse.pk,
                                             "location_id": bin_a.pk, "quantity": "-2", "reason": "破损"})
    assert resp.status_code == 201, resp.content
    body = resp.json()
    assert (body["kind"], body["state"], Decimal(body["quantity"]), body["location_code"]) == (
        "adjustment", "on_hand", -2, "A-01")
    assert levels(stocked, warehouse)["on_hand"] == 12
    assert in_bin(stocked, warehouse, bin_a) == 10


@pytest.mark.parametrize(("change", "status", "code", "field"), [
    ({"quantity": "0"}, 422, "validation_error", "quantity"),
    ({"quantity": "1.5"}, 422, "validation_error", "quantity"),
    ({"quantity": "abc"}, 422, "validation_error", "quantity"),
    ({"quantity": "NaN"}, 422, "validation_error", "quantity"),
    ({"reason": ""}, 422, "validation_error", "reason"),
    ({"product_id": 999999}, 422, "validation_error", "product_id"),
    ({"warehouse_id": 0}, 422, "validation_error", "warehouse_id"),
    ({"location_id": "other"}, 422, "validation_error", "location_id"),
    ({"state": "lost"}, 422, "validation_error", "state"),
    ({"quantity": "-100"}, 409, "insufficient_stock", None),
    ({"quantity": "-12", "location_id": None}, 409, "insufficient_stock", None),
])
def test_bad_adjustments_change_nothing(api_as, stocked, warehouse, bin_a, other_warehouse, change, status, code,
                                        field):
    foreign_bin = LocationFactory(warehouse=other_warehouse, code="Z-99")
    payload = {"product_id": stocked.pk, "warehouse_id": warehouse.pk, "location_id": bin_a.pk, "quantity": "5",
               "reason": "盘盈"}
    payload.update({k: foreign_bin.pk if v == "other" else v for k, v in change.items()})
    before = unchanged()
    resp = api_as("warehouse_clerk").post("/stock-adjustments", payload)
    assert resp.status_code == status, resp.content
    body = resp.json()
    assert body["code"] == code and body["message"]
    if field:
        assert field in body["fields"]
    assert unchanged() == before


def test_more_than_on_hand_names_the_shortage(api, stocked, warehouse):
    resp = api.post("/stock-adjustments", {"product_id": stocked.pk, "warehouse_id": warehouse.pk,
                                           "quantity": "-3", "reason": "丢失"})
    assert resp.status_code == 409
    [shortage] = resp.json()["details"]["shortages"]
    assert (shortage["requested"], shortage["available"], shortage["bin_level"]) == ("3", "2", True)


# Transfers --------------------------------------------------------------------------------------------
def test_transfers_between_bins_and_warehouses(api_as, stocked, warehouse, other_warehouse, bin_a, bin_b):
    clerk = api_as("warehouse_clerk")
    resp = clerk.post("/stock-transfers", {"reason": "调拨", "lines": [
        {"product_id": stocked.pk, "quantity": "4", "from_warehouse_id": warehouse.pk,
         "to_warehouse_id": warehouse.pk, "from_location_id": bin_a.pk, "to_location_id": bin_b.pk},
        {"product_id": stocked.pk, "quantity": "2", "from_warehouse_id": warehouse.pk,
         "to_warehouse_id": other_warehouse.pk},
    ]})
    assert resp.status_code == 201, resp.content
    legs = [(m["warehouse_code"], m["location_code"], Decimal(m["quantity"])) for m in resp.json()]
    assert legs == [("SH", "A-01", -4), ("SH", "B-01", 4), ("SH", None, -2), ("HZ", None, 2)]
    assert (in_bin(stocked, warehouse, bin_a), in_bin(stocked, warehouse, bin_b)) == (8, 4)
    assert levels(stocked, other_warehouse)["on_hand"] == 2


@pytest.mark.parametrize(("line", "status", "field"), [
    ({"quantity": "-1"}, 422, "lines.0.quantity"),
    ({"quantity": "0.5"}, 422, "lines.0.quantity"),
    ({"to_location_id": "a"}, 422, "lines.0.to_location_id"),
    ({"to_location_id": "foreign"}, 422, "lines.0.to_location_id"),
    ({"product_id": 424242}, 422, "lines.0.product_id"),
    # 12 in A-01, but 3 of the warehouse's 14 are allocated: 11 may leave it, not 10 + 2
    ({"quantity": "10", "to_warehouse_id": "other", "to_location_id": None}, 409, None),
])
def test_bad_transfers_change_nothing(api_as, stocked, warehouse, other_warehouse, bin_a, bin_b, line, status,
                                      field):
    foreign_bin = LocationFactory(warehouse=other_warehouse, code="Z-01")
    aliases = {"a": bin_a.pk, "foreign": foreign_bin.pk, "other": other_warehouse.pk}
    payload_line = {"product_id": stocked.pk, "quantity": "4", "from_warehouse_id": warehouse.pk,
                    "to_warehouse_id": warehouse.pk, "from_location_id": bin_a.pk, "to_location_id": bin_b.pk}
    payload_line.update({k: aliases.get(v, v) for k, v in line.items()})
    lines = [payload_line] if status == 422 else [payload_line, {**payload_line, "quantity": "2"}]
    before = unchanged()
    resp = api_as("warehouse_clerk").post("/stock-transfers", {"lines": lines})
    assert resp.status_code == status, resp.content
    if field:
        assert field in resp.json()["fields"], resp.json()
    else:
        assert resp.json()["code"] == "insufficient_stock"
    assert unchanged() == before


def test_a_transfer_needs_lines(api):
    resp = api.post("/stock-transfers", {"lines": []})
    assert resp.status_code == 422
    assert "lines" in resp.json()["fields"]


# Stock counts -----------------------------------------------------------------------------------------
def test_stock_count_from_create_to_post(api_as, stocked, warehouse, bin_a):
    clerk = api_as("warehouse_clerk")
    created = clerk.post("/stock-counts", {"warehouse_id": warehouse.pk, "note": "月末盘点"})
    assert created.status_code == 201, created.content
    count = created.json()
    assert (count["status"], count["line_count"], count["actions"]) == ("draft", 2, ["complete", "cancel"])
    lines = {line["location_code"]: line for line in count["lines"]}
    assert Decimal(lines["A-01"]["expected_quantity"]) == 12 and lines["A-01"]["counted_quantity"] is None

    pk = count["id"]
    assert clerk.post(f"/stock-counts/{pk}/complete").json()["code"] == "validation_error"
    recorded = clerk.post(f"/stock-counts/{pk}/lines", {"lines": [
        {"line_id": lines["A-01"]["id"], "counted_quantity": "13"},
        {"line_id": lines[None]["id"], "counted_quantity": "2"}]})
    assert recorded.status_code == 200, recorded.content
    assert {line["location_code"]: line["difference"] for line in recorded.json()["lines"]} == {
        "A-01": "1.000000", None: "0.000000"}

    assert clerk.post(f"/stock-counts/{pk}/complete").json()["actions"] == ["post", "reopen", "cancel"]
    posted = clerk.post(f"/stock-counts/{pk}/post")
    assert posted.status_code == 200, posted.content
    assert (posted.json()["status"], posted.json()["actions"]) == ("posted", [])
    assert in_bin(stocked, warehouse, bin_a) == 13
    assert StockMove.objects.filter(kind="count").count() == 1

    again = clerk.post(f"/stock-counts/{pk}/post")
    assert (again.status_code, again.json()["code"]) == (409, "invalid_transition")
    listed = clerk.get("/stock-counts", {"status": "posted", "warehouse_id": warehouse.pk}).json()
    assert [c["number"] for c in listed["items"]] == [count["number"]]


def test_every_count_transition_has_an_action(api):
    from caixiao.api.v1.stock import COUNT_ACTIONS

    targets = {to for to, _service in COUNT_ACTIONS.values()}
    assert set().union(*STOCK_COUNT_TRANSITIONS.values()) == targets
    schema_paths = api.get("/openapi.json").json()["paths"]
    for action in COUNT_ACTIONS:
        assert f"/api/v1/stock-counts/{{pk}}/{action}" in schema_paths


def test_reopen_and_cancel_take_a_reason(api, stocked, warehouse):
    pk = api.post("/stock-counts", {"warehouse_id": warehouse.pk}).json()["id"]
    count = StockCount.objects.get(pk=pk)
    api.post(f"/stock-counts/{pk}/lines", {"lines": [
        {"line_id": line.pk, "counted_quantity": "0"} for line in count.lines.all()]})
    api.post(f"/stock-counts/{pk}/complete")
    assert api.post(f"/stock-counts/{pk}/reopen", {"reason": "重盘"}).json()["status"] == "draft"
    assert api.post(f"/stock-counts/{pk}/cancel").json()["status"] == "cancelled"
    assert StockMove.objects.filter(kind="count").count() == 0


def test_counts_of_a_category_or_of_bins(api, stocked, warehouse, bin_a, bin_b, other_warehouse, pcs, admin_user):
    other = ProductFactory(code="P-OTHER", base_unit=pcs)
    receive(other, warehouse, 7, actor=admin_user, location=bin_b)
    by_category = api.post("/stock-counts", {"warehouse_id": warehouse.pk, "category_id": stocked.category_id})
    assert {line["product_code"] for line in by_category.json()["lines"]} == {"P-TEA"}
    by_bin = api.post("/stock-counts", {"warehouse_id": warehouse.pk, "location_ids": [bin_b.pk]})
    assert [(line["product_code"], line["location_code"]) for line in by_bin.json()["lines"]] == [("P-OTHER", "B-01")]

    foreign_bin = LocationFactory(warehouse=other_warehouse, code="Z-01")
    receive(other, other_warehouse, 1, actor=admin_user, location=foreign_bin)
    before = unchanged()
    foreign = api.post("/stock-counts", {"warehouse_id": warehouse.pk, "location_ids": [foreign_bin.pk]})
    assert foreign.status_code == 422
    assert "lines.0.location_id" in foreign.json()["fields"]
    nothing = api.post("/stock-counts", {"warehouse_id": warehouse.pk, "category_id": CategoryFactory().pk})
    assert (nothing.status_code, list(nothing.json()["fields"])) == (422, ["category_id"])
    unknown = api.post("/stock-counts", {"warehouse_id": 987654})
    assert (unknown.status_code, list(unknown.json()["fields"])) == (422, ["warehouse_id"])
    assert unchanged() == before


def test_bad_counted_quantities_change_nothing(api, stocked, warehouse):
    count = api.post("/stock-counts", {"warehouse_id": warehouse.pk}).json()
    first, second = (line["id"] for line in count["lines"])
    before = unchanged(), list(StockCount.objects.get().lines.values("counted_quantity"))
    resp = api.post(f"/stock-counts/{count['id']}/lines", {"lines": [
        {"line_id": first, "counted_quantity": "1"}, {"line_id": second, "counted_quantity": "-1"}]})
    assert resp.status_code == 422
    assert list(resp.json()["fields"]) == ["lines.1.counted_quantity"]
    resp = api.post(f"/stock-counts/{count['id']}/lines", {"lines": [{"line_id": 999999, "counted_quantity": "1"}]})
    assert resp.status_code == 422 and list(resp.json()["fields"]) == ["lines.0.counted_quantity"]
    assert (unchanged(), list(StockCount.objects.get().lines.values("counted_quantity"))) == before
    assert api.get("/stock-counts/999999").status_code == 404
    assert api.post("/stock-counts/999999/complete").status_code == 404


def test_a_counted_count_is_not_editable(api, stocked, warehouse):
    count = api.post("/stock-counts", {"warehouse_id": warehouse.pk}).json()
    entries = [{"line_id": line["id"], "counted_quantity": "1"} for line in count["lines"]]
    api.post(f"/stock-counts/{count['id']}/lines", {"lines": entries})
    api.post(f"/stock-counts/{count['id']}/complete")
    resp = api.post(f"/stock-counts/{count['id']}/lines", {"lines": entries})
    assert (resp.status_code, resp.json()["code"]) == (409, "not_editable")


def test_stock_count_list_is_query_bounded(api, stocked, warehouse, django_assert_max_num_queries):
    for _ in range(5):
        api.post("/stock-counts", {"warehouse_id": warehouse.pk})
    with django_assert_max_num_queries(6):
        resp = api.get("/stock-counts")
    assert resp.json()["count"] == 5
    assert all(c["line_count"] == 2 for c in resp.json()["items"])


# Invariant check and stock value ----------------------------------------------------------------------
def test_stock_check_reports_drifts_without_repairing(api_as, stocked, warehouse):
    clerk = api_as("warehouse_clerk")
    assert clerk.get("/stock-check").json() == {"ok": True, "drifts": []}
    StockBalance.objects.filter(product=stocked, warehouse=warehouse).update(rejected=Decimal("1"))
    body = clerk.get("/stock-check").json()
    assert body["ok"] is False
    [drift] = body["drifts"]
    assert (drift["check"], drift["column"], Decimal(drift["expected"]), Decimal(drift["stored"])) == (
        "balance", "rejected", 0, 1)
    assert levels(stocked, warehouse)["rejected"] == 1  # reported, not repaired


def test_stock_value_by_warehouse_and_category(api_as, stocked, warehouse):
    body = api_as("finance").get("/stock-value").json()
    assert body["currency"] == "CNY"
    [row] = body["rows"]
    assert (row["warehouse_code"], row["category_code"], Decimal(row["quantity"]), Decimal(row["value"])) == (
        "SH", "TEA", 19, Decimal("190.00"))
    assert Decimal(body["total"]) == Decimal("190.00")
    assert api_as("finance").get("/stock-value", {"warehouse_id": 424242}).json()["rows"] == []


# Permissions ------------------------------------------------------------------------------------------
@pytest.mark.parametrize(("role", "allowed"), [
    ("sales_rep", {"levels", "moves"}),
    ("buyer", {"levels", "moves"}),
    ("finance", {"levels", "moves", "value"}),
    ("warehouse_clerk", {"levels", "moves", "counts", "check", "adjust"}),
    ("supplier", set()),
])
def test_permissions_by_role(api_as, stocked, warehouse, role, allowed):
    client = api_as(role)
    reads = {"levels": "/stock-levels", "moves": "/stock-moves", "counts": "/stock-counts",
             "check": "/stock-check", "value": "/stock-value"}
    for name, path in reads.items():
        assert client.get(path).status_code == (200 if name in allowed else 403), (role, path)
    before = unchanged()
    resp = client.post("/stock-adjustments", {"product_id": stocked.pk, "warehouse_id": warehouse.pk,
                                              "quantity": "1", "reason": "盘盈"})
    assert resp.status_code == (201 if "adjust" in allowed else 403)
    if "adjust" not in allowed:
        assert resp.json()["code"] == "permission_denied"
        assert unchanged() == before
        assert client.post("/stock-counts", {"warehouse_id": warehouse.pk}).status_code == 403
        assert client.post("/stock-transfers", {"lines": []}).status_code == 403


def test_anonymous_requests_are_refused(client):
    assert client.get("/api/v1/stock-levels").status_code == 401
    assert client.post("/api/v1/stock-adjustments", {}, content_type="application/json").status_code == 401

