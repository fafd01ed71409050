"""Sales orders through the approval engine (S2): over the customer's credit limit → sales manager,
then finance director; a discount over the threshold → the sales manager only; under both → confirmed
at once. The final approval confirms and reserves in its transaction; a rejection, a return, a
withdrawal or an edit puts the order back to draft."""

from decimal import Decimal

import pytest
from django.test import override_settings

from caixiao.approvals import services as approval_services
from caixiao.approvals.enums import InstanceStatus, TaskStatus
from caixiao.approvals.models import ApprovalInstance, ApprovalTask
from caixiao.core.models import AuditEntry, OutboxEvent
from caixiao.inventory.models import Reservation
from caixiao.sales import approval, selectors, services
from caixiao.sales.enums import SalesOrderStatus
from caixiao.sales.errors import AwaitingApproval
from caixiao.sales.tests.factories import lines, make_order
from caixiao.sales.tests.helpers import levels

D = Decimal


@pytest.fixture
def manager(make_user):
    return make_user("sales_manager")


@pytest.fixture
def cfo(make_user):
    return make_user("finance_director")


@pytest.fixture
def small_customer(customer):
    """A credit limit of 100: any order above it is over the limit."""
    customer.credit_limit = D("100")
    customer.save(update_fields=["credit_limit"])
    return customer


def pending_task(user):
    return ApprovalTask.objects.get(assignee=user, status=TaskStatus.PENDING)


def test_order_over_the_credit_limit_waits_for_approval_and_reserves_nothing(
        small_customer, warehouse, product, rep, manager, cfo, stock):
    stock(product, 20)
    order = make_order(customer=small_customer, warehouse=warehouse, items=[(product, 10)], actor=rep)

    order = services.confirm_order(order_id=order.pk, actor=rep)

    assert order.status == SalesOrderStatus.PENDING_APPROVAL and order.confirmed_at is None
    assert levels(product, warehouse) == (20, 0) and not Reservation.objects.exists()
    instance = ApprovalInstance.objects.get(document_type="sales.order", object_id=str(order.pk))
    assert instance.status == InstanceStatus.PENDING and instance.requester == rep
    assert [s["matched"] for s in instance.flow_snapshot] == [True, True]
    assert instance.context["over_credit_limit"] is True and D(instance.context["exposure"]) == D("169.50")
    assert list(ApprovalTask.objects.values_list("assignee", flat=True)) == [manager.pk]
    assert AuditEntry.objects.filter(verb="status:pending_approval", object_id=str(order.pk)).exists()
    assert not OutboxEvent.objects.filter(type="sales.order.confirmed").exists()


def test_two_approvals_confirm_the_order_and_reserve_its_stock(small_customer, warehouse, product, rep, manager,
                                                                cfo, stock):
    stock(product, 20)
    order = make_order(customer=small_customer, warehouse=warehouse, items=[(product, 10)], actor=rep, confirm=True)

    approval_services.approve(task_id=pending_task(manager).pk, actor=manager, comment="ok")
    order.refresh_from_db()
    assert order.status == SalesOrderStatus.PENDING_APPROVAL
    assert pending_task(cfo).step == 2

    approval_services.approve(task_id=pending_task(cfo).pk, actor=cfo)

    order.refresh_from_db()
    assert order.status == SalesOrderStatus.CONFIRMED and order.confirmed_at is not None
    assert levels(product, warehouse) == (20, 10)
    assert ApprovalInstance.objects.get().status == InstanceStatus.APPROVED
    confirmed = OutboxEvent.objects.get(type="sales.order.confirmed")
    assert confirmed.actor == cfo and confirmed.payload["lines"][0]["reserved"] == "10.000000"


def test_rejection_puts_the_order_back_to_draft_with_the_comment_in_its_audit(
        small_customer, warehouse, product, rep, manager, cfo, stock):
    stock(product, 20)
    order = make_order(customer=small_customer, warehouse=warehouse, items=[(product, 10)], actor=rep, confirm=True)

    approval_services.reject(task_id=pending_task(manager).pk, actor=manager, comment="Collect the overdue first")

    order.refresh_from_db()
    assert order.status == SalesOrderStatus.DRAFT
    assert not Reservation.objects.exists()
    entry = AuditEntry.objects.get(verb="status:draft", object_id=str(order.pk))
    assert entry.comment == "Collect the overdue first" and entry.actor == manager
    # Confirming again starts a new approval.
    assert services.confirm_order(order_id=order.pk, actor=rep).status == SalesOrderStatus.PENDING_APPROVAL
    assert ApprovalInstance.objects.filter(status=InstanceStatus.PENDING).count() == 1


def test_return_and_withdrawal_put_the_order_back_to_draft(small_customer, warehouse, product, rep, manager, cfo):
    order = make_order(customer=small_customer, warehouse=warehouse, items=[(product, 10)], actor=rep, confirm=True)
    approval_services.return_for_changes(task_id=pending_task(manager).pk, actor=manager, comment="Split it")
    order.refresh_from_db()
    assert order.status == SalesOrderStatus.DRAFT

    services.confirm_order(order_id=order.pk, actor=rep)
    instance = ApprovalInstance.objects.get(status=InstanceStatus.PENDING)
    approval_services.withdraw(instance_id=instance.pk, actor=rep)
    order.refresh_from_db()
    assert order.status == SalesOrderStatus.DRAFT


def test_discount_over_the_threshold_needs_the_sales_manager_only(customer, warehouse, product, rep, manager, cfo,
                                                                   stock):
    stock(product, 5)
    order = services.create_order(customer_id=customer.pk, warehouse_id=warehouse.pk, actor=rep, lines=[
        services.OrderLineInput(product_id=product.pk, quantity=D("2"), discount_percent=D("20"))])

    order = services.confirm_order(order_id=order.pk, actor=rep)

    assert order.status == SalesOrderStatus.PENDING_APPROVAL
    instance = ApprovalInstance.objects.get()
    assert [s["matched"] for s in instance.flow_snapshot] == [True, False]
    assert instance.context["discount_over_threshold"] is True and instance.context["over_credit_limit"] is False
    approval_services.approve(task_id=pending_task(manager).pk, actor=manager)
    order.refresh_from_db()
    assert order.status == SalesOrderStatus.CONFIRMED
    assert levels(product, warehouse) == (5, 2)
    assert not ApprovalTask.objects.filter(assignee=cfo).exists()


@override_settings(SALES_DISCOUNT_APPROVAL_THRESHOLD=D("0.25"))
def test_the_discount_threshold_is_a_setting(customer, warehouse, product, rep, manager, cfo):
    order = services.create_order(customer_id=customer.pk, warehouse_id=warehouse.pk, actor=rep, lines=[
        services.OrderLineInput(product_id=product.pk, quantity=D("2"), discount_percent=D("20"))])

    assert services.confirm_order(order_id=order.pk, actor=rep).status == SalesOrderStatus.CONFIRMED


def test_order_under_the_limit_without_discount_is_confirmed_directly(customer, warehouse, product, rep, manager,
                                                                      cfo, stock):
    stock(product, 5)
    order = make_order(customer=customer, warehouse=warehouse, items=[(product, 2)], actor=rep)

    order = services.confirm_order(order_id=order.pk, actor=rep)

    assert order.status == SalesOrderStatus.CONFIRMED
    assert not ApprovalInstance.objects.exists()
    assert levels(product, warehouse) == (5, 2)


def test_open_orders_count_towards_the_exposure(customer, warehouse, product, rep, manager, cfo, stock):
    """A limit of 200: a confirmed order of 169.50 leaves room for little; the next one goes over."""
    stock(product, 30)
    customer.credit_limit = D("200")
    customer.save(update_fields=["credit_limit"])
    first = make_order(customer=customer, warehouse=warehouse, items=[(product, 10)], actor=rep, confirm=True)
    assert first.status == SalesOrderStatus.CONFIRMED
    second = make_order(customer=customer, warehouse=warehouse, items=[(product, 1)], actor=rep)

    credit = selectors.credit_exposure(second)
    assert (credit.open_orders, credit.this_order, credit.exposure) == (D("169.50"), D("16.95"), D("186.45"))
    assert not credit.over_limit
    third = make_order(customer=customer, warehouse=warehouse, items=[(product, 2)], actor=rep)
    assert selectors.credit_exposure(third).over_limit
    assert approval.context(third)["over_credit_limit"] is True
    assert services.confirm_order(order_id=third.pk, actor=rep).status == SalesOrderStatus.PENDING_APPROVAL


def test_editing_an_order_pending_approval_cancels_the_approval_and_makes_it_a_draft(
        small_customer, warehouse, product, rep, manager, cfo):
    order = make_order(customer=small_customer, warehouse=warehouse, items=[(product, 10)], actor=rep, confirm=True)
    task = pending_task(manager)

    order = services.update_order(order_id=order.pk, lines=lines((product, 12)), actor=rep)

    assert order.status == SalesOrderStatus.DRAFT and order.total_gross == D("203.40")
    assert ApprovalInstance.objects.get().status == InstanceStatus.CANCELLED
    task.refresh_from_db()
    assert task.status == TaskStatus.SKIPPED
    assert OutboxEvent.objects.filter(type="approvals.instance.cancelled").exists()


def test_confirming_an_order_that_waits_for_approval_is_refused(small_customer, warehouse, product, rep, manager,
                                                                cfo):
    order = make_order(customer=small_customer, warehouse=warehouse, items=[(product, 10)], actor=rep, confirm=True)

    with pytest.raises(AwaitingApproval) as caught:
        services.confirm_order(order_id=order.pk, actor=rep)
    assert caught.value.code == "awaiting_approval" and caught.value.status == 409


def test_cancelling_an_order_pending_approval_cancels_its_approval(small_customer, warehouse, product, rep, manager,
                                                                   cfo):
    order = make_order(customer=small_customer, warehouse=warehouse, items=[(product, 10)], actor=rep, confirm=True)

    order = services.cancel_order(order_id=order.pk, actor=rep, reason="customer changed their mind")

    assert order.status == SalesOrderStatus.CANCELLED
    assert ApprovalInstance.objects.get().status == InstanceStatus.CANCELLED
    assert not ApprovalTask.objects.filter(status=TaskStatus.PENDING).exists()


def test_block_policy_short_stock_at_final_approval_undoes_the_approval(small_customer, warehouse, product, rep,
                                                                         manager, cfo, stock):
    from caixiao.sales.errors import OrderStockShortage

    stock(product, 3)
    order = make_order(customer=small_customer, warehouse=warehouse, items=[(product, 10)], actor=rep,
                       policy="block", confirm=True)
    approval_services.approve(task_id=pending_task(manager).pk, actor=manager)

    with pytest.raises(OrderStockShortage):
        approval_services.approve(task_id=pending_task(cfo).pk, actor=cfo)

    order.refresh_from_db()
    assert order.status == SalesOrderStatus.PENDING_APPROVAL
    assert pending_task(cfo).status == TaskStatus.PENDING
    assert not Reservation.objects.exists()


def test_confirming_when_no_step_matches_writes_nothing_for_the_approval_and_skips_the_credit_query(
        customer, warehouse, product, rep, manager, cfo, stock):
    """No credit limit (0), no discount, no rule: the hook's rules and the active flow are one query
    each; no savepoint, no step or pending-instance query, no credit exposure (docs/sales.md
    "Performance")."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    stock(product, 10)
    customer.credit_limit = D("0")
    customer.save(update_fields=["credit_limit"])
    make_order(customer=customer, warehouse=warehouse, items=[(product, 1)], actor=rep, confirm=True)  # warm
    order = make_order(customer=customer, warehouse=warehouse, items=[(product, 2)], actor=rep)

    with CaptureQueriesContext(connection) as queries:
        assert services.confirm_order(order_id=order.pk, actor=rep).status == SalesOrderStatus.CONFIRMED

    sql = [q["sql"] for q in queries.captured_queries]
    assert len([s for s in sql if "SAVEPOINT" in s.upper()]) == 2  # confirm_order's own, in the test's transaction
    assert len([s for s in sql if "approvals_" in s]) == 1  # the active flow (and its pending check)
    assert not [s for s in sql if "approvals_approvalstep" in s or "SUM(" in s]
    assert not ApprovalInstance.objects.exists()


def test_a_condition_on_the_exposure_sees_it_without_a_credit_limit_and_a_new_version_counts_at_once(
        customer, warehouse, product, rep, manager, cfo, stock):
    from caixiao.approvals.registry import StepSpec

    stock(product, 30)
    customer.credit_limit = D("0")
    customer.save(update_fields=["credit_limit"])
    first = make_order(customer=customer, warehouse=warehouse, items=[(product, 10)], actor=rep, confirm=True)
    assert first.status == SalesOrderStatus.CONFIRMED  # the default flow (its steps now kept) does not match
    flow = approval_services.current_flow(doc_type="sales.order")
    approval_services.update_flow(flow_id=flow.pk, actor=rep, steps=[
        StepSpec(name="Big exposure", condition="exposure > 180", resolver="role", params={"role": "sales_manager"})])

    second = make_order(customer=customer, warehouse=warehouse, items=[(product, 1)], actor=rep)
    assert services.confirm_order(order_id=second.pk, actor=rep).status == SalesOrderStatus.PENDING_APPROVAL
    instance = ApprovalInstance.objects.get(object_id=str(second.pk))
    assert D(instance.context["exposure"]) == D("186.45") and instance.context["over_credit_limit"] is False
    assert set(instance.context) == set(approval.CONTEXT_KEYS)  # the whole context, as before


def test_the_reps_department_is_read_only_by_a_condition_that_names_it(customer, warehouse, product, rep, manager,
                                                                       stock):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from caixiao.accounts.models import Department
    from caixiao.approvals.registry import StepSpec

    stock(product, 30)
    customer.credit_limit = D("0")
    customer.save(update_fields=["credit_limit"])
    rep.department = Department.objects.create(code="EAST", name="华东销售部")
    rep.save(update_fields=["department"])
    quiet = make_order(customer=customer, warehouse=warehouse, items=[(product, 1)], actor=rep)
    with CaptureQueriesContext(connection) as queries:
        assert services.confirm_order(order_id=quiet.pk, actor=rep).status == SalesOrderStatus.CONFIRMED
    assert not [q["sql"] for q in queries.captured_queries if "accounts_department" in q["sql"]]

    flow = approval_services.current_flow(doc_type="sales.order")
    approval_services.update_flow(flow_id=flow.pk, actor=rep, steps=[
        StepSpec(name="East", condition='department == "EAST"', resolver="role", params={"role": "sales_manager"})])
    east = make_order(customer=customer, warehouse=warehouse, items=[(product, 1)], actor=rep)
    assert services.confirm_order(order_id=east.pk, actor=rep).status == SalesOrderStatus.PENDING_APPROVAL
    assert ApprovalInstance.objects.get(object_id=str(east.pk)).context["department"] == "EAST"
    rep.department = Department.objects.create(code="WEST", name="华西销售部")
    rep.save(update_fields=["department"])
    west = make_order(customer=customer, warehouse=warehouse, items=[(product, 1)], actor=rep)
    assert services.confirm_order(order_id=west.pk, actor=rep).status == SalesOrderStatus.CONFIRMED


def test_rules_and_the_credit_check_see_the_same_open_order_value(customer, warehouse, product, rep, clerk, stock):
    """``customer.open_amount`` of the sales_order rule subject is what other open orders have not shipped,
    the figure the credit check adds this order to (approval context ``exposure``)."""
    from caixiao.sales import selectors as sales_selectors
    from caixiao.sales.rule_actions import order_context
    from caixiao.sales.tests.factories import ship_all

    stock(product, 20)
    customer.credit_limit = D("0")
    customer.save(update_fields=["credit_limit"])
    shipped_half = make_order(customer=customer, warehouse=warehouse, items=[(product, 4)], actor=rep, confirm=True)
    (line,) = shipped_half.lines.all()
    ship_all(shipped_half, actor=clerk, lines=[services.NoticeLineInput(order_line_id=line.pk, quantity=D(2))])
    untouched = make_order(customer=customer, warehouse=warehouse, items=[(product, 1)], actor=rep, confirm=True)
    order = make_order(customer=customer, warehouse=warehouse, items=[(product, 3)], actor=rep)

    _target, context = order_context(order)
    exposure = sales_selectors.credit_exposure(order)
    assert context["customer"]["open_amount"] == exposure.open_orders
    assert exposure.open_orders == (shipped_half.total_gross / 2 + untouched.total_gross).quantize(D("0.01"))
