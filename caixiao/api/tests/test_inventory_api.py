"""X1/N4: warehouse and bin location API contract, bad input, permissions and query counts."""

import pytest

from caixiao.inventory.models import Location, Warehouse
from caixiao.inventory.tests.factories import LocationFactory, WarehouseFactory

pytestmark = pytest.mark.django_db


def test_warehouse_contract(api, make_user):
    manager = make_user("warehouse_clerk")
    created = api.post("/warehouses", {"code": "wh-hz", "name": "杭州仓", "manager_id": manager.pk})
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["code"] == "WH-HZ"
    assert body["manager_name"] == str(manager)
    pk = body["id"]

    assert api.get(f"/warehouses/{pk}").json() == body
    assert api.patch(f"/warehouses/{pk}", {"address": "余杭区1号"}).json()["address"] == "余杭区1号"
    assert api.post(f"/warehouses/{pk}/deactivate").json()["is_active"] is False
    assert api.get("/warehouses", {"is_active": False}).json()["count"] == 1
    history = api.get(f"/warehouses/{pk}/history").json()
    assert [h["action"] for h in history] == ["changed", "changed", "created"]
    assert history[1]["changes"]["address"] == ["", "余杭区1号"]
    assert api.delete(f"/warehouses/{pk}").status_code == 204
    assert not Warehouse.objects.exists()


def test_location_contract(api):
    warehouse = WarehouseFactory()
    created = api.post("/locations", {"warehouse_id": warehouse.pk, "code": "a-01-03", "barcode": "LOC0103"})
    assert created.status_code == 201, created.content
    body = created.json()
    assert (body["code"], body["warehouse_code"]) == ("A-01-03", warehouse.code)
    pk = body["id"]

    assert api.get(f"/locations/{pk}").json() == body
    assert api.patch(f"/locations/{pk}", {"name": "一号货架"}).json()["name"] == "一号货架"
    assert api.post(f"/locations/{pk}/deactivate").json()["is_active"] is False
    assert api.get(f"/locations/{pk}/history").json()[0]["changes"]["is_active"] == [True, False]
    assert api.delete(f"/locations/{pk}").status_code == 204


def test_location_never_moves_to_another_warehouse(api):
    location = LocationFactory()
    other = WarehouseFactory()
    resp = api.patch(f"/locations/{location.pk}", {"warehouse_id": other.pk, "name": "x"})
    assert resp.status_code == 200
    assert resp.json()["warehouse_id"] == location.warehouse_id


def test_warehouse_with_locations_cannot_be_deleted(api):
    location = LocationFactory()
    resp = api.delete(f"/warehouses/{location.warehouse_id}")
    assert resp.status_code == 409
    assert resp.json()["code"] == "in_use"


def test_location_codes_are_unique_per_warehouse(api):
    location = LocationFactory(code="A-01")
    resp = api.post("/locations", {"warehouse_id": location.warehouse_id, "code": "a-01"})
    assert resp.status_code == 409
    assert resp.json()["code"] == "duplicate"
    other = api.post("/locations", {"warehouse_id": WarehouseFactory().pk, "code": "A-01"})
    assert other.status_code == 201


def test_duplicate_warehouse_code_is_409(api):
    WarehouseFactory(code="WH1")
    resp = api.post("/warehouses", {"code": "wh1", "name": "x"})
    assert resp.status_code == 409
    assert resp.json()["code"] == "duplicate"


@pytest.mark.parametrize(("path", "payload", "field"), [
    ("warehouses", {"code": "bad code", "name": "x"}, "code"),
    ("warehouses", {"code": "W2", "name": ""}, "name"),
    ("warehouses", {"code": "W2", "name": "x", "manager_id": 999999}, "manager_id"),
    ("locations", {"warehouse_id": 999999, "code": "A"}, "warehouse_id"),
    ("locations", {"code": "A"}, "warehouse_id"),
    ("locations", {"warehouse_id": 1, "code": "a b"}, "code"),
])
def test_bad_input_is_422_with_the_field_named(api, path, payload, field):
    if path == "locations" and payload.get("warehouse_id") == 1:
        payload["warehouse_id"] = WarehouseFactory().pk
    resp = api.post(f"/{path}", payload)
    assert resp.status_code == 422, resp.content
    assert field in resp.json()["fields"]
    assert not Location.objects.exists()


def test_malformed_json_and_oversized_pages(api):
    assert api.client.post("/api/v1/warehouses", "[", content_type="application/json").status_code == 400
    assert api.get("/locations", {"page_size": 201}).status_code == 422


def test_locations_filter_by_warehouse_and_search(api):
    hz, nb = WarehouseFactory(), WarehouseFactory()
    LocationFactory(warehouse=hz, code="A-01", barcode="B-1")
    LocationFactory(warehouse=hz, code="A-02")
    LocationFactory(warehouse=nb, code="A-01")
    assert api.get("/locations", {"warehouse_id": hz.pk}).json()["count"] == 2
    assert api.get("/locations", {"barcode": "B-1"}).json()["count"] == 1
    assert api.get("/locations", {"q": "a-0"}).json()["count"] == 3


def test_permissions(client, api_as):
    warehouse = WarehouseFactory()
    assert client.get("/api/v1/warehouses").status_code == 401
    assert api_as("sales_rep").get("/locations").status_code == 200
    assert api_as("sales_rep").post("/warehouses", {"code": "W9", "name": "x"}).status_code == 403
    assert api_as("supplier").get("/warehouses").status_code == 403
    clerk = api_as("warehouse_clerk")
    assert clerk.post("/locations", {"warehouse_id": warehouse.pk, "code": "B-01"}).status_code == 201
    assert api_as("buyer").delete(f"/warehouses/{warehouse.pk}").status_code == 403


@pytest.mark.parametrize(("path", "make"), [
    ("warehouses", lambda user: WarehouseFactory(manager=user)),
    ("locations", lambda user: LocationFactory()),
])
def test_list_query_count_does_not_grow_with_rows(api, path, make, django_assert_max_num_queries):
    for _ in range(25):
        make(api.user)
    api.get(f"/{path}")
    with django_assert_max_num_queries(5):
        resp = api.get(f"/{path}", {"page_size": 20})
    assert len(resp.json()["items"]) == 20
