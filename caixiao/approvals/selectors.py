"""Reads of the approval engine: flows, instances, a user's tasks, delegations. Never writes."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import Q, QuerySet
from django.utils import timezone

from caixiao.approvals.enums import InstanceStatus, TaskStatus
from caixiao.approvals.models import ApprovalFlow, ApprovalInstance, ApprovalTask, Delegation
from caixiao.core import rows

MAX_DELEGATION_HOPS = 5


def today() -> dt.date:
    return timezone.localdate()


# Flows --------------------------------------------------------------------------------------------------
def list_flows(*, document_type: str | None = None, active: bool | None = None) -> QuerySet[ApprovalFlow]:
    qs = ApprovalFlow.objects.select_related("created_by").prefetch_related("steps")
    if document_type:
        qs = qs.filter(document_type=document_type)
    if active is not None:
        qs = qs.filter(is_active=active)
    return qs.order_by("document_type", "-version")


def active_flow(*, document_type: str) -> ApprovalFlow | None:
    return ApprovalFlow.objects.filter(document_type=document_type, is_active=True).prefetch_related("steps").first()


def active_flow_row(*, document_type: str, pending_for: str | None = None) -> ApprovalFlow | None:
    """The active flow's row alone (one indexed query; its steps come from ``services.flow_steps``).
    With ``pending_for`` (a document's id), annotated ``has_pending``: that document already waits
    for approval (a pending instance), answered by the same query. A prepared statement
    (core/rows.py): submitting asks it in every confirming transaction."""
    where = "document_type = %s AND is_active"
    if pending_for is None:
        flows = rows.select(ApprovalFlow, where, [document_type], limit=1)
    else:
        # The status is written out, not a parameter: SQLite re-plans a statement whose parameter may
        # decide whether a partial index applies (here the one open instance per document) on every run.
        pending = ("EXISTS (SELECT 1 FROM approvals_approvalinstance i WHERE i.document_type = %s "
                   "AND i.object_id = %s AND i.status = 'pending')")  # InstanceStatus.PENDING
        flows = rows.select(ApprovalFlow, where, [document_type, pending_for, document_type],
                            annotate={"has_pending": pending}, limit=1)
        for flow in flows:
            flow.has_pending = bool(flow.has_pending)  # type: ignore[attr-defined]  # 0/1 on SQLite
    return flows[0] if flows else None


# Instances ----------------------------------------------------------------------------------------------
def list_instances(*, document_type: str | None = None, object_id: str | None = None,
                   status: str | None = None, requester_id: int | None = None) -> QuerySet[ApprovalInstance]:
    qs = ApprovalInstance.objects.select_related("requester", "decided_by")
    if document_type:
        qs = qs.filter(document_type=document_type)
    if object_id is not None:
        qs = qs.filter(object_id=str(object_id))
    if status:
        qs = qs.filter(status=status)
    if requester_id:
        qs = qs.filter(requester_id=requester_id)
    return qs.order_by("-submitted_at", "-id")


def current_instance(*, doc_type: str, obj: Any) -> ApprovalInstance | None:
    """The document's latest approval (open or decided), or None if it was never submitted."""
    return (ApprovalInstance.objects.filter(document_type=doc_type, object_id=str(obj.pk))
            .select_related("requester").order_by("-id").first())


def is_approved(*, doc_type: str, obj: Any) -> bool:
    """True when the document's latest approval is approved (and not cancelled by a later edit)."""
    instance = current_instance(doc_type=doc_type, obj=obj)
    return instance is not None and instance.status == InstanceStatus.APPROVED


def instance_tasks(instance: ApprovalInstance) -> QuerySet[ApprovalTask]:
    return instance.tasks.select_related("assignee", "delegated_from", "decided_by").order_by("id")


# Tasks --------------------------------------------------------------------------------------------------
def delegators_of(user: Any, *, on: dt.date | None = None) -> list[Delegation]:
    """Delegations *to* ``user`` in force on ``on`` (today)."""
    on = on or today()
    return list(Delegation.objects.filter(to_user_id=user.pk, starts_on__lte=on, ends_on__gte=on,
                                          ended_at__isnull=True))


def tasks_for(*, user: Any, status: str | None = TaskStatus.PENDING) -> QuerySet[ApprovalTask]:
    """The user's tasks, and (for pending ones) those of colleagues who delegated to them now; decided
    ones include those the user decided on somebody's behalf."""
    cond = Q(assignee_id=user.pk)
    if status != TaskStatus.PENDING:
        cond |= Q(decided_by_id=user.pk)
    else:
        for delegation in delegators_of(user):
            for_them = Q(assignee_id=delegation.from_user_id)
            if delegation.document_types:
                for_them &= Q(instance__document_type__in=delegation.document_types)
            cond |= for_them
    qs = ApprovalTask.objects.filter(cond).select_related("instance", "instance__requester", "assignee",
                                                          "delegated_from")
    if status:
        qs = qs.filter(status=status)
        if status == TaskStatus.PENDING:
            qs = qs.filter(instance__status=InstanceStatus.PENDING)
    return qs.order_by("-created_at", "-id")


def get_task(*, task_id: int) -> ApprovalTask:
    """``ApprovalTask.DoesNotExist`` when there is none."""
    return ApprovalTask.objects.select_related("instance", "instance__requester", "assignee").get(pk=task_id)


def can_decide(*, task: ApprovalTask, user: Any, on: dt.date | None = None) -> bool:
    """The assignee, or whoever the assignee delegated to for this document type now (chains followed)."""
    if user is None or not getattr(user, "pk", None):
        return False
    if task.assignee_id == user.pk:
        return True
    return user.pk in delegate_chain(user_id=task.assignee_id, document_type=task.instance.document_type, on=on)


# Delegations --------------------------------------------------------------------------------------------
def delegation_in_force(*, user_id: int, document_type: str, on: dt.date | None = None) -> Delegation | None:
    on = on or today()
    for delegation in (Delegation.objects.filter(from_user_id=user_id, starts_on__lte=on, ends_on__gte=on,
                                                 ended_at__isnull=True).order_by("-starts_on", "-id")):
        if delegation.covers(document_type):
            return delegation
    return None


def delegate_chain(*, user_id: int, document_type: str, on: dt.date | None = None) -> list[int]:
    """Whom ``user_id`` delegated to, and whom they delegated to in turn (A→B→C gives [B, C])."""
    chain: list[int] = []
    seen = {user_id}
    current = user_id
    for _hop in range(MAX_DELEGATION_HOPS):
        delegation = delegation_in_force(user_id=current, document_type=document_type, on=on)
        if delegation is None or delegation.to_user_id in seen:
            break
        current = delegation.to_user_id
        seen.add(current)
        chain.append(current)
    return chain


def list_delegations(*, user: Any | None = None, current_only: bool = False) -> QuerySet[Delegation]:
    qs = Delegation.objects.select_related("from_user", "to_user")
    if user is not None:
        qs = qs.filter(Q(from_user_id=user.pk) | Q(to_user_id=user.pk))
    if current_only:
        qs = qs.filter(ends_on__gte=today(), ended_at__isnull=True)
    return qs.order_by("-starts_on", "-id")


# Presentation of one instance (API and pages) ---------------------------------------------------------
def instance_steps(instance: ApprovalInstance, tasks: list[ApprovalTask] | None = None) -> list[dict[str, Any]]:
    """The snapshot's steps, each with a ``state`` — ``skipped`` (its condition did not match),
    ``done``, ``current`` (open now; several when branches run in parallel) or ``waiting`` — and the
    tasks of its latest activation."""
    tasks = list(instance_tasks(instance)) if tasks is None else tasks
    latest: dict[int, int] = {}
    for task in tasks:
        latest[task.step] = max(latest.get(task.step, 0), task.activation)
    steps = []
    current = {s["position"] for s in instance.stage()} if instance.status == InstanceStatus.PENDING else set()
    for step in instance.flow_snapshot:
        position = step["position"]
        if not step.get("matched"):
            state = "skipped"
        elif position in current:
            state = "current"
        elif instance.status == InstanceStatus.APPROVED or (
                instance.status == InstanceStatus.PENDING and position < instance.current_step):
            state = "done"
        else:
            state = "waiting"
        steps.append({**step, "state": state, "tasks": [
            t for t in tasks if t.step == position and t.activation == latest.get(position)]})
    return steps


def instance_history(instance: ApprovalInstance) -> QuerySet:
    """Who submitted, decided, sent back, withdrew or cancelled, when, with their comments."""
    from caixiao.core import audit

    return audit.entries_for(instance).order_by("at", "id")
