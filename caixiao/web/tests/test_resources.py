"""Every master-data resource: list, detail, create and edit through the staff UI as an administrator."""

from decimal import Decimal

import pytest
from django.urls import reverse

from caixiao.accounts.models import Department, Position, User
from caixiao.catalog.models import Category, Product, Unit
from caixiao.inventory.models import Warehouse
from caixiao.partners.models import Customer, CustomerCategory, PaymentTerm, Region, Supplier, SupplierPrice
from caixiao.web.resources import RESOURCES
from caixiao.web.tests.conftest import post_data


def cases(w):
    """key → (existing record, fields for a new record, lookup of the new record, a change for the edit)."""
    return {
        "category": (w["category"], {"code": "drink", "name": "饮料", "parent": w["category"].pk},
                     Category, {"code": "DRINK"}, {"name": "食品类"}),
        "unit": (w["pcs"], {"code": "KG", "name": "千克", "decimals": 3}, Unit, {"code": "KG"}, {"decimals": 2}),
        "product": (w["product"], {"code": "P002", "name": "红茶", "category": w["category"].pk,
                                   "base_unit": w["pcs"].pk, "purchase_price": "8.20", "sale_price": "12"},
                    Product, {"code": "P002", "sale_price": Decimal("12")}, {"sale_price": "21.50"}),
        "region": (w["region"], {"code": "NORTH", "name": "华北"}, Region, {"code": "NORTH"}, {"name": "华东区"}),
        "paymentterm": (w["term"], {"code": "NET60", "name": "60天", "days": 60}, PaymentTerm, {"days": 60},
                        {"days": 45}),
        "customercategory": (w["ccat"], {"code": "VIP", "name": "大客户"}, CustomerCategory, {"code": "VIP"},
                             {"name": "零售客户"}),
        "customer": (w["customer"], {"code": "C002", "name": "北京商贸", "category": w["ccat"].pk,
                                     "region": w["region"].pk, "credit_limit": "50000"},
                     Customer, {"code": "C002", "credit_limit": Decimal("50000")}, {"phone": "021-5555"}),
        "supplier": (w["supplier"], {"code": "S002", "name": "福建茶园", "bank_name": "招商银行"},
                     Supplier, {"code": "S002", "bank_name": "招商银行"}, {"bank_account_number": "6225 0000"}),
        "supplierprice": (None, {"supplier": w["supplier"].pk, "product": w["product"].pk, "unit_price": "11.5",
                                 "breaks-0-min_quantity": "100", "breaks-0-unit_price": "10.8"},
                          SupplierPrice, {"unit_price": Decimal("11.5"), "breaks__unit_price": Decimal("10.8")},
                          {"lead_time_days": 12}),
        "warehouse": (w["warehouse"], {"code": "WH2", "name": "北京仓"}, Warehouse, {"code": "WH2"},
                      {"address": "浦东新区 1 号"}),
        "user": (None, {"username": "lily", "display_name": "李丽", "roles": ["sales_rep"], "password": "s3cret-pw!"},
                 User, {"username": "lily", "groups__name": "sales_rep"}, {"display_name": "李莉"}),
        "department": (w["department"], {"code": "PUR", "name": "采购部"}, Department, {"code": "PUR"},
                       {"name": "销售一部"}),
        "position": (w["position"], {"code": "BUYER", "name": "采购员"}, Position, {"code": "BUYER"},
                     {"name": "高级销售代表"}),
    }


KEYS = [res.key for res in RESOURCES]


def test_every_resource_has_a_case(world):
    assert set(cases(world)) == set(KEYS)


@pytest.mark.parametrize("key", KEYS)
def test_admin_creates_lists_views_and_edits_each_resource(admin_client, world, key):
    existing, fields, model, lookup, change = cases(world)[key]
    create_url = reverse(f"web:{key}-create")

    form = admin_client.get(create_url).context["form"]
    response = admin_client.post(create_url, {**post_data(form), **fields})
    assert response.status_code == 302, response.context["form"].errors if response.context else response
    created = model.objects.get(**lookup)
    assert response.url == reverse(f"web:{key}-detail", args=[created.pk])

    record = existing or created
    listing = admin_client.get(reverse(f"web:{key}-list"))
    assert listing.status_code == 200
    assert str(reverse(f"web:{key}-detail", args=[record.pk])) in listing.text

    detail = admin_client.get(reverse(f"web:{key}-detail", args=[record.pk]))
    assert detail.status_code == 200
    assert 'id="history"' in detail.text

    edit_url = reverse(f"web:{key}-edit", args=[record.pk])
    form = admin_client.get(edit_url).context["form"]
    response = admin_client.post(edit_url, {**post_data(form), **{k: str(v) for k, v in change.items()}})
    assert response.status_code == 302, response.context["form"].errors
    record.refresh_from_db()
    for name, value in change.items():
        assert str(getattr(record, name)).rstrip("0").rstrip(".") == str(value).rstrip("0").rstrip(".")


def test_deactivate_and_activate_a_product(admin_client, catalog):
    product = catalog["product"]
    response = admin_client.post(reverse("web:product-deactivate", args=[product.pk]), follow=True)
    product.refresh_from_db()
    assert not product.is_active
    assert response.context["toggle_url"] == reverse("web:product-activate", args=[product.pk])
    admin_client.post(reverse("web:product-activate", args=[product.pk]))
    product.refresh_from_db()
    assert product.is_active
    assert product.history.count() == 3


def test_administrator_cannot_deactivate_themselves(admin_client, admin_user):
    response = admin_client.post(reverse("web:user-deactivate", args=[admin_user.pk]), follow=True)
    admin_user.refresh_from_db()
    assert admin_user.is_active
    assert [m.level_tag for m in response.context["messages"]] == ["error"]


def test_inactive_records_are_not_offered_in_choices(admin_client, catalog):
    from caixiao.catalog.models import Category

    closed = Category.objects.create(code="OLD", name="停用类", is_active=False)
    form = admin_client.get(reverse("web:product-create")).context["form"]
    assert closed not in form.fields["category"].queryset
    product = catalog["product"]
    product.category = closed
    product.save()
    form = admin_client.get(reverse("web:product-edit", args=[product.pk])).context["form"]
    assert closed in form.fields["category"].queryset  # the current value stays selectable
