"""Read-only admin pages of the rule engine: rules change only through the services (each edit a new
version, checked on save), changes are reverted only through ``revert_change`` (docs/rules.md)."""

from django.contrib import admin

from caixiao.core.admin import ReadOnlyAdmin, ReadOnlyInline
from caixiao.rules.models import Rule, RuleChange, RuleRun, RuleVersion


class RuleVersionInline(ReadOnlyInline):
    model = RuleVersion
    fields = ("number", "condition", "actions", "comment", "created_by", "created_at")


@admin.register(Rule)
class RuleAdmin(ReadOnlyAdmin):
    list_display = ("code", "name", "trigger_kind", "trigger", "subject", "enabled", "is_builtin", "failure_count")
    list_filter = ("enabled", "trigger_kind", "subject", "is_builtin")
    search_fields = ("code", "name")
    inlines = [RuleVersionInline]


@admin.register(RuleRun)
class RuleRunAdmin(ReadOnlyAdmin):
    list_display = ("rule", "rule_version", "trigger_ref", "started_at", "evaluated", "matched", "error")
    list_filter = ("trigger_kind",)
    list_select_related = ("rule", "rule_version")


@admin.register(RuleChange)
class RuleChangeAdmin(ReadOnlyAdmin):
    list_display = ("rule", "action_type", "document_type", "object_id", "field", "old_value", "new_value",
                    "created_at", "expires_at", "reverted_at", "revert_reason")
    list_filter = ("action_type", "revert_reason")
    search_fields = ("object_id", "label")
    list_select_related = ("rule",)
