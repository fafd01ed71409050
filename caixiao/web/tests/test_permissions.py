"""Every page checks login and the model permission on the server; the menu follows the role (X2)."""

import pytest
from django.urls import reverse

from caixiao.catalog.models import Product
from caixiao.web.navigation import MENU


def section_labels(response):
    return [str(section["label"]) for section in response.context["nav_menu"]]


def menu_urls(response):
    return {item["url"] for section in response.context["nav_menu"] for item in section["items"]}


@pytest.mark.parametrize("url_name", ["web:product-list", "web:product-create", "web:workbench", "web:api-tokens"])
def test_anonymous_visitors_are_sent_to_the_login_page(client, db, url_name):
    response = client.get(reverse(url_name))
    assert response.status_code == 302
    assert response.url.startswith(reverse("web:login"))


def test_warehouse_clerk_may_not_create_products(login, make_user, catalog):
    client = login(make_user("warehouse_clerk"))
    response = client.get(reverse("web:product-create"))
    assert response.status_code == 403
    assert "web/403.html" in [t.name for t in response.templates]

    response = client.post(reverse("web:product-create"), {
        "code": "HACK", "name": "x", "category": catalog["category"].pk, "base_unit": catalog["pcs"].pk})
    assert response.status_code == 403
    assert not Product.objects.filter(code="HACK").exists()


def test_sales_rep_sees_products_but_may_not_change_them(login, make_user, catalog):
    client = login(make_user("sales_rep"))
    product = catalog["product"]
    listing = client.get(reverse("web:product-list"))
    assert listing.status_code == 200
    assert listing.context["create_url"] == ""
    detail = client.get(reverse("web:product-detail", args=[product.pk]))
    assert detail.status_code == 200
    assert detail.context["edit_url"] == "" and detail.context["toggle_url"] == ""
    assert client.get(reverse("web:product-edit", args=[product.pk])).status_code == 403
    assert client.post(reverse("web:product-deactivate", args=[product.pk])).status_code == 403
    product.refresh_from_db()
    assert product.is_active


def test_organisation_pages_are_for_administrators(login, make_user, admin_user):
    rep = login(make_user("sales_rep"))
    assert rep.get(reverse("web:user-list")).status_code == 403
    assert rep.get(reverse("web:department-create")).status_code == 403
    assert rep.get(reverse("web:user-detail", args=[admin_user.pk])).status_code == 403


def test_executive_may_view_users_but_not_add_them(login, make_user):
    client = login(make_user("executive"))
    assert client.get(reverse("web:user-list")).status_code == 200
    assert client.get(reverse("web:user-create")).status_code == 403


def test_deactivation_needs_a_post(admin_client, catalog):
    url = reverse("web:product-deactivate", args=[catalog["product"].pk])
    assert admin_client.get(url).status_code == 405


def test_menu_shows_only_what_the_role_may_see(login, make_user):
    rep = login(make_user("sales_rep")).get(reverse("web:workbench"))
    assert reverse("web:customer-list") in menu_urls(rep)
    assert reverse("web:user-list") not in menu_urls(rep)
    assert reverse("web:api-tokens") in menu_urls(rep)

    clerk = login(make_user("warehouse_clerk")).get(reverse("web:workbench"))
    assert reverse("web:warehouse-list") in menu_urls(clerk)
    assert reverse("web:department-list") not in menu_urls(clerk)


def test_administrator_sees_every_section(admin_client):
    response = admin_client.get(reverse("web:workbench"))
    assert len(section_labels(response)) == len(MENU)
    assert {reverse(f"web:{key}-list") for key in ("product", "category", "unit", "customer", "customercategory",
                                                   "region", "paymentterm", "supplier", "supplierprice", "warehouse",
                                                   "user", "department", "position")} <= menu_urls(response)


def test_user_without_roles_sees_only_workbench_tokens_and_own_notifications(login, make_user):
    response = login(make_user()).get(reverse("web:workbench"))
    assert menu_urls(response) == {reverse("web:workbench"), reverse("web:api-tokens"), reverse("web:todos"),
                                   reverse("web:notifications"), reverse("web:notification-preferences"),
                                   reverse("web:approvals"), reverse("web:approval-delegations")}
    assert [s["url"] for s in response.context["shortcuts"]] == [reverse("web:api-tokens")]
