"""Approvals on the to-do list and in the bell (S2, X3; docs/approvals.md "Using approvals").

Outbox consumers of the approvals events, idempotent per event like every handler here:

- ``approvals.task.created``: an "approve" to-do for the assignee (the task page is its link, due in a
  day) and a notification by the channels the assignee chose;
- ``approvals.task.reminded``: the notification again;
- ``approvals.task.decided``: the task's to-do is done, and the to-dos of tasks that no longer wait
  (skipped: another approver completed the step) close;
- ``approvals.instance.*``: the to-dos of tasks that no longer wait close (a withdrawal, an edit, a
  rejection), and the requester hears of an approval, a rejection or a return for changes, with the
  approver's comment.

The to-do's document is the task (``approvals.approvaltask``) and its scope the instance, so a
task's to-do and all to-dos of an instance can be closed."""

from __future__ import annotations

from typing import Any

from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy

from caixiao.approvals.enums import InstanceStatus, TaskStatus
from caixiao.approvals.models import ApprovalInstance, ApprovalTask
from caixiao.core.events import handler
from caixiao.core.models import OutboxEvent
from caixiao.notifications import kinds, services
from caixiao.notifications.models import Todo, TodoStatus

TASK = "approvals.approvaltask"
INSTANCE = "approvals.approvalinstance"
TASK_CREATED = "approvals.task.created"
TASK_DECIDED = "approvals.task.decided"
TASK_REMINDED = "approvals.task.reminded"
INSTANCE_APPROVED = "approvals.instance.approved"
INSTANCE_REJECTED = "approvals.instance.rejected"
INSTANCE_RETURNED = "approvals.instance.returned"
INSTANCE_WITHDRAWN = "approvals.instance.withdrawn"
INSTANCE_CANCELLED = "approvals.instance.cancelled"

APPROVE = kinds.register_kind(kinds.TodoKind("approve", pgettext_lazy("to-do kind", "Approve"), "patch-check", 1))


def scope_of(instance_id: Any) -> str:
    return f"instance:{instance_id}"


def task_url(task_id: Any) -> str:
    try:
        return reverse("web:approval-task", args=[task_id])
    except NoReverseMatch:
        return ""


def describe(event: OutboxEvent, instance: ApprovalInstance | None = None) -> str:
    """The document as its type described it on submission (``SO-… (恒通, ¥62,000.00)``)."""
    text = event.payload.get("description") or (instance.description if instance is not None else "")
    return str(text or f"{event.payload.get('document_type', '')} #{event.payload.get('object_id', '')}")


def _task(event: OutboxEvent) -> ApprovalTask | None:
    task_id = event.payload.get("task_id")
    if task_id is None:
        return None
    return ApprovalTask.objects.select_related("instance", "assignee").filter(pk=task_id).first()


def _instance(event: OutboxEvent) -> ApprovalInstance | None:
    instance_id = event.payload.get("instance_id")
    if instance_id is None:
        return None
    return ApprovalInstance.objects.select_related("requester").filter(pk=instance_id).first()


def _notify_assignee(event: OutboxEvent, task: ApprovalTask, *, reminder: bool) -> None:
    what = describe(event, task.instance)
    if reminder:
        title = lambda: _("Reminder: %(document)s waits for your approval") % {"document": what}  # noqa: E731
    else:
        title = lambda: _("Approve %(document)s") % {"document": what}  # noqa: E731
    services.notify(recipients=[task.assignee], verb=event.type, event=event, title=title,
                    body=lambda: _("Step “%(step)s” of the approval needs your decision.") % {"step": task.step_name},
                    document_type=TASK, document_id=str(task.pk), url=task_url(task.pk))


@handler(TASK_CREATED, name="notifications.approval_task_created")
def on_task_created(event: OutboxEvent) -> None:
    task = _task(event)
    if task is None or task.assignee is None or task.status != TaskStatus.PENDING:
        return  # decided (or gone) before this ran: nothing to do any more
    what = describe(event, task.instance)
    services.open_todo(kind=APPROVE.code, document_type=TASK, document_id=task.pk,
                       scope=scope_of(task.instance_id), assignee=task.assignee, url=task_url(task.pk),
                       event=event, title=lambda: _("Approve %(document)s") % {"document": what})
    _notify_assignee(event, task, reminder=False)


@handler(TASK_REMINDED, name="notifications.approval_task_reminded")
def on_task_reminded(event: OutboxEvent) -> None:
    task = _task(event)
    if task is None or task.assignee is None or task.status != TaskStatus.PENDING:
        return
    _notify_assignee(event, task, reminder=True)


@handler(TASK_DECIDED, name="notifications.approval_task_decided")
def on_task_decided(event: OutboxEvent) -> None:
    task_id = event.payload.get("task_id")
    if task_id is not None:
        services.close_todos(kind=APPROVE.code, document_type=TASK, document_id=task_id,
                             status=TodoStatus.DONE, actor=event.actor)
    if event.payload.get("instance_id") is not None:
        close_settled_todos(event.payload["instance_id"], actor=event.actor)


def close_settled_todos(instance_id: Any, *, actor: Any = None) -> int:
    """Close the open approval to-dos of an instance whose task no longer waits: skipped because another
    approver completed the step, or the whole approval ended (approved, rejected, returned, withdrawn,
    cancelled by an edit). Reconciles with the tables, so the order events arrive in does not matter."""
    todos = Todo.objects.filter(kind=APPROVE.code, document_type=TASK, scope=scope_of(instance_id),
                                status=TodoStatus.OPEN)
    task_ids = [int(pk) for pk in todos.values_list("document_id", flat=True) if str(pk).isdigit()]
    if not task_ids:
        return 0
    waiting = set(ApprovalTask.objects.filter(pk__in=task_ids, status=TaskStatus.PENDING,
                                              instance__status=InstanceStatus.PENDING).values_list("pk", flat=True))
    settled = [str(pk) for pk in task_ids if pk not in waiting]
    return todos.filter(document_id__in=settled).update(
        status=TodoStatus.CANCELLED, closed_at=timezone.now(), closed_by=actor if getattr(actor, "pk", None) else None)


def _last_comment(instance: ApprovalInstance) -> str:
    task = (ApprovalTask.objects.filter(instance=instance).exclude(comment="")
            .order_by("-decided_at", "-pk").first())
    return task.comment if task is not None else ""


OUTCOMES = {
    INSTANCE_APPROVED: (gettext_lazy("%(document)s was approved"), gettext_lazy("Approved by %(actor)s.")),
    INSTANCE_REJECTED: (gettext_lazy("%(document)s was rejected"), gettext_lazy("Rejected by %(actor)s.")),
    INSTANCE_RETURNED: (gettext_lazy("%(document)s was returned for changes"),
                        gettext_lazy("Returned for changes by %(actor)s.")),
}


@handler("approvals.instance.*", name="notifications.approval_instance")
def on_instance_event(event: OutboxEvent) -> None:
    instance_id = event.payload.get("instance_id")
    if instance_id is None:
        return
    close_settled_todos(instance_id, actor=event.actor)
    if event.type not in OUTCOMES:
        return
    instance = _instance(event)
    if instance is None or instance.requester is None:
        return
    if event.actor is not None and event.actor.pk == instance.requester_id and event.type != INSTANCE_APPROVED:
        return  # nobody needs telling what they did themselves
    title_text, body_text = OUTCOMES[event.type]
    what = describe(event, instance)
    comment = str(event.payload.get("comment") or _last_comment(instance))
    actor = str(event.actor or "")

    def body() -> str:
        text = str(body_text) % {"actor": actor}
        if comment:
            text += " " + _("Comment: %(comment)s") % {"comment": comment}
        return text

    services.notify(recipients=[instance.requester], verb=event.type, event=event,
                    title=lambda: str(title_text) % {"document": what}, body=body,
                    document_type=INSTANCE, document_id=str(instance.pk), url=instance.url)
