"""The three trigger kinds (X4, P4): event rules through the outbox, scheduled rules over every
target, synchronous hooks returning a verdict; and the built-in rules end to end."""

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from caixiao.core import outbox
from caixiao.core.models import EventDelivery, OutboxEvent
from caixiao.notifications import selectors as notification_selectors
from caixiao.notifications.models import Todo, TodoStatus
from caixiao.rules import services, subjects
from caixiao.rules.models import Rule, RuleChange, RuleRun
from caixiao.rules.subjects import Target
from caixiao.sales.models import PurchaseDemand
from caixiao.sales.rule_actions import order_context
from caixiao.sales.tests.factories import make_order

pytestmark = pytest.mark.django_db
D = Decimal


def _enable(code, actor):
    return services.enable_rule(rule_id=Rule.objects.get(code=code).pk, actor=actor)


# Event rules -----------------------------------------------------------------------------------------------
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


def test_events_no_enabled_rule_listens_to_are_skipped_without_a_run(warehouse, product, stock, roles):
    services.ensure_builtin_rules()
    Rule.objects.update(enabled=False)
    from caixiao.rules import engine

    engine.invalidate_cache()
    stock(product, 3)
    outbox.process_due()
    assert EventDelivery.objects.filter(handler="rules.event_rules", status="done").exists()
    assert not RuleRun.objects.exists()


def test_a_replayed_event_does_not_run_a_rule_version_twice(warehouse, product, stock, make_rule, roles):
    make_rule(code="any-stock", trigger_kind="event", trigger="inventory.stock.received", subject="product",
              condition="product.on_hand > 0.0", actions=[{"type": "notify", "params": {"roles": ["buyer"]}}])
    stock(product, 3)
    outbox.process_due()
    event = OutboxEvent.objects.get(type="inventory.stock.received")
    outbox.replay_event(event_id=event.pk)
    outbox.process_due()
    assert RuleRun.objects.filter(trigger_ref=f"event:{event.pk}").count() == 1


# Scheduled rules --------------------------------------------------------------------------------------------
@pytest.fixture
def growing(product, stock, ship):
    """A product whose sales grew 10 → 13 → 16 → 20 over the last four weeks (3 weeks of > 20%)."""
    product.safety_stock = D("100")
    product.save()
    stock(product, 500)
    for weeks_ago, quantity in ((4, 10), (3, 13), (2, 16), (1, 20)):
        ship(product, quantity, weeks_ago=weeks_ago)
    return product


def test_the_product_context_has_weekly_sales_oldest_first(growing, warehouse):
    [(target, context)] = subjects.PRODUCT.contexts(None, timezone.now())
    assert target.object_id == str(growing.pk) and target.scope == f"warehouse:{warehouse.pk}"
    assert context["product"]["weekly_sales"][-4:] == [D(10), D(13), D(16), D(20)]
    assert context["product"]["weekly_sales"][:8] == [D(0)] * 8
    assert context["product"]["on_hand"] == D(500 - 59) and context["product"]["sales_12w"] == D(59)


def test_growth_rule_raises_safety_stock_with_cap_and_expiry(growing, admin_user, roles):
    services.ensure_builtin_rules()
    _enable("sales-growth-safety-stock", admin_user)
    [run] = services.run_schedule(schedule="weekly")
    assert (run.evaluated, run.matched, run.error) == (1, 1, "")
    growing.refresh_from_db()
    assert growing.safety_stock == D("115")
    [change] = RuleChange.objects.all()
    assert (change.old_value, change.new_value, change.field) == ("100", "115", "safety_stock")
    assert change.run == run and change.rule_version == run.rule_version
    assert dt.timedelta(days=27) < change.expires_at - timezone.now() <= dt.timedelta(days=28)
    assert growing.history.first().safety_stock == D("115")  # through the catalog service: history kept
    # Next weeks: +15% again, but never above +50% of the original 100; one open change holds 100 → now.
    for _week in range(4):
        services.run_schedule(schedule="weekly")
    growing.refresh_from_db()
    assert growing.safety_stock == D("150")
    active = RuleChange.objects.get(reverted_at__isnull=True)
    assert (active.old_value, active.new_value) == ("100", "150")


def test_the_unit_decides_the_rounding(growing, admin_user, roles, make_rule):
    growing.safety_stock = D("7")
    growing.save()
    make_rule(code="grow", trigger_kind="schedule", trigger="weekly", subject="product",
              condition="wow_growth_streak(product.weekly_sales, 0.20) >= 3",
              actions=[{"type": "adjust_safety_stock", "params": {"percent": "15", "cap_qty": "100"}}])
    services.run_schedule(schedule="weekly")
    growing.refresh_from_db()
    assert growing.safety_stock == D("8")  # 8.05 in whole pieces


# Hooks ------------------------------------------------------------------------------------------------------
def test_hook_rules_block_or_require_approval(customer, warehouse, product, stock, rep, make_rule, roles):
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
