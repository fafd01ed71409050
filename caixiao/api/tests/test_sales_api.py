"""Issue 3 items 4, 5, 7, 9 / N4: the sales API — orders with their lines, ATP, reservations and
shipments; one POST action per transition; delivery notices step by step; purchase demand; scan;
bad input is a 4xx with a code and changes nothing; scoping and permissions; Idempotency-Key; query
ceilings on lists."""

from datetime import date
from decimal import Decimal

import pytest
from django.utils import translation

from caixiao.catalog.tests.factories import ProductFactory, UnitFactory
from caixiao.core.models import IdempotencyKey
from caixiao.inventory import services as inventory_services
from caixiao.inventory.invariants import check_invariants
from caixiao.inventory.tests.factories import LocationFactory, WarehouseFactory
from caixiao.partners.tests.factories import CustomerFactory
from caixiao.sales.models import DeliveryNotice, PurchaseDemand, SalesOrder
from caixiao.sales.tests.factories import make_order
from caixiao.sales.tests.helpers import levels, snapshot

pytestmark = pytest.mark.django_db
D = Decimal


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


@pytest.fixture
def api_as(api_as):
    """API clients that ask for English messages (the default is zh-Hans)."""

    def make(*roles, **fields):
        client = api_as(*roles, **fields)
        client.client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
        return client

    return make


@pytest.fixture
def warehouse(db):
    return WarehouseFactory(code="SH", name="上海仓")


@pytest.fixture
def bin_a(warehouse):
    return LocationFactory(warehouse=warehouse, code="A-01")


@pytest.fixture
def pcs(db):
    return UnitFactory(code="PCS", name="个", decimals=0)


@pytest.fixture
def tea(pcs):
    return ProductFactory(code="P-TEA", name="龙井", base_unit=pcs, sale_price=D("15.00"), barcode="6900001")


@pytest.fixture
def cup(pcs):
    return ProductFactory(code="P-CUP", name="茶杯", base_unit=pcs, sale_price=D("8.50"))


@pytest.fixture
def rep_api(api_as):
    return api_as("sales_rep")


@pytest.fixture
def clerk_api(api_as):
    return api_as("warehouse_clerk")


@pytest.fixture
def customer(rep_api):
    return CustomerFactory(code="C-TEA", name="茶楼", account_manager=rep_api.user)


@pytest.fixture
def stocked(tea, cup, warehouse, bin_a):
    for product, quantity in ((tea, "10"), (cup, "3")):
        inventory_services.receive_stock(requests=[inventory_services.ReceiveRequest(
            product_id=product.pk, warehouse_id=warehouse.pk, quantity=D(quantity), unit_cost=D("6"),
            location_id=bin_a.pk)], actor=None)


def order_body(customer, warehouse, *items, **extra):
    return {"customer_id": customer.pk, "warehouse_id": warehouse.pk,
            "lines": [{"product_id": p.pk, "quantity": q} for p, q in items], **extra}


# Orders -------------------------------------------------------------------------------------------------
def test_create_get_confirm_an_order_with_atp_reservations_and_frozen_totals(rep_api, customer, warehouse, tea, cup,
                                                                            stocked):
    resp = rep_api.post("/sales-orders", order_body(customer, warehouse, (tea, "4"), (cup, "5"),
                                                    requested_on="2031-06-01"))
    assert resp.status_code == 201, resp.content
    order = resp.json()
    assert (order["status"], order["customer_code"], order["total_gross"]) == ("draft", "C-TEA", "115.8300")
    assert [(line["available"], line["reservable"], line["shortage"]) for line in order["lines"]] == [
        ("10.000000", "4.000000", "0.000000"), ("3.000000", "3.000000", "2.000000")]

    resp = rep_api.post(f"/sales-orders/{order['id']}/confirm")

    assert resp.status_code == 200, resp.content
    body = resp.json()
    assert body["status"] == "confirmed" and body["confirmed_at"]
    assert [(line["quantity_reserved"], line["quantity_backordered"]) for line in body["lines"]] == [
        ("4.000000", "0.000000"), ("3.000000", "2.000000")]
    assert [(r["line_id"], r["quantity"], r["status"]) for r in body["reservations"]] == [
        (body["lines"][0]["id"], "4.000000", "open"), (body["lines"][1]["id"], "3.000000", "open")]
    assert [(d["product_code"], d["quantity"], d["status"]) for d in body["purchase_demands"]] == [
        ("P-CUP", "2.000000", "open")]
    assert rep_api.get(f"/sales-orders/{order['id']}").json() == body


def test_confirming_twice_and_other_transitions_out_of_order_are_409_and_change_nothing(rep_api, customer, warehouse,
                                                                                       tea, stocked):
    order = make_order(customer=customer, warehouse=warehouse, items=[(tea, 2)], actor=rep_api.user, confirm=True)
    before = snapshot()
    for action in ("confirm", "close"):
        resp = rep_api.post(f"/sales-orders/{order.pk}/{action}")
        assert resp.status_code == 409 and resp.json()["code"] == "invalid_transition", action
    assert snapshot() == before


def test_block_policy_answers_insufficient_stock_with_the_short_lines_and_records_demand(rep_api, customer, warehouse,
                                                                                        tea, cup, stocked):
    resp = rep_api.post("/sales-orders", order_body(customer, warehouse, (tea, "4"), (cup, "5"),
                                                    shortage_policy="block"))
    order_id = resp.json()["id"]

    resp = rep_api.post(f"/sales-orders/{order_id}/confirm")

    assert resp.status_code == 409
    error = resp.json()
    assert error["code"] == "insufficient_stock" and "line 2" in error["message"]
    assert [(s["position"], s["requested"], s["reservable"], s["shortage"]) for s in error["details"]["shortages"]] \
        == [(2, "5", "3", "2")]
    assert SalesOrder.objects.get(pk=order_id).status == "draft"
    assert levels(tea, warehouse) == (10, 0)
    assert list(PurchaseDemand.objects.values_list("quantity", "status")) == [(2, "open")]


@pytest.mark.parametrize(("line", "field", "message"), [
    ({"product_id": 987654, "quantity": "1"}, "lines.0.product_id", "Unknown product: 987654"),
    ({"quantity": "0"}, "lines.0.quantity", "Enter a quantity greater than zero."),
    ({"quantity": "-3"}, "lines.0.quantity", "Enter a quantity greater than zero."),
    ({"quantity": "1.5"}, "lines.0.quantity", "Enter a whole number of 个."),
    ({"quantity": "abc"}, "lines.0.quantity", "Enter a number."),
    ({"quantity": "NaN"}, "lines.0.quantity", "Enter a finite number."),
    ({"quantity": "1", "unit_price": "-2"}, "lines.0.unit_price", "Enter a value of at least 0."),
    ({"quantity": "1", "status": "confirmed"}, "lines.0.status", "Unknown field."),
])
def test_bad_lines_are_422_with_the_field_and_nothing_is_written(rep_api, customer, warehouse, tea, line, field,
                                                                message):
    before = snapshot()
    resp = rep_api.post("/sales-orders", {"customer_id": customer.pk, "warehouse_id": warehouse.pk,
                                          "lines": [{"product_id": tea.pk, **line}]})
    assert resp.status_code == 422, resp.content
    assert resp.json()["code"] == "validation_error"
    assert resp.json()["fields"] == {field: [message]}
    assert snapshot() == before


def test_patch_changes_a_draft_and_refuses_a_confirmed_order_or_a_status(rep_api, customer, warehouse, tea, cup,
                                                                         stocked):
    order = make_order(customer=customer, warehouse=warehouse, items=[(tea, 2)], actor=rep_api.user)
    line_id = order.lines.get().pk

    resp = rep_api.patch(f"/sales-orders/{order.pk}", {"notes": "急", "lines": [
        {"id": line_id, "product_id": tea.pk, "quantity": "3"}, {"product_id": cup.pk, "quantity": "1"}]})

    assert resp.status_code == 200, resp.content
    assert [(line["id"] == line_id, line["quantity"]) for line in resp.json()["lines"]] == [
        (True, "3.000000"), (False, "1.000000")]
    resp = rep_api.patch(f"/sales-orders/{order.pk}", {"status": "confirmed"})
    assert resp.status_code == 422 and resp.json()["fields"] == {"status": ["Unknown field."]}

    rep_api.post(f"/sales-orders/{order.pk}/confirm")
    before = snapshot()
    resp = rep_api.patch(f"/sales-orders/{order.pk}", {"notes": "改"})
    assert resp.status_code == 409 and resp.json()["code"] == "not_editable"
    assert snapshot() == before


def test_cancel_releases_and_records_the_reason(rep_api, customer, warehouse, tea, stocked):
    order = make_order(customer=customer, warehouse=warehouse, items=[(tea, 4)], actor=rep_api.user, confirm=True)
    resp = rep_api.post(f"/sales-orders/{order.pk}/cancel", {"reason": "客户取消"})
    assert resp.status_code == 200
    assert (resp.json()["status"], resp.json()["cancel_reason"]) == ("cancelled", "客户取消")
    assert levels(tea, warehouse) == (10, 0)


def test_availability_previews_lines_before_saving(rep_api, warehouse, tea, cup, stocked):
    resp = rep_api.post("/sales-orders/availability", {"warehouse_id": warehouse.pk, "lines": [
        {"product_id": tea.pk, "quantity": "6"}, {"product_id": tea.pk, "quantity": "6"},
        {"product_id": cup.pk, "quantity": "1"}]})
    assert resp.status_code == 200
    assert [(r["reservable"], r["shortage"]) for r in resp.json()] == [("6.000000", "0.000000"), ("4.000000", "2.000000"),
                                                                ("1.000000", "0.000000")]
    resp = rep_api.post("/sales-orders/availability", {"warehouse_id": 999999, "lines": [
        {"product_id": tea.pk, "quantity": "0.5"}]})
    assert resp.status_code == 422
    assert set(resp.json()["fields"]) == {"warehouse_id", "lines.0.quantity"}


def test_orders_are_scoped_to_the_reps_customers(rep_api, api_as, customer, warehouse, tea):
    mine = make_order(customer=customer, warehouse=warehouse, items=[(tea, 1)], actor=rep_api.user)
    other_api = api_as("sales_rep")
    theirs = make_order(customer=CustomerFactory(account_manager=other_api.user), warehouse=warehouse,
                        items=[(tea, 1)], actor=other_api.user)

    assert [o["id"] for o in rep_api.get("/sales-orders").json()["items"]] == [mine.pk]
    assert rep_api.get(f"/sales-orders/{theirs.pk}").status_code == 404
    assert rep_api.post(f"/sales-orders/{theirs.pk}/confirm").status_code == 404
    resp = rep_api.post("/sales-orders", order_body(other_api.user.sales_orders.get().customer, warehouse, (tea, 1)))
    assert resp.status_code == 422 and "customer_id" in resp.json()["fields"]


def test_order_list_filters_and_is_query_bounded(rep_api, customer, warehouse, tea, django_assert_max_num_queries):
    for day in range(1, 8):
        make_order(customer=customer, warehouse=warehouse, items=[(tea, 1)], actor=rep_api.user,
                   requested_on=date(2031, 1, day), customer_reference=f"PO-{day}")
    with django_assert_max_num_queries(8):  # token (2), permissions (2), scope (1), count, page
        resp = rep_api.get("/sales-orders", {"page_size": 50})
    assert resp.status_code == 200 and resp.json()["count"] == 7
    assert rep_api.get("/sales-orders", {"date_from": "2031-01-03", "date_to": "2031-01-04"}).json()["count"] == 2
    assert rep_api.get("/sales-orders", {"q": "PO-5"}).json()["count"] == 1
    assert rep_api.get("/sales-orders", {"status": "confirmed"}).json()["count"] == 0
    assert rep_api.get("/sales-orders", {"status": "nonsense"}).status_code == 422


def test_roles_decide_who_does_what(api_as, rep_api, customer, warehouse, tea, stocked):
    order = make_order(customer=customer, warehouse=warehouse, items=[(tea, 1)], actor=rep_api.user)
    clerk, finance = api_as("warehouse_clerk"), api_as("finance")
    assert clerk.get(f"/sales-orders/{order.pk}").status_code == 200
    assert finance.get(f"/sales-orders/{order.pk}").status_code == 200
    assert clerk.post("/sales-orders", order_body(customer, warehouse, (tea, 1))).status_code == 403
    assert finance.post(f"/sales-orders/{order.pk}/confirm").status_code == 403
    assert rep_api.post("/sales-orders/allocate-backorders", {"product_id": tea.pk,
                                                              "warehouse_id": warehouse.pk}).status_code == 403
    assert api_as("buyer").get("/purchase-demands").status_code == 200
    assert api_as("qc_inspector").get("/sales-orders").status_code == 403


def test_allocate_backorders_action_and_purchase_demand_list(clerk_api, rep_api, customer, warehouse, tea, bin_a,
                                                             django_assert_max_num_queries):
    order = make_order(customer=customer, warehouse=warehouse, items=[(tea, 5)], actor=rep_api.user, confirm=True)
    with django_assert_max_num_queries(8):
        resp = rep_api.get("/purchase-demands", {"status": "open"})
    assert [(d["order_number"], d["quantity"]) for d in resp.json()["items"]] == [(order.number, "5.000000")]
    inventory_services.receive_stock(requests=[inventory_services.ReceiveRequest(
        product_id=tea.pk, warehouse_id=warehouse.pk, quantity=D("3"), unit_cost=D("6"), location_id=bin_a.pk)],
        actor=None)

    resp = clerk_api.post("/sales-orders/allocate-backorders", {"product_id": tea.pk, "warehouse_id": warehouse.pk})

    assert resp.status_code == 200
    assert [(a["order_number"], a["reserved"], a["backordered"]) for a in resp.json()] == [
        (order.number, "3.000000", "2.000000")]
    assert rep_api.get("/purchase-demands", {"status": "open"}).json()["items"][0]["quantity"] == "2.000000"


# Delivery notices ---------------------------------------------------------------------------------------
def test_notice_from_order_through_pick_pack_check_ship(clerk_api, rep_api, customer, warehouse, tea, cup, bin_a,
                                                       stocked):
    order = make_order(customer=customer, warehouse=warehouse, items=[(tea, 4), (cup, 3)], actor=rep_api.user,
                       confirm=True)
    resp = clerk_api.post("/delivery-notices", {"order_id": order.pk})
    assert resp.status_code == 201, resp.content
    notice = resp.json()
    assert [(line["product_code"], line["quantity"], line["picks"]) for line in notice["lines"]] == [
        ("P-TEA", "4.000000", []), ("P-CUP", "3.000000", [])]
    assert [n["number"] for n in clerk_api.get("/delivery-notices").json()["items"]] == [notice["number"]]

    picked = clerk_api.post(f"/delivery-notices/{notice['id']}/start-picking").json()
    assert [line["picks"] for line in picked["lines"]] == [
        [{"location_id": bin_a.pk, "location_code": "A-01", "quantity": "4.000000"}],
        [{"location_id": bin_a.pk, "location_code": "A-01", "quantity": "3.000000"}]]
    assert clerk_api.post(f"/delivery-notices/{notice['id']}/pack", {"packages": 2, "weight_kg": "3.5"}
                          ).json()["packages"] == 2
    first, second = picked["lines"]
    resp = clerk_api.post(f"/delivery-notices/{notice['id']}/check", {"lines": [
        {"line_id": first["id"], "quantity": "4"}, {"line_id": second["id"], "quantity": "2"}]})
    assert resp.status_code == 422 and resp.json()["code"] == "check_mismatch"
    assert resp.json()["fields"] == {"lines.1.quantity": ["Counted 2, the notice says 3."]}
    assert clerk_api.post(f"/delivery-notices/{notice['id']}/check", {"lines": [
        {"line_id": first["id"], "quantity": "4"}, {"line_id": second["id"], "quantity": "3"}]}).status_code == 200

    resp = clerk_api.post(f"/delivery-notices/{notice['id']}/ship", {"carrier": "顺丰", "tracking_number": "SF1"})

    assert resp.status_code == 200
    shipped = resp.json()
    assert shipped["status"] == "shipped" and shipped["outbound_number"].startswith("OS-")
    assert [line["cost_of_goods"] for line in shipped["lines"]] == ["24.0000", "18.0000"]
    detail = rep_api.get(f"/sales-orders/{order.pk}").json()
    assert detail["status"] == "shipped"
    assert [(n["number"], n["status"]) for n in detail["delivery_notices"]] == [(notice["number"], "shipped")]
    assert clerk_api.get("/delivery-notices").json()["count"] == 0
    assert clerk_api.get("/delivery-notices", {"scope": "all"}).json()["count"] == 1
    assert check_invariants() == []


def test_shipping_more_than_reserved_and_steps_out_of_order_are_409(clerk_api, rep_api, customer, warehouse, tea,
                                                                    stocked):
    order = make_order(customer=customer, warehouse=warehouse, items=[(tea, 4)], actor=rep_api.user, confirm=True)
    line_id = order.lines.get().pk
    before = snapshot()
    resp = clerk_api.post("/delivery-notices", {"order_id": order.pk, "lines": [{"order_line_id": line_id,
                                                                                  "quantity": "5"}]})
    assert resp.status_code == 409 and resp.json()["code"] == "exceeds_reserved"
    assert resp.json()["fields"] == {"lines.0.quantity": [
        "At most 4 can be shipped: that is what is reserved and not on another notice."]}
    assert snapshot() == before

    notice = clerk_api.post("/delivery-notices", {"order_id": order.pk}).json()
    before = snapshot()
    for step, body in (("ship", {}), ("pack", {}), ("check", {"lines": []})):
        resp = clerk_api.post(f"/delivery-notices/{notice['id']}/{step}", body)
        assert resp.status_code == 409 and resp.json()["code"] == "invalid_transition", step
    assert snapshot() == before
    resp = clerk_api.post(f"/delivery-notices/{notice['id']}/cancel", {"reason": "改期"})
    assert resp.json()["status"] == "cancelled"


def test_notice_lists_are_query_bounded(clerk_api, rep_api, customer, warehouse, tea, stocked,
                                        django_assert_max_num_queries):
    for _ in range(5):
        order = make_order(customer=customer, warehouse=warehouse, items=[(tea, 1)], actor=rep_api.user,
                           confirm=True)
        clerk_api.post("/delivery-notices", {"order_id": order.pk})
    with django_assert_max_num_queries(7):
        resp = clerk_api.get("/delivery-notices")
    assert resp.json()["count"] == 5
    with django_assert_max_num_queries(7):
        assert clerk_api.get("/delivery-notices", {"scope": "all", "q": "DN-"}).json()["count"] == 5


def test_scan_finds_documents_and_products(clerk_api, rep_api, customer, warehouse, tea, stocked):
    order = make_order(customer=customer, warehouse=warehouse, items=[(tea, 1)], actor=rep_api.user, confirm=True)
    notice = clerk_api.post("/delivery-notices", {"order_id": order.pk}).json()
    assert clerk_api.get("/scan", {"code": notice["number"]}).json() == {
        "kind": "delivery_notice", "id": notice["id"], "label": notice["number"]}
    assert clerk_api.get("/scan", {"code": order.number}).json()["kind"] == "sales_order"
    assert clerk_api.get("/scan", {"code": "6900001"}).json() == {"kind": "product", "id": tea.pk,
                                                                   "label": "P-TEA 龙井"}
    resp = clerk_api.get("/scan", {"code": "XYZ"})
    assert resp.status_code == 404 and resp.json()["code"] == "not_found"
    assert clerk_api.get("/scan").status_code == 422


# Idempotency-Key ----------------------------------------------------------------------------------------
def test_a_retry_with_the_same_key_returns_the_first_response_and_acts_once(rep_api, customer, warehouse, tea,
                                                                            stocked):
    body = order_body(customer, warehouse, (tea, "2"))
    first = rep_api.post("/sales-orders", body, HTTP_IDEMPOTENCY_KEY="k-1")
    again = rep_api.post("/sales-orders", body, HTTP_IDEMPOTENCY_KEY="k-1")

    assert first.status_code == again.status_code == 201
    assert again.json() == first.json() and again["Idempotent-Replayed"] == "true"
    assert SalesOrder.objects.count() == 1
    order_id = first.json()["id"]
    confirm = rep_api.post(f"/sales-orders/{order_id}/confirm", HTTP_IDEMPOTENCY_KEY="k-2")
    assert rep_api.post(f"/sales-orders/{order_id}/confirm", HTTP_IDEMPOTENCY_KEY="k-2").json() == confirm.json()
    assert levels(tea, warehouse) == (10, 2)

    other = rep_api.post("/sales-orders", order_body(customer, warehouse, (tea, "3")), HTTP_IDEMPOTENCY_KEY="k-1")
    assert other.status_code == 422 and other.json()["code"] == "idempotency_key_reused"


def test_a_duplicate_while_the_first_runs_is_409_and_errors_free_the_key(rep_api, customer, warehouse, tea):
    IdempotencyKey.objects.create(user=rep_api.user, key="busy", fingerprint="x" * 64)
    resp = rep_api.post("/sales-orders", order_body(customer, warehouse, (tea, "1")), HTTP_IDEMPOTENCY_KEY="busy")
    assert resp.status_code == 409 and resp.json()["code"] == "idempotency_key_in_use"

    bad = rep_api.post("/sales-orders", order_body(customer, warehouse, (tea, "0")), HTTP_IDEMPOTENCY_KEY="k-3")
    assert bad.status_code == 422
    assert not IdempotencyKey.objects.filter(key="k-3").exists()  # an error is not cached: fix and retry
    good = rep_api.post("/sales-orders", order_body(customer, warehouse, (tea, "1")), HTTP_IDEMPOTENCY_KEY="k-3")
    assert good.status_code == 201
    assert DeliveryNotice.objects.count() == 0


def test_keys_belong_to_their_user(rep_api, api_as, customer, warehouse, tea):
    body = order_body(customer, warehouse, (tea, "1"))
    assert rep_api.post("/sales-orders", body, HTTP_IDEMPOTENCY_KEY="same").status_code == 201
    manager = api_as("administrator", username="boss")
    assert manager.post("/sales-orders", body, HTTP_IDEMPOTENCY_KEY="same").status_code == 201
    assert SalesOrder.objects.count() == 2
