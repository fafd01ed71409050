"""The three trigger kinds (X4, P4): event rules through the outbox, scheduled rules over every
target, synchronous hooks returning a verdict (the stories with sales orders and notifications are in
tests/scenarios/test_rules.py)."""

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from caixiao.core import outbox
from caixiao.core.models import EventDelivery, OutboxEvent
from caixiao.rules import services, subjects
from caixiao.rules.models import Rule, RuleChange, RuleRun

pytestmark = pytest.mark.django_db
D = Decimal


def _enable(code, actor):
    return services.enable_rule(rule_id=Rule.objects.get(code=code).pk, actor=actor)


# Event rules -----------------------------------------------------------------------------------------------
def test_events_no_enabled_rule_listens_to_are_skipped_without_a_run(warehouse, product, stock, roles):
    services.ensure_builtin_rules()
    Rule.objects.update(enabled=False)
    from caixiao.rules import engine

    engine.invalidate_cache()
    stock(product, 3)
    outbox.process_due()
    assert OutboxEvent.objects.filter(type="inventory.stock.received").exists()
    assert not EventDelivery.objects.filter(handler="rules.event_rules").exists()  # declined at emit time
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
def _order(amount, credit_limit):
    return {"order": {"number": "SO-1", "status": "draft", "amount": amount, "total_net": amount, "currency": "CNY",
                      "warehouse": "W", "line_count": 1, "max_discount_percent": 0.0, "days_to_requested": 1,
                      "lines": []},
            "customer": {"code": "C", "name": "C", "category": "", "region": "", "credit_limit": credit_limit,
                         "open_amount": 0.0},
            "as_of": dt.date(2026, 1, 1)}


def test_hook_rules_block_or_require_approval(make_rule, roles):
    make_rule(code="too-big", trigger_kind="hook", trigger="sales.order.confirm", subject="sales_order",
              condition="order.amount > 1000.0", actions=[{"type": "block", "params": {"message": "Too big"}}])
    make_rule(code="credit", trigger_kind="hook", trigger="sales.order.confirm", subject="sales_order",
              condition="customer.credit_limit < order.amount + customer.open_amount",
              actions=[{"type": "require_approval", "params": {"message": "Over the credit limit"}}])
    verdict = services.check_hook("sales.order.confirm", _order(D("100"), D("500")))
    assert verdict.ok and verdict.rules == []
    verdict = services.check_hook("sales.order.confirm", _order(D("1500"), D("500")))
    assert verdict.blocked == ["Too big"] and verdict.approval_reasons == ["Over the credit limit"]
    assert set(verdict.rules) == {"too-big", "credit"}
    assert services.check_hook("no.such.hook", _order(D("1"), D("1"))).ok


def test_contexts_skip_the_sales_query_no_rule_reads(growing, django_assert_num_queries):
    now = timezone.now()
    with django_assert_num_queries(4):  # balances, products, warehouses, weekly sales
        list(subjects.PRODUCT.contexts(None, now))
    with django_assert_num_queries(3):
        [(_target, context)] = subjects.PRODUCT.contexts(None, now, needs={"product": frozenset({"available"})})
    assert context["product"]["available"] == D(500 - 59)
