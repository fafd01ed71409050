"""Events of the approval engine (catalog in docs/events.md; consumers turn them into to-dos and
notifications). Emitted by ``services`` through ``core.outbox.emit`` in the decision's transaction.
Ids are integers; ``object_id`` is the document's id as a string; ``step`` is the step position."""

from __future__ import annotations

from typing import Any

from caixiao.core.events import define

PAYLOAD_VERSION = 1

_DOC = {"instance_id": "approval instance id", "document_type": "registered type, e.g. sales.order",
        "object_id": "document id (string)", "description": "the document as the type describes it",
        "url": "web URL of the document (may be empty)", "requester_id": "user who submitted it"}
_TASK = {"task_id": "approval task id", **_DOC, "assignee_id": "user who decides", "step": "step position (1…)",
         "step_name": "step name"}

TASK_CREATED = define(
    "approvals.task.created", description="An approver got a task (a step was activated).",
    payload={**_TASK, "delegated_from_id": "user the task was delegated from, or null",
             "due_at": "when a reminder is due (ISO), or null"})
TASK_DECIDED = define(
    "approvals.task.decided", description="An approver decided a task (approved, rejected or returned).",
    payload={**_TASK, "decision": "approved | rejected | returned", "decided_by_id": "user who clicked (a delegate "
             "deciding for the assignee)", "comment": "text"})
TASK_REMINDED = define(
    "approvals.task.reminded", description="A task has waited longer than its step's reminder hours (once per "
    "period).", payload={**_TASK, "reminder_count": "reminders so far, this one included",
                         "waiting_since": "when the task was created (ISO)"})
INSTANCE_SUBMITTED = define(
    "approvals.instance.submitted", description="A document was submitted for approval.",
    payload={**_DOC, "flow_version": "flow version snapshotted", "steps": "positions of the matching steps"})
INSTANCE_APPROVED = define(
    "approvals.instance.approved", description="The final approval: the document's on_approved ran.",
    payload={**_DOC, "actor_id": "user who gave the final approval", "comment": "text"})
INSTANCE_REJECTED = define(
    "approvals.instance.rejected", description="Rejected back to the requester.",
    payload={**_DOC, "actor_id": "user who rejected", "step": "step rejected at", "comment": "text"})
INSTANCE_SENT_BACK = define(
    "approvals.instance.sent_back", description="Rejected back to an earlier step, whose tasks were re-created.",
    payload={**_DOC, "actor_id": "user who rejected", "from_step": "step rejected at", "to_step": "step re-opened",
             "comment": "text"})
INSTANCE_RETURNED = define(
    "approvals.instance.returned", description="Returned to the requester for changes (退回); they resubmit.",
    payload={**_DOC, "actor_id": "user who returned it", "step": "step returned at", "comment": "text"})
INSTANCE_WITHDRAWN = define(
    "approvals.instance.withdrawn", description="The requester withdrew the document from approval.",
    payload={**_DOC, "actor_id": "user who withdrew it"})
INSTANCE_CANCELLED = define(
    "approvals.instance.cancelled", description="An open or approved approval was cancelled because the document "
    "was edited; it must be submitted again.",
    payload={**_DOC, "actor_id": "user who edited the document", "previous_status": "pending | approved",
             "reason": "text"})


def document_payload(instance: Any) -> dict[str, Any]:
    return {"version": PAYLOAD_VERSION, "instance_id": instance.pk, "document_type": instance.document_type,
            "object_id": instance.object_id, "description": instance.description, "url": instance.url,
            "requester_id": instance.requester_id}


def task_payload(task: Any, instance: Any) -> dict[str, Any]:
    return {**document_payload(instance), "task_id": task.pk, "assignee_id": task.assignee_id, "step": task.step,
            "step_name": task.step_name}
