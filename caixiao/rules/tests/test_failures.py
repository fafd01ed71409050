"""A rule that fails at run time is disabled, announced and reported to administrators, and never
breaks the transaction that triggered it (X7; issue 5 "Bad input")."""

import datetime as dt

import pytest
from django.db import transaction

from caixiao.core import outbox
from caixiao.core.models import EventDelivery, OutboxEvent
from caixiao.inventory.models import StockBalance
from caixiao.rules import engine, services
from caixiao.rules.actions import Action, register_action
from caixiao.rules.models import RuleChange, RuleRun
from caixiao.rules.subjects import Target

# lead_time_days is 7 on real products: an integer division by zero at run time (the sample passes).
DIVIDES_BY_ZERO = "product.lead_time_days / (product.lead_time_days - 7) > 1"


def _boom(ctx):
    ctx.change(action_type="test_boom", document_type="catalog.product", object_id=ctx.target.object_id,
               field="x", new=1)
    raise RuntimeError("action bug")


register_action(Action(type="test_boom", label="boom", run=_boom, dry_run=lambda ctx: "boom"))


@pytest.mark.django_db
def test_a_condition_failing_on_real_data_disables_the_rule_and_tells_the_admins(
        product, stock, make_rule, admin_user, roles):
    rule = make_rule(code="fragile", trigger_kind="event", trigger="inventory.stock.*", subject="product",
                     condition=DIVIDES_BY_ZERO, actions=[{"type": "notify", "params": {"roles": ["buyer"]}}])
    stock(product, 4)
    outbox.process_due()
    assert StockBalance.objects.get(product=product).on_hand == 4  # the receipt stands
    rule.refresh_from_db()
    assert not rule.enabled and rule.failure_count == 1 and "condition failed" in rule.disabled_reason
    delivery = EventDelivery.objects.get(handler="rules.event_rules", event__type="inventory.stock.received")
    assert delivery.status == "done"  # the rule's failure is not the delivery's
    [run] = RuleRun.objects.filter(rule=rule)
    assert run.error and run.matched == 0
    failed = OutboxEvent.objects.get(type="rules.rule.failed")
    assert failed.payload["code"] == "fragile" and failed.payload["trigger_ref"].startswith("event:")
    assert not engine.wants_event("inventory.stock.received")


@pytest.mark.django_db
def test_a_failing_action_rolls_back_its_own_changes_and_other_rules_still_run(product, stock, make_rule, roles):
    stock(product, 4)
    bad = make_rule(code="bad", trigger_kind="schedule", trigger="daily", subject="product",
                    condition="product.on_hand > 0.0", actions=[{"type": "test_boom", "params": {}}])
    good = make_rule(code="good", trigger_kind="schedule", trigger="daily", subject="product",
                     condition="product.on_hand > 0.0", actions=[{"type": "notify", "params": {"roles": ["buyer"]}}])
    runs = {run.rule.code: run for run in services.run_schedule(schedule="daily")}
    assert "action bug" in runs["bad"].error and runs["good"].error == ""
    assert not RuleChange.objects.filter(rule=bad).exists()  # rolled back with the savepoint
    bad.refresh_from_db()
    good.refresh_from_db()
    assert not bad.enabled and good.enabled
    assert services.run_schedule(schedule="daily")[0].rule == good  # the disabled rule no longer runs


# Two lines make it divide by zero; the sample context (one line) passes the check on save.
FRAGILE_HOOK = {"code": "bad-hook", "trigger_kind": "hook", "trigger": "sales.order.confirm", "subject": "sales_order",
                "condition": "order.line_count / (order.line_count - 2) >= 0",
                "actions": [{"type": "block", "params": {"message": "never"}}]}


def _order(line_count):
    return {"order": {"number": "SO-1", "status": "draft", "amount": 1.0, "total_net": 1.0, "currency": "CNY",
                      "warehouse": "W", "line_count": line_count, "max_discount_percent": 0.0,
                      "days_to_requested": 1, "lines": []},
            "customer": {"code": "C", "name": "C", "category": "", "region": "", "credit_limit": 0.0,
                         "open_amount": 0.0},
            "as_of": dt.date(2026, 1, 1)}


@pytest.mark.django_db
def test_a_failing_hook_rule_is_skipped_and_the_document_goes_ahead(make_rule, roles, monkeypatch):
    recorded = []
    monkeypatch.setattr(engine, "record_failure_detached", lambda rule_id, **kw: recorded.append((rule_id, kw)))
    rule = make_rule(**FRAGILE_HOOK)
    assert services.check_hook("sales.order.confirm", _order(3)).blocked == ["never"]
    verdict = services.check_hook("sales.order.confirm", _order(2), target=Target("sales.salesorder", "1"))
    assert verdict.ok
    assert recorded[0][0] == rule.pk and recorded[0][1]["trigger_ref"] == "hook:sales.order.confirm"


@pytest.mark.django_db(transaction=True)
def test_a_hook_failure_stays_recorded_when_the_callers_transaction_rolls_back(make_rule, roles):
    rule = make_rule(**FRAGILE_HOOK)

    class CallerFailed(Exception):
        pass

    with pytest.raises(CallerFailed), transaction.atomic():
        verdict = services.check_hook("sales.order.confirm", _order(2), target=Target("sales.salesorder", "1"))
        assert verdict.ok
        raise CallerFailed  # the document's own transaction rolls back afterwards
    engine.wait_for_detached()
    rule.refresh_from_db()
    assert not rule.enabled and rule.failure_count == 1
    assert OutboxEvent.objects.filter(type="rules.rule.failed", payload__code="bad-hook").exists()
