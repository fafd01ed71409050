"""Approval pages (S2; docs/approvals.md "Using approvals"): my approvals (the inbox) with approve /
reject / return in one click and an optional comment (htmx, row by row), the task page with the
document, the flow's steps and the decision history, the approval panel other pages include, flow
administration (a new version on every save) and my delegations.

Thin views: forms parse, the approvals services decide, reads go through the approvals selectors.
Every view checks on the server who may: approval work is for staff (not supplier portal users), a
task is seen by its assignee, their delegates, the requester and flow administrators; flows need
``approvals.change_approvalflow``."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from caixiao.approvals import selectors as approval_selectors
from caixiao.approvals import services as approval_services
from caixiao.approvals.enums import InstanceStatus, TaskStatus
from caixiao.approvals.models import ApprovalInstance, ApprovalTask
from caixiao.approvals.registry import DOCUMENT_TYPES, get_document
from caixiao.core.errors import DomainError
from caixiao.web import display
from caixiao.web.approvals import forms
from caixiao.web.crud import require
from caixiao.web.forms import add_domain_error

PER_PAGE = 30
CHANGE_FLOWS = "approvals.change_approvalflow"
DECISIONS = ("approve", "reject", "return")


def is_staff_user(user: Any) -> bool:
    """Approval work is for the company's people: logged in and not a supplier portal user."""
    return bool(getattr(user, "is_authenticated", False)) and getattr(user, "supplier_id", None) is None


def _require_staff(request: HttpRequest) -> None:
    if not is_staff_user(request.user):
        raise PermissionDenied


def _back(request: HttpRequest, default: str) -> HttpResponse:
    target = request.POST.get("next") or ""
    if target and url_has_allowed_host_and_scheme(target, {request.get_host()}):
        return redirect(target)
    return redirect(default)


def _htmx(request: HttpRequest) -> bool:
    htmx = getattr(request, "htmx", None)
    return htmx is not None and bool(htmx)


# Steps and history of one instance ----------------------------------------------------------------------
@dataclass
class StepView:
    position: int
    name: str
    condition: str
    mode: str
    state: str  # done | current | waiting | skipped | rejected
    tasks: list[ApprovalTask] = field(default_factory=list)

    @property
    def pending(self) -> list[ApprovalTask]:
        return [t for t in self.tasks if t.status == TaskStatus.PENDING]

    @property
    def decided(self) -> list[ApprovalTask]:
        return [t for t in self.tasks if t.status not in (TaskStatus.PENDING, TaskStatus.SKIPPED)]


def instance_steps(instance: ApprovalInstance, tasks: list[ApprovalTask]) -> list[StepView]:
    """The flow as submitted, each step with its state and its tasks (latest activation first shown last)."""
    by_step: dict[int, list[ApprovalTask]] = {}
    for task in tasks:
        by_step.setdefault(task.step, []).append(task)
    steps = []
    # A stage of parallel branches has several current steps (approvals.selectors.instance_steps).
    current = {s["position"] for s in instance.stage()} if instance.status == InstanceStatus.PENDING else set()
    for raw in instance.flow_snapshot or []:
        position = int(raw.get("position", 0))
        mine = by_step.get(position, [])
        matched = raw.get("matched", True)
        if not matched:
            state = "skipped"
        elif any(t.status in (TaskStatus.REJECTED, TaskStatus.RETURNED) for t in mine) and \
                instance.status in (InstanceStatus.REJECTED, InstanceStatus.RETURNED) and \
                position == instance.current_step:
            state = "rejected"
        elif position in current:
            state = "current"
        elif instance.status == InstanceStatus.APPROVED or (mine and position < instance.current_step):
            state = "done"
        else:
            state = "waiting"
        steps.append(StepView(position=position, name=str(raw.get("name", position)),
                              condition=str(raw.get("condition", "")), mode=str(raw.get("mode", "")),
                              state=state, tasks=mine))
    return steps


def may_view_instance(user: Any, instance: ApprovalInstance, tasks: list[ApprovalTask]) -> bool:
    """The people of the approval (requester, approvers, their delegates) and flow administrators. A
    document's own page shows its panel to whoever sees the document."""
    if user.has_perm(CHANGE_FLOWS) or instance.requester_id == user.pk:
        return True
    return any(t.assignee_id == user.pk or t.decided_by_id == user.pk or t.delegated_from_id == user.pk
               or approval_selectors.can_decide(task=t, user=user) for t in tasks)


def is_approver_of(user: Any, *, doc_type: str, object_id: Any) -> bool:
    """Whether ``user`` has (or had) a task in an approval of the document, or decides one for a
    colleague now: such a user may read the document whatever their data scope."""
    tasks = ApprovalTask.objects.filter(instance__document_type=doc_type, instance__object_id=str(object_id))
    if tasks.filter(Q(assignee_id=user.pk) | Q(decided_by_id=user.pk)).exists():
        return True
    return approval_selectors.tasks_for(user=user).filter(instance__document_type=doc_type,
                                                          instance__object_id=str(object_id)).exists()


def approval_panel(*, doc_type: str, obj: Any, user: Any) -> dict[str, Any] | None:
    """The context of ``web/approvals/_panel.html`` for a document page: its latest approval, the steps
    with who decided what and who is still to decide, and the user's own pending task if any."""
    instance = approval_selectors.current_instance(doc_type=doc_type, obj=obj)
    if instance is None:
        return None
    tasks = list(approval_selectors.instance_tasks(instance))
    mine = next((t for t in tasks if t.status == TaskStatus.PENDING and instance.is_open
                 and approval_selectors.can_decide(task=t, user=user)), None)
    can_withdraw = instance.is_open and instance.requester_id == user.pk
    return {"instance": instance, "steps": instance_steps(instance, tasks), "my_task": mine,
            "history": [t for t in tasks if t.decided_at is not None],
            "withdraw_url": reverse("web:approval-withdraw", args=[instance.pk]) if can_withdraw else ""}


# My approvals -------------------------------------------------------------------------------------------
@login_required
def inbox(request: HttpRequest) -> HttpResponse:
    _require_staff(request)
    show = request.GET.get("show") or "pending"
    if show == "decided":
        rows = (approval_selectors.tasks_for(user=request.user, status=None)
                .exclude(status__in=[TaskStatus.PENDING, TaskStatus.SKIPPED]).order_by("-decided_at", "-id"))
    else:
        show = "pending"
        rows = approval_selectors.tasks_for(user=request.user, status=TaskStatus.PENDING)
    page = Paginator(rows, PER_PAGE).get_page(request.GET.get("page"))
    return render(request, "web/approvals/inbox.html", {
        "page": page, "show": show,
        "pending_count": approval_selectors.tasks_for(user=request.user, status=TaskStatus.PENDING).count()})


def _task(request: HttpRequest, pk: int) -> tuple[ApprovalTask, list[ApprovalTask]]:
    try:
        task = approval_selectors.get_task(task_id=pk)
    except ApprovalTask.DoesNotExist:
        raise Http404 from None
    tasks = list(approval_selectors.instance_tasks(task.instance))
    if not may_view_instance(request.user, task.instance, tasks):
        raise Http404
    return task, tasks


def _step_choices(task: ApprovalTask) -> list[tuple[int, str]]:
    """Earlier steps of the flow a rejection may go back to (those that applied to the document)."""
    return [(int(s["position"]), str(s.get("name", s["position"]))) for s in task.instance.flow_snapshot or []
            if int(s.get("position", 0)) < task.step and s.get("matched", True)]


def _task_page(request: HttpRequest, task: ApprovalTask, tasks: list[ApprovalTask],
               form: forms.DecisionForm | None = None, status: int = 200) -> HttpResponse:
    instance = task.instance
    can_decide = (task.status == TaskStatus.PENDING and instance.is_open
                  and approval_selectors.can_decide(task=task, user=request.user))
    return render(request, "web/approvals/task.html", {
        "task": task, "instance": instance, "steps": instance_steps(instance, tasks),
        "history": [t for t in tasks if t.decided_at is not None], "can_decide": can_decide,
        "form": form or forms.DecisionForm(steps=_step_choices(task)),
        "document_label": _document_label(instance.document_type),
        "context_rows": _context_rows(instance),
        "withdraw_url": reverse("web:approval-withdraw", args=[instance.pk])
        if instance.is_open and instance.requester_id == request.user.pk else ""}, status=status)


def _document_label(key: str) -> str:
    dt = DOCUMENT_TYPES.get(key)
    return str(dt.label) if dt is not None else key


def _context_rows(instance: ApprovalInstance) -> list[tuple[str, Any]]:
    """The facts the conditions saw on submission, labelled from the type's schema."""
    dt = DOCUMENT_TYPES.get(instance.document_type)
    data = instance.context or {}
    if dt is None or not isinstance(data, dict):
        return []
    rows = []
    for path, var in dt.schema.leaves():
        value: Any = data
        for part in path.split("."):
            value = value.get(part) if isinstance(value, dict) else None
        if value is not None:
            rows.append((str(var.label or path), display.money(value) if var.type == "number" else value))
    return rows


@login_required
def task_detail(request: HttpRequest, pk: int) -> HttpResponse:
    _require_staff(request)
    task, tasks = _task(request, pk)
    return _task_page(request, task, tasks)


@login_required
@require_POST
def decide(request: HttpRequest, pk: int, decision: str) -> HttpResponse:
    """Approve, reject (to the requester or an earlier step) or return for changes. From the inbox
    and the to-do list with htmx: the row is swapped for its outcome; otherwise back to the page."""
    _require_staff(request)
    if decision not in DECISIONS:
        raise Http404
    task, tasks = _task(request, pk)
    form = forms.DecisionForm(request.POST, steps=_step_choices(task))
    error = ""
    if form.is_valid():
        comment = form.cleaned_data["comment"]
        try:
            if decision == "approve":
                approval_services.approve(task_id=task.pk, actor=request.user, comment=comment)
            elif decision == "reject":
                approval_services.reject(task_id=task.pk, actor=request.user, comment=comment,
                                         to_step=form.cleaned_data.get("to_step"))
            else:
                approval_services.return_for_changes(task_id=task.pk, actor=request.user, comment=comment)
        except DomainError as err:
            add_domain_error(form, err, aliases={"task_id": "comment"})
            error = " ".join([str(err.message), *[str(m) for ms in err.fields.values() for m in ms]])
    else:
        error = " ".join(str(m) for ms in form.errors.values() for m in ms)
    done = {"approve": _("Approved %(document)s."), "reject": _("Rejected %(document)s."),
            "return": _("Returned %(document)s for changes.")}[decision] % {"document": task.instance.description}
    if _htmx(request):
        task = approval_selectors.get_task(task_id=task.pk)
        # 200 either way: htmx swaps only successful responses, and the row shows the error.
        return render(request, "web/approvals/_decision_result.html", {
            "task": task, "error": error, "done": "" if error else done,
            "row": request.POST.get("row") or "inbox"})
    if error:
        if form.errors:
            return _task_page(request, task, tasks, form=form, status=422)
        messages.error(request, error)
    else:
        messages.success(request, done)
    return _back(request, reverse("web:approval-task", args=[task.pk]))


@login_required
@require_POST
def withdraw(request: HttpRequest, pk: int) -> HttpResponse:
    _require_staff(request)
    try:
        instance = approval_services.withdraw(instance_id=pk, actor=request.user)
    except DomainError as err:
        messages.error(request, str(err.message))
        return _back(request, reverse("web:approvals"))
    messages.success(request, _("Withdrew %(document)s from approval.") % {"document": instance.description})
    return _back(request, instance.url or reverse("web:approvals"))


# Flows --------------------------------------------------------------------------------------------------
@login_required
def flow_list(request: HttpRequest) -> HttpResponse:
    require(request, CHANGE_FLOWS)
    types = []
    for key, dt in sorted(DOCUMENT_TYPES.items()):
        versions = list(approval_selectors.list_flows(document_type=key))
        active = next((f for f in versions if f.is_active), None)
        types.append({"key": key, "label": dt.label, "active": active,
                      "steps": list(active.steps.order_by("position")) if active else [],
                      "versions": versions, "placeholder": dt.placeholder})
    return render(request, "web/approvals/flows.html", {"types": types})


@login_required
def flow_edit(request: HttpRequest, document_type: str) -> HttpResponse:
    """Edit a document type's flow: the ordered steps as rows (add, remove, reorder); saving writes a
    new version, errors come back on their row (a CEL error with its line and column under the
    condition)."""
    require(request, CHANGE_FLOWS)
    try:
        dt = get_document(document_type)
    except DomainError:
        raise Http404 from None
    active = approval_selectors.active_flow(document_type=document_type)
    steps = list(active.steps.order_by("position")) if active else [s.as_data() | {"position": i}
                                                                    for i, s in enumerate(dt.default_flow, 1)]
    initial_steps = [forms.step_initial(s) for s in steps]
    flow_initial = {"name": active.name if active else str(dt.default_flow_name or dt.label),
                    "description": active.description if active else ""}
    if request.method == "POST":
        flow_form = forms.FlowForm(request.POST, initial=flow_initial)
        formset = forms.step_formset(request.POST, initial=initial_steps)
        if "add_step" in request.POST:
            formset = _with_extra_row(request, formset)
        elif flow_form.is_valid() and formset.is_valid():
            try:
                values = {"name": flow_form.cleaned_data["name"], "steps": formset.specs(),
                          "description": flow_form.cleaned_data["description"], "actor": request.user}
                if active is not None:
                    flow = approval_services.update_flow(flow_id=active.pk, **values)
                else:
                    flow = approval_services.create_flow(document_type=document_type, **values)
            except DomainError as err:
                formset.add_service_error(err, flow_form)
            else:
                messages.success(request, _("Saved version %(version)s of “%(name)s”.") % {
                    "version": flow.version, "name": flow.name})
                return redirect("web:approval-flows")
    else:
        flow_form = forms.FlowForm(initial=flow_initial)
        formset = forms.step_formset(initial=initial_steps)
    latest = max((f.version for f in approval_selectors.list_flows(document_type=document_type)), default=0)
    return render(request, "web/approvals/flow_form.html", {
        "document_type": document_type, "label": dt.label, "active": active, "next_version": latest + 1,
        "flow_form": flow_form,
        "formset": formset, "fields": [(path, var) for path, var in dt.schema.leaves()]})


def _with_extra_row(request: HttpRequest, formset: forms.StepFormSet) -> forms.StepFormSet:
    """The same rows as posted, plus an empty one (the "add a step" button works without JavaScript)."""
    data = request.POST.copy()
    data["steps-TOTAL_FORMS"] = str(int(data.get("steps-TOTAL_FORMS") or 0) + 1)
    return forms.step_formset(data, initial=formset.initial)


# Delegations --------------------------------------------------------------------------------------------
@login_required
def delegations(request: HttpRequest) -> HttpResponse:
    """While I am away, someone else approves for me (between two dates, for some or all types)."""
    _require_staff(request)
    form = forms.DelegationForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            approval_services.set_delegation(
                from_user_id=int(request.user.pk or 0), to_user_id=data["to_user"].pk, starts_on=data["starts_on"],
                ends_on=data["ends_on"], document_types=data["document_types"], reason=data["reason"],
                actor=request.user)
        except DomainError as err:
            add_domain_error(form, err, aliases={"to_user_id": "to_user"})
        else:
            messages.success(request, _("%(user)s approves for you from %(start)s until %(end)s.") % {
                "user": data["to_user"], "start": data["starts_on"], "end": data["ends_on"]})
            return redirect("web:approval-delegations")
    rows = approval_selectors.list_delegations(user=request.user)
    return render(request, "web/approvals/delegations.html", {
        "form": form, "given": [d for d in rows if d.from_user_id == request.user.pk],
        "received": [d for d in rows if d.to_user_id == request.user.pk],
        "labels": {key: str(dt.label) for key, dt in DOCUMENT_TYPES.items()}})


@login_required
@require_POST
def end_delegation(request: HttpRequest, pk: int) -> HttpResponse:
    _require_staff(request)
    try:
        approval_services.end_delegation(delegation_id=pk, actor=request.user)
    except DomainError as err:
        messages.error(request, str(err.message))
    else:
        messages.success(request, _("Ended the delegation."))
    return redirect("web:approval-delegations")
