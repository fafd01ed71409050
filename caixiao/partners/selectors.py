"""Reads for customers and suppliers. Every customer read takes ``for_user`` so department scoping
(X2) is applied in one place: a sales rep sees their own customers, a manager their departments'."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from caixiao.accounts import selectors as account_selectors
from caixiao.partners.models import (
    Address,
    Contact,
    Customer,
    CustomerCategory,
    PaymentTerm,
    Region,
    Supplier,
    SupplierPrice,
)


def list_customers(*, for_user: Any) -> QuerySet[Customer]:
    qs = Customer.objects.select_related("category", "region", "payment_term", "account_manager")
    owners = account_selectors.visible_owner_ids(for_user)
    if owners is not None:
        qs = qs.filter(account_manager_id__in=owners)
    return qs


def list_suppliers(*, for_user: Any) -> QuerySet[Supplier]:
    qs = Supplier.objects.select_related("payment_term", "buyer")
    if getattr(for_user, "supplier_id", None):  # a portal user sees only its own supplier
        qs = qs.filter(pk=for_user.supplier_id)
    return qs


def list_contacts(*, for_user: Any) -> QuerySet[Contact]:
    qs = Contact.objects.select_related("customer", "supplier")
    owners = account_selectors.visible_owner_ids(for_user)
    if owners is not None:
        qs = qs.filter(customer__account_manager_id__in=owners) | qs.filter(supplier__isnull=False)
    return qs


def list_addresses(*, for_user: Any) -> QuerySet[Address]:
    qs = Address.objects.select_related("customer")
    owners = account_selectors.visible_owner_ids(for_user)
    if owners is not None:
        qs = qs.filter(customer__account_manager_id__in=owners)
    return qs


def list_supplier_prices(*, for_user: Any) -> QuerySet[SupplierPrice]:
    qs = SupplierPrice.objects.select_related("supplier", "product", "product__base_unit").prefetch_related("breaks")
    if getattr(for_user, "supplier_id", None):
        qs = qs.filter(supplier_id=for_user.supplier_id)
    return qs


def list_regions() -> QuerySet[Region]:
    return Region.objects.select_related("parent")


def list_payment_terms() -> QuerySet[PaymentTerm]:
    return PaymentTerm.objects.all()


def list_customer_categories() -> QuerySet[CustomerCategory]:
    return CustomerCategory.objects.all()
