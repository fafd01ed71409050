"""Approvals API (S2; docs/approvals.md "API"): flows as data (administrators; editing makes a new
version), the registered document types with their condition fields, my approval tasks with one POST
action per decision (approve, reject — to the requester or an earlier step — and return), approval
instances with their steps, tasks and history, withdrawal by the requester, and delegations.

Only a task's assignee (or their delegate) may decide it: anybody else gets 403 ``permission_denied``.
Reads go through ``approvals.selectors``, writes through ``approvals.services``; POST actions accept an
``Idempotency-Key``."""


from datetime import date, datetime
from typing import Any, Literal

from django.db.models import Q, QuerySet
from ninja import Field, Query, Router, Schema
from ninja.pagination import paginate
from ninja.responses import Status
from pydantic import ConfigDict

from caixiao.accounts import selectors as account_selectors
from caixiao.api.crud import Id
from caixiao.api.errors import COMMON_ERRORS, WRITE_ERRORS
from caixiao.api.idempotency import idempotent
from caixiao.api.pagination import PageNumber
from caixiao.api.permissions import authorize
from caixiao.approvals import selectors, services
from caixiao.approvals.enums import ApprovalMode, InstanceStatus, ResolverKind, TaskStatus
from caixiao.approvals.models import ApprovalFlow, ApprovalInstance, ApprovalTask, Delegation
from caixiao.approvals.registry import DOCUMENT_TYPES
from caixiao.core.errors import NotFound, PermissionDenied

router = Router()

VIEW_FLOWS, ADD_FLOWS, CHANGE_FLOWS = ("approvals.view_approvalflow", "approvals.add_approvalflow",
                                       "approvals.change_approvalflow")
VIEW_INSTANCES = "approvals.view_approvalinstance"
VIEW_ALL_TASKS = "approvals.view_approvaltask"
VIEW_ALL_DELEGATIONS = "approvals.view_delegation"
FLOWS, TYPES, TASKS, INSTANCES, DELEGATIONS = (["approval flows"], ["approval flows"], ["approval tasks"],
                                               ["approval instances"], ["approval delegations"])


def _user_label(user: Any) -> str | None:
    return str(user) if user is not None else None


# Flows ---------------------------------------------------------------------------------------------------
class ApprovalStepIn(Schema):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(..., max_length=200)
    condition: str = Field("", max_length=4000, description="CEL over the document type's fields; empty: always")
    resolver: ResolverKind
    params: dict[str, Any] = Field(default_factory=dict, description=(
        'user: {"user_ids": [..]}; role: {"role": "finance_director"}; position: {"position_id": 3}; '
        'department_head: {}; nth_manager: {"n": 2}'))
    mode: ApprovalMode = ApprovalMode.ANY
    required_count: int = Field(1, le=1000, description="n_of_m: how many must approve (1..approvers)")
    reminder_hours: int | None = Field(None, description="remind the approver after this many hours; null: never")
    parallel: bool = Field(False, description="opens together with the step before it (parallel branches)")


class ApprovalFlowIn(Schema):
    model_config = ConfigDict(extra="forbid")

    document_type: str = Field(..., max_length=64)
    name: str = Field(..., max_length=200)
    description: str = Field("", max_length=4000)
    steps: list[ApprovalStepIn] = Field(default_factory=list, max_length=50)


class ApprovalFlowPatch(Schema):
    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(None, max_length=200)
    description: str | None = Field(None, max_length=4000)
    steps: list[ApprovalStepIn] | None = Field(None, max_length=50, description="the whole list of steps; "
                                                                     "left out: the current steps")


class ApprovalStepOut(Schema):
    position: int
    name: str
    condition: str
    resolver: ResolverKind
    params: dict[str, Any] = Field(..., alias="resolver_params")
    mode: ApprovalMode
    required_count: int
    reminder_hours: int | None
    parallel: bool


class ApprovalFlowOut(Schema):
    id: int
    document_type: str
    document_type_label: str
    name: str
    description: str
    version: int
    is_active: bool
    previous_id: int | None
    created_by_id: int | None
    created_at: datetime
    updated_at: datetime
    steps: list[ApprovalStepOut]

    @staticmethod
    def resolve_document_type_label(obj: ApprovalFlow) -> str:
        dt_ = DOCUMENT_TYPES.get(obj.document_type)
        return str(dt_.label) if dt_ else obj.document_type

    @staticmethod
    def resolve_steps(obj: ApprovalFlow) -> list:
        return sorted(obj.steps.all(), key=lambda s: s.position)


class ApprovalFlowFilter(Schema):
    document_type: str | None = Field(None, max_length=64)
    is_active: bool | None = None


class ConditionFieldOut(Schema):
    path: str = Field(..., description="as written in a condition, e.g. supplier.name")
    type: str = Field(..., description="number | integer | string | bool | date | list | map")
    label: str
    choices: list[list[str]] = Field(default_factory=list, description="[[value, label], ...] where fixed")


class ApprovalDocumentTypeOut(Schema):
    key: str
    label: str
    fields: list[ConditionFieldOut]
    has_default_flow: bool
    resolvers: list[list[str]] = Field(..., description="[[kind, label], ...]")
    modes: list[list[str]] = Field(..., description="[[mode, label], ...]")


def _flow(pk: int) -> ApprovalFlow:
    flow = selectors.list_flows().filter(pk=pk).first()
    if flow is None:
        raise NotFound()
    return flow


def _steps(steps: list[ApprovalStepIn]) -> list[dict[str, Any]]:
    return [s.dict() for s in steps]


@router.get("/approval-flows", response={200: list[ApprovalFlowOut], **COMMON_ERRORS}, tags=FLOWS,
            operation_id="list_approvalflow", summary="Approval flows (every version), newest version first")
@paginate(PageNumber)
def list_flows(request, filters: ApprovalFlowFilter = Query(...)) -> QuerySet[ApprovalFlow]:
    authorize(request, VIEW_FLOWS)
    return selectors.list_flows(document_type=filters.document_type, active=filters.is_active)


@router.get("/approval-flows/document-types", response={200: list[ApprovalDocumentTypeOut], **COMMON_ERRORS}, tags=TYPES,
            operation_id="list_approval_document_types",
            summary="Approvable document types with the fields their step conditions may use")
def document_types(request) -> list[dict[str, Any]]:
    if not request.user.is_authenticated:
        raise PermissionDenied()
    resolvers = [[k, str(label)] for k, label in ResolverKind.choices]
    modes = [[k, str(label)] for k, label in ApprovalMode.choices]
    return [{"key": dt_.key, "label": str(dt_.label), "has_default_flow": bool(dt_.default_flow),
             "resolvers": resolvers, "modes": modes,
             "fields": [{"path": path, "type": var.type, "label": str(var.label),
                         "choices": [[str(v), str(label)] for v, label in var.choices]}
                        for path, var in dt_.schema.leaves()]}
            for dt_ in sorted(DOCUMENT_TYPES.values(), key=lambda d: d.key)]


@router.post("/approval-flows", response={201: ApprovalFlowOut, **WRITE_ERRORS}, tags=FLOWS,
             operation_id="create_approvalflow", summary="Create a document type's flow (version 1)")
@idempotent(ApprovalFlowOut)
def create_flow(request, payload: ApprovalFlowIn):
    authorize(request, ADD_FLOWS)
    flow = services.create_flow(document_type=payload.document_type, name=payload.name,
                                description=payload.description, steps=_steps(payload.steps), actor=request.user)
    return Status(201, _flow(flow.pk))


@router.get("/approval-flows/{int:pk}", response={200: ApprovalFlowOut, **WRITE_ERRORS}, tags=FLOWS,
            operation_id="get_approvalflow", summary="One flow version with its steps")
def get_flow(request, pk: int):
    authorize(request, VIEW_FLOWS)
    return _flow(pk)


@router.patch("/approval-flows/{int:pk}", response={200: ApprovalFlowOut, **WRITE_ERRORS}, tags=FLOWS,
            operation_id="update_approvalflow",
            summary="Edit a flow: saves a new version (active); submitted documents keep their snapshot")
def update_flow(request, pk: int, payload: ApprovalFlowPatch):
    authorize(request, CHANGE_FLOWS)
    old = _flow(pk)
    steps = _steps(payload.steps) if payload.steps is not None else [
        {"name": s.name, "condition": s.condition, "resolver": s.resolver, "params": s.resolver_params,
         "mode": s.mode, "required_count": s.required_count, "reminder_hours": s.reminder_hours,
         "parallel": s.parallel}
        for s in sorted(old.steps.all(), key=lambda s: s.position)]
    flow = services.update_flow(flow_id=pk, name=payload.name, description=payload.description, steps=steps,
                                actor=request.user)
    return _flow(flow.pk)


def _flow_activation(name: str, active: bool, summary: str) -> None:
    @router.post(f"/approval-flows/{{int:pk}}/{name}", response={200: ApprovalFlowOut, **WRITE_ERRORS}, tags=FLOWS,
                 operation_id=f"{name}_approvalflow", summary=summary)
    @idempotent(ApprovalFlowOut)
    def action(request, pk: int):
        authorize(request, CHANGE_FLOWS)
        _flow(pk)
        services.set_flow_active(flow_id=pk, active=active, actor=request.user)
        return _flow(pk)


_flow_activation("deactivate", False, "Deactivate a flow: its documents need no approval")
_flow_activation("activate", True, "Make this version the active flow of its document type")


# Instances and tasks -------------------------------------------------------------------------------------
class ApprovalTaskOut(Schema):
    id: int
    instance_id: int
    document_type: str = Field(..., alias="instance.document_type")
    object_id: str = Field(..., alias="instance.object_id")
    description: str = Field(..., alias="instance.description")
    url: str = Field(..., alias="instance.url")
    requester_id: int | None = Field(..., alias="instance.requester_id")
    step: int
    step_name: str
    assignee_id: int
    assignee_name: str | None
    delegated_from_id: int | None
    status: TaskStatus
    comment: str
    created_at: datetime
    decided_at: datetime | None
    decided_by_id: int | None
    due_at: datetime | None
    reminded_at: datetime | None
    reminder_count: int

    @staticmethod
    def resolve_assignee_name(obj: ApprovalTask) -> str | None:
        return _user_label(obj.assignee)


class ApprovalInstanceOut(Schema):
    id: int
    document_type: str
    object_id: str
    description: str
    url: str
    status: InstanceStatus
    current_step: int
    flow_id: int | None
    flow_version: int
    requester_id: int | None
    requester_name: str | None
    submitted_at: datetime
    decided_at: datetime | None
    decided_by_id: int | None
    comment: str

    @staticmethod
    def resolve_requester_name(obj: ApprovalInstance) -> str | None:
        return _user_label(obj.requester)


class ApprovalSnapshotStepOut(Schema):
    position: int
    name: str
    condition: str
    matched: bool = Field(..., description="false: the condition did not match, the step was skipped")
    parallel: bool = Field(False, description="opened together with the step before it")
    state: Literal["skipped", "done", "current", "waiting"]
    resolver: ResolverKind
    params: dict[str, Any]
    mode: ApprovalMode
    required: int = Field(..., description="approvals this step needs")
    approver_ids: list[int]
    tasks: list[ApprovalTaskOut] = Field(..., description="the tasks of the step's latest activation")


class ApprovalHistoryOut(Schema):
    at: datetime
    actor_id: int | None
    actor: str | None
    action: str = Field(..., alias="verb")
    from_state: str
    to_state: str
    comment: str
    changes: dict[str, Any]

    @staticmethod
    def resolve_actor(obj: Any) -> str | None:
        return _user_label(obj.actor)


class ApprovalInstanceDetailOut(ApprovalInstanceOut):
    steps: list[ApprovalSnapshotStepOut]
    tasks: list[ApprovalTaskOut]
    history: list[ApprovalHistoryOut]

    @staticmethod
    def resolve_steps(obj: ApprovalInstance) -> list:
        return obj.detail["steps"]  # type: ignore[attr-defined]

    @staticmethod
    def resolve_tasks(obj: ApprovalInstance) -> list:
        return obj.detail["tasks"]  # type: ignore[attr-defined]

    @staticmethod
    def resolve_history(obj: ApprovalInstance) -> list:
        return obj.detail["history"]  # type: ignore[attr-defined]


class ApprovalTaskDetailOut(ApprovalTaskOut):
    can_decide: bool
    instance: ApprovalInstanceDetailOut


def _with_detail(instance: ApprovalInstance) -> ApprovalInstance:
    tasks = list(selectors.instance_tasks(instance).select_related("instance"))
    steps = selectors.instance_steps(instance, tasks)
    for step in steps:
        step.setdefault("approver_ids", [])
        step.setdefault("required", 0)
    instance.detail = {"steps": steps, "tasks": tasks,  # type: ignore[attr-defined]
                       "history": list(selectors.instance_history(instance))}
    return instance


def _visible_instances(request) -> QuerySet[ApprovalInstance]:
    """Everybody sees the approvals they requested or have (had) a task in; holders of
    ``view_approvalinstance`` also those requested by the people whose documents their data scope
    shows (X2: a sales rep their own, a manager their departments', back office everybody's)."""
    qs = ApprovalInstance.objects.select_related("requester", "decided_by")
    user = request.user
    owners = account_selectors.visible_owner_ids(user) if user.has_perm(VIEW_INSTANCES) else set()
    if owners is None:
        return qs
    mine = Q(requester_id__in=owners | {user.pk}) | Q(tasks__assignee_id=user.pk) | Q(tasks__delegated_from_id=user.pk)
    return qs.filter(pk__in=ApprovalInstance.objects.filter(mine).values("pk"))


def _instance(request, pk: int) -> ApprovalInstance:
    instance = _visible_instances(request).filter(pk=pk).first()
    if instance is None:
        raise NotFound()
    return _with_detail(instance)


def _task(request, pk: int) -> ApprovalTask:
    """A task the user may see: theirs, delegated to them, their own document's, or anybody's with
    ``view_approvaltask``; else 404."""
    try:
        task = selectors.get_task(task_id=pk)
    except ApprovalTask.DoesNotExist:
        raise NotFound() from None
    user = request.user
    if not (user.has_perm(VIEW_ALL_TASKS) or task.instance.requester_id == user.pk
            or selectors.can_decide(task=task, user=user) or task.delegated_from_id == user.pk):
        raise NotFound()
    return task


def _task_detail(request, pk: int) -> ApprovalTask:
    task = _task(request, pk)
    task.can_decide = (task.status == TaskStatus.PENDING  # type: ignore[attr-defined]
                       and task.instance.status == InstanceStatus.PENDING
                       and selectors.can_decide(task=task, user=request.user))
    task.instance = _with_detail(task.instance)
    return task


class ApprovalTaskFilter(Schema):
    status: Literal["pending", "approved", "rejected", "returned", "skipped", "all"] = Field(
        "pending", description="default pending (waiting for me); all: every status")
    document_type: str | None = Field(None, max_length=64)
    assignee_id: Id | None = Field(None, description="somebody else's tasks (needs approvals.view_approvaltask)")


@router.get("/approval-tasks", response={200: list[ApprovalTaskOut], **COMMON_ERRORS}, tags=TASKS,
            operation_id="list_approvaltask",
            summary="My approval tasks (and those delegated to me), newest first; pending by default")
@paginate(PageNumber)
def list_tasks(request, filters: ApprovalTaskFilter = Query(...)) -> QuerySet[ApprovalTask]:
    if not request.user.is_authenticated:
        raise PermissionDenied()
    status = None if filters.status == "all" else filters.status
    if filters.assignee_id and filters.assignee_id != request.user.pk:
        authorize(request, VIEW_ALL_TASKS)
        qs = (ApprovalTask.objects.filter(assignee_id=filters.assignee_id)
              .select_related("instance", "assignee").order_by("-created_at", "-id"))
        if status:
            qs = qs.filter(status=status)
    else:
        qs = selectors.tasks_for(user=request.user, status=status)
    if filters.document_type:
        qs = qs.filter(instance__document_type=filters.document_type)
    return qs


@router.get("/approval-tasks/{int:pk}", response={200: ApprovalTaskDetailOut, **WRITE_ERRORS}, tags=TASKS,
            operation_id="get_approvaltask", summary="A task with its approval: steps, tasks and history")
def get_task(request, pk: int):
    return _task_detail(request, pk)


class ApprovalDecisionIn(Schema):
    model_config = ConfigDict(extra="forbid")

    comment: str = Field("", max_length=2000, description="required to reject or return")
    to_step: int | None = Field(None, ge=1, le=1000, description="reject only: an earlier step to send it back "
                                                                 "to; null: back to the requester")


class ApprovalCommentIn(Schema):
    model_config = ConfigDict(extra="forbid")

    comment: str = Field("", max_length=2000)


def _decided(request, pk: int) -> ApprovalTask:
    """The task after the decision (the service has checked the user may decide it: 403 otherwise)."""
    return _task_detail(request, pk)


@router.post("/approval-tasks/{int:pk}/approve", response={200: ApprovalTaskDetailOut, **WRITE_ERRORS}, tags=TASKS,
             operation_id="approve_approvaltask", summary="Approve (the last approval runs the document's action)")
@idempotent(ApprovalTaskDetailOut)
def approve_task(request, pk: int, payload: ApprovalCommentIn):
    services.approve(task_id=pk, actor=request.user, comment=payload.comment)
    return _decided(request, pk)


@router.post("/approval-tasks/{int:pk}/reject", response={200: ApprovalTaskDetailOut, **WRITE_ERRORS}, tags=TASKS,
             operation_id="reject_approvaltask",
             summary="Reject with a comment: back to the requester, or to an earlier step (to_step)")
@idempotent(ApprovalTaskDetailOut)
def reject_task(request, pk: int, payload: ApprovalDecisionIn):
    services.reject(task_id=pk, actor=request.user, comment=payload.comment, to_step=payload.to_step)
    return _decided(request, pk)


@router.post("/approval-tasks/{int:pk}/return", response={200: ApprovalTaskDetailOut, **WRITE_ERRORS}, tags=TASKS,
             operation_id="return_approvaltask",
             summary="Return for changes (退回) with a comment: the requester edits and submits again")
@idempotent(ApprovalTaskDetailOut)
def return_task(request, pk: int, payload: ApprovalCommentIn):
    services.return_for_changes(task_id=pk, actor=request.user, comment=payload.comment)
    return _decided(request, pk)


class ApprovalInstanceFilter(Schema):
    document_type: str | None = Field(None, max_length=64)
    object_id: str | None = Field(None, max_length=64)
    status: InstanceStatus | None = None
    requester_id: Id | None = None


@router.get("/approval-instances", response={200: list[ApprovalInstanceOut], **COMMON_ERRORS}, tags=INSTANCES,
            operation_id="list_approvalinstance",
            summary="Approvals (of one document with document_type and object_id), newest first")
@paginate(PageNumber)
def list_instances(request, filters: ApprovalInstanceFilter = Query(...)) -> QuerySet[ApprovalInstance]:
    if not request.user.is_authenticated:
        raise PermissionDenied()
    qs = _visible_instances(request)
    if filters.document_type:
        qs = qs.filter(document_type=filters.document_type)
    if filters.object_id is not None:
        qs = qs.filter(object_id=filters.object_id)
    if filters.status:
        qs = qs.filter(status=filters.status)
    if filters.requester_id:
        qs = qs.filter(requester_id=filters.requester_id)
    return qs.order_by("-submitted_at", "-id")


@router.get("/approval-instances/{int:pk}", response={200: ApprovalInstanceDetailOut, **WRITE_ERRORS}, tags=INSTANCES,
            operation_id="get_approvalinstance", summary="One approval with its steps, tasks and history")
def get_instance(request, pk: int):
    return _instance(request, pk)


@router.post("/approval-instances/{int:pk}/withdraw", response={200: ApprovalInstanceDetailOut, **WRITE_ERRORS},
             tags=INSTANCES, operation_id="withdraw_approvalinstance",
             summary="Withdraw a document from approval (the requester)")
@idempotent(ApprovalInstanceDetailOut)
def withdraw_instance(request, pk: int):
    services.withdraw(instance_id=pk, actor=request.user)
    return _instance(request, pk)


# Delegations ---------------------------------------------------------------------------------------------
class DelegationIn(Schema):
    model_config = ConfigDict(extra="forbid")

    from_user_id: Id | None = Field(None, description="default: me; somebody else needs approvals.add_delegation")
    to_user_id: Id
    starts_on: date
    ends_on: date
    document_types: list[str] = Field(default_factory=list, max_length=50, description="empty: every type")
    reason: str = Field("", max_length=200)


class DelegationOut(Schema):
    id: int
    from_user_id: int
    from_user_name: str | None
    to_user_id: int
    to_user_name: str | None
    starts_on: date
    ends_on: date
    document_types: list[str]
    reason: str
    ended_at: datetime | None
    in_force: bool
    created_at: datetime

    @staticmethod
    def resolve_from_user_name(obj: Delegation) -> str | None:
        return _user_label(obj.from_user)

    @staticmethod
    def resolve_to_user_name(obj: Delegation) -> str | None:
        return _user_label(obj.to_user)

    @staticmethod
    def resolve_in_force(obj: Delegation) -> bool:
        today = selectors.today()
        return obj.ended_at is None and obj.starts_on <= today <= obj.ends_on


class DelegationFilter(Schema):
    current: bool = Field(False, description="true: only delegations not yet over")
    from_user_id: Id | None = Field(None, description="anybody's (needs approvals.view_delegation)")


def _delegation(request, pk: int) -> Delegation:
    delegation = Delegation.objects.select_related("from_user", "to_user").filter(pk=pk).first()
    if delegation is None or not (request.user.has_perm(VIEW_ALL_DELEGATIONS)
                                  or request.user.pk in (delegation.from_user_id, delegation.to_user_id)):
        raise NotFound()
    return delegation


@router.get("/approval-delegations", response={200: list[DelegationOut], **COMMON_ERRORS}, tags=DELEGATIONS,
            operation_id="list_delegation", summary="My delegations (given and received)")
@paginate(PageNumber)
def list_delegations(request, filters: DelegationFilter = Query(...)) -> QuerySet[Delegation]:
    if not request.user.is_authenticated:
        raise PermissionDenied()
    if filters.from_user_id and filters.from_user_id != request.user.pk:
        authorize(request, VIEW_ALL_DELEGATIONS)
        return selectors.list_delegations(current_only=filters.current).filter(from_user_id=filters.from_user_id)
    return selectors.list_delegations(user=request.user, current_only=filters.current)


@router.post("/approval-delegations", response={201: DelegationOut, **WRITE_ERRORS}, tags=DELEGATIONS,
             operation_id="create_delegation", summary="Delegate approvals while away")
@idempotent(DelegationOut)
def create_delegation(request, payload: DelegationIn):
    if not request.user.is_authenticated:
        raise PermissionDenied()
    delegation = services.set_delegation(
        from_user_id=payload.from_user_id or request.user.pk, to_user_id=payload.to_user_id,
        starts_on=payload.starts_on, ends_on=payload.ends_on, document_types=payload.document_types,
        reason=payload.reason, actor=request.user)
    return Status(201, _delegation(request, delegation.pk))


@router.get("/approval-delegations/{int:pk}", response={200: DelegationOut, **WRITE_ERRORS}, tags=DELEGATIONS,
            operation_id="get_delegation", summary="One delegation")
def get_delegation(request, pk: int):
    return _delegation(request, pk)


@router.post("/approval-delegations/{int:pk}/end", response={200: DelegationOut, **WRITE_ERRORS},
             tags=DELEGATIONS, operation_id="end_delegation", summary="End a delegation now")
@idempotent(DelegationOut)
def end_delegation(request, pk: int):
    _delegation(request, pk)
    services.end_delegation(delegation_id=pk, actor=request.user)
    return _delegation(request, pk)


@router.delete("/approval-delegations/{int:pk}", response={204: None, **WRITE_ERRORS}, tags=DELEGATIONS,
               operation_id="delete_delegation", summary="End a delegation now (kept for the record)")
def delete_delegation(request, pk: int):
    _delegation(request, pk)
    services.end_delegation(delegation_id=pk, actor=request.user)
    return Status(204, None)

