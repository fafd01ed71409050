"""Delegation (tasks go to the delegate only within the dates; the delegate may decide the
assignee's open tasks) and reminders (once per period, only for open tasks)."""

from __future__ import annotations

import datetime as dt
from datetime import timedelta

import pytest
from django.utils import timezone

from caixiao.approvals import selectors, services
from caixiao.approvals.enums import InstanceStatus, ResolverKind, TaskStatus
from caixiao.approvals.models import ApprovalTask
from caixiao.approvals.tests.doctype import KEY, step
from caixiao.core.errors import Conflict, PermissionDenied, ValidationFailed
from caixiao.core.models import OutboxEvent

pytestmark = pytest.mark.django_db


@pytest.fixture
def boss(make_user):
    return make_user(username="boss")


@pytest.fixture
def deputy(make_user):
    return make_user(username="deputy")


@pytest.fixture
def named_flow(boss):
    return services.create_flow(document_type=KEY, name="Memo", actor=None, steps=[
        step("Boss", resolver=ResolverKind.USER, params={"user_ids": [boss.pk]}, reminder_hours=4)])


def today() -> dt.date:
    return timezone.localdate()


def delegate(boss, deputy, *, start=0, end=3, types=()):
    return services.set_delegation(from_user_id=boss.pk, to_user_id=deputy.pk, starts_on=today() + timedelta(start),
                                   ends_on=today() + timedelta(end), document_types=types, reason="leave",
                                   actor=boss)


def test_tasks_go_to_the_delegate_while_the_delegation_runs(named_flow, boss, deputy, make_memo, requester):
    delegate(boss, deputy)
    instance = services.submit(doc_type=KEY, obj=make_memo(), actor=requester)
    task = instance.tasks.get()
    assert (task.assignee, task.delegated_from) == (deputy, boss)
    event = OutboxEvent.objects.get(type="approvals.task.created")
    assert (event.payload["assignee_id"], event.payload["delegated_from_id"]) == (deputy.pk, boss.pk)
    services.approve(task_id=task.pk, actor=deputy)
    instance.refresh_from_db()
    assert instance.status == InstanceStatus.APPROVED


def test_a_delegation_outside_its_dates_or_types_changes_nothing(named_flow, boss, deputy, make_memo, requester):
    delegate(boss, deputy, start=2, end=5)
    instance = services.submit(doc_type=KEY, obj=make_memo(), actor=requester)
    assert instance.tasks.get().assignee == boss
    with pytest.raises(PermissionDenied):
        services.approve(task_id=instance.tasks.get().pk, actor=deputy)


def test_a_delegation_for_other_types_changes_nothing(named_flow, boss, deputy, make_memo, requester):
    delegate(boss, deputy, types=["purchasing.order"])
    instance = services.submit(doc_type=KEY, obj=make_memo(), actor=requester)
    assert instance.tasks.get().assignee == boss


def test_the_delegate_may_decide_tasks_given_before_the_delegation(named_flow, boss, deputy, make_memo, requester):
    instance = services.submit(doc_type=KEY, obj=make_memo(), actor=requester)
    task = instance.tasks.get()
    assert list(selectors.tasks_for(user=deputy)) == []
    delegation = delegate(boss, deputy)
    assert list(selectors.tasks_for(user=deputy)) == [task]
    services.end_delegation(delegation_id=delegation.pk, actor=boss)
    assert list(selectors.tasks_for(user=deputy)) == []
    with pytest.raises(PermissionDenied):
        services.approve(task_id=task.pk, actor=deputy)
    delegate(boss, deputy, start=0, end=1)
    services.approve(task_id=task.pk, actor=deputy, comment="for the boss")
    task.refresh_from_db()
    assert (task.status, task.decided_by, task.assignee) == (TaskStatus.APPROVED, deputy, boss)
    assert list(selectors.tasks_for(user=deputy, status=TaskStatus.APPROVED)) == [task]


def test_delegations_are_checked(boss, deputy, make_user):
    with pytest.raises(ValidationFailed):
        services.set_delegation(from_user_id=boss.pk, to_user_id=boss.pk, starts_on=today(), ends_on=today(),
                                actor=boss)
    with pytest.raises(ValidationFailed):
        services.set_delegation(from_user_id=boss.pk, to_user_id=deputy.pk, starts_on=today(),
                                ends_on=today() - timedelta(1), actor=boss)
    with pytest.raises(ValidationFailed) as exc:
        services.set_delegation(from_user_id=boss.pk, to_user_id=deputy.pk, starts_on=today(), ends_on=today(),
                                document_types=["nope.x"], actor=boss)
    assert exc.value.code == "unknown_document_type"
    with pytest.raises(PermissionDenied):
        services.set_delegation(from_user_id=boss.pk, to_user_id=deputy.pk, starts_on=today(), ends_on=today(),
                                actor=deputy)
    delegate(boss, deputy)
    with pytest.raises(Conflict) as exc:
        delegate(boss, make_user(username="other"), start=1, end=2)
    assert exc.value.code == "delegation_overlap"
    admin = make_user("administrator", username="adm")  # administrators set anybody's
    services.set_delegation(from_user_id=deputy.pk, to_user_id=boss.pk, starts_on=today(), ends_on=today(),
                            actor=admin)


def test_delegation_chains_are_followed_and_cycles_stop(named_flow, boss, deputy, make_user, make_memo, requester):
    third = make_user(username="third")
    delegate(boss, deputy)
    services.set_delegation(from_user_id=deputy.pk, to_user_id=third.pk, starts_on=today(), ends_on=today(),
                            actor=deputy)
    services.set_delegation(from_user_id=third.pk, to_user_id=boss.pk, starts_on=today(), ends_on=today(),
                            actor=third)
    instance = services.submit(doc_type=KEY, obj=make_memo(), actor=requester)
    assert (instance.tasks.get().assignee, instance.tasks.get().delegated_from) == (third, boss)


# Reminders -----------------------------------------------------------------------------------------------
def reminded() -> list[dict]:
    return list(OutboxEvent.objects.filter(type="approvals.task.reminded").order_by("id")
                .values_list("payload", flat=True))


def test_reminders_once_per_period(named_flow, boss, make_memo, requester):
    instance = services.submit(doc_type=KEY, obj=make_memo(), actor=requester)
    task = instance.tasks.get()
    start = task.created_at
    assert services.remind_overdue(now=start + timedelta(hours=3)) == 0
    assert services.remind_overdue(now=start + timedelta(hours=4, minutes=1)) == 1
    assert services.remind_overdue(now=start + timedelta(hours=5)) == 0  # same period
    assert services.remind_overdue(now=start + timedelta(hours=7)) == 0
    assert services.remind_overdue(now=start + timedelta(hours=8, minutes=2)) == 1
    payloads = reminded()
    assert [p["reminder_count"] for p in payloads] == [1, 2]
    assert payloads[0]["assignee_id"] == boss.pk and payloads[0]["task_id"] == task.pk
    services.approve(task_id=task.pk, actor=boss)
    assert services.remind_overdue(now=start + timedelta(days=3)) == 0  # decided tasks are not reminded


def test_steps_without_reminder_hours_are_never_reminded(boss, make_memo, requester):
    services.create_flow(document_type=KEY, name="Memo", actor=None, steps=[
        step("Boss", resolver=ResolverKind.USER, params={"user_ids": [boss.pk]}, reminder_hours=None)])
    services.submit(doc_type=KEY, obj=make_memo(), actor=requester)
    assert services.remind_overdue(now=timezone.now() + timedelta(days=30)) == 0
    assert ApprovalTask.objects.get().due_at is None


def test_the_reminder_job_is_scheduled_hourly():
    from crontask import scheduler

    from caixiao.approvals import tasks

    jobs = {job.name: str(job.trigger) for job in scheduler.get_jobs()}
    name = tasks.remind_overdue_approvals.name
    assert name in jobs and "minute='0'" in jobs[name] and "hour='*'" in jobs[name], jobs
    assert tasks.remind_overdue_approvals.call() == 0
