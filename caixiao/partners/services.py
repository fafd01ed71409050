"""Write services for customers, suppliers and their price lists (X1). Generic validation is in
``core.masterdata``; partner-specific rules live here. Views, API endpoints and imports call these.

Customer data is scoped (X2): an actor whose roles see only some customers (a sales rep, a sales
manager) may only attach contacts and addresses to customers they see, and may only hand a customer
to an account manager they see, so nobody creates a record and then loses sight of it. Writes by the
system (``actor=None``: imports, demo data) are not scoped."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from caixiao.accounts import selectors as account_selectors
from caixiao.core import masterdata
from caixiao.core.errors import ValidationFailed
from caixiao.partners import selectors
from caixiao.partners.models import (
    Address,
    Contact,
    Customer,
    CustomerCategory,
    PaymentTerm,
    PriceBreak,
    Region,
    Supplier,
    SupplierPrice,
)


def _check_tree_parent(model, instance, parent_id: int | None) -> None:
    if parent_id is None or instance is None or instance.pk is None:
        return
    node: int | None = parent_id
    while node is not None:
        if node == instance.pk:
            raise ValidationFailed(fields={"parent_id": [_("A record cannot sit below itself.")]})
        node = model.objects.filter(pk=node).values_list("parent_id", flat=True).first()


# Regions, payment terms, customer categories ---------------------------------------------------
def create_region(*, data: dict[str, Any], actor: Any) -> Region:
    return masterdata.create_record(Region, data=data, actor=actor)


def update_region(*, instance: Region, data: dict[str, Any], actor: Any) -> Region:
    if "parent_id" in data:
        _check_tree_parent(Region, instance, data["parent_id"])
    return masterdata.update_record(instance, data=data, actor=actor)


def create_payment_term(*, data: dict[str, Any], actor: Any) -> PaymentTerm:
    return masterdata.create_record(PaymentTerm, data=data, actor=actor)


def update_payment_term(*, instance: PaymentTerm, data: dict[str, Any], actor: Any) -> PaymentTerm:
    return masterdata.update_record(instance, data=data, actor=actor)


def create_customer_category(*, data: dict[str, Any], actor: Any) -> CustomerCategory:
    return masterdata.create_record(CustomerCategory, data=data, actor=actor)


def update_customer_category(*, instance: CustomerCategory, data: dict[str, Any], actor: Any) -> CustomerCategory:
    return masterdata.update_record(instance, data=data, actor=actor)


# Customers -------------------------------------------------------------------------------------
def _scoped_owner_ids(actor: Any) -> set[int] | None:
    """The account managers ``actor`` may hand customers to; ``None`` means anyone."""
    if not getattr(actor, "pk", None):
        return None
    return account_selectors.visible_owner_ids(actor)


def _check_account_manager(data: dict[str, Any], actor: Any) -> None:
    from django.contrib.auth import get_user_model

    if "account_manager_id" not in data:
        return
    manager_id = data["account_manager_id"]
    if manager_id and not get_user_model().objects.filter(pk=manager_id, is_active=True).exists():
        raise ValidationFailed(fields={"account_manager_id": [_("Choose an active user.")]})
    owners = _scoped_owner_ids(actor)
    if owners is not None and manager_id not in owners:
        raise ValidationFailed(fields={"account_manager_id": [
            _("Choose yourself or a member of your department as account manager.")]})


@transaction.atomic
def create_customer(*, data: dict[str, Any], actor: Any) -> Customer:
    """Create a customer; one created by a scoped actor without an account manager is theirs."""
    data = dict(data)
    if data.get("account_manager_id") is None and _scoped_owner_ids(actor) is not None:
        data["account_manager_id"] = actor.pk
    _check_account_manager(data, actor)
    return masterdata.create_record(Customer, data=data, actor=actor)


@transaction.atomic
def update_customer(*, instance: Customer, data: dict[str, Any], actor: Any) -> Customer:
    _check_account_manager(data, actor)
    return masterdata.update_record(instance, data=data, actor=actor)


def _check_visible_customer(data: dict[str, Any], actor: Any) -> None:
    """A scoped actor may only attach records to customers they see; others look unknown."""
    customer_id = data.get("customer_id")
    if not customer_id or _scoped_owner_ids(actor) is None:
        return
    if not selectors.list_customers(for_user=actor).filter(pk=customer_id).exists():
        raise ValidationFailed(fields={"customer_id": [
            _("Unknown %(target)s: %(value)s") % {"target": Customer._meta.verbose_name, "value": customer_id}]})


# Suppliers -------------------------------------------------------------------------------------
@transaction.atomic
def create_supplier(*, data: dict[str, Any], actor: Any) -> Supplier:
    return masterdata.create_record(Supplier, data=data, actor=actor)


@transaction.atomic
def update_supplier(*, instance: Supplier, data: dict[str, Any], actor: Any) -> Supplier:
    return masterdata.update_record(instance, data=data, actor=actor)


# Contacts and addresses ------------------------------------------------------------------------
def _check_one_partner(data: dict[str, Any], instance: Contact | None = None) -> None:
    customer_id = data.get("customer_id", instance.customer_id if instance else None)
    supplier_id = data.get("supplier_id", instance.supplier_id if instance else None)
    if bool(customer_id) == bool(supplier_id):
        message = _("A contact belongs to exactly one customer or supplier.")
        raise ValidationFailed(fields={"customer_id": [message], "supplier_id": [message]})


@transaction.atomic
def create_contact(*, data: dict[str, Any], actor: Any) -> Contact:
    _check_one_partner(data)
    _check_visible_customer(data, actor)
    return masterdata.create_record(Contact, data=data, actor=actor)


@transaction.atomic
def update_contact(*, instance: Contact, data: dict[str, Any], actor: Any) -> Contact:
    _check_one_partner(data, instance)
    _check_visible_customer(data, actor)
    return masterdata.update_record(instance, data=data, actor=actor)


@transaction.atomic
def create_address(*, data: dict[str, Any], actor: Any) -> Address:
    _check_visible_customer(data, actor)
    address = masterdata.create_record(Address, data=data, actor=actor)
    _keep_one_default(address)
    return address


@transaction.atomic
def update_address(*, instance: Address, data: dict[str, Any], actor: Any) -> Address:
    _check_visible_customer(data, actor)
    address = masterdata.update_record(instance, data=data, actor=actor)
    _keep_one_default(address)
    return address


def _keep_one_default(address: Address) -> None:
    siblings = Address.objects.filter(customer_id=address.customer_id).exclude(pk=address.pk)
    if address.is_default:
        siblings.filter(is_default=True).update(is_default=False)
    elif not siblings.filter(is_default=True).exists():
        Address.objects.filter(pk=address.pk).update(is_default=True)


# Supplier price lists --------------------------------------------------------------------------
def _check_price(data: dict[str, Any], instance: SupplierPrice | None = None) -> None:
    errors: dict[str, list[str]] = {}
    valid_from = data.get("valid_from", instance.valid_from if instance else None)
    valid_to = data.get("valid_to", instance.valid_to if instance else None)
    if valid_from and valid_to and valid_to < valid_from:
        errors["valid_to"] = [_("The end date cannot be before the start date.")]
    breaks = data.get("breaks")
    if breaks:
        quantities = [b["min_quantity"] for b in breaks]
        if len(set(quantities)) != len(quantities):
            errors["breaks"] = [_("Each price break needs a different quantity.")]
    if errors:
        raise ValidationFailed(fields=errors)


def _replace_breaks(price: SupplierPrice, breaks: list[dict[str, Any]]) -> None:
    price.breaks.all().delete()
    PriceBreak.objects.bulk_create(PriceBreak(supplier_price=price, min_quantity=b["min_quantity"],
                                              unit_price=b["unit_price"]) for b in breaks)


@transaction.atomic
def create_supplier_price(*, data: dict[str, Any], actor: Any) -> SupplierPrice:
    """Create a price list line with its quantity breaks (``breaks: [{min_quantity, unit_price}]``)."""
    _check_price(data)
    data = dict(data)
    breaks = data.pop("breaks", None) or []
    price = masterdata.create_record(SupplierPrice, data=data, actor=actor)
    _replace_breaks(price, breaks)
    return price


@transaction.atomic
def update_supplier_price(*, instance: SupplierPrice, data: dict[str, Any], actor: Any) -> SupplierPrice:
    """Change a price list line; ``breaks``, when given, replaces all its quantity breaks."""
    _check_price(data, instance)
    data = dict(data)
    breaks = data.pop("breaks", None)
    price = masterdata.update_record(instance, data=data, actor=actor) if data else instance
    if breaks is not None:
        _replace_breaks(price, breaks)
    return price
