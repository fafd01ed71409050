"""Error codes of the approval engine (STYLE.md B9). Services raise ``core.errors`` subclasses with
these codes; the API maps them to ``{"code", "message", "fields"}``."""

from enum import StrEnum


class ApprovalErrorCode(StrEnum):
    NO_STEPS = "no_steps"                      # 422: a flow without steps
    NO_APPROVER = "no_approver"                # 422: a step that resolves (or can resolve) to nobody
    INVALID_REQUIRED_COUNT = "invalid_required_count"  # 422: n_of_m outside 1..approvers
    INVALID_STEP = "invalid_step"              # 422: malformed step data, or reject to a step that is not earlier
    COMMENT_REQUIRED = "comment_required"      # 422: reject / return without a comment
    UNKNOWN_DOCUMENT_TYPE = "unknown_document_type"  # 422
    APPROVAL_PENDING = "approval_pending"      # 409: the document already waits for approval
    FLOW_EXISTS = "flow_exists"                # 409: create while an active flow exists (update it instead)
    TASK_DECIDED = "task_decided"              # 409: the task was decided already (or skipped)
    NOT_PENDING = "not_pending"                # 409: the approval is no longer open
    DELEGATION_OVERLAP = "delegation_overlap"  # 409: a delegation for the same days and types exists
    INVALID_DELEGATION = "invalid_delegation"  # 422: to self, dates out of order, unknown user
