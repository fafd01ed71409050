"""Approvals on the to-do list and in the bell (S2, X3), through the real sales and approvals services:
an "approve" to-do and a notification for each approver, closed when decided (or when another
approver completes the step, or the approval ends), and the requester told of the outcome with the
approver's comment."""

from decimal import Decimal

import pytest
from django.core import mail
from django.urls import reverse

from caixiao.approvals import services as approval_services
from caixiao.approvals.enums import TaskStatus
from caixiao.approvals.models import ApprovalTask
from caixiao.core import outbox
from caixiao.core.models import OutboxEvent
from caixiao.notifications import preferences, selectors
from caixiao.notifications.models import Notification, Todo, TodoStatus
from caixiao.sales import services as sales_services
from caixiao.sales.tests.factories import lines, make_order

pytestmark = pytest.mark.django_db
D = Decimal


@pytest.fixture
def managers(make_user):
    return [make_user("sales_manager", email="m1@example.com"), make_user("sales_manager")]


@pytest.fixture
def cfo(make_user):
    return make_user("finance_director")


@pytest.fixture
def pending_order(customer, warehouse, product, rep, managers, cfo):
    customer.credit_limit = D("100")
    customer.save(update_fields=["credit_limit"])
    order = make_order(customer=customer, warehouse=warehouse, items=[(product, 10)], actor=rep, confirm=True)
    outbox.process_due()
    return order


def open_approve_todos(user):
    return list(selectors.list_todos(user=user).filter(kind="approve"))


def test_each_approver_gets_an_approve_todo_and_a_notification(pending_order, managers, cfo, rep):
    for manager in managers:
        [todo] = open_approve_todos(manager)
        task = ApprovalTask.objects.get(assignee=manager)
        assert todo.document_type == "approvals.approvaltask" and todo.document_id == str(task.pk)
        assert todo.url == reverse("web:approval-task", args=[task.pk]) and todo.due_on is not None
        assert pending_order.number in todo.title and "¥169.50" in todo.title
        [note] = selectors.list_notifications(user=manager)
        assert note.verb == "approvals.task.created" and note.url == todo.url
    assert open_approve_todos(cfo) == [] and open_approve_todos(rep) == []


def test_deciding_closes_every_todo_of_the_step_and_opens_the_next_steps(pending_order, managers, cfo):
    task = ApprovalTask.objects.get(assignee=managers[0])
    approval_services.approve(task_id=task.pk, actor=managers[0], comment="fine")
    outbox.process_due()

    done = Todo.objects.get(assignee=managers[0], kind="approve")
    assert done.status == TodoStatus.DONE and done.closed_by == managers[0]
    assert Todo.objects.get(assignee=managers[1], kind="approve").status == TodoStatus.CANCELLED  # skipped
    assert len(open_approve_todos(cfo)) == 1


def test_the_requester_hears_of_the_outcome_with_the_comment(pending_order, managers, cfo, rep):
    task = ApprovalTask.objects.get(assignee=managers[0])
    approval_services.reject(task_id=task.pk, actor=managers[0], comment="Collect the overdue invoices first")
    outbox.process_due()

    note = Notification.objects.get(recipient=rep, verb="approvals.instance.rejected")
    assert pending_order.number in note.title
    assert "Collect the overdue invoices first" in note.body
    assert note.url == reverse("web:sales-order", args=[pending_order.pk])
    assert not Todo.objects.filter(kind="approve", status=TodoStatus.OPEN).exists()


def test_final_approval_tells_the_requester(pending_order, managers, cfo, rep):
    approval_services.approve(task_id=ApprovalTask.objects.get(assignee=managers[1]).pk, actor=managers[1])
    outbox.process_due()
    approval_services.approve(task_id=ApprovalTask.objects.get(assignee=cfo).pk, actor=cfo, comment="OK by finance")
    outbox.process_due()

    note = Notification.objects.get(recipient=rep, verb="approvals.instance.approved")
    assert "OK by finance" in note.body
    assert not Todo.objects.filter(kind="approve", status=TodoStatus.OPEN).exists()


def test_editing_the_order_closes_the_open_todos(pending_order, managers, rep, product):
    sales_services.update_order(order_id=pending_order.pk, lines=lines((product, 11)), actor=rep)
    outbox.process_due()

    assert not Todo.objects.filter(kind="approve", status=TodoStatus.OPEN).exists()
    assert set(Todo.objects.filter(kind="approve").values_list("status", flat=True)) == {TodoStatus.CANCELLED}


def test_reminder_notifies_the_approver_again_and_mails_by_default(pending_order, managers, settings):
    from datetime import timedelta

    from django.utils import timezone

    ApprovalTask.objects.filter(status=TaskStatus.PENDING).update(next_reminder_at=timezone.now() - timedelta(hours=1))
    assert approval_services.remind_overdue() == 2
    outbox.process_due()

    reminders = Notification.objects.filter(verb="approvals.task.reminded")
    assert {n.recipient for n in reminders} == set(managers)
    created = Notification.objects.get(recipient=managers[0], verb="approvals.task.created")
    reminder = reminders.get(recipient=managers[0])
    assert pending_order.number in reminder.title and reminder.title != created.title  # "Reminder: …"
    assert "approvals.task.reminded" in preferences.NOTIFIABLE
    emailed = [n.recipient for n in reminders if hasattr(n, "email")]
    assert emailed == [managers[0]]  # the one with an address
    assert len(mail.outbox) == 0  # queued as a delivery, sent by the worker


def test_replaying_approval_events_duplicates_nothing(pending_order, managers):
    before = (Notification.objects.count(), Todo.objects.count())
    for event in OutboxEvent.objects.filter(type__startswith="approvals."):
        outbox.replay_event(event_id=event.pk)
    outbox.process_due()
    assert (Notification.objects.count(), Todo.objects.count()) == before
