"""The demo company: what load_demo promises (SPEC N1: demo data on first start)."""

from decimal import Decimal
from io import StringIO

import pytest
from django.contrib.auth.models import Group
from django.core.management import call_command
from django.db import transaction
from django.test import Client
from django.urls import reverse

from caixiao.accounts.models import Department, User
from caixiao.accounts.roles import ROLES
from caixiao.catalog.models import Category, Product, ProductUnit, Unit
from caixiao.core.models import AuditEntry
from caixiao.demo import data, tables
from caixiao.inventory.models import Location, Warehouse
from caixiao.partners.models import Address, Contact, Customer, PriceBreak, Region, Supplier, SupplierPrice


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker):
    """Load the demo company once for the tests of this module, and roll it back after them."""
    with django_db_blocker.unblock(), transaction.atomic():
        counts = data.load_demo()
        yield counts
        transaction.set_rollback(True)


def is_ean13(code: str) -> bool:
    if len(code) != 13 or not code.isdigit():
        return False
    digits = [int(c) for c in code]
    return (sum(digits[0:12:2]) + 3 * sum(digits[1:12:2]) + digits[12]) % 10 == 0


def test_load_demo_creates_the_promised_company(demo, db):
    assert demo is not None
    assert 190 <= Product.objects.count() <= 210
    assert Category.objects.count() == 8
    assert Supplier.objects.count() == 20
    assert Customer.objects.count() == 50
    assert Warehouse.objects.count() == 2
    assert Location.objects.filter(warehouse__code="SH01", code="A-01-01").exists()
    assert demo["products"] == Product.objects.count()
    assert demo["customers"] == 50


def test_departments_form_a_tree_with_heads(demo, db):
    company = Department.objects.get(code=tables.COMPANY_CODE, parent=None)
    names = set(Department.objects.filter(parent=company).values_list("name", flat=True))
    assert names == {"总经办", "销售部", "采购部", "仓储部", "质检部", "财务部"}
    teams = set(Department.objects.filter(parent__name="销售部").values_list("name", flat=True))
    assert teams == {"华东销售组", "华南销售组"}
    assert not Department.objects.filter(head=None).exists()
    assert not User.objects.exclude(username="supplier").filter(position=None).exists()


def test_every_role_has_a_demo_user_with_exactly_that_roles_permissions(demo, db):
    for code, (_label, _scope, permissions) in ROLES.items():
        users = User.objects.filter(groups__name=code)
        assert users.exists(), code
        for user in users:
            assert user.role_codes == {code}
            if not user.is_superuser:
                assert user.get_all_permissions() == set(permissions), code
    group_permissions = {f"{p.content_type.app_label}.{p.codename}"
                         for p in Group.objects.get(name="administrator").permissions.select_related("content_type")}
    assert group_permissions == set(ROLES["administrator"][2])


def test_only_the_administrator_is_staff_and_superuser(demo, db):
    assert list(User.objects.filter(is_staff=True).values_list("username", flat=True)) == ["admin"]
    assert list(User.objects.filter(is_superuser=True).values_list("username", flat=True)) == ["admin"]
    assert all(u.display_name for u in User.objects.all())


@pytest.mark.parametrize("username", [u.username for u in tables.USERS])
def test_each_demo_user_logs_in_with_the_demo_password(demo, db, username):
    client = Client()
    response = client.post(reverse("web:login"), {"username": username, "password": tables.DEMO_PASSWORD})
    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(User.objects.get(username=username).pk)


def test_the_administrator_opens_the_admin_site(demo, db):
    client = Client()
    assert client.login(username="admin", password=tables.DEMO_PASSWORD)
    assert client.get("/admin/").status_code == 200


def test_the_supplier_user_belongs_to_a_supplier_with_a_price_list(demo, db):
    user = User.objects.get(username="supplier")
    assert user.supplier is not None
    assert user.supplier.code == tables.SUPPLIER_USER_SUPPLIER
    assert user.department is None
    assert SupplierPrice.objects.filter(supplier=user.supplier).count() > 10


def test_every_barcode_is_a_valid_and_unique_ean13(demo, db):
    barcodes = list(Product.objects.values_list("barcode", flat=True))
    barcodes += list(ProductUnit.objects.values_list("barcode", flat=True))
    assert all(is_ean13(code) for code in barcodes), [c for c in barcodes if not is_ean13(c)]
    assert len(set(barcodes)) == len(barcodes)


def test_ean13_helper_appends_the_check_digit():
    assert data.ean13("690123456789") == "6901234567892"
    assert is_ean13(data.ean13("692385100001"))
    with pytest.raises(ValueError):
        data.ean13("12345")


def test_products_have_units_conversions_and_planning_parameters(demo, db):
    assert {"个", "把", "盒", "箱", "米", "千克"} <= set(Unit.objects.values_list("name", flat=True))
    assert Unit.objects.get(name="千克").decimals == 3
    assert Unit.objects.get(name="米").decimals == 2
    assert Product.objects.filter(base_unit__name="千克").exists()
    assert ProductUnit.objects.filter(unit__name="箱").count() > 150
    assert ProductUnit.objects.filter(unit__name="盒").exists()
    assert Product.objects.filter(needs_qc=True).exists() and Product.objects.filter(needs_qc=False).exists()
    assert Product.objects.values("lifecycle").distinct().count() >= 3
    for product in Product.objects.all():
        assert isinstance(product.purchase_price, Decimal)
        assert product.sale_price > product.purchase_price > 0, product.code
        assert product.tax_rate == Decimal("0.13")
        assert product.safety_stock > 0 and product.min_order_qty >= product.pack_size > 0
        assert product.buyer is not None and product.specification


def test_each_product_is_offered_by_one_to_three_suppliers_one_preferred(demo, db):
    for product in Product.objects.prefetch_related("supplier_prices"):
        offers = list(product.supplier_prices.all())
        assert 1 <= len(offers) <= 3, product.code
        assert sum(o.is_preferred for o in offers) == 1, product.code
        assert len({o.supplier_id for o in offers}) == len(offers)
    assert SupplierPrice.objects.values("product").distinct().count() == Product.objects.count()
    assert PriceBreak.objects.count() > 0
    for price_break in PriceBreak.objects.select_related("supplier_price")[:50]:
        assert price_break.unit_price < price_break.supplier_price.unit_price


def test_suppliers_have_ratings_terms_contacts_and_bank_details(demo, db):
    assert set(Supplier.objects.values_list("rating", flat=True)) == {"A", "B", "C", "D"}
    for supplier in Supplier.objects.all():
        assert supplier.payment_term and supplier.bank_name and len(supplier.bank_account_number) == 19
        assert len(supplier.tax_id) == 18 and supplier.lead_time_days > 0
        assert supplier.contacts.filter(is_primary=True).count() == 1


def test_customers_span_regions_and_categories_with_terms_and_addresses(demo, db):
    areas = set(Customer.objects.values_list("region__parent__name", flat=True))
    assert {"华东", "华南", "华北", "西南"} <= areas
    assert Region.objects.filter(parent=None).count() == 5
    categories = set(Customer.objects.values_list("category__name", flat=True))
    assert categories == {"经销商", "终端客户", "大客户", "电商"}
    sales_users = set(User.objects.filter(groups__name__in=["sales_rep", "sales_manager"]))
    for customer in Customer.objects.select_related("account_manager", "payment_term"):
        assert customer.account_manager in sales_users
        assert customer.payment_term is not None
        assert customer.credit_limit >= 0
        if customer.payment_term.code == "PREPAID":
            assert customer.credit_limit == 0
    assert Address.objects.filter(is_default=True).count() == 50
    assert Contact.objects.filter(customer__isnull=False, is_primary=True).count() == 50


def test_records_have_history_by_the_administrator(demo, db):
    admin = User.objects.get(username="admin")
    history = Product.history.filter(history_type="+")
    assert history.count() == Product.objects.count()
    assert set(history.values_list("history_user", flat=True)) == {admin.pk}
    assert Customer.history.filter(history_type="+").count() == 50
    assert AuditEntry.objects.filter(verb="roles").count() == len(tables.USERS)


def test_load_demo_is_idempotent(demo, db):
    models = [User, Department, Product, ProductUnit, Supplier, SupplierPrice, PriceBreak, Customer, Contact,
              Address, Warehouse, Location]
    before = {m.__name__: m.objects.count() for m in models}
    history_before = Product.history.count()
    assert data.load_demo() is None
    assert {m.__name__: m.objects.count() for m in models} == before
    assert Product.history.count() == history_before


def test_load_demo_command_says_when_there_is_nothing_to_do(demo, db):
    out = StringIO()
    call_command("load_demo", stdout=out)
    assert out.getvalue().strip()
    assert Product.objects.count() == demo["products"]


def test_the_warehouses_hold_opening_stock_in_bins_and_some_products_run_low(demo, db):
    from caixiao.inventory.invariants import check_invariants
    from caixiao.inventory.models import BinBalance, StockBalance, StockMove

    main = StockBalance.objects.filter(warehouse__code="SH01", on_hand__gt=0)
    assert main.count() >= Product.objects.count() * 0.85
    assert StockBalance.objects.filter(warehouse__code="GZ01", on_hand__gt=0).count() >= 40
    assert BinBalance.objects.filter(location__isnull=False, on_hand__gt=0).count() >= main.count()
    assert set(StockMove.objects.values_list("reason", flat=True)) >= {tables.OPENING_STOCK_REASON}
    available = {b.product_id: b.on_hand - b.allocated for b in StockBalance.objects.filter(warehouse__code="SH01")}
    low = [p for p in Product.objects.all() if available.get(p.pk, 0) < p.safety_stock]
    assert 5 <= len(low) <= 40  # the replenishment alert has something to say, not about everything
    assert check_invariants() == []
    assert demo["stock_balances"] == StockBalance.objects.filter(on_hand__gt=0).count()


def test_orders_in_each_state_the_sales_and_warehouse_pages_show(demo, db):
    from caixiao.sales.models import DeliveryNotice, SalesOrder

    assert sorted(SalesOrder.objects.values_list("status", flat=True)) == [
        "confirmed", "confirmed", "confirmed", "draft", "shipped"]
    assert sorted(DeliveryNotice.objects.values_list("status", flat=True)) == ["picking", "shipped"]
    assert set(SalesOrder.objects.values_list("owner__username", flat=True)) == {"sales"}


def test_the_readme_journey_has_the_stock_it_needs(demo, db):
    """README "Try the closed loop": an order over C0001's ¥20,000 limit can be reserved in full."""
    from caixiao.inventory.models import StockBalance

    customer = Customer.objects.get(code="C0001")
    assert customer.credit_limit == Decimal("20000")
    value = sum((b.on_hand - b.allocated) * b.product.sale_price for b in StockBalance.objects.filter(
        warehouse__code="SH01").select_related("product"))
    assert value > 20 * customer.credit_limit
