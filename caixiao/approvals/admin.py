"""Read-only admin pages of the approval engine: flows change only through the services (each edit
a new version), decisions only through the tasks (docs/approvals.md)."""

from django.contrib import admin

from caixiao.approvals.models import ApprovalFlow, ApprovalInstance, ApprovalStep, ApprovalTask, Delegation


class ReadOnly:
    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ApprovalStepInline(ReadOnly, admin.TabularInline):
    model = ApprovalStep
    extra = 0
    fields = ("position", "name", "condition", "resolver", "resolver_params", "mode", "required_count",
              "reminder_hours")


@admin.register(ApprovalFlow)
class ApprovalFlowAdmin(ReadOnly, admin.ModelAdmin):
    list_display = ("document_type", "name", "version", "is_active", "created_at")
    list_filter = ("document_type", "is_active")
    inlines = [ApprovalStepInline]


class ApprovalTaskInline(ReadOnly, admin.TabularInline):
    model = ApprovalTask
    extra = 0
    fields = ("step", "step_name", "activation", "assignee", "delegated_from", "status", "decided_by", "decided_at",
              "comment")


@admin.register(ApprovalInstance)
class ApprovalInstanceAdmin(ReadOnly, admin.ModelAdmin):
    list_display = ("document_type", "object_id", "description", "status", "current_step", "requester",
                    "submitted_at", "decided_at")
    list_filter = ("status", "document_type")
    search_fields = ("object_id", "description")
    list_select_related = ("requester",)
    inlines = [ApprovalTaskInline]


@admin.register(Delegation)
class DelegationAdmin(ReadOnly, admin.ModelAdmin):
    list_display = ("from_user", "to_user", "starts_on", "ends_on", "ended_at", "reason")
    list_select_related = ("from_user", "to_user")
