"""Child records on detail pages: unit conversions, contacts, addresses, bin locations."""

from decimal import Decimal

from django.urls import reverse

from caixiao.catalog.models import ProductUnit
from caixiao.inventory.models import Location
from caixiao.partners.models import Address, Contact

HTMX = {"HTTP_HX_REQUEST": "true"}


def test_unit_conversion_is_added_inline_with_htmx(admin_client, catalog):
    product = catalog["product"]
    url = reverse("web:product-child-add", args=[product.pk, "units"])
    response = admin_client.post(url, {"unit": catalog["box"].pk, "factor": "24", "barcode": "6901234567892"}, **HTMX)
    assert response.status_code == 200
    assert next(t.name for t in response.templates) == "web/_child_table.html"
    assert "<html" not in response.text
    conversion = ProductUnit.objects.get(product=product)
    assert (conversion.unit, conversion.factor) == (catalog["box"], Decimal("24"))
    assert "BOX" in response.text


def test_invalid_unit_conversion_shows_errors_in_the_partial(admin_client, catalog):
    product = catalog["product"]
    url = reverse("web:product-child-add", args=[product.pk, "units"])
    response = admin_client.post(url, {"unit": catalog["pcs"].pk, "factor": "2"}, **HTMX)
    assert response.status_code == 200
    assert "unit" in response.context["child"]["form"].errors  # "The base unit needs no conversion."
    assert 'class="collapse show"' in response.text
    assert not ProductUnit.objects.exists()


def test_contact_is_added_without_javascript_too(admin_client, partners):
    customer = partners["customer"]
    response = admin_client.post(reverse("web:customer-child-add", args=[customer.pk, "contacts"]),
                                 {"name": "张经理", "phone": "13800000000", "is_primary": "on"})
    assert response.status_code == 302
    assert response.url == reverse("web:customer-detail", args=[customer.pk])
    contact = Contact.objects.get()
    assert (contact.customer, contact.name, contact.is_primary) == (customer, "张经理", True)
    detail = admin_client.get(response.url)
    assert "张经理" in detail.text


def test_address_is_edited_on_its_own_page_and_deleted(admin_client, partners, admin_user):
    from caixiao.partners.services import create_address

    customer = partners["customer"]
    address = create_address(data={"customer_id": customer.pk, "recipient": "王五", "province": "上海市",
                                   "city": "上海市", "street": "南京路 1 号"}, actor=admin_user)
    url = reverse("web:customer-child-edit", args=[customer.pk, "addresses", address.pk])
    form = admin_client.get(url).context["form"]
    assert form["street"].value() == "南京路 1 号"
    response = admin_client.post(url, {"recipient": "王五", "province": "上海市", "city": "上海市",
                                       "street": "南京东路 100 号"})
    assert response.status_code == 302
    address.refresh_from_db()
    assert address.street == "南京东路 100 号"

    response = admin_client.post(reverse("web:customer-child-delete", args=[customer.pk, "addresses", address.pk]))
    assert response.status_code == 302
    assert not Address.objects.exists()


def test_bin_location_is_added_and_deactivated(admin_client, warehouse):
    response = admin_client.post(reverse("web:warehouse-child-add", args=[warehouse.pk, "locations"]),
                                 {"code": "a-01-01", "name": "A区1排1层", "is_active": "on"}, **HTMX)
    assert response.status_code == 200
    location = Location.objects.get(warehouse=warehouse)
    assert location.code == "A-01-01"
    url = reverse("web:warehouse-child-edit", args=[warehouse.pk, "locations", location.pk])
    response = admin_client.post(url, {"code": "A-01-01", "name": "A区1排1层"})
    assert response.status_code == 302
    location.refresh_from_db()
    assert not location.is_active


def test_child_of_another_parent_is_not_found(admin_client, partners, admin_user):
    from caixiao.partners.services import create_contact, create_customer

    other = create_customer(data={"code": "C002", "name": "别家", "category_id": partners["ccat"].pk,
                                  "region_id": partners["region"].pk}, actor=admin_user)
    contact = create_contact(data={"customer_id": other.pk, "name": "李四"}, actor=admin_user)
    url = reverse("web:customer-child-edit", args=[partners["customer"].pk, "contacts", contact.pk])
    assert admin_client.get(url).status_code == 404
    assert admin_client.get(reverse("web:customer-child-add", args=[other.pk, "nothing"])).status_code == 404


def test_child_permissions_are_checked(login, make_user, warehouse):
    client = login(make_user("sales_rep"))
    response = client.post(reverse("web:warehouse-child-add", args=[warehouse.pk, "locations"]), {"code": "X"})
    assert response.status_code == 403
    assert not Location.objects.exists()
