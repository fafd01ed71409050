"""The approval engine's use cases (SPEC S2; DESIGN.md "Approvals"; docs/approvals.md).

Every function is keyword-only, owns its transaction and raises ``core.errors``. Decisions follow one
order of locks — the document (through its type's ``load``), then the instance row — and then change
rows only with conditional UPDATEs (``… WHERE status = 'pending'``, ``… AND current_step = ? AND
activation = ?``) whose row counts are checked, so two approvers clicking at once (an any-mode step, or
the same task twice) can never double-advance a step or call ``on_approved`` twice: the loser gets
409 ``task_decided``. On SQLite, IMMEDIATE transactions serialise writers and the row locks are left
out; the conditional UPDATEs hold on both databases."""

from __future__ import annotations

import copy
import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from datetime import timedelta
from typing import Any

from django.contrib.auth.models import Group
from django.contrib.contenttypes.models import ContentType
from django.db import IntegrityError, connection, models, transaction
from django.db.models import F, Max
from django.utils import timezone
from django.utils.translation import gettext as _

from caixiao.accounts.models import Position, User
from caixiao.approvals import events, selectors
from caixiao.approvals.enums import ApprovalMode, InstanceStatus, ResolverKind, TaskStatus
from caixiao.approvals.errors import ApprovalErrorCode as Code
from caixiao.approvals.models import (
    ApprovalFlow,
    ApprovalInstance,
    ApprovalStep,
    ApprovalTask,
    Delegation,
    stage_of,
    stage_start,
)
from caixiao.approvals.registry import DOCUMENT_TYPES, DocumentType, StepSpec, get_document
from caixiao.core import audit, outbox
from caixiao.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from caixiao.core.retry import retry_on_conflict
from caixiao.rules.expressions import ExpressionRuntimeError, compile_expression

COMMENT_MAX_LENGTH = 2000
NAME_MAX_LENGTH = 200
MAX_STEPS = 20
MAX_REMINDER_HOURS = 24 * 90
REMINDER_BATCH = 1000

# Flows: saving, versioning, checking ---------------------------------------------------------------------


def _invalid(field: str, message: str, code: str = Code.INVALID_STEP) -> ValidationFailed:
    return ValidationFailed(message, code=code, fields={field: [message]})


def _as_int(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().isdigit():
        return int(value.strip())
    return None


def _clean_params(kind: str, params: Mapping[str, Any], field: str, *, check_approvers: bool) -> tuple[dict, int | None]:
    """Normalise a resolver's parameters; return them with how many approvers they give (None: it
    depends on the requester). Raise ``no_approver`` when the step could never give anybody."""

    def nobody(message: str) -> ValidationFailed:
        return _invalid(field, message, Code.NO_APPROVER)

    users = User.objects.filter(is_active=True)
    if kind == ResolverKind.USER:
        raw = params.get("user_ids")
        parsed = [_as_int(v) for v in raw] if isinstance(raw, list | tuple) else []
        ids = [i for i in parsed if i is not None and i >= 1]
        if not ids or len(ids) != len(parsed):
            raise nobody(_("Choose at least one approver."))
        unique = list(dict.fromkeys(ids))
        found = set(users.filter(pk__in=unique).values_list("pk", flat=True))
        missing = [i for i in unique if i not in found]
        if missing:
            raise nobody(_("Unknown or inactive users: %(ids)s.") % {"ids": ", ".join(map(str, missing))})
        return {"user_ids": unique}, len(unique)
    if kind == ResolverKind.ROLE:
        role = params.get("role")
        if not isinstance(role, str) or not role.strip():
            raise nobody(_("Choose a role."))
        role = role.strip()
        if check_approvers and not Group.objects.filter(name=role).exists():
            raise nobody(_("There is no role “%(role)s”.") % {"role": role})
        count = users.filter(groups__name=role).distinct().count()
        if check_approvers and not count:
            raise nobody(_("Nobody holds the role “%(role)s”.") % {"role": role})
        return {"role": role}, (count if check_approvers else None)
    if kind == ResolverKind.POSITION:
        position_id = _as_int(params.get("position_id"))
        if position_id is None and isinstance(params.get("position"), str):
            position_id = Position.objects.filter(code=params["position"]).values_list("pk", flat=True).first()
        if position_id is None or (check_approvers and not Position.objects.filter(pk=position_id).exists()):
            raise nobody(_("Choose an existing position."))
        count = users.filter(position_id=position_id).count()
        if check_approvers and not count:
            raise nobody(_("Nobody holds this position."))
        return {"position_id": position_id}, (count if check_approvers else None)
    if kind == ResolverKind.DEPARTMENT_HEAD:
        return {}, 1
    if kind == ResolverKind.NTH_MANAGER:
        n = _as_int(params.get("n", 1))
        if n is None or n < 1:
            raise nobody(_("N must be a whole number of at least 1."))
        if n > 10:
            raise _invalid(field, _("N must be at most 10."))
        return {"n": n}, 1
    raise _invalid(field, _("Unknown approver kind."))


def clean_steps(*, document_type: str, steps: Sequence[StepSpec | Mapping[str, Any]],
                check_approvers: bool = True) -> list[dict[str, Any]]:
    """Check a flow's steps as data against the document type (conditions against its schema) and
    return them normalised. Raises ``no_steps``, ``invalid_expression`` (with the position),
    ``no_approver``, ``invalid_required_count`` or ``invalid_step`` (422) with the step's field named
    ``steps.<i>.<field>``."""
    dt_ = get_document(document_type)
    if not steps:
        raise _invalid("steps", _("A flow needs at least one step."), Code.NO_STEPS)
    if len(steps) > MAX_STEPS:
        raise _invalid("steps", _("A flow has at most %(n)s steps.") % {"n": MAX_STEPS})
    cleaned = []
    for i, raw in enumerate(steps):
        prefix = f"steps.{i}"
        if isinstance(raw, StepSpec):
            data: dict[str, Any] = raw.as_data()
        elif isinstance(raw, Mapping):
            data = dict(raw)
        else:
            raise _invalid(prefix, _("Expected an object."))
        name = str(data.get("name") or "").strip()
        if not name:
            raise _invalid(f"{prefix}.name", _("This field is required."))
        if len(name) > NAME_MAX_LENGTH:
            raise _invalid(f"{prefix}.name", _("Use at most %(n)s characters.") % {"n": NAME_MAX_LENGTH})
        kind = data.get("resolver")
        if kind not in ResolverKind.values:
            raise _invalid(f"{prefix}.resolver", _("Choose one of: %(choices)s.") % {
                "choices": ", ".join(ResolverKind.values)})
        mode = data.get("mode") or ApprovalMode.ANY
        if mode not in ApprovalMode.values:
            raise _invalid(f"{prefix}.mode", _("Choose one of: %(choices)s.") % {
                "choices": ", ".join(ApprovalMode.values)})
        condition = str(data.get("condition") or "").strip()
        if condition:
            compile_expression(condition, dt_.schema, field_name=f"{prefix}.condition")
        params = data.get("params", data.get("resolver_params")) or {}
        if not isinstance(params, Mapping):
            raise _invalid(f"{prefix}.params", _("Expected an object."))
        params, approvers = _clean_params(kind, params, f"{prefix}.params", check_approvers=check_approvers)
        required = 1
        if mode == ApprovalMode.N_OF_M:
            required_raw = _as_int(data.get("required_count"))
            upper = approvers if approvers is not None else None
            if required_raw is None or required_raw < 1 or (upper is not None and required_raw > upper):
                raise _invalid(f"{prefix}.required_count",
                               _("Between 1 and %(n)s approvals (the number of approvers).") % {"n": upper or "M"},
                               Code.INVALID_REQUIRED_COUNT)
            required = required_raw
        reminder = data.get("reminder_hours")
        if reminder in ("", None):
            reminder = None
        else:
            reminder = _as_int(reminder)
            if reminder is None or not 1 <= reminder <= MAX_REMINDER_HOURS:
                raise _invalid(f"{prefix}.reminder_hours", _("Between 1 and %(n)s hours, or empty.") % {
                    "n": MAX_REMINDER_HOURS})
        parallel = data.get("parallel") in (True, "true", "on", "1", 1)
        if parallel and i == 0:
            raise _invalid(f"{prefix}.parallel", _("The first step has no step before it to run in parallel with."))
        cleaned.append({"position": i + 1, "name": name, "condition": condition, "resolver": kind,
                        "params": params, "mode": mode, "required_count": required, "reminder_hours": reminder,
                        "parallel": parallel})
    return cleaned


def _save_flow(*, document_type: str, name: str, description: str, steps: list[dict[str, Any]], actor: Any,
               previous: ApprovalFlow | None) -> ApprovalFlow:
    latest = ApprovalFlow.objects.filter(document_type=document_type).aggregate(v=Max("version"))["v"] or 0
    try:
        with transaction.atomic():  # a savepoint: a concurrent save of the same type loses cleanly
            ApprovalFlow.objects.filter(document_type=document_type, is_active=True).update(is_active=False)
            flow = ApprovalFlow.objects.create(
                document_type=document_type, name=name, description=description, version=latest + 1,
                is_active=True, previous=previous, created_by=actor if getattr(actor, "pk", None) else None)
    except IntegrityError:
        raise Conflict(_("The flow was changed by somebody else at the same time; reload and try again."),
                       code="concurrent_change") from None
    ApprovalStep.objects.bulk_create(ApprovalStep(
        flow=flow, position=s["position"], name=s["name"], condition=s["condition"], resolver=s["resolver"],
        resolver_params=s["params"], mode=s["mode"], required_count=s["required_count"],
        reminder_hours=s["reminder_hours"], parallel=s["parallel"]) for s in steps)
    audit.record(actor=actor, obj=flow, verb="approval_flow:saved", changes={"version": flow.version, "steps": steps})
    return flow


def _clean_name(name: Any) -> str:
    text = str(name or "").strip()
    if not text:
        raise _invalid("name", _("This field is required."), "validation_error")
    if len(text) > NAME_MAX_LENGTH:
        raise _invalid("name", _("Use at most %(n)s characters.") % {"n": NAME_MAX_LENGTH}, "validation_error")
    return text


@transaction.atomic
def create_flow(*, document_type: str, name: str, steps: Sequence[StepSpec | Mapping[str, Any]], actor: Any,
                description: str = "", check_approvers: bool = True) -> ApprovalFlow:
    """Version 1 (or the next version after deactivated ones) of a document type's flow. 409
    ``flow_exists`` while an active flow exists: edit that one instead (``update_flow``).
    ``check_approvers=False`` (seeding) skips the "somebody holds this role" check."""
    get_document(document_type)
    name = _clean_name(name)
    cleaned = clean_steps(document_type=document_type, steps=steps, check_approvers=check_approvers)
    if ApprovalFlow.objects.filter(document_type=document_type, is_active=True).exists():
        raise Conflict(_("This document type has an active flow; edit it to make a new version."),
                       code=Code.FLOW_EXISTS)
    return _save_flow(document_type=document_type, name=name, description=description or "", steps=cleaned,
                      actor=actor, previous=None)


@transaction.atomic
def update_flow(*, flow_id: int, steps: Sequence[StepSpec | Mapping[str, Any]], actor: Any,
                name: str | None = None, description: str | None = None) -> ApprovalFlow:
    """Editing a flow writes a new version (active, replacing the active one); instances already
    submitted keep the snapshot of the version they were submitted with."""
    old = _get_flow(flow_id)
    name = _clean_name(old.name if name is None else name)
    cleaned = clean_steps(document_type=old.document_type, steps=steps)
    return _save_flow(document_type=old.document_type, name=name,
                      description=old.description if description is None else description, steps=cleaned,
                      actor=actor, previous=old)


def _get_flow(flow_id: int) -> ApprovalFlow:
    try:
        return ApprovalFlow.objects.get(pk=flow_id)
    except ApprovalFlow.DoesNotExist:
        raise NotFound() from None


@transaction.atomic
def set_flow_active(*, flow_id: int, active: bool, actor: Any) -> ApprovalFlow:
    """Deactivate a flow (its documents then need no approval), or make a version the active one."""
    flow = _get_flow(flow_id)
    if flow.is_active == active:
        return flow
    if active:
        ApprovalFlow.objects.filter(document_type=flow.document_type, is_active=True).update(is_active=False)
    flow.is_active = active
    flow.save(update_fields=["is_active", "updated_at"])
    audit.record(actor=actor, obj=flow, verb="approval_flow:activated" if active else "approval_flow:deactivated")
    return flow


def deactivate_flow(*, flow_id: int, actor: Any) -> ApprovalFlow:
    return set_flow_active(flow_id=flow_id, active=False, actor=actor)


def seed_default_flow(dt_: DocumentType, *, actor: Any = None) -> ApprovalFlow | None:
    """Create the type's ``default_flow`` if it has one and no flow (of any version) exists yet."""
    if not dt_.default_flow or ApprovalFlow.objects.filter(document_type=dt_.key).exists():
        return None
    try:
        with transaction.atomic():
            return create_flow(document_type=dt_.key, name=str(dt_.default_flow_name or dt_.label),
                               steps=dt_.default_flow, actor=actor, check_approvers=False)
    except (Conflict, IntegrityError):
        return None  # seeded concurrently


def current_flow(*, doc_type: str, pending_for: str | None = None) -> ApprovalFlow | None:
    """The active flow of a document type, seeding the default flow the first time it is needed. Always
    asked of the database (one indexed query), so a version saved by another process counts at once;
    its steps come from ``flow_steps``. ``pending_for``: see ``selectors.active_flow_row``."""
    flow = selectors.active_flow_row(document_type=doc_type, pending_for=pending_for)
    if flow is None:
        dt_ = get_document(doc_type)
        if dt_.default_flow and not ApprovalFlow.objects.filter(document_type=doc_type).exists():
            seed_default_flow(dt_)
            flow = selectors.active_flow_row(document_type=doc_type, pending_for=pending_for)
    return flow


# A flow version's steps never change once it is saved (``_save_flow`` writes them with the version in
# one transaction; editing writes a new version; the admin is read-only), so they are kept per process.
# The key includes the row's creation time: a rolled-back flow's id may be reused (SQLite, tests).
_STEPS_CACHE: dict[tuple[str, int, Any], tuple[ApprovalStep, ...]] = {}
_STEPS_CACHE_SIZE = 64


def flow_steps(flow: ApprovalFlow) -> tuple[ApprovalStep, ...]:
    """The steps of a flow version in position order (one query the first time per process)."""
    key = (flow._state.db or "default", flow.pk, flow.created_at)
    steps = _STEPS_CACHE.get(key)
    if steps is None:
        steps = tuple(sorted(flow.steps.all(), key=lambda s: s.position))
        if len(_STEPS_CACHE) >= _STEPS_CACHE_SIZE:
            _STEPS_CACHE.clear()
        _STEPS_CACHE[key] = steps
    return steps


# Approvers ----------------------------------------------------------------------------------------------
def resolve_approvers(*, step: Mapping[str, Any], requester: Any) -> list[User]:
    """The users a step asks, for this requester (before delegation). The requester is left out when
    anybody else can approve (nobody approves their own document while a colleague can)."""
    kind, params = step["resolver"], step.get("params") or {}
    users = User.objects.filter(is_active=True)
    found: list[User] = []
    if kind == ResolverKind.USER:
        by_id = {u.pk: u for u in users.filter(pk__in=params.get("user_ids", []))}
        found = [by_id[i] for i in params.get("user_ids", []) if i in by_id]
    elif kind == ResolverKind.ROLE:
        found = list(users.filter(groups__name=params.get("role")).distinct().order_by("pk"))
    elif kind == ResolverKind.POSITION:
        found = list(users.filter(position_id=_as_int(params.get("position_id")) or 0).order_by("pk"))
    elif kind == ResolverKind.DEPARTMENT_HEAD and requester is not None:
        department = requester.department
        seen: set[int] = set()
        while department is not None and department.pk not in seen:
            seen.add(department.pk)
            head = department.head
            if head is not None and head.is_active and head.pk != requester.pk:
                found = [head]
                break
            department = department.parent
    elif kind == ResolverKind.NTH_MANAGER and requester is not None:
        person = requester
        for _hop in range(int(params.get("n", 1))):
            person = person.manager if person is not None else None
        if person is not None and person.is_active and person.pk != requester.pk:
            found = [person]
    if requester is not None and len(found) > 1:
        found = [u for u in found if u.pk != requester.pk]
    return found


def _required(step: Mapping[str, Any], approvers: int) -> int:
    if step["mode"] == ApprovalMode.ALL:
        return approvers
    if step["mode"] == ApprovalMode.N_OF_M:
        return int(step["required_count"])
    return 1


# Submitting ---------------------------------------------------------------------------------------------
def _evaluate_steps(flow: ApprovalFlow, dt_: DocumentType, context: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The flow's steps as a snapshot, each marked ``matched`` on this document. A condition that
    fails on real data (division by zero, a missing key) counts as matching: when in doubt, ask."""
    snapshot = []
    for step in flow_steps(flow):
        matched, error = True, ""
        if step.condition:
            try:
                matched = compile_expression(step.condition, dt_.schema).matches(context)
            except ExpressionRuntimeError as exc:
                error = str(exc)[:500]
        snapshot.append({"position": step.position, "name": step.name, "condition": step.condition,
                         "resolver": step.resolver, "params": copy.deepcopy(step.resolver_params),
                         "mode": step.mode,
                         "required_count": step.required_count, "reminder_hours": step.reminder_hours,
                         "parallel": step.parallel, "matched": matched, "condition_error": error})
    return snapshot


def needs_approval(*, doc_type: str, obj: Any) -> bool:
    """Does any step of the document type's current flow match this document?"""
    flow = current_flow(doc_type=doc_type)
    if flow is None:
        return False
    dt_ = get_document(doc_type)
    return any(s["matched"] for s in _evaluate_steps(flow, dt_, dt_.context(obj)))


def _jsonable(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if value is None or isinstance(value, bool | int | float | str):
        return value
    return str(value)


def submit(*, doc_type: str, obj: Any, actor: Any) -> ApprovalInstance | None:
    """Submit a document for approval: snapshot the current flow, evaluate each step's condition on
    the document, resolve every matching step's approvers (422 ``no_approver`` if one has nobody) and
    create the first step's tasks, delegated where a delegation is in force. ``None`` when no step
    matches (the caller goes on without approval); 409 ``approval_pending`` if it already waits.

    Inside the caller's transaction, deciding costs one query (the active flow, whether the document
    already waits) and no savepoint: only a matching step opens one, around what it writes."""
    if not transaction.get_connection().in_atomic_block:
        return _submit_in_transaction(doc_type=doc_type, obj=obj, actor=actor)
    return _submit(doc_type=doc_type, obj=obj, actor=actor)


@retry_on_conflict
@transaction.atomic
def _submit_in_transaction(*, doc_type: str, obj: Any, actor: Any) -> ApprovalInstance | None:
    return _submit(doc_type=doc_type, obj=obj, actor=actor)


def _submit(*, doc_type: str, obj: Any, actor: Any) -> ApprovalInstance | None:
    dt_ = get_document(doc_type)
    object_id = str(obj.pk)
    flow = current_flow(doc_type=doc_type, pending_for=object_id)
    if flow is None:
        return None
    if flow.has_pending:  # type: ignore[attr-defined]
        raise Conflict(_("This document is already waiting for approval."), code=Code.APPROVAL_PENDING)
    context = dt_.context(obj)
    snapshot = _evaluate_steps(flow, dt_, context)
    if not any(s["matched"] for s in snapshot):
        return None
    with transaction.atomic():  # what a matching step writes stands or falls together
        return _start(dt_, flow, obj, object_id, context, snapshot, actor=actor)


def _start(dt_: DocumentType, flow: ApprovalFlow, obj: Any, object_id: str, context: Mapping[str, Any],
           snapshot: list[dict[str, Any]], *, actor: Any) -> ApprovalInstance:
    doc_type = dt_.key
    requester = dt_.requester(obj) or (actor if getattr(actor, "pk", None) else None)
    for step in snapshot:
        if not step["matched"]:
            step["approver_ids"], step["required"] = [], 0
            continue
        approvers = resolve_approvers(step=step, requester=requester)
        required = _required(step, len(approvers))
        if not approvers or required > len(approvers):
            message = _("Step “%(step)s” has no approver for this document; ask an administrator to fix the "
                        "approval flow.") % {"step": step["name"]}
            raise ValidationFailed(message, code=Code.NO_APPROVER, fields={"approval": [message]},
                                   step=step["position"])
        step["approver_ids"], step["required"] = [u.pk for u in approvers], required
    first = next(s for s in snapshot if s["matched"])
    content_type = (ContentType.objects.get_for_model(obj, for_concrete_model=True)
                    if isinstance(obj, models.Model) else None)
    try:
        with transaction.atomic():  # the partial unique index is the backstop for a concurrent submit
            instance = ApprovalInstance.objects.create(
                document_type=doc_type, object_id=object_id, content_type=content_type,
                description=str(dt_.describe(obj))[:300], url=(dt_.url(obj) if dt_.url else "")[:300],
                flow=flow, flow_version=flow.version, flow_snapshot=snapshot, context=_jsonable(context),
                status=InstanceStatus.PENDING, current_step=first["position"], activation=1, requester=requester)
    except IntegrityError:
        raise Conflict(_("This document is already waiting for approval."), code=Code.APPROVAL_PENDING) from None
    _record(actor, instance, obj, "approval:submitted", to_state=InstanceStatus.PENDING,
            changes={"flow_version": flow.version, "steps": [s["position"] for s in snapshot if s["matched"]]})
    outbox.emit(events.INSTANCE_SUBMITTED, aggregate=instance, actor=actor, payload={
        **events.document_payload(instance), "flow_version": flow.version,
        "steps": [s["position"] for s in snapshot if s["matched"]]})
    for step in stage_of(snapshot, first["position"]):  # the first step and any parallel with it
        _create_tasks(instance, step, actor=actor)
    return instance


def _create_tasks(instance: ApprovalInstance, step: Mapping[str, Any], *, actor: Any) -> list[ApprovalTask]:
    """One task per approver of the step's activation, each going to the approver's delegate (the end
    of the delegation chain) when one is in force for this document type today."""
    now = timezone.now()
    hours = step.get("reminder_hours")
    due = now + timedelta(hours=hours) if hours else None
    tasks = []
    for approver_id in step["approver_ids"]:
        chain = selectors.delegate_chain(user_id=approver_id, document_type=instance.document_type)
        tasks.append(ApprovalTask(
            instance=instance, step=step["position"], step_name=step["name"], activation=instance.activation,
            assignee_id=chain[-1] if chain else approver_id, delegated_from_id=approver_id if chain else None,
            status=TaskStatus.PENDING, reminder_hours=hours, due_at=due, next_reminder_at=due))
    created = ApprovalTask.objects.bulk_create(tasks)
    if any(t.pk is None for t in created):  # a backend that does not return ids
        created = list(ApprovalTask.objects.filter(instance=instance, activation=instance.activation,
                                                   step=step["position"]).order_by("pk"))
    for task in created:
        outbox.emit(events.TASK_CREATED, aggregate=instance, actor=actor, payload={
            **events.task_payload(task, instance), "delegated_from_id": task.delegated_from_id,
            "due_at": task.due_at.isoformat() if task.due_at else None})
    return created


# Deciding -----------------------------------------------------------------------------------------------
def _for_update(queryset: models.QuerySet) -> models.QuerySet:
    if connection.features.has_select_for_update:
        return queryset.select_for_update(no_key=True, of=("self",))
    return queryset


def _load(dt_: DocumentType, instance: ApprovalInstance) -> Any:
    """The document, locked (its type's ``load``, else by content type); None if it is gone."""
    if dt_.load is not None:
        return dt_.load(instance.object_id)
    if instance.content_type_id:
        model = ContentType.objects.get_for_id(instance.content_type_id).model_class()
        if model is not None:
            return _for_update(model._default_manager.all()).filter(pk=instance.object_id).first()
    return None


def _lock_instance(instance_id: int) -> ApprovalInstance:
    try:
        return _for_update(ApprovalInstance.objects.all()).get(pk=instance_id)
    except ApprovalInstance.DoesNotExist:
        raise NotFound() from None


def _task_decided() -> Conflict:
    return Conflict(_("This approval task has already been decided."), code=Code.TASK_DECIDED)


def _not_pending() -> Conflict:
    return Conflict(_("This approval is no longer waiting for decisions."), code=Code.NOT_PENDING)


def _start_decision(task_id: int, actor: Any) -> tuple[DocumentType, Any, ApprovalInstance, ApprovalTask]:
    try:
        task = ApprovalTask.objects.select_related("instance").get(pk=task_id)
    except ApprovalTask.DoesNotExist:
        raise NotFound(_("The approval task does not exist.")) from None
    if not selectors.can_decide(task=task, user=actor):
        raise PermissionDenied(_("Only the approver of this task (or their delegate) can decide it."))
    dt_ = get_document(task.instance.document_type)
    obj = _load(dt_, task.instance) if task.instance.status == InstanceStatus.PENDING else None  # document first
    instance = _lock_instance(task.instance_id)  # then the instance: decisions on it run one at a time
    task = ApprovalTask.objects.get(pk=task_id)  # re-read under the lock
    task.instance = instance
    if instance.status != InstanceStatus.PENDING:
        raise _task_decided() if task.status != TaskStatus.PENDING else _not_pending()
    if task.status != TaskStatus.PENDING or task.activation != instance.activation \
            or task.step not in {s["position"] for s in instance.stage()}:
        raise _task_decided()
    return dt_, obj, instance, task


def _claim(task: ApprovalTask, *, status: str, actor: Any, comment: str, now: dt.datetime) -> None:
    """The task's decision: a conditional UPDATE; a second click finds it decided."""
    claimed = ApprovalTask.objects.filter(pk=task.pk, status=TaskStatus.PENDING).update(
        status=status, decided_at=now, decided_by=actor, comment=comment)
    if claimed != 1:
        raise _task_decided()
    task.status, task.decided_at, task.decided_by, task.comment = status, now, actor, comment


def _move(instance: ApprovalInstance, **changes: Any) -> None:
    """Advance or close the instance, only from the step and activation this decision saw."""
    moved = ApprovalInstance.objects.filter(
        pk=instance.pk, status=InstanceStatus.PENDING, current_step=instance.current_step,
        activation=instance.activation).update(**changes)
    if moved != 1:
        raise _not_pending()
    for name, value in changes.items():
        setattr(instance, name, value)


def _skip_open_tasks(instance: ApprovalInstance, now: dt.datetime) -> None:
    ApprovalTask.objects.filter(instance=instance, status=TaskStatus.PENDING).update(
        status=TaskStatus.SKIPPED, decided_at=now)


def _record(actor: Any, instance: ApprovalInstance, obj: Any, verb: str, *, from_state: str = "",
            to_state: str = "", comment: str = "", changes: dict[str, Any] | None = None) -> None:
    """Audit on the instance, and on the document so its own history shows the approval."""
    audit.record(actor=actor, obj=instance, verb=verb, from_state=from_state, to_state=to_state, comment=comment,
                 changes=changes)
    if isinstance(obj, models.Model) and obj.pk is not None:
        audit.record(actor=actor, obj=obj, verb=verb, comment=comment,
                     changes={"instance_id": instance.pk, **(changes or {})})


def _decided(task: ApprovalTask, instance: ApprovalInstance, obj: Any, actor: Any, decision: str) -> None:
    changes = {"task_id": task.pk, "step": task.step, "step_name": task.step_name}
    if task.assignee_id != getattr(actor, "pk", None):
        changes["on_behalf_of"] = task.assignee_id
    _record(actor, instance, obj, f"approval:{decision}", comment=task.comment, changes=changes)
    outbox.emit(events.TASK_DECIDED, aggregate=instance, actor=actor, payload={
        **events.task_payload(task, instance), "decision": decision, "decided_by_id": getattr(actor, "pk", None),
        "comment": task.comment})


def _step_done(instance: ApprovalInstance, step: Mapping[str, Any]) -> bool:
    approvals = ApprovalTask.objects.filter(instance=instance, step=step["position"], activation=instance.activation,
                                            status=TaskStatus.APPROVED).count()
    return approvals >= int(step.get("required", 1))


def _clean_comment(comment: Any, *, required: bool) -> str:
    text = str(comment or "").strip()
    if required and not text:
        raise _invalid("comment", _("Say why in a comment."), Code.COMMENT_REQUIRED)
    if len(text) > COMMENT_MAX_LENGTH:
        raise _invalid("comment", _("Use at most %(n)s characters.") % {"n": COMMENT_MAX_LENGTH}, "validation_error")
    return text


def _missing_document() -> NotFound:
    return NotFound(_("The document of this approval no longer exists."))


@retry_on_conflict
@transaction.atomic
def approve(*, task_id: int, actor: Any, comment: str = "") -> ApprovalInstance:
    """Approve a task. When the step has its approvals (any: one; all: every task; n_of_m: N) its other
    tasks are skipped and the next matching step's tasks are created; after the last step the
    instance is approved and the type's ``on_approved`` runs in this transaction (if it raises,
    nothing of the approval stays)."""
    comment = _clean_comment(comment, required=False)
    dt_, obj, instance, task = _start_decision(task_id, actor)
    now = timezone.now()
    _claim(task, status=TaskStatus.APPROVED, actor=actor, comment=comment, now=now)
    _decided(task, instance, obj, actor, "approved")
    if not _step_done(instance, instance.step(task.step) or {"position": task.step}):
        return instance
    ApprovalTask.objects.filter(instance=instance, step=task.step, status=TaskStatus.PENDING).update(
        status=TaskStatus.SKIPPED, decided_at=now)  # the step has its approvals
    stage = instance.stage()
    if any(not _step_done(instance, other) for other in stage if other["position"] != task.step):
        return instance  # a parallel branch still waits
    last = max(s["position"] for s in stage)
    following = next((s for s in instance.flow_snapshot if s["matched"] and s["position"] > last), None)
    if following is not None:
        _move(instance, current_step=following["position"], activation=instance.activation + 1)
        for step in instance.stage():
            _create_tasks(instance, step, actor=actor)
        return instance
    _move(instance, status=InstanceStatus.APPROVED, decided_at=now, decided_by=actor, comment=comment)
    if dt_.on_approved is not None:
        if obj is None:
            raise _missing_document()
        dt_.on_approved(obj, actor)
    _record(actor, instance, obj, "status:approved", from_state=InstanceStatus.PENDING,
            to_state=InstanceStatus.APPROVED, comment=comment)
    outbox.emit(events.INSTANCE_APPROVED, aggregate=instance, actor=actor, payload={
        **events.document_payload(instance), "actor_id": getattr(actor, "pk", None), "comment": comment})
    return instance


@retry_on_conflict
@transaction.atomic
def reject(*, task_id: int, actor: Any, comment: str, to_step: int | None = None) -> ApprovalInstance:
    """Reject with a comment: back to the requester (``to_step`` None: the instance is rejected and
    ``on_rejected`` runs), or back to an earlier matching step, whose tasks are created again."""
    comment = _clean_comment(comment, required=True)
    dt_, obj, instance, task = _start_decision(task_id, actor)
    if to_step is not None:
        earlier = [s for s in instance.flow_snapshot if s["matched"] and s["position"] < instance.current_step]
        target = next((s for s in earlier if s["position"] == to_step), None)
        if target is None:
            message = (_("Choose an earlier step: %(steps)s.") % {"steps": ", ".join(
                str(s["position"]) for s in earlier)}) if earlier else _("There is no earlier step.")
            raise _invalid("to_step", message)
    now = timezone.now()
    _claim(task, status=TaskStatus.REJECTED, actor=actor, comment=comment, now=now)
    _skip_open_tasks(instance, now)
    _decided(task, instance, obj, actor, "rejected")
    payload = {**events.document_payload(instance), "actor_id": getattr(actor, "pk", None), "comment": comment}
    if to_step is not None:
        from_step = task.step
        start = stage_start(instance.flow_snapshot, to_step)  # a parallel branch re-opens its whole stage
        _move(instance, current_step=start, activation=instance.activation + 1)
        _record(actor, instance, obj, "approval:sent_back", comment=comment,
                changes={"from_step": from_step, "to_step": start})
        outbox.emit(events.INSTANCE_SENT_BACK, aggregate=instance, actor=actor,
                    payload={**payload, "from_step": from_step, "to_step": start})
        for branch in instance.stage():
            _create_tasks(instance, branch, actor=actor)
        return instance
    _move(instance, status=InstanceStatus.REJECTED, decided_at=now, decided_by=actor, comment=comment)
    if dt_.on_rejected is not None:
        if obj is None:
            raise _missing_document()
        dt_.on_rejected(obj, actor, comment)
    _record(actor, instance, obj, "status:rejected", from_state=InstanceStatus.PENDING,
            to_state=InstanceStatus.REJECTED, comment=comment)
    outbox.emit(events.INSTANCE_REJECTED, aggregate=instance, actor=actor, payload={**payload, "step": task.step})
    return instance


@retry_on_conflict
@transaction.atomic
def return_for_changes(*, task_id: int, actor: Any, comment: str) -> ApprovalInstance:
    """退回: send the document back to the requester for changes; they edit it and submit again (a new
    instance). Calls the type's ``on_returned`` (default: ``on_rejected``)."""
    comment = _clean_comment(comment, required=True)
    dt_, obj, instance, task = _start_decision(task_id, actor)
    now = timezone.now()
    _claim(task, status=TaskStatus.RETURNED, actor=actor, comment=comment, now=now)
    _skip_open_tasks(instance, now)
    _decided(task, instance, obj, actor, "returned")
    _move(instance, status=InstanceStatus.RETURNED, decided_at=now, decided_by=actor, comment=comment)
    callback = dt_.on_returned or dt_.on_rejected
    if callback is not None:
        if obj is None:
            raise _missing_document()
        callback(obj, actor, comment)
    _record(actor, instance, obj, "status:returned", from_state=InstanceStatus.PENDING,
            to_state=InstanceStatus.RETURNED, comment=comment)
    outbox.emit(events.INSTANCE_RETURNED, aggregate=instance, actor=actor, payload={
        **events.document_payload(instance), "actor_id": getattr(actor, "pk", None), "step": task.step,
        "comment": comment})
    return instance


@retry_on_conflict
@transaction.atomic
def withdraw(*, instance_id: int, actor: Any) -> ApprovalInstance:
    """The requester pulls the document back from approval (``on_withdrawn`` runs)."""
    try:
        seen = ApprovalInstance.objects.get(pk=instance_id)
    except ApprovalInstance.DoesNotExist:
        raise NotFound() from None
    if getattr(actor, "pk", None) != seen.requester_id and not getattr(actor, "is_superuser", False):
        raise PermissionDenied(_("Only the requester can withdraw a document from approval."))
    dt_ = get_document(seen.document_type)
    obj = _load(dt_, seen) if seen.status == InstanceStatus.PENDING else None
    instance = _lock_instance(instance_id)
    if instance.status != InstanceStatus.PENDING:
        raise _not_pending()
    now = timezone.now()
    _move(instance, status=InstanceStatus.WITHDRAWN, decided_at=now, decided_by=actor)
    _skip_open_tasks(instance, now)
    if dt_.on_withdrawn is not None and obj is not None:
        dt_.on_withdrawn(obj, actor)
    _record(actor, instance, obj, "status:withdrawn", from_state=InstanceStatus.PENDING,
            to_state=InstanceStatus.WITHDRAWN)
    outbox.emit(events.INSTANCE_WITHDRAWN, aggregate=instance, actor=actor, payload={
        **events.document_payload(instance), "actor_id": getattr(actor, "pk", None)})
    return instance


@transaction.atomic
def invalidate(*, doc_type: str, obj: Any, actor: Any, reason: str = "") -> ApprovalInstance | None:
    """The document was edited: its open or approved approval is cancelled, so it must be submitted
    again ("editing an approved document sends it back for approval"). Call it from the document's
    edit service, in its transaction, after locking the document. None if there was nothing to cancel."""
    get_document(doc_type)
    latest = (ApprovalInstance.objects.filter(document_type=doc_type, object_id=str(obj.pk))
              .order_by("-id").values_list("pk", flat=True).first())
    if latest is None:
        return None
    instance = _lock_instance(latest)
    previous = instance.status
    if previous not in (InstanceStatus.PENDING, InstanceStatus.APPROVED):
        return None
    now = timezone.now()
    changed = ApprovalInstance.objects.filter(pk=instance.pk, status=previous).update(
        status=InstanceStatus.CANCELLED, decided_at=now, decided_by=actor if getattr(actor, "pk", None) else None,
        comment=reason[:COMMENT_MAX_LENGTH])
    if changed != 1:
        return None
    instance.status, instance.decided_at, instance.comment = InstanceStatus.CANCELLED, now, reason
    _skip_open_tasks(instance, now)
    _record(actor, instance, obj, "status:cancelled", from_state=previous, to_state=InstanceStatus.CANCELLED,
            comment=reason)
    outbox.emit(events.INSTANCE_CANCELLED, aggregate=instance, actor=actor, payload={
        **events.document_payload(instance), "actor_id": getattr(actor, "pk", None), "previous_status": previous,
        "reason": reason})
    return instance


def current_instance(*, doc_type: str, obj: Any) -> ApprovalInstance | None:
    return selectors.current_instance(doc_type=doc_type, obj=obj)


def tasks_for(*, user: Any, status: str | None = TaskStatus.PENDING) -> models.QuerySet[ApprovalTask]:
    return selectors.tasks_for(user=user, status=status)


# Reminders ----------------------------------------------------------------------------------------------
def remind_overdue(*, now: dt.datetime | None = None) -> int:
    """Emit ``approvals.task.reminded`` for each open task that has waited past its step's reminder
    hours, at most once per period (the next reminder is due a period after this one). Safe to run
    from two schedulers at once: each reminder is claimed with a conditional UPDATE."""
    now = now or timezone.now()
    due = list(ApprovalTask.objects.filter(status=TaskStatus.PENDING, instance__status=InstanceStatus.PENDING,
                                           next_reminder_at__lte=now)
               .order_by("next_reminder_at", "pk").values_list("pk", "next_reminder_at")[:REMINDER_BATCH])
    sent = 0
    for task_id, expected in due:
        if expected is not None:
            sent += _remind(task_id, expected, now)
    return sent


@transaction.atomic
def _remind(task_id: int, expected: dt.datetime, now: dt.datetime) -> int:
    task = ApprovalTask.objects.select_related("instance").filter(pk=task_id).first()
    if task is None or not task.reminder_hours:
        return 0
    claimed = ApprovalTask.objects.filter(pk=task_id, status=TaskStatus.PENDING, next_reminder_at=expected).update(
        reminded_at=now, reminder_count=F("reminder_count") + 1,
        next_reminder_at=now + timedelta(hours=task.reminder_hours))
    if not claimed:
        return 0
    outbox.emit(events.TASK_REMINDED, aggregate=task.instance, payload={
        **events.task_payload(task, task.instance), "reminder_count": task.reminder_count + 1,
        "waiting_since": task.created_at.isoformat()})
    return 1


# Delegation ---------------------------------------------------------------------------------------------
DELEGATE_FOR_OTHERS = "approvals.add_delegation"


@transaction.atomic
def set_delegation(*, from_user_id: int, to_user_id: int, starts_on: dt.date, ends_on: dt.date, actor: Any,
                   document_types: Iterable[str] = (), reason: str = "") -> Delegation:
    """While ``from_user`` is away, new tasks (of the listed types; none listed: all) go to
    ``to_user``, who may also decide ``from_user``'s open tasks. Users set their own; holders of
    ``approvals.add_delegation`` (administrators) set anybody's."""
    if getattr(actor, "pk", None) != from_user_id and not (actor is not None and actor.has_perm(DELEGATE_FOR_OTHERS)):
        raise PermissionDenied(_("You can only delegate your own approvals."))
    people = {u.pk: u for u in User.objects.filter(pk__in=[from_user_id, to_user_id])}
    if from_user_id not in people:
        raise _invalid("from_user_id", _("Unknown user."), Code.INVALID_DELEGATION)
    if to_user_id not in people or not people[to_user_id].is_active:
        raise _invalid("to_user_id", _("Choose an active user."), Code.INVALID_DELEGATION)
    if from_user_id == to_user_id:
        raise _invalid("to_user_id", _("Delegate to somebody else."), Code.INVALID_DELEGATION)
    if ends_on < starts_on:
        raise _invalid("ends_on", _("The end cannot be before the start."), Code.INVALID_DELEGATION)
    if ends_on < selectors.today():
        raise _invalid("ends_on", _("The end is in the past."), Code.INVALID_DELEGATION)
    types = sorted(set(document_types))
    unknown = [t for t in types if t not in DOCUMENT_TYPES]
    if unknown:
        raise _invalid("document_types", _("Unknown document types: %(types)s.") % {"types": ", ".join(unknown)},
                       Code.UNKNOWN_DOCUMENT_TYPE)
    reason = str(reason or "").strip()
    if len(reason) > 200:
        raise _invalid("reason", _("Use at most %(n)s characters.") % {"n": 200}, "validation_error")
    overlapping = _for_update(Delegation.objects.filter(
        from_user_id=from_user_id, ended_at__isnull=True, starts_on__lte=ends_on, ends_on__gte=starts_on))
    for other in overlapping:
        if not types or not other.document_types or set(types) & set(other.document_types):
            raise Conflict(_("A delegation for these days already exists (%(start)s – %(end)s); end it first.")
                           % {"start": other.starts_on, "end": other.ends_on}, code=Code.DELEGATION_OVERLAP)
    delegation = Delegation.objects.create(
        from_user_id=from_user_id, to_user_id=to_user_id, starts_on=starts_on, ends_on=ends_on,
        document_types=types, reason=reason, created_by=actor if getattr(actor, "pk", None) else None)
    audit.record(actor=actor, obj=delegation, verb="delegation:set",
                 changes={"to_user_id": to_user_id, "starts_on": str(starts_on), "ends_on": str(ends_on),
                          "document_types": types})
    return delegation


@transaction.atomic
def end_delegation(*, delegation_id: int, actor: Any) -> Delegation:
    """End a delegation now (the delegate keeps the tasks already given to them)."""
    try:
        delegation = _for_update(Delegation.objects.all()).get(pk=delegation_id)
    except Delegation.DoesNotExist:
        raise NotFound() from None
    if getattr(actor, "pk", None) != delegation.from_user_id and not actor.has_perm("approvals.change_delegation"):
        raise PermissionDenied(_("You can only end your own delegations."))
    if delegation.ended_at is None:
        delegation.ended_at = timezone.now()
        delegation.save(update_fields=["ended_at", "updated_at"])
        audit.record(actor=actor, obj=delegation, verb="delegation:ended")
    return delegation
