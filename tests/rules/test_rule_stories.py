"""The rule engine's stories across apps (X4, X7, P4): the built-in rules end to end through the real
sales, ledger and notification services and the outbox; a hook with a real order's context; an event
rule dry-run replaying the outbox; administrators told when a rule fails."""

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from caixiao.core import outbox
from caixiao.core.models import OutboxEvent
from caixiao.notifications import selectors as notification_selectors
from caixiao.notifications.models import Notification, Todo, TodoStatus
from caixiao.rules import engine, services, subjects
from caixiao.rules.models import Rule, RuleChange, RuleRun
from caixiao.rules.subjects import Target
from caixiao.sales.models import PurchaseDemand
from caixiao.sales.rule_actions import order_context
from caixiao.sales.tests.factories import make_order

pytestmark = pytest.mark.django_db
D = Decimal


@pytest.fixture(autouse=True)
def _fresh_engine_cache():
    engine.invalidate_cache()
    yield
    engine.invalidate_cache()


@pytest.fixture
def make_rule(admin_user):
    def make(**data):
        data.setdefault("name", "Test rule")
        data.setdefault("enabled", True)
        return services.create_rule(data=data, actor=admin_user)

    return make


def _enable(code, actor):
    return services.enable_rule(rule_id=Rule.objects.get(code=code).pk, actor=actor)


def test_safety_stock_alert_runs_through_the_outbox_once_per_episode(
        warehouse, product, stock, make_user, rep, customer, roles):
    services.ensure_builtin_rules()
    buyer = make_user("buyer")
    product.buyer, product.safety_stock = buyer, D("5")
    product.save()
    stock(product, 6)
    outbox.process_due()
    assert not Todo.objects.filter(kind="replenish").exists()
    make_order(customer=customer, warehouse=warehouse, items=[(product, 2)], actor=rep, confirm=True)
    make_order(customer=customer, warehouse=warehouse, items=[(product, 1)], actor=rep, confirm=True)
    outbox.process_due()
    [todo] = Todo.objects.filter(kind="replenish", status=TodoStatus.OPEN)
    assert todo.assignee == buyer and todo.scope == f"warehouse:{warehouse.pk}"
    assert notification_selectors.list_notifications(user=buyer).filter(verb="inventory.stock.below_safety").count() == 1
    rule = Rule.objects.get(code="stock-below-safety-stock")
    assert RuleRun.objects.filter(rule=rule, matched=1).count() == 2  # two reservations, still one to-do
    assert RuleChange.objects.filter(rule=rule, action_type="replenishment_alert").count() == 1
    assert OutboxEvent.objects.filter(type="rules.rule.matched").exists()
    stock(product, 10)
    outbox.process_due()
    todo.refresh_from_db()
    assert todo.status == TodoStatus.DONE


# Hooks ------------------------------------------------------------------------------------------------------
def test_a_real_orders_context_for_the_confirm_hook(customer, warehouse, product, stock, rep, make_rule, roles):
    make_rule(code="too-big", trigger_kind="hook", trigger="sales.order.confirm", subject="sales_order",
              condition="order.amount > 1000.0", actions=[{"type": "block", "params": {"message": "Too big"}}])
    make_rule(code="discount", trigger_kind="hook", trigger="sales.order.confirm", subject="sales_order",
              condition="order.line_count >= 1 && customer.credit_limit < order.amount",
              actions=[{"type": "require_approval", "params": {"message": "Over the credit limit"}}])
    customer.credit_limit = D("500")
    customer.save()
    small = make_order(customer=customer, warehouse=warehouse, items=[(product, 1)], actor=rep)
    big = make_order(customer=customer, warehouse=warehouse, items=[(product, 100)], actor=rep)

    target, context = order_context(small)
    verdict = services.check_hook("sales.order.confirm", context, target=target)
    assert verdict.ok and verdict.rules == []

    target, context = order_context(big)
    verdict = services.check_hook("sales.order.confirm", context, target=target)
    assert verdict.blocked == ["Too big"] and verdict.approval_reasons == ["Over the credit limit"]
    assert set(verdict.rules) == {"too-big", "discount"}
    assert services.check_hook("no.such.hook", context).ok


def test_confirming_an_order_runs_the_confirm_hook(customer, warehouse, product, stock, rep, make_rule, make_user,
                                                   roles):
    """A block rule stops confirming with 422 blocked_by_rule and changes nothing; a require_approval
    rule sends the order to the sales manager (the default flow's rule_requires_approval)."""
    from caixiao.approvals.defaults import ensure_default_flows
    from caixiao.approvals.models import ApprovalTask
    from caixiao.inventory.models import Reservation
    from caixiao.sales.enums import SalesOrderStatus
    from caixiao.sales.errors import BlockedByRule
    from caixiao.sales.services import confirm_order

    ensure_default_flows()
    manager = make_user("sales_manager")
    stock(product, 500)
    block = make_rule(code="no-huge", trigger_kind="hook", trigger="sales.order.confirm", subject="sales_order",
                      condition="order.amount > 1000.0", actions=[{"type": "block", "params": {"message": "超过单笔上限"}}])
    ask = make_rule(code="ask", trigger_kind="hook", trigger="sales.order.confirm", subject="sales_order",
                    condition="order.line_count >= 1 && order.amount > 100.0",
              actions=[{"type": "require_approval", "params": {"message": "大单需审批"}}])
    huge = make_order(customer=customer, warehouse=warehouse, items=[(product, 200)], actor=rep)
    with pytest.raises(BlockedByRule) as caught:
        confirm_order(order_id=huge.pk, actor=rep)
    assert caught.value.as_dict()["code"] == "blocked_by_rule" and "超过单笔上限" in str(caught.value.message)
    huge.refresh_from_db()
    assert huge.status == SalesOrderStatus.DRAFT and not Reservation.objects.exists()

    services.disable_rule(rule_id=block.pk, actor=rep)
    order = confirm_order(order_id=huge.pk, actor=rep)
    assert order.status == SalesOrderStatus.PENDING_APPROVAL and not Reservation.objects.exists()
    assert ApprovalTask.objects.get(status="pending").assignee == manager

    small = make_order(customer=customer, warehouse=warehouse, items=[(product, 1)], actor=rep, confirm=True)
    assert small.status == SalesOrderStatus.CONFIRMED  # neither rule matches: confirmed at once
    services.disable_rule(rule_id=ask.pk, actor=rep)
    big = make_order(customer=customer, warehouse=warehouse, items=[(product, 200)], actor=rep, confirm=True)
    assert big.status == SalesOrderStatus.CONFIRMED  # it was the rule that asked for approval


# Built-ins ---------------------------------------------------------------------------------------------------
def test_large_order_builtin_creates_purchase_demand_and_reverting_cancels_it(
        customer, warehouse, product, stock, rep, admin_user, roles):
    services.ensure_builtin_rules()
    rule = _enable("large-order-purchase-requisition", admin_user)
    services.update_rule(rule_id=rule.pk, data={"condition": "order.amount >= 100.0"}, actor=admin_user)
    stock(product, 50)
    make_order(customer=customer, warehouse=warehouse, items=[(product, 1)], actor=rep, confirm=True)  # 16.95
    order = make_order(customer=customer, warehouse=warehouse, items=[(product, 10)], actor=rep, confirm=True)
    outbox.process_due()
    [demand] = PurchaseDemand.objects.all()
    assert demand.order_line.order == order and demand.quantity == D(10) and demand.status == "open"
    [change] = RuleChange.objects.filter(action_type="create_purchase_demand")
    assert change.object_id == str(demand.pk)
    services.revert_change(change_id=change.pk, actor=admin_user)
    demand.refresh_from_db()
    assert demand.status == "cancelled"
    assert OutboxEvent.objects.filter(type="rules.change.reverted").exists()


class LateDeliveries:
    """Stands in for purchasing's provider of the supplier_delivery subject."""

    def __init__(self, order_ids, days_late):
        self.order_ids, self.days_late = order_ids, days_late

    def contexts(self, event, as_of):
        context = {"days_late": self.days_late, "due_on": timezone.localdate() - dt.timedelta(days=self.days_late),
                   "quantity_open": D(5), "affected_orders": len(self.order_ids),
                   "supplier": {"code": "S1", "name": "Supplier", "rating": "A"},
                   "purchase_order": {"number": "PO-1"}, "product": {"code": "P", "name": "Bolt"},
                   "as_of": timezone.localdate()}
        return [(Target("purchasing.purchaseorderline", "1", "PO-1/1", data={"sales_order_ids": self.order_ids}),
                 context)]

    def history(self, start, end):
        return []


def test_late_supplier_delivery_builtin_notifies_the_owners_of_affected_orders(
        customer, warehouse, product, rep, admin_user, roles, monkeypatch):
    services.ensure_builtin_rules()
    _enable("supplier-delivery-late", admin_user)
    order = make_order(customer=customer, warehouse=warehouse, items=[(product, 1)], actor=rep)
    assert list(subjects.SUPPLIER_DELIVERY.contexts(None, timezone.now())) == []  # until purchasing provides
    monkeypatch.setattr(subjects.SUPPLIER_DELIVERY, "provider", LateDeliveries([order.pk], days_late=2))
    [run] = services.run_schedule(schedule="daily")
    assert run.matched == 1
    [note] = notification_selectors.list_notifications(user=rep)
    assert "PO-1/1" in note.title
    monkeypatch.setattr(subjects.SUPPLIER_DELIVERY, "provider", LateDeliveries([order.pk], days_late=0))
    [run] = services.run_schedule(schedule="daily")
    assert run.matched == 0


def test_event_rule_dry_run_replays_the_outbox_without_writing(
        warehouse, product, stock, rep, customer, make_user, roles):
    make_user("buyer")
    product.safety_stock = D("5")
    product.save()
    stock(product, 6)
    make_order(customer=customer, warehouse=warehouse, items=[(product, 3)], actor=rep, confirm=True)
    outbox.process_due()
    draft = {"code": "low", "name": "Low", "trigger_kind": "event", "trigger": "inventory.stock.*",
             "subject": "product", "condition": "product.safety_stock > 0.0 && product.available < product.safety_stock",
             "actions": [{"type": "replenishment_alert", "params": {}}]}
    now = timezone.now()
    result = services.dry_run(data=draft, start=now - dt.timedelta(hours=1), end=now + dt.timedelta(minutes=1))
    assert result.source == "events"
    assert result.evaluated == 2 and result.matched_count == 2  # received, then reserved (today's figures)
    assert "available 3, safety stock 5" in result.matched[0].would_change[0]
    assert not Todo.objects.exists() and not RuleRun.objects.exists()


def test_administrators_are_told_when_a_rule_fails(product, stock, make_rule, admin_user, roles):
    make_rule(code="fragile", trigger_kind="event", trigger="inventory.stock.*", subject="product",
              condition="product.lead_time_days / (product.lead_time_days - 7) > 1",
              actions=[{"type": "notify", "params": {"roles": ["buyer"]}}])
    stock(product, 4)
    outbox.process_due()
    outbox.process_due()  # the worker delivers rules.rule.failed
    [note] = Notification.objects.filter(verb="rules.rule.failed")
    assert note.recipient == admin_user and "fragile" in note.title


def test_a_hook_rule_is_dry_run_over_the_orders_confirmed_in_the_range(
        customer, warehouse, product, stock, rep, roles):
    stock(product, 100)
    make_order(customer=customer, warehouse=warehouse, items=[(product, 1)], actor=rep, confirm=True)
    big = make_order(customer=customer, warehouse=warehouse, items=[(product, 80)], actor=rep, confirm=True)
    draft = {"code": "big", "name": "Big", "trigger_kind": "hook", "trigger": "sales.order.confirm",
             "subject": "sales_order", "condition": "order.amount > 1000.0",
             "actions": [{"type": "require_approval", "params": {"message": "Big order"}}]}
    now = timezone.now()
    result = services.dry_run(data=draft, start=now - dt.timedelta(days=1), end=now + dt.timedelta(minutes=1))
    assert result.evaluated == 2
    [match] = result.matched
    assert match.target["object_id"] == str(big.pk) and match.would_change == ["Needs approval: Big order"]
