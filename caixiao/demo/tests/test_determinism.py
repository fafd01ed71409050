"""The demo company is the same on every machine and every run (a fixed random seed)."""

from django.db import transaction

from caixiao.catalog.models import Product
from caixiao.demo import data
from caixiao.partners.models import Customer, PriceBreak, SupplierPrice


def load_and_describe() -> tuple[list, ...]:
    with transaction.atomic():
        data.load_demo()
        described = (
            list(Product.objects.order_by("code").values_list(
                "code", "name", "barcode", "purchase_price", "sale_price", "safety_stock", "min_order_qty",
                "lead_time_days", "lifecycle", "buyer__username")),
            list(SupplierPrice.objects.order_by("product__code", "supplier__code").values_list(
                "product__code", "supplier__code", "unit_price", "lead_time_days", "is_preferred")),
            list(PriceBreak.objects.order_by("supplier_price__product__code", "supplier_price__supplier__code",
                                             "min_quantity").values_list("min_quantity", "unit_price")),
            list(Customer.objects.order_by("code").values_list(
                "code", "name", "region__code", "category__code", "credit_limit", "account_manager__username",
                "tax_id")),
        )
        transaction.set_rollback(True)
    return described


def test_load_demo_creates_the_same_company_every_time(db):
    assert load_and_describe() == load_and_describe()
