"""Every change a rule makes is logged and reversible (P4): by hand, per run, and on expiry; a record
changed since keeps its value (409 changed_since)."""

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from caixiao.catalog import services as catalog_services
from caixiao.core.models import OutboxEvent
from caixiao.rules import services
from caixiao.rules.errors import AlreadyReverted, ChangedSince, NotRevertible
from caixiao.rules.models import RuleChange

pytestmark = pytest.mark.django_db
D = Decimal

GROW = {"code": "grow", "trigger_kind": "schedule", "trigger": "weekly", "subject": "product",
        "condition": "wow_growth_streak(product.weekly_sales, 0.20) >= 3",
        "actions": [{"type": "adjust_safety_stock", "params": {"percent": "15", "cap_percent": "50",
                                                                "expires_days": 28}}]}


@pytest.fixture
def raised(growing, make_rule, roles):
    """The growth rule raised the product's safety stock 100 → 115."""
    product = growing
    make_rule(**GROW)
    [run] = services.run_schedule(schedule="weekly")
    product.refresh_from_db()
    assert product.safety_stock == D("115")
    return run


def test_revert_change_restores_the_old_value(raised, product, admin_user):
    [change] = RuleChange.objects.all()
    services.revert_change(change_id=change.pk, actor=admin_user)
    product.refresh_from_db()
    change.refresh_from_db()
    assert product.safety_stock == D("100")
    assert change.reverted_by == admin_user and change.revert_reason == "manual"
    event = OutboxEvent.objects.get(type="rules.change.reverted")
    assert event.payload["restored"] == "100" and event.payload["reason"] == "manual"
    with pytest.raises(AlreadyReverted):
        services.revert_change(change_id=change.pk, actor=admin_user)


def test_a_value_changed_since_is_not_overwritten(raised, product, admin_user):
    catalog_services.update_product(instance=product, data={"safety_stock": D("120")}, actor=admin_user)
    [change] = RuleChange.objects.all()
    with pytest.raises(ChangedSince) as caught:
        services.revert_change(change_id=change.pk, actor=admin_user)
    assert caught.value.code == "changed_since" and caught.value.status == 409
    product.refresh_from_db()
    assert product.safety_stock == D("120")
    change.refresh_from_db()
    assert change.reverted_at is None


def test_revert_run_reverts_every_change_of_the_run(raised, product, admin_user):
    reverted = services.revert_run(run_id=raised.pk, actor=admin_user)
    assert [c.revert_reason for c in reverted] == ["run"]
    product.refresh_from_db()
    assert product.safety_stock == D("100")


def test_expired_changes_are_reverted_by_the_system(raised, product):
    assert services.revert_expired_changes() == 0  # not yet
    assert services.revert_expired_changes(now=timezone.now() + dt.timedelta(days=29)) == 1
    product.refresh_from_db()
    [change] = RuleChange.objects.all()
    assert product.safety_stock == D("100")
    assert change.revert_reason == "expired" and change.reverted_by is None


def test_an_expired_change_of_a_record_changed_since_stays_and_stops_expiring(raised, product, admin_user):
    catalog_services.update_product(instance=product, data={"safety_stock": D("130")}, actor=admin_user)
    assert services.revert_expired_changes(now=timezone.now() + dt.timedelta(days=29)) == 0
    [change] = RuleChange.objects.all()
    assert change.expires_at is None and change.reverted_at is None and "changed since" in change.description
    product.refresh_from_db()
    assert product.safety_stock == D("130")


def test_messages_are_logged_but_not_revertible(product, stock, make_rule, admin_user, make_user, roles):
    make_user("buyer")
    stock(product, 2)
    make_rule(code="tell", trigger_kind="schedule", trigger="daily", subject="product",
              condition="product.on_hand > 0.0", actions=[{"type": "notify", "params": {"roles": ["buyer"]}}])
    services.run_schedule(schedule="daily")
    [change] = RuleChange.objects.all()
    assert change.action_type == "notify" and not change.revertible
    with pytest.raises(NotRevertible):
        services.revert_change(change_id=change.pk, actor=admin_user)


def test_old_runs_that_changed_nothing_are_pruned_runs_with_changes_stay(raised, make_rule, settings):
    from caixiao.rules.models import RuleRun

    settings.RULES_RUN_RETENTION_DAYS = 30
    quiet = RuleRun.objects.create(rule=raised.rule, rule_version=raised.rule_version, trigger_kind="schedule",
                                   trigger_ref="schedule:weekly", started_at=timezone.now(), evaluated=5)
    recent = RuleRun.objects.create(rule=raised.rule, rule_version=raised.rule_version, trigger_kind="schedule",
                                    trigger_ref="schedule:weekly", started_at=timezone.now(), evaluated=5)
    RuleRun.objects.filter(pk__in=[quiet.pk, raised.pk]).update(started_at=timezone.now() - dt.timedelta(days=31))

    assert services.prune_runs() == 1
    assert set(RuleRun.objects.values_list("pk", flat=True)) == {raised.pk, recent.pk}  # raised has a change
    assert RuleChange.objects.get().run_id == raised.pk
    assert services.prune_runs() == 0
