"""Rules are checked on save and versioned (X7): the condition compiles against the subject's schema
with positions, actions and their parameters are validated, edits make a new immutable version."""

import pytest

from caixiao.core.errors import DuplicateCode, InUse, ValidationFailed
from caixiao.core.models import AuditEntry, OutboxEvent
from caixiao.rules import engine, services
from caixiao.rules.expressions import ExpressionError
from caixiao.rules.models import Rule, RuleVersion, VersionIsImmutable

pytestmark = pytest.mark.django_db

LOW_STOCK = {"code": "low", "name": "Low stock", "trigger_kind": "event", "trigger": "inventory.stock.*",
             "subject": "product", "condition": "product.available < product.safety_stock",
             "actions": [{"type": "notify", "params": {"roles": ["buyer"], "message": "low"}}]}


def test_create_rule_makes_version_one_audits_and_announces(make_rule, roles):
    rule = make_rule(**LOW_STOCK)
    assert rule.current_version.number == 1
    assert rule.current_version.actions == [{"type": "notify", "params": {"roles": ["buyer"], "message": "low"}}]
    assert AuditEntry.objects.filter(verb="rule:created", object_id=str(rule.pk)).exists()
    event = OutboxEvent.objects.get(type="rules.rule.changed")
    assert event.payload["change"] == "created" and event.payload["code"] == "low"


def test_update_rule_makes_a_new_version_and_keeps_the_old(make_rule, admin_user, roles):
    rule = make_rule(**LOW_STOCK)
    version = services.update_rule(rule_id=rule.pk, data={"condition": "product.available < 5.0", "comment": "x"},
                                   actor=admin_user)
    rule.refresh_from_db()
    assert version.number == 2 and rule.current_version == version
    assert RuleVersion.objects.get(rule=rule, number=1).condition == LOW_STOCK["condition"]
    assert version.actions == rule.versions.get(number=1).actions  # unchanged parts carry over


def test_versions_are_immutable(make_rule, roles):
    version = make_rule(**LOW_STOCK).current_version
    version.condition = "true"
    with pytest.raises(VersionIsImmutable):
        version.save()


def test_a_bad_condition_is_rejected_with_its_position(make_rule, roles):
    with pytest.raises(ExpressionError) as caught:
        make_rule(**{**LOW_STOCK, "condition": "product.available < 1.0 &&\n  product.avialable > 0.0"})
    assert (caught.value.line, caught.value.column) == (2, 11)  # at "avialable"
    assert caught.value.as_dict()["code"] == "invalid_expression"
    assert "condition" in caught.value.fields
    assert not Rule.objects.exists()


@pytest.mark.parametrize(("actions", "code", "field"), [
    ([], "validation_error", "actions"),
    ([{"type": "teleport", "params": {}}], "unknown_action", "actions.0.type"),
    ([{"type": "adjust_safety_stock", "params": {"percent": "abc", "cap_percent": "50"}}],
     "invalid_action_params", "actions.0.params.percent"),
    ([{"type": "adjust_safety_stock", "params": {"percent": "15"}}], "invalid_action_params",
     "actions.0.params.cap_percent"),
    ([{"type": "notify", "params": {"roles": ["astronaut"]}}], "invalid_action_params", "actions.0.params.roles"),
    ([{"type": "notify", "params": {}}], "invalid_action_params", "actions.0.params.users"),
    ([{"type": "notify", "params": {"roles": ["buyer"], "colour": "red"}}], "invalid_action_params",
     "actions.0.params.colour"),
    ([{"type": "block", "params": {"message": "no"}}], "invalid_action_params", "actions.0.type"),  # hook only
])
def test_bad_actions_are_rejected_on_save(make_rule, roles, actions, code, field):
    with pytest.raises(ValidationFailed) as caught:
        make_rule(**{**LOW_STOCK, "actions": actions})
    assert caught.value.code == code
    assert field in caught.value.fields


@pytest.mark.parametrize(("data", "field"), [
    ({"subject": "planet"}, "subject"),
    ({"trigger": "sales.order.confirmed"}, "trigger"),         # not an event of the product subject
    ({"trigger": "nothing.happened.*"}, "trigger"),
    ({"trigger_kind": "schedule", "trigger": "monthly"}, "trigger"),
    ({"trigger_kind": "sometimes"}, "trigger_kind"),
    ({"code": ""}, "code"),
    ({"name": ""}, "name"),
])
def test_bad_triggers_and_fields_are_rejected(make_rule, roles, data, field):
    with pytest.raises(ValidationFailed) as caught:
        make_rule(**{**LOW_STOCK, **data})
    assert field in caught.value.fields


def test_codes_are_unique(make_rule, roles):
    make_rule(**LOW_STOCK)
    with pytest.raises(DuplicateCode):
        make_rule(**LOW_STOCK)


def test_enable_disable_and_the_event_trigger_cache(make_rule, admin_user, roles):
    rule = make_rule(**{**LOW_STOCK, "enabled": False})
    assert not engine.wants_event("inventory.stock.received")
    services.enable_rule(rule_id=rule.pk, actor=admin_user)
    assert engine.wants_event("inventory.stock.received")
    assert not engine.wants_event("sales.order.confirmed")
    services.disable_rule(rule_id=rule.pk, actor=admin_user, reason="noisy")
    rule.refresh_from_db()
    assert not rule.enabled and rule.disabled_reason == "noisy"
    assert not engine.wants_event("inventory.stock.received")
    changes = list(OutboxEvent.objects.filter(type="rules.rule.changed").order_by("id")
                   .values_list("payload__change", flat=True))
    assert changes == ["created", "enabled", "disabled"]


def test_builtin_rules_are_seeded_once_and_cannot_be_deleted(admin_user, roles):
    created = services.ensure_builtin_rules()
    assert {r.code for r in created} == {"stock-below-safety-stock", "large-order-purchase-requisition",
                                         "supplier-delivery-late", "sales-growth-safety-stock"}
    assert all(r.is_builtin for r in created)
    assert services.ensure_builtin_rules() == []
    enabled = dict(Rule.objects.values_list("code", "enabled"))
    assert enabled["stock-below-safety-stock"] and not enabled["large-order-purchase-requisition"]
    with pytest.raises(InUse) as caught:
        services.delete_rule(rule_id=created[0].pk, actor=admin_user)
    assert caught.value.code == "builtin_rule"


def test_an_edited_builtin_is_not_overwritten_by_seeding(admin_user, roles):
    services.ensure_builtin_rules()
    rule = Rule.objects.get(code="large-order-purchase-requisition")
    services.update_rule(rule_id=rule.pk, data={"condition": "order.amount >= 50000.0"}, actor=admin_user)
    services.ensure_builtin_rules()
    rule.refresh_from_db()
    assert rule.current_version.condition == "order.amount >= 50000.0"


def test_delete_a_rule_that_changed_nothing(make_rule, admin_user, roles):
    rule = make_rule(**LOW_STOCK)
    services.delete_rule(rule_id=rule.pk, actor=admin_user)
    assert not Rule.objects.exists()


def test_seed_rules_command_is_idempotent(roles):
    from io import StringIO

    from django.core.management import call_command

    out = StringIO()
    call_command("seed_rules", stdout=out)
    call_command("seed_rules", stdout=out)
    assert out.getvalue().split("\n")[:2] == ["Built-in rules created: 4", "Built-in rules created: 0"]
    assert Rule.objects.filter(is_builtin=True).count() == 4
