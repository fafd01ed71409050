"""List pages: search (live with htmx), active filter, sorting, pagination and a query-count ceiling."""

from decimal import Decimal

import pytest
from django.urls import reverse

from caixiao.accounts.models import Department, Position
from caixiao.catalog.models import Category, Product, ProductUnit, Unit
from caixiao.inventory.models import Location, Warehouse
from caixiao.partners.models import (
    Contact,
    Customer,
    CustomerCategory,
    PaymentTerm,
    PriceBreak,
    Region,
    Supplier,
    SupplierPrice,
)
from caixiao.web.resources import RESOURCES


@pytest.fixture
def many_products(catalog):
    category, pcs = catalog["category"], catalog["pcs"]
    Product.objects.bulk_create(
        Product(code=f"T{i:03d}", name=f"{'红茶' if i % 2 else '白茶'}{i}", category=category, base_unit=pcs,
                is_active=i % 10 != 0)
        for i in range(40))
    return Product.objects.all()


def codes(response):
    return [row["obj"].code for row in response.context["rows"]]


def test_search_matches_code_name_and_barcode(admin_client, many_products):
    response = admin_client.get(reverse("web:product-list"), {"q": "红茶"})
    assert len(codes(response)) == 20
    Product.objects.filter(code="T007").update(barcode="6901234567892")
    assert codes(admin_client.get(reverse("web:product-list"), {"q": "690123"})) == ["T007"]


def test_active_filter(admin_client, many_products):
    inactive = admin_client.get(reverse("web:product-list"), {"active": "0"})
    assert codes(inactive) == ["T000", "T010", "T020", "T030"]
    active = admin_client.get(reverse("web:product-list"), {"active": "1", "q": "T0"})
    assert "T000" not in codes(active)


def test_sorting_by_name_descending_and_unknown_sort_falls_back(admin_client, many_products):
    response = admin_client.get(reverse("web:product-list"), {"sort": "-name"})
    names = [row["obj"].name for row in response.context["rows"]]
    assert names == sorted(names, reverse=True)
    fallback = admin_client.get(reverse("web:product-list"), {"sort": "purchase_price; drop"})
    assert codes(fallback)[0] == "P001"


def test_pagination_keeps_the_filters(admin_client, many_products):
    first = admin_client.get(reverse("web:product-list"))
    assert first.context["page"].paginator.count == 41
    assert len(codes(first)) == 25
    second = admin_client.get(reverse("web:product-list"), {"page": 2, "q": "T"})
    assert len(codes(second)) == 15
    assert "q=T" in second.text and "page=1" in second.text


def test_htmx_search_returns_only_the_results(admin_client, many_products):
    response = admin_client.get(reverse("web:product-list"), {"q": "白茶"}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert "<html" not in response.text
    assert 'id="result-count"' in response.text
    assert "HX-Request" in response["Vary"]


def test_list_values_are_formatted(admin_client, catalog):
    response = admin_client.get(reverse("web:product-list"))
    row = response.context["rows"][0]
    prices = [cell for cell in row["cells"] if cell.kind == "money"]
    assert [c.text for c in prices] == ["12.50", "19.90"]
    assert '<td class="num">12.50' in response.text


@pytest.fixture
def full_lists(world, admin_user):
    """About thirty records behind every list page, with their related records."""
    w = world
    for i in range(30):
        category = Category.objects.create(code=f"CAT{i}", name=f"类{i}", parent=w["category"])
        unit = Unit.objects.create(code=f"U{i}", name=f"单位{i}")
        product = Product.objects.create(code=f"Q{i:03d}", name=f"品{i}", category=category, base_unit=unit,
                                         buyer=admin_user)
        ProductUnit.objects.create(product=product, unit=w["box"], factor=Decimal("12"))
        region = Region.objects.create(code=f"R{i}", name=f"区{i}", parent=w["region"])
        PaymentTerm.objects.create(code=f"T{i}", name=f"条款{i}")
        ccat = CustomerCategory.objects.create(code=f"CC{i}", name=f"客类{i}")
        customer = Customer.objects.create(code=f"K{i}", name=f"客{i}", category=ccat, region=region,
                                           payment_term=w["term"], account_manager=admin_user)
        Contact.objects.create(customer=customer, name=f"联系人{i}")
        supplier = Supplier.objects.create(code=f"SP{i:03d}", name=f"供{i}", buyer=admin_user, payment_term=w["term"])
        price = SupplierPrice.objects.create(supplier=supplier, product=product, unit_price=Decimal("5"))
        PriceBreak.objects.create(supplier_price=price, min_quantity=Decimal("10"), unit_price=Decimal("4"))
        warehouse = Warehouse.objects.create(code=f"W{i}", name=f"仓{i}", manager=admin_user)
        Location.objects.create(warehouse=warehouse, code="A-01")
        department = Department.objects.create(code=f"D{i}", name=f"部{i}", parent=w["department"], head=admin_user)
        Position.objects.create(code=f"PO{i}", name=f"岗{i}", department=department)
    from caixiao.accounts.models import User

    for i in range(30):
        user = User.objects.create_user(username=f"u{i}", department=w["department"], position=w["position"])
        user.groups.set(admin_user.groups.all())


@pytest.mark.parametrize("key", [res.key for res in RESOURCES])
def test_list_pages_have_a_query_ceiling(admin_client, full_lists, django_assert_max_num_queries, key):
    url = reverse(f"web:{key}-list")
    admin_client.get(url)  # warm the session
    with django_assert_max_num_queries(8):  # session, user, 2 × permissions, count, page, prefetches
        response = admin_client.get(url)
    assert response.status_code == 200
    assert len(response.context["rows"]) == 25
