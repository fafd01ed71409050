"""create_order and update_order: drafts, defaults, pricing, and every bad input refused whole."""

from datetime import date
from decimal import Decimal

import pytest
from django.utils import timezone

from caixiao.catalog.tests.factories import ProductFactory
from caixiao.core.errors import ValidationFailed
from caixiao.core.models import AuditEntry
from caixiao.partners.tests.factories import CustomerFactory
from caixiao.sales import services
from caixiao.sales.enums import SalesOrderStatus, ShortagePolicy
from caixiao.sales.errors import NotEditable
from caixiao.sales.models import SalesOrderLine
from caixiao.sales.services import OrderLineInput
from caixiao.sales.tests.factories import lines, make_order
from caixiao.sales.tests.helpers import last_event, sales_events, snapshot

D = Decimal


def test_create_order_makes_a_numbered_draft_with_defaults_priced_lines_audit_and_event(
        customer, warehouse, product, other_product, rep):
    order = services.create_order(customer_id=customer.pk, warehouse_id=warehouse.pk,
                                  lines=lines((product, 4), (other_product, 2)), actor=rep)

    year = timezone.localdate().year
    assert order.number == f"SO-{year}-000001"
    assert (order.status, order.currency, order.requested_on) == (SalesOrderStatus.DRAFT, "CNY",
                                                                  timezone.localdate())
    assert (order.owner, order.created_by, order.shortage_policy) == (rep, rep, ShortagePolicy.BACKORDER)
    first, second = order.lines.order_by("position")
    assert (first.position, first.product, first.quantity, first.unit_price, first.tax_rate) == (
        1, product, 4, D("15.00"), D("0.13"))
    assert (first.total_net, first.total_tax, first.total_gross) == (D("60.00"), D("7.80"), D("67.80"))
    assert (second.total_net, second.total_tax, second.total_gross) == (D("17.00"), D("2.21"), D("19.21"))
    assert (order.total_net, order.total_tax, order.total_gross) == (D("77.00"), D("10.01"), D("87.01"))
    assert AuditEntry.objects.filter(verb="created", object_id=str(order.pk)).count() == 1
    assert sales_events() == ["sales.order.created"]
    payload = last_event("sales.order.created")
    assert payload | {"version": 1, "order_id": order.pk, "number": order.number, "total_gross": "87.01",
                      "currency": "CNY", "status": "draft"} == payload


def test_line_amounts_are_rounded_half_up_once_per_line_and_totals_are_their_sums(customer, warehouse, product, rep):
    order = services.create_order(customer_id=customer.pk, warehouse_id=warehouse.pk, lines=[
        OrderLineInput(product_id=product.pk, quantity=D("3"), unit_price=D("0.335"), tax_rate=D("0.13")),
        OrderLineInput(product_id=product.pk, quantity=D("1"), unit_price=D("10"), discount_percent=D("12.5"),
                       tax_rate=D("0.06")),
    ], actor=rep)

    first, second = order.lines.order_by("position")
    assert (first.total_net, first.total_tax) == (D("1.01"), D("0.13"))  # 1.005 → 1.01; 0.1313 → 0.13
    assert (second.total_net, second.total_tax) == (D("8.75"), D("0.53"))  # 0.525 → 0.53
    assert (order.total_net, order.total_tax, order.total_gross) == (D("9.76"), D("0.66"), D("10.42"))


def test_a_currency_without_minor_units_rounds_to_whole_amounts(customer, warehouse, product, rep):
    order = services.create_order(customer_id=customer.pk, warehouse_id=warehouse.pk, currency="jpy",
                                  lines=lines((product, 3, "10.5")), actor=rep)
    assert (order.currency, order.total_net, order.total_tax) == ("JPY", D("32"), D("4"))  # 31.5 → 32, 4.16 → 4


def test_the_default_shortage_policy_comes_from_settings(customer, warehouse, product, rep, settings):
    settings.SALES_SHORTAGE_POLICY = "block"
    order = services.create_order(customer_id=customer.pk, warehouse_id=warehouse.pk, lines=lines((product, 1)),
                                  actor=rep)
    assert order.shortage_policy == ShortagePolicy.BLOCK


def test_a_draft_may_be_saved_without_lines(customer, warehouse, rep):
    order = services.create_order(customer_id=customer.pk, warehouse_id=warehouse.pk, actor=rep)
    assert (order.lines.count(), order.total_gross) == (0, 0)


@pytest.mark.parametrize(("entry", "field", "message"), [
    ({"product_id": 999999}, "lines.0.product_id", "Unknown product: 999999"),
    ({"quantity": D("0")}, "lines.0.quantity", "Enter a quantity greater than zero."),
    ({"quantity": D("-2")}, "lines.0.quantity", "Enter a quantity greater than zero."),
    ({"quantity": D("1.5")}, "lines.0.quantity", "Enter a whole number of 个."),
    ({"quantity": "abc"}, "lines.0.quantity", "Enter a number."),
    ({"unit_price": D("-1")}, "lines.0.unit_price", "Enter a value of at least 0."),
    ({"unit_price": D("1.23456")}, "lines.0.unit_price", "Use at most 4 decimal places."),
    ({"discount_percent": D("100.5")}, "lines.0.discount_percent", "Enter a value of at most 100."),
    ({"tax_rate": D("1.2")}, "lines.0.tax_rate", "Enter a value of at most 1."),
])
def test_create_order_refuses_a_bad_line_and_writes_nothing(customer, warehouse, product, rep, entry, field, message):
    data = {"product_id": product.pk, "quantity": D("2"), **entry}
    before = snapshot()
    with pytest.raises(ValidationFailed) as exc:
        services.create_order(customer_id=customer.pk, warehouse_id=warehouse.pk,
                              lines=[OrderLineInput(**data)], actor=rep)
    assert exc.value.status == 422 and exc.value.code == "validation_error"
    assert exc.value.fields == {field: [message]}
    assert snapshot() == before


def test_create_order_reports_every_bad_field_at_once(warehouse, product, bulk_product, rep):
    inactive = ProductFactory(base_unit=product.base_unit, is_active=False)
    with pytest.raises(ValidationFailed) as exc:
        services.create_order(customer_id=123456, warehouse_id=999999, currency="yuan", shortage_policy="maybe",
                              lines=lines((bulk_product, "1.2345"), (inactive, 1)), actor=rep)
    assert set(exc.value.fields) == {"customer_id", "warehouse_id", "currency", "shortage_policy",
                                     "lines.0.quantity", "lines.1.product_id"}
    assert exc.value.fields["lines.0.quantity"] == ["Use at most 3 decimal places for 千克."]
    assert exc.value.fields["lines.1.product_id"] == [f"{inactive.code} is no longer sold."]


def test_a_sales_rep_orders_only_for_customers_they_manage(warehouse, product, rep, make_user):
    someone_elses = CustomerFactory(account_manager=make_user("sales_rep"))
    with pytest.raises(ValidationFailed) as exc:
        services.create_order(customer_id=someone_elses.pk, warehouse_id=warehouse.pk, lines=lines((product, 1)),
                              actor=rep)
    assert exc.value.fields == {"customer_id": [f"Unknown customer: {someone_elses.pk}"]}


def test_update_order_changes_header_and_replaces_lines_of_a_draft(customer, warehouse, product, other_product,
                                                                   bulk_product, rep):
    order = make_order(customer=customer, warehouse=warehouse, items=[(product, 4), (other_product, 2)], actor=rep)
    first, second = order.lines.order_by("position")

    services.update_order(order_id=order.pk, data={"requested_on": date(2031, 5, 1), "notes": "加急"}, lines=[
        OrderLineInput(id=second.pk, product_id=other_product.pk, quantity=D("5"), unit_price=D("8")),
        OrderLineInput(product_id=bulk_product.pk, quantity=D("1.25")),
    ], actor=rep)

    order.refresh_from_db()
    assert (order.requested_on, order.notes) == (date(2031, 5, 1), "加急")
    kept, added = order.lines.order_by("position")
    assert (kept.pk, kept.position, kept.quantity, kept.total_net) == (second.pk, 1, 5, D("40.00"))
    assert (added.position, added.product, added.total_net) == (2, bulk_product, D("15.00"))
    assert not SalesOrderLine.objects.filter(pk=first.pk).exists()
    assert order.total_net == D("55.00")
    entry = AuditEntry.objects.filter(verb="updated", object_id=str(order.pk)).get()
    assert entry.changes["notes"] == ["", "加急"] and entry.changes["lines"] == {"count": 2, "removed": 1}


def test_update_order_refuses_a_line_of_another_order(customer, warehouse, product, rep):
    order = make_order(customer=customer, warehouse=warehouse, items=[(product, 1)], actor=rep)
    other = make_order(customer=customer, warehouse=warehouse, items=[(product, 1)], actor=rep)
    before = snapshot()
    with pytest.raises(ValidationFailed) as exc:
        services.update_order(order_id=order.pk, lines=[
            OrderLineInput(id=other.lines.get().pk, product_id=product.pk, quantity=D("3"))], actor=rep)
    assert exc.value.fields == {"lines.0.id": ["This line is not on the order."]}
    assert snapshot() == before


def test_update_order_refuses_unknown_fields(customer, warehouse, product, rep):
    order = make_order(customer=customer, warehouse=warehouse, items=[(product, 1)], actor=rep)
    with pytest.raises(ValidationFailed) as exc:
        services.update_order(order_id=order.pk, data={"status": "confirmed"}, actor=rep)
    assert exc.value.fields == {"status": ["Unknown field."]}


def test_editing_a_confirmed_order_is_refused_and_changes_nothing(customer, warehouse, product, rep, stock):
    stock(product, 5)
    order = make_order(customer=customer, warehouse=warehouse, items=[(product, 2)], actor=rep, confirm=True)
    before = snapshot()
    with pytest.raises(NotEditable) as exc:
        services.update_order(order_id=order.pk, lines=lines((product, 9)), actor=rep)
    assert (exc.value.status, exc.value.code) == (409, "not_editable")
    assert str(exc.value) == f"{order.number} is Confirmed and can no longer be changed."
    assert snapshot() == before
