"""Flows as data (S2, X7): checked on save, never at run time — no steps, malformed CEL and unknown
fields (with the position), steps that can never give an approver, N-of-M counts; versions; the
seeded purchase-order flow and the registry's placeholder."""

from __future__ import annotations

import pytest

from caixiao.approvals import registry, services
from caixiao.approvals.defaults import PURCHASE_ORDER, PURCHASE_ORDER_PLACEHOLDER, ensure_default_flows
from caixiao.approvals.enums import ApprovalMode, ResolverKind
from caixiao.approvals.models import ApprovalFlow
from caixiao.approvals.tests.doctype import KEY, step
from caixiao.core.errors import Conflict, ValidationFailed
from caixiao.rules.expressions import ExpressionError

pytestmark = pytest.mark.django_db


def save(*steps):
    return services.create_flow(document_type=KEY, name="Memo", steps=list(steps), actor=None)


@pytest.fixture
def manager(make_user):
    return make_user("purchasing_manager", username="pm")


def test_a_flow_without_steps_is_refused():
    with pytest.raises(ValidationFailed) as exc:
        save()
    assert exc.value.code == "no_steps" and exc.value.status == 422


@pytest.mark.parametrize(("condition", "line", "column"), [
    ("amount >= ", 1, 11),          # syntax
    ("amount >= 1.0 && colour == 'red'", 1, 18),  # unknown field
    ("category.colour == 'x'", 1, 10),  # unknown field of a map
])
def test_bad_conditions_are_refused_with_their_position(manager, condition, line, column):
    with pytest.raises(ExpressionError) as exc:
        save(step("A", params={"role": "purchasing_manager"}),
             step("B", condition=condition, params={"role": "purchasing_manager"}))
    error = exc.value
    assert error.code == "invalid_expression" and error.status == 422
    assert (error.details["line"], error.details["column"]) == (line, column)
    assert list(error.fields) == ["steps.1.condition"]


def test_a_condition_of_the_wrong_type_is_refused(manager):
    with pytest.raises(ExpressionError):
        save(step("A", condition="amount + 1.0", params={"role": "purchasing_manager"}))


@pytest.mark.parametrize(("resolver", "params"), [
    (ResolverKind.USER, {"user_ids": [987654]}),   # unknown user
    (ResolverKind.USER, {"user_ids": []}),
    (ResolverKind.ROLE, {"role": "qc_inspector"}),  # a role nobody holds
    (ResolverKind.ROLE, {"role": "no_such_role"}),
    (ResolverKind.POSITION, {"position_id": 987654}),
    (ResolverKind.NTH_MANAGER, {"n": 0}),
])
def test_a_step_that_can_never_give_an_approver_is_refused(roles, resolver, params):
    with pytest.raises(ValidationFailed) as exc:
        save(step("A", resolver=resolver, params=params))
    assert exc.value.code == "no_approver"
    assert list(exc.value.fields) == ["steps.0.params"]


def test_a_position_nobody_holds_is_refused(roles):
    from caixiao.accounts.models import Position

    position = Position.objects.create(code="EMPTY", name="空岗")
    with pytest.raises(ValidationFailed) as exc:
        save(step("A", resolver=ResolverKind.POSITION, params={"position_id": position.pk}))
    assert exc.value.code == "no_approver"


@pytest.mark.parametrize("required", [0, 4])
def test_n_of_m_needs_a_count_within_the_approvers(make_user, required):
    users = [make_user(username=f"u{i}") for i in range(3)]
    with pytest.raises(ValidationFailed) as exc:
        save(step("A", resolver=ResolverKind.USER, params={"user_ids": [u.pk for u in users]},
                  mode=ApprovalMode.N_OF_M, required_count=required))
    assert exc.value.code == "invalid_required_count"


def test_malformed_step_data_is_a_field_error(manager):
    with pytest.raises(ValidationFailed) as exc:
        save({"name": "A", "resolver": "astrologer", "params": {}})
    assert list(exc.value.fields) == ["steps.0.resolver"]
    with pytest.raises(ValidationFailed) as exc:
        save({"name": "", "resolver": "role", "params": {"role": "purchasing_manager"}})
    assert list(exc.value.fields) == ["steps.0.name"]


def test_an_unknown_document_type_is_refused(manager):
    with pytest.raises(ValidationFailed) as exc:
        services.create_flow(document_type="nope.nothing", name="x", actor=None,
                             steps=[step("A", params={"role": "purchasing_manager"})])
    assert exc.value.code == "unknown_document_type"


def test_versions_one_active_per_type(manager):
    first = save(step("A", params={"role": "purchasing_manager"}))
    with pytest.raises(Conflict) as exc:
        save(step("A", params={"role": "purchasing_manager"}))
    assert exc.value.code == "flow_exists"
    second = services.update_flow(flow_id=first.pk, actor=None, name="Memo v2",
                                  steps=[step("B", condition="urgent", params={"role": "purchasing_manager"})])
    first.refresh_from_db()
    assert (first.is_active, second.is_active, second.version, second.previous_id) == (False, True, 2, first.pk)
    assert list(first.steps.values_list("name", flat=True)) == ["A"]  # the old version is untouched
    services.deactivate_flow(flow_id=second.pk, actor=None)
    assert not ApprovalFlow.objects.filter(document_type=KEY, is_active=True).exists()
    services.set_flow_active(flow_id=first.pk, active=True, actor=None)
    assert ApprovalFlow.objects.get(document_type=KEY, is_active=True) == first


def test_ensure_default_flows_seeds_the_purchase_order_flow_once(roles):
    created = ensure_default_flows()
    assert PURCHASE_ORDER in {f.document_type for f in created}
    flow = ApprovalFlow.objects.get(document_type=PURCHASE_ORDER)
    steps = list(flow.steps.order_by("position"))
    assert [(s.resolver, s.resolver_params, s.condition) for s in steps] == [
        ("role", {"role": "purchasing_manager"}, ""), ("role", {"role": "finance_director"}, "amount >= 50000")]
    assert ensure_default_flows() == []
    services.deactivate_flow(flow_id=flow.pk, actor=None)
    assert ensure_default_flows() == []  # an administrator's deactivation stands


def test_the_seeded_purchase_order_flow_routes_by_amount(make_user):
    from types import SimpleNamespace

    buyer = make_user("buyer", username="b")
    make_user("purchasing_manager", username="pm1")
    make_user("finance_director", username="fd1")
    ensure_default_flows()
    small = SimpleNamespace(pk=1, total_gross=49999, created_by=buyer, supplier=None, currency="CNY")
    big = SimpleNamespace(pk=2, total_gross=50000, created_by=buyer, supplier=None, currency="CNY")
    for order, steps in ((small, [True, False]), (big, [True, True])):
        instance = services.submit(doc_type=PURCHASE_ORDER, obj=order, actor=buyer)
        assert [s["matched"] for s in instance.flow_snapshot] == steps


def test_the_owning_app_replaces_the_placeholder(memo_type):
    real = registry.DocumentType(key=PURCHASE_ORDER, label="PO", schema=PURCHASE_ORDER_PLACEHOLDER.schema,
                                 context=lambda o: {}, requester=lambda o: None)
    try:
        assert registry.register_document(real) is real
        assert registry.get_document(PURCHASE_ORDER) is real
        # A placeholder registered later yields to the real one.
        assert registry.register_document(PURCHASE_ORDER_PLACEHOLDER) is real
        with pytest.raises(ValueError):
            registry.register_document(registry.DocumentType(
                key=PURCHASE_ORDER, label="again", schema=real.schema, context=real.context,
                requester=real.requester))
    finally:
        registry.DOCUMENT_TYPES[PURCHASE_ORDER] = PURCHASE_ORDER_PLACEHOLDER


def test_the_seed_command_is_idempotent(roles):
    from io import StringIO

    from django.core.management import call_command

    first, second = StringIO(), StringIO()
    call_command("seed_approval_flows", stdout=first)
    call_command("seed_approval_flows", stdout=second)
    assert PURCHASE_ORDER in first.getvalue()
    assert ApprovalFlow.objects.filter(document_type=PURCHASE_ORDER).count() == 1
    assert PURCHASE_ORDER not in second.getvalue()


def test_seeding_works_before_any_role_or_user_exists(db):
    from django.contrib.auth.models import Group

    assert not Group.objects.exists()
    assert PURCHASE_ORDER in {f.document_type for f in ensure_default_flows()}
