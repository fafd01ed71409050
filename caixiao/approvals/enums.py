"""Statuses, modes and resolver kinds of the approval engine (docs/approvals.md)."""

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class ResolverKind(models.TextChoices):
    """Who approves a step. Parameters (``ApprovalStep.resolver_params``) per kind:
    user ``{"user_ids": [..]}``, role ``{"role": "finance_director"}``, position ``{"position_id": 3}``,
    department_head ``{}`` (the head of the requester's department, walking up past the requester),
    nth_manager ``{"n": 2}`` (the requester's manager's manager)."""

    USER = "user", _("Specific users")
    ROLE = "role", _("Role")
    POSITION = "position", _("Position")
    DEPARTMENT_HEAD = "department_head", _("Head of the requester's department")
    NTH_MANAGER = "nth_manager", _("N-th manager up")


class ApprovalMode(models.TextChoices):
    ALL = "all", _("All must approve (会签)")
    ANY = "any", _("Any one approves (或签)")
    N_OF_M = "n_of_m", _("N of M approve")


class InstanceStatus(models.TextChoices):
    PENDING = "pending", _("Pending approval")
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", pgettext_lazy("approval", "Rejected")
    RETURNED = "returned", _("Returned for changes")
    WITHDRAWN = "withdrawn", _("Withdrawn")
    CANCELLED = "cancelled", _("Cancelled")


class TaskStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", pgettext_lazy("approval", "Rejected")
    RETURNED = "returned", _("Returned")
    SKIPPED = "skipped", _("Skipped")


# An instance is "open" while it waits for decisions; only one open instance per document.
OPEN_INSTANCE_STATUSES = frozenset({InstanceStatus.PENDING})
# What may follow what (the decisions apply these with conditional UPDATEs, not transitions.apply).
INSTANCE_TRANSITIONS: dict[str, frozenset[str]] = {
    InstanceStatus.PENDING: frozenset({InstanceStatus.APPROVED, InstanceStatus.REJECTED, InstanceStatus.RETURNED,
                                       InstanceStatus.WITHDRAWN, InstanceStatus.CANCELLED}),
    InstanceStatus.APPROVED: frozenset({InstanceStatus.CANCELLED}),  # the document was edited afterwards
    InstanceStatus.REJECTED: frozenset(),
    InstanceStatus.RETURNED: frozenset(),
    InstanceStatus.WITHDRAWN: frozenset(),
    InstanceStatus.CANCELLED: frozenset(),
}
