"""X1/X9/N4: product API contract — create, validate, paginate, permissions, history."""

from decimal import Decimal

import pytest

from caixiao.catalog.models import Product
from caixiao.catalog.tests.factories import CategoryFactory, ProductFactory, UnitFactory

pytestmark = pytest.mark.django_db


def product_payload(**overrides):
    cat = CategoryFactory()
    unit = UnitFactory()
    data = {"code": "sku-001", "name": "螺丝刀", "category_id": cat.pk, "base_unit_id": unit.pk,
            "purchase_price": "12.50", "sale_price": "19.90", "safety_stock": "10"}
    data.update(overrides)
    return data


def test_create_product_normalizes_code_and_keeps_decimals(api):
    resp = api.post("/products", product_payload())
    assert resp.status_code == 201, resp.content
    body = resp.json()
    assert body["code"] == "SKU-001"
    assert Decimal(body["sale_price"]) == Decimal("19.90")
    assert Product.objects.get(code="SKU-001").purchase_price == Decimal("12.50")


def test_duplicate_code_is_409_and_changes_nothing(api):
    ProductFactory(code="SKU-001")
    resp = api.post("/products", product_payload())
    assert resp.status_code == 409
    assert resp.json()["code"] == "duplicate"
    assert Product.objects.filter(code="SKU-001").count() == 1


@pytest.mark.parametrize(("field", "value"), [
    ("code", "bad code!"), ("purchase_price", "-1"), ("category_id", 999999), ("sale_price", "1.23456"),
])
def test_bad_input_is_422_with_field_errors(api, field, value):
    resp = api.post("/products", product_payload(**{field: value}))
    assert resp.status_code == 422, resp.content
    body = resp.json()
    assert body["code"] == "validation_error"
    assert field in body["fields"]
    assert not Product.objects.exists()


def test_malformed_json_is_400(api):
    resp = api.client.post("/api/v1/products", "{not json", content_type="application/json")
    assert resp.status_code == 400
    assert resp.json()["code"] == "malformed_json"


def test_oversized_page_is_422(api):
    resp = api.get("/products", {"page_size": 10_000})
    assert resp.status_code == 422
    assert "page_size" in resp.json()["fields"]


def test_list_is_paginated_searchable_and_query_bounded(api, django_assert_max_num_queries):
    for i in range(30):
        ProductFactory(code=f"A{i:03d}", name=f"扳手{i}")
    ProductFactory(code="B001", name="钳子")
    with django_assert_max_num_queries(6):
        resp = api.get("/products", {"page_size": 10, "q": "扳手"})
    body = resp.json()
    assert body["count"] == 30
    assert len(body["items"]) == 10


@pytest.mark.parametrize("param", ["category_id", "buyer_id"])
def test_out_of_range_id_filter_is_422(api, param):
    resp = api.get("/products", {param: 2**70})
    assert resp.status_code == 422
    assert param in resp.json()["fields"]


def test_anonymous_is_401_and_role_without_permission_is_403(client, api_as):
    assert client.get("/api/v1/products").status_code == 401
    qc = api_as("supplier")
    resp = qc.get("/products")
    assert resp.status_code == 403
    assert resp.json()["code"] == "permission_denied"


def test_history_shows_who_changed_what(api):
    product = ProductFactory(sale_price=Decimal("15.00"))
    assert api.patch(f"/products/{product.pk}", {"sale_price": "16.00"}).status_code == 200
    history = api.get(f"/products/{product.pk}/history").json()
    assert history[0]["action"] == "changed"
    assert history[0]["user"] == str(api.user)
    assert history[0]["changes"]["sale_price"] == ["15.0000", "16.0000"]


def test_product_in_use_cannot_be_deleted_but_can_be_deactivated(api):
    product = ProductFactory()
    from caixiao.catalog.models import ProductUnit
    ProductUnit.objects.create(product=product, unit=UnitFactory(code="BOX", name="箱"), factor=Decimal("12"))
    assert api.post(f"/products/{product.pk}/deactivate").json()["is_active"] is False
    assert api.delete(f"/products/{product.pk}").status_code == 204  # units cascade with the product
