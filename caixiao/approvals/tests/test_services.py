"""The approval engine's use cases (S2): submitting (conditions, resolvers, delegation), the three
modes, approve / reject (to the requester, to an earlier step) / return / withdraw, invalidation on
edit, and on_approved in the approval's transaction."""

from __future__ import annotations

import pytest

from caixiao.approvals import selectors, services
from caixiao.approvals.enums import ApprovalMode, InstanceStatus, ResolverKind, TaskStatus
from caixiao.approvals.models import ApprovalTask
from caixiao.approvals.tests.doctype import FAIL, KEY, calls, step
from caixiao.catalog.models import Product
from caixiao.core.errors import Conflict, PermissionDenied, ValidationFailed
from caixiao.core.models import AuditEntry, OutboxEvent

pytestmark = pytest.mark.django_db


def approval_events() -> list[str]:
    return list(OutboxEvent.objects.filter(type__startswith="approvals.").order_by("id").values_list("type", flat=True))


def pending(instance) -> list[ApprovalTask]:
    return list(instance.tasks.filter(status=TaskStatus.PENDING).order_by("id"))


def flow(*steps, actor=None):
    return services.create_flow(document_type=KEY, name="Memo approval", steps=list(steps), actor=actor)


@pytest.fixture
def managers(make_user):
    return [make_user("purchasing_manager", username=f"pm{i}") for i in range(3)]


@pytest.fixture
def director(make_user):
    return make_user("finance_director", username="cfo_u")


@pytest.fixture
def two_level(managers, director):
    return flow(step("Purchasing manager", params={"role": "purchasing_manager"}),
                step("Finance director", condition="amount >= 50000.0", params={"role": "finance_director"}))


def test_small_amount_needs_the_manager_only_and_on_approved_runs_once_in_the_transaction(
        two_level, make_memo, managers, requester):
    memo = make_memo("12000")
    assert services.needs_approval(doc_type=KEY, obj=memo)

    instance = services.submit(doc_type=KEY, obj=memo, actor=requester)

    assert instance.status == InstanceStatus.PENDING and instance.current_step == 1
    assert [s["matched"] for s in instance.flow_snapshot] == [True, False]
    assert instance.description.endswith("12000") and instance.url == f"/memo/{memo.pk}/"
    assert {t.assignee for t in pending(instance)} == set(managers)
    services.approve(task_id=pending(instance)[1].pk, actor=managers[1], comment="ok")

    instance.refresh_from_db()
    assert instance.status == InstanceStatus.APPROVED and instance.decided_by == managers[1]
    assert calls == [("approved", memo.pk, managers[1].pk, True, True)]
    assert sorted(instance.tasks.values_list("status", flat=True)) == ["approved", "skipped", "skipped"]
    assert Product.objects.get(pk=memo.pk).specification == "approved"
    assert approval_events() == ["approvals.instance.submitted", *["approvals.task.created"] * 3,
                                 "approvals.task.decided", "approvals.instance.approved"]
    assert AuditEntry.objects.filter(verb="approval:approved", object_id=str(memo.pk)).exists()
    assert selectors.is_approved(doc_type=KEY, obj=memo)


def test_large_amount_goes_to_the_manager_then_the_director(two_level, make_memo, managers, director, requester):
    memo = make_memo("50000")
    instance = services.submit(doc_type=KEY, obj=memo, actor=requester)
    services.approve(task_id=pending(instance)[0].pk, actor=managers[0])
    instance.refresh_from_db()
    assert (instance.status, instance.current_step) == (InstanceStatus.PENDING, 2)
    assert [t.assignee for t in pending(instance)] == [director]
    assert calls == []
    services.approve(task_id=pending(instance)[0].pk, actor=director, comment="fine")
    instance.refresh_from_db()
    assert instance.status == InstanceStatus.APPROVED
    assert len(calls) == 1


def test_no_matching_step_means_no_approval(make_memo, managers, requester):
    flow(step("Big only", condition="amount > 100000.0", params={"role": "purchasing_manager"}))
    memo = make_memo("10")
    assert not services.needs_approval(doc_type=KEY, obj=memo)
    assert services.submit(doc_type=KEY, obj=memo, actor=requester) is None
    assert approval_events() == []


def test_a_second_submit_while_pending_is_a_conflict(two_level, make_memo, requester):
    memo = make_memo()
    services.submit(doc_type=KEY, obj=memo, actor=requester)
    with pytest.raises(Conflict) as exc:
        services.submit(doc_type=KEY, obj=memo, actor=requester)
    assert exc.value.code == "approval_pending"


def test_only_the_assignee_decides(two_level, make_memo, requester, make_user):
    instance = services.submit(doc_type=KEY, obj=make_memo(), actor=requester)
    stranger = make_user("purchasing_manager", username="late_joiner")  # holds the role, but got no task
    with pytest.raises(PermissionDenied):
        services.approve(task_id=pending(instance)[0].pk, actor=stranger)
    with pytest.raises(PermissionDenied):
        services.approve(task_id=pending(instance)[0].pk, actor=requester)


def test_deciding_a_task_twice_is_a_conflict(two_level, make_memo, managers, requester):
    instance = services.submit(doc_type=KEY, obj=make_memo(), actor=requester)
    task = pending(instance)[0]
    services.approve(task_id=task.pk, actor=managers[0])
    with pytest.raises(Conflict) as exc:
        services.approve(task_id=task.pk, actor=managers[0])
    assert exc.value.code == "task_decided"
    other = instance.tasks.exclude(pk=task.pk).first()
    with pytest.raises(Conflict):
        services.approve(task_id=other.pk, actor=other.assignee)  # skipped when the step completed
    assert len(calls) == 1


# Modes ---------------------------------------------------------------------------------------------------
def test_all_mode_needs_every_approver(make_memo, managers, requester):
    flow(step("Countersign", params={"role": "purchasing_manager"}, mode=ApprovalMode.ALL))
    instance = services.submit(doc_type=KEY, obj=make_memo(), actor=requester)
    tasks = pending(instance)
    for task in tasks[:2]:
        services.approve(task_id=task.pk, actor=task.assignee)
        instance.refresh_from_db()
        assert instance.status == InstanceStatus.PENDING
    services.approve(task_id=tasks[2].pk, actor=tasks[2].assignee)
    instance.refresh_from_db()
    assert instance.status == InstanceStatus.APPROVED and len(calls) == 1


def test_two_of_three(make_memo, managers, requester):
    flow(step("Two of three", resolver=ResolverKind.USER, params={"user_ids": [m.pk for m in managers]},
              mode=ApprovalMode.N_OF_M, required_count=2))
    instance = services.submit(doc_type=KEY, obj=make_memo(), actor=requester)
    first, second, third = pending(instance)
    services.approve(task_id=first.pk, actor=first.assignee)
    instance.refresh_from_db()
    assert instance.status == InstanceStatus.PENDING
    services.approve(task_id=third.pk, actor=third.assignee)
    instance.refresh_from_db()
    assert instance.status == InstanceStatus.APPROVED
    second.refresh_from_db()
    assert second.status == TaskStatus.SKIPPED


# Resolvers -----------------------------------------------------------------------------------------------
def test_user_resolver_in_the_given_order(make_memo, managers, requester):
    flow(step("Named", resolver=ResolverKind.USER, params={"user_ids": [managers[2].pk, managers[0].pk]}))
    instance = services.submit(doc_type=KEY, obj=make_memo(), actor=requester)
    assert [t.assignee for t in pending(instance)] == [managers[2], managers[0]]


def test_position_resolver(make_memo, make_user, requester):
    from caixiao.accounts.models import Position

    position = Position.objects.create(code="PUR-LEAD", name="采购主管")
    lead = make_user(username="lead", position=position)
    flow(step("Lead", resolver=ResolverKind.POSITION, params={"position_id": position.pk}))
    instance = services.submit(doc_type=KEY, obj=make_memo(), actor=requester)
    assert [t.assignee for t in pending(instance)] == [lead]


def test_department_head_resolver_walks_up_past_the_requester(make_memo, make_user):
    from caixiao.accounts.models import Department

    top = Department.objects.create(code="HQ", name="总部")
    purchasing = Department.objects.create(code="PUR", name="采购部", parent=top)
    boss = make_user(username="boss", department=top)
    top.head = boss
    top.save()
    head = make_user(username="head", department=purchasing)
    purchasing.head = head
    purchasing.save()
    clerk = make_user("buyer", username="clerk", department=purchasing)
    flow(step("Department head", resolver=ResolverKind.DEPARTMENT_HEAD))

    instance = services.submit(doc_type=KEY, obj=make_memo(buyer=clerk), actor=clerk)
    assert [t.assignee for t in pending(instance)] == [head]
    services.withdraw(instance_id=instance.pk, actor=clerk)
    # The head's own document goes to the head above.
    instance = services.submit(doc_type=KEY, obj=make_memo(buyer=head), actor=head)
    assert [t.assignee for t in pending(instance)] == [boss]


def test_nth_manager_resolver(make_memo, make_user):
    ceo = make_user(username="ceo_x")
    manager = make_user(username="mgr_x", manager=ceo)
    clerk = make_user(username="clerk_x", manager=manager)
    flow(step("Manager", resolver=ResolverKind.NTH_MANAGER, params={"n": 1}),
         step("Manager's manager", resolver=ResolverKind.NTH_MANAGER, params={"n": 2}))
    instance = services.submit(doc_type=KEY, obj=make_memo(buyer=clerk), actor=clerk)
    assert [t.assignee for t in pending(instance)] == [manager]
    services.approve(task_id=pending(instance)[0].pk, actor=manager)
    assert [t.assignee for t in pending(instance)] == [ceo]


def test_a_matching_step_without_approver_at_submit_is_no_approver(make_memo, make_user):
    loner = make_user(username="loner")  # no manager
    flow(step("Manager", resolver=ResolverKind.NTH_MANAGER, params={"n": 1}))
    with pytest.raises(ValidationFailed) as exc:
        services.submit(doc_type=KEY, obj=make_memo(buyer=loner), actor=loner)
    assert exc.value.code == "no_approver"


def test_the_requester_does_not_approve_their_own_document_when_a_colleague_can(make_memo, managers):
    flow(step("Purchasing manager", params={"role": "purchasing_manager"}))
    instance = services.submit(doc_type=KEY, obj=make_memo(buyer=managers[0]), actor=managers[0])
    assert {t.assignee for t in pending(instance)} == {managers[1], managers[2]}


# Reject, return, withdraw --------------------------------------------------------------------------------
def test_reject_to_the_requester(two_level, make_memo, managers, requester):
    memo = make_memo("60000")
    instance = services.submit(doc_type=KEY, obj=memo, actor=requester)
    with pytest.raises(ValidationFailed) as exc:
        services.reject(task_id=pending(instance)[0].pk, actor=managers[0], comment=" ")
    assert exc.value.code == "comment_required"
    services.reject(task_id=pending(instance)[0].pk, actor=managers[0], comment="too expensive")
    instance.refresh_from_db()
    assert instance.status == InstanceStatus.REJECTED and instance.comment == "too expensive"
    assert calls == [("rejected", memo.pk, managers[0].pk, "too expensive")]
    assert pending(instance) == []
    assert approval_events()[-2:] == ["approvals.task.decided", "approvals.instance.rejected"]
    # Resubmitting after a rejection starts a new instance.
    again = services.submit(doc_type=KEY, obj=memo, actor=requester)
    assert again.pk != instance.pk and selectors.current_instance(doc_type=KEY, obj=memo) == again


def test_reject_to_an_earlier_step_recreates_its_tasks(two_level, make_memo, managers, director, requester):
    instance = services.submit(doc_type=KEY, obj=make_memo("80000"), actor=requester)
    services.approve(task_id=pending(instance)[0].pk, actor=managers[0])
    task = pending(instance)[0]
    with pytest.raises(ValidationFailed) as exc:
        services.reject(task_id=task.pk, actor=director, comment="x", to_step=2)
    assert exc.value.code == "invalid_step"

    services.reject(task_id=task.pk, actor=director, comment="check the supplier", to_step=1)

    instance.refresh_from_db()
    assert (instance.status, instance.current_step, instance.activation) == (InstanceStatus.PENDING, 1, 3)
    assert {t.assignee for t in pending(instance)} == set(managers)
    assert "approvals.instance.sent_back" in approval_events() and calls == []
    # The step counts only its new approvals: one more approval moves on to the director again.
    services.approve(task_id=pending(instance)[1].pk, actor=managers[1])
    instance.refresh_from_db()
    assert instance.current_step == 2 and [t.assignee for t in pending(instance)] == [director]


def test_return_for_changes_and_resubmit(two_level, make_memo, managers, requester):
    memo = make_memo()
    instance = services.submit(doc_type=KEY, obj=memo, actor=requester)
    services.return_for_changes(task_id=pending(instance)[0].pk, actor=managers[0], comment="add the quote")
    instance.refresh_from_db()
    assert instance.status == InstanceStatus.RETURNED
    assert calls == [("rejected", memo.pk, managers[0].pk, "add the quote")]  # on_returned defaults to on_rejected
    again = services.submit(doc_type=KEY, obj=memo, actor=requester)
    assert again.status == InstanceStatus.PENDING and len(pending(again)) == 3


def test_withdraw_by_the_requester_only(two_level, make_memo, managers, requester):
    memo = make_memo()
    instance = services.submit(doc_type=KEY, obj=memo, actor=requester)
    with pytest.raises(PermissionDenied):
        services.withdraw(instance_id=instance.pk, actor=managers[0])
    services.withdraw(instance_id=instance.pk, actor=requester)
    instance.refresh_from_db()
    assert instance.status == InstanceStatus.WITHDRAWN and pending(instance) == []
    assert calls == [("withdrawn", memo.pk, requester.pk)]
    with pytest.raises(Conflict):
        services.withdraw(instance_id=instance.pk, actor=requester)


# Editing the document --------------------------------------------------------------------------------------
def test_invalidate_cancels_an_open_approval(two_level, make_memo, requester):
    memo = make_memo()
    instance = services.submit(doc_type=KEY, obj=memo, actor=requester)
    assert services.invalidate(doc_type=KEY, obj=memo, actor=requester, reason="edited").pk == instance.pk
    instance.refresh_from_db()
    assert instance.status == InstanceStatus.CANCELLED and pending(instance) == []
    assert services.invalidate(doc_type=KEY, obj=memo, actor=requester) is None


def test_editing_an_approved_document_sends_it_back_for_approval(two_level, make_memo, managers, requester):
    memo = make_memo()
    instance = services.submit(doc_type=KEY, obj=memo, actor=requester)
    services.approve(task_id=pending(instance)[0].pk, actor=managers[0])
    assert selectors.is_approved(doc_type=KEY, obj=memo)
    services.invalidate(doc_type=KEY, obj=memo, actor=requester, reason="price changed")
    assert not selectors.is_approved(doc_type=KEY, obj=memo)
    assert approval_events()[-1] == "approvals.instance.cancelled"
    assert services.submit(doc_type=KEY, obj=memo, actor=requester).status == InstanceStatus.PENDING


# on_approved -----------------------------------------------------------------------------------------------
def test_if_on_approved_raises_the_approval_rolls_back(two_level, make_memo, managers, requester):
    memo = make_memo()
    instance = services.submit(doc_type=KEY, obj=memo, actor=requester)
    task = pending(instance)[0]
    FAIL["on_approved"] = True
    with pytest.raises(RuntimeError):
        services.approve(task_id=task.pk, actor=managers[0])
    instance.refresh_from_db()
    task.refresh_from_db()
    assert (instance.status, task.status) == (InstanceStatus.PENDING, TaskStatus.PENDING)
    assert Product.objects.get(pk=memo.pk).specification == ""
    assert "approvals.instance.approved" not in approval_events()
    FAIL["on_approved"] = False
    services.approve(task_id=task.pk, actor=managers[0])
    instance.refresh_from_db()
    assert instance.status == InstanceStatus.APPROVED


def test_a_flow_edit_makes_a_new_version_and_open_instances_keep_their_snapshot(two_level, make_memo, managers,
                                                                               requester):
    memo = make_memo("60000")
    instance = services.submit(doc_type=KEY, obj=memo, actor=requester)
    new = services.update_flow(flow_id=two_level.pk, actor=None, steps=[
        step("Purchasing manager", params={"role": "purchasing_manager"})])
    two_level.refresh_from_db()
    assert (new.version, new.is_active, two_level.is_active) == (2, True, False)
    services.approve(task_id=pending(instance)[0].pk, actor=managers[0])
    instance.refresh_from_db()
    assert instance.flow_version == 1 and instance.current_step == 2  # the old snapshot's director step


# Parallel branches ---------------------------------------------------------------------------------------
@pytest.fixture
def ceo(make_user):
    return make_user(username="ceo_p")


@pytest.fixture
def branches(managers, director, ceo):
    return flow(step("Purchasing", params={"role": "purchasing_manager"}),
                step("Finance", params={"role": "finance_director"}, parallel=True),
                step("CEO", resolver=ResolverKind.USER, params={"user_ids": [ceo.pk]}))


def test_parallel_branches_open_together_and_the_flow_waits_for_both(branches, make_memo, managers, director, ceo,
                                                                     requester):
    instance = services.submit(doc_type=KEY, obj=make_memo(), actor=requester)
    assert {t.step for t in pending(instance)} == {1, 2}
    assert [s["state"] for s in selectors.instance_steps(instance)] == ["current", "current", "waiting"]
    finance = next(t for t in pending(instance) if t.step == 2)
    services.approve(task_id=finance.pk, actor=director)
    instance.refresh_from_db()
    assert instance.current_step == 1 and {t.step for t in pending(instance)} == {1}  # purchasing still waits
    services.approve(task_id=pending(instance)[0].pk, actor=managers[0])
    instance.refresh_from_db()
    assert instance.current_step == 3 and [t.assignee for t in pending(instance)] == [ceo]
    # Sent back to a parallel branch: its whole stage opens again.
    services.reject(task_id=pending(instance)[0].pk, actor=ceo, comment="redo", to_step=2)
    instance.refresh_from_db()
    assert instance.current_step == 1 and {t.step for t in pending(instance)} == {1, 2}
    assert calls == []


def test_a_parallel_branch_whose_condition_does_not_match_is_left_out(managers, director, make_memo, requester):
    flow(step("Purchasing", params={"role": "purchasing_manager"}),
         step("Finance", condition="amount >= 50000.0", params={"role": "finance_director"}, parallel=True))
    instance = services.submit(doc_type=KEY, obj=make_memo("10"), actor=requester)
    assert {t.step for t in pending(instance)} == {1}
    services.approve(task_id=pending(instance)[0].pk, actor=managers[0])
    instance.refresh_from_db()
    assert instance.status == InstanceStatus.APPROVED and len(calls) == 1


def test_the_first_step_cannot_be_parallel(managers):
    with pytest.raises(ValidationFailed) as exc:
        flow(step("Purchasing", params={"role": "purchasing_manager"}, parallel=True))
    assert list(exc.value.fields) == ["steps.0.parallel"]
