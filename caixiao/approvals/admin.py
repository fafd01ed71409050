"""Read-only admin pages of the approval engine: flows change only through the services (each edit
a new version), decisions only through the tasks (docs/approvals.md)."""

from django.contrib import admin

from caixiao.approvals.models import ApprovalFlow, ApprovalInstance, ApprovalStep, ApprovalTask, Delegation
from caixiao.core.admin import ReadOnlyAdmin, ReadOnlyInline


class ApprovalStepInline(ReadOnlyInline):
    model = ApprovalStep
    fields = ("position", "name", "condition", "resolver", "resolver_params", "mode", "required_count",
              "reminder_hours")


@admin.register(ApprovalFlow)
class ApprovalFlowAdmin(ReadOnlyAdmin):
    list_display = ("document_type", "name", "version", "is_active", "created_at")
    list_filter = ("document_type", "is_active")
    inlines = [ApprovalStepInline]


class ApprovalTaskInline(ReadOnlyInline):
    model = ApprovalTask
    fields = ("step", "step_name", "activation", "assignee", "delegated_from", "status", "decided_by", "decided_at",
              "comment")


@admin.register(ApprovalInstance)
class ApprovalInstanceAdmin(ReadOnlyAdmin):
    list_display = ("document_type", "object_id", "description", "status", "current_step", "requester",
                    "submitted_at", "decided_at")
    list_filter = ("status", "document_type")
    search_fields = ("object_id", "description")
    list_select_related = ("requester",)
    inlines = [ApprovalTaskInline]


@admin.register(Delegation)
class DelegationAdmin(ReadOnlyAdmin):
    list_display = ("from_user", "to_user", "starts_on", "ends_on", "ended_at", "reason")
    list_select_related = ("from_user", "to_user")
