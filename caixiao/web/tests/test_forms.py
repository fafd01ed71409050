"""Bad input re-renders the form with the errors on the right fields and changes nothing (N4)."""

from decimal import Decimal

from django.urls import reverse

from caixiao.catalog.models import Category, Product
from caixiao.partners.models import SupplierPrice
from caixiao.web.tests.conftest import post_data


def test_invalid_new_product_shows_errors_and_creates_nothing(admin_client, catalog):
    response = admin_client.post(reverse("web:product-create"), {"code": "bad code!", "name": "",
                                                                 "sale_price": "abc"})
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert {"code", "name", "category", "base_unit", "sale_price"} <= set(errors)
    assert "is-invalid" in response.text
    assert Product.objects.count() == 1


def test_duplicate_code_from_the_service_lands_on_the_code_field(admin_client, catalog):
    form = admin_client.get(reverse("web:product-create")).context["form"]
    response = admin_client.post(reverse("web:product-create"), {
        **post_data(form), "code": "p001", "name": "重复", "category": catalog["category"].pk,
        "base_unit": catalog["pcs"].pk})
    assert response.status_code == 200
    assert "code" in response.context["form"].errors
    assert Product.objects.count() == 1


def test_invalid_edit_changes_nothing(admin_client, catalog):
    product = catalog["product"]
    url = reverse("web:product-edit", args=[product.pk])
    form = admin_client.get(url).context["form"]
    response = admin_client.post(url, {**post_data(form), "name": "新名字", "sale_price": "-1"})
    assert response.status_code == 200
    assert "sale_price" in response.context["form"].errors
    product.refresh_from_db()
    assert (product.name, product.sale_price) == ("绿茶", Decimal("19.9"))
    assert product.history.count() == 1


def test_service_errors_on_foreign_keys_map_to_the_form_field(admin_client, catalog):
    parent = catalog["category"]
    child = Category.objects.create(code="GREEN", name="绿茶类", parent=parent)
    url = reverse("web:category-edit", args=[parent.pk])
    form = admin_client.get(url).context["form"]
    response = admin_client.post(url, {**post_data(form), "parent": child.pk})
    assert response.status_code == 200
    assert "parent" in response.context["form"].errors  # the service said "parent_id"
    parent.refresh_from_db()
    assert parent.parent_id is None


def test_duplicate_price_breaks_are_refused(admin_client, catalog, partners):
    url = reverse("web:supplierprice-create")
    form = admin_client.get(url).context["form"]
    response = admin_client.post(url, {
        **post_data(form), "supplier": partners["supplier"].pk, "product": catalog["product"].pk,
        "unit_price": "10", "breaks-0-min_quantity": "50", "breaks-0-unit_price": "9",
        "breaks-1-min_quantity": "50", "breaks-1-unit_price": "8"})
    assert response.status_code == 200
    assert response.context["form"].non_field_errors()
    assert not SupplierPrice.objects.exists()


def test_price_breaks_can_be_removed(admin_client, catalog, partners, admin_user):
    from caixiao.partners.services import create_supplier_price

    price = create_supplier_price(data={
        "supplier_id": partners["supplier"].pk, "product_id": catalog["product"].pk, "unit_price": Decimal("10"),
        "breaks": [{"min_quantity": Decimal("10"), "unit_price": Decimal("9")}]}, actor=admin_user)
    url = reverse("web:supplierprice-edit", args=[price.pk])
    form = admin_client.get(url).context["form"]
    response = admin_client.post(url, {**post_data(form), "breaks-0-DELETE": "on"})
    assert response.status_code == 302
    assert not price.breaks.exists()


def test_new_user_password_is_checked(admin_client, roles):
    form = admin_client.get(reverse("web:user-create")).context["form"]
    response = admin_client.post(reverse("web:user-create"), {**post_data(form), "username": "weak",
                                                               "password": "123"})
    assert response.status_code == 200
    assert "password" in response.context["form"].errors
