"""X1/X2: partner write services — data scoping of customers, contacts and addresses, price lists."""

from datetime import date
from decimal import Decimal

import pytest

from caixiao.core.errors import ValidationFailed
from caixiao.partners import services
from caixiao.partners.models import Address, PriceBreak
from caixiao.partners.tests.factories import (
    AddressFactory,
    ContactFactory,
    CustomerCategoryFactory,
    CustomerFactory,
    RegionFactory,
    SupplierFactory,
    SupplierPriceFactory,
)

pytestmark = pytest.mark.django_db


def customer_data(**overrides):
    data = {"code": "C1", "name": "客户", "category_id": CustomerCategoryFactory().pk,
            "region_id": RegionFactory().pk}
    data.update(overrides)
    return data


def test_create_customer_makes_a_scoped_actor_the_account_manager(make_user):
    rep = make_user("sales_rep")
    customer = services.create_customer(data=customer_data(), actor=rep)
    assert customer.account_manager_id == rep.pk


def test_create_customer_leaves_the_account_manager_empty_for_unscoped_actors(make_user):
    admin = make_user("administrator")
    assert services.create_customer(data=customer_data(), actor=admin).account_manager_id is None
    assert services.create_customer(data=customer_data(code="C2"), actor=None).account_manager_id is None


def test_system_writes_may_assign_any_active_account_manager(make_user):
    rep = make_user("sales_rep")
    customer = services.create_customer(data=customer_data(account_manager_id=rep.pk), actor=None)
    assert customer.account_manager_id == rep.pk


def test_sales_rep_cannot_release_their_customer(make_user):
    rep = make_user("sales_rep")
    customer = CustomerFactory(account_manager=rep)
    with pytest.raises(ValidationFailed) as exc:
        services.update_customer(instance=customer, data={"account_manager_id": None}, actor=rep)
    assert "account_manager_id" in exc.value.fields


def test_inactive_account_manager_is_refused(make_user):
    gone = make_user("sales_rep", is_active=False)
    with pytest.raises(ValidationFailed) as exc:
        services.create_customer(data=customer_data(account_manager_id=gone.pk), actor=None)
    assert "account_manager_id" in exc.value.fields


def test_contact_of_a_visible_customer_or_any_supplier(make_user):
    rep = make_user("sales_rep")
    mine = CustomerFactory(account_manager=rep)
    assert services.create_contact(data={"customer_id": mine.pk, "name": "a"}, actor=rep).customer_id == mine.pk
    supplier = SupplierFactory()
    assert services.create_contact(data={"supplier_id": supplier.pk, "name": "b"}, actor=rep).supplier_id
    contact = ContactFactory(customer=mine)
    other = CustomerFactory(account_manager=make_user("sales_rep"))
    with pytest.raises(ValidationFailed) as exc:
        services.update_contact(instance=contact, data={"customer_id": other.pk}, actor=rep)
    assert "customer_id" in exc.value.fields


def test_moving_a_contact_to_a_supplier_needs_the_customer_cleared():
    contact = ContactFactory()
    with pytest.raises(ValidationFailed):
        services.update_contact(instance=contact, data={"supplier_id": SupplierFactory().pk}, actor=None)
    moved = services.update_contact(instance=contact, data={"supplier_id": SupplierFactory().pk,
                                                            "customer_id": None}, actor=None)
    assert moved.customer_id is None


def test_one_default_address_per_customer():
    customer = CustomerFactory()
    first = services.create_address(data={"customer_id": customer.pk, "recipient": "a", "province": "p",
                                           "city": "c", "street": "s1"}, actor=None)
    first.refresh_from_db()
    assert first.is_default  # the only address is the default
    second = services.create_address(data={"customer_id": customer.pk, "recipient": "b", "province": "p",
                                            "city": "c", "street": "s2", "is_default": True}, actor=None)
    assert list(Address.objects.filter(is_default=True)) == [second]
    AddressFactory(is_default=True)  # another customer's default is untouched
    assert Address.objects.filter(is_default=True).count() == 2


def test_create_supplier_price_with_breaks():
    supplier = SupplierFactory()
    price = services.create_supplier_price(data={
        "supplier_id": supplier.pk, "product_id": SupplierPriceFactory().product_id,
        "unit_price": Decimal("10.00"), "breaks": [{"min_quantity": Decimal("100"), "unit_price": Decimal("9.5")},
                                                   {"min_quantity": Decimal("10"), "unit_price": Decimal("9.9")}],
    }, actor=None)
    assert [(b.min_quantity, b.unit_price) for b in price.breaks.all()] == [
        (Decimal("10"), Decimal("9.9")), (Decimal("100"), Decimal("9.5"))]


def test_update_supplier_price_replaces_breaks_only_when_given():
    price = SupplierPriceFactory()
    services.update_supplier_price(instance=price, data={"breaks": [
        {"min_quantity": Decimal("50"), "unit_price": Decimal("9")}]}, actor=None)
    services.update_supplier_price(instance=price, data={"unit_price": Decimal("9.80")}, actor=None)
    assert list(PriceBreak.objects.values_list("min_quantity", flat=True)) == [Decimal("50")]
    services.update_supplier_price(instance=price, data={"breaks": []}, actor=None)
    assert not PriceBreak.objects.exists()


def test_supplier_price_validity_range_and_duplicate_breaks():
    price = SupplierPriceFactory(valid_from=date(2026, 3, 1))
    with pytest.raises(ValidationFailed) as exc:
        services.update_supplier_price(instance=price, data={"valid_to": date(2026, 2, 28)}, actor=None)
    assert "valid_to" in exc.value.fields
    services.update_supplier_price(instance=price, data={"valid_to": date(2026, 3, 1)}, actor=None)
    with pytest.raises(ValidationFailed) as exc:
        services.update_supplier_price(instance=price, data={"breaks": [
            {"min_quantity": Decimal("5"), "unit_price": Decimal("1")},
            {"min_quantity": Decimal("5.000"), "unit_price": Decimal("2")}]}, actor=None)
    assert "breaks" in exc.value.fields
