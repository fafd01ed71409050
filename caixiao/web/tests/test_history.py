"""Detail pages show who changed which field from what to what, and when (X10)."""

from django.urls import reverse

from caixiao.web.history import change_history
from caixiao.web.tests.conftest import post_data


def test_product_detail_shows_field_changes_with_user(admin_client, catalog, admin_user):
    product = catalog["product"]
    url = reverse("web:product-edit", args=[product.pk])
    form = admin_client.get(url).context["form"]
    admin_client.post(url, {**post_data(form), "name": "龙井", "category": catalog["category"].pk,
                            "sale_price": "25"})

    entries = admin_client.get(reverse("web:product-detail", args=[product.pk])).context["history"]
    latest = entries[0]
    assert latest.user == str(admin_user)
    assert {(c.old, c.new) for c in latest.changes} == {("绿茶", "龙井"), ("19.90", "25.00")}
    assert len(entries) == 2  # created, changed


def test_foreign_key_changes_show_the_records_names(admin_user, catalog):
    from caixiao.catalog.services import create_category, update_product

    drinks = create_category(data={"code": "DRINK", "name": "饮料"}, actor=admin_user)
    update_product(instance=catalog["product"], data={"category_id": drinks.pk}, actor=admin_user)
    change = change_history(catalog["product"])[0].changes[0]
    assert (change.old, change.new) == ("FOOD 食品", "DRINK 饮料")


def test_role_changes_appear_in_the_user_history(admin_client, make_user, admin_user):
    from caixiao.accounts.services import set_roles

    clerk = make_user("warehouse_clerk")
    set_roles(user=clerk, roles=["warehouse_clerk", "qc_inspector"], actor=admin_user)
    entries = admin_client.get(reverse("web:user-detail", args=[clerk.pk])).context["history"]
    roles = next(e for e in entries if e.changes and "qc_inspector" in e.changes[0].new)
    assert roles.user == str(admin_user)
    assert roles.changes[0].old == "warehouse_clerk"
