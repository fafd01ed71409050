"""Reads of the rule engine: rules, versions, runs and the change log (for the API and the pages)."""

from __future__ import annotations

from django.db.models import QuerySet

from caixiao.core.errors import NotFound
from caixiao.rules.models import Rule, RuleChange, RuleRun, RuleVersion


def list_rules(*, enabled: bool | None = None, trigger_kind: str | None = None, subject: str | None = None
               ) -> QuerySet[Rule]:
    rules = Rule.objects.select_related("current_version", "created_by")
    if enabled is not None:
        rules = rules.filter(enabled=enabled)
    if trigger_kind:
        rules = rules.filter(trigger_kind=trigger_kind)
    if subject:
        rules = rules.filter(subject=subject)
    return rules.order_by("code")


def get_rule(*, rule_id: int) -> Rule:
    rule = list_rules().filter(pk=rule_id).first()
    if rule is None:
        raise NotFound()
    return rule


def list_versions(*, rule_id: int) -> QuerySet[RuleVersion]:
    return RuleVersion.objects.filter(rule_id=rule_id).select_related("created_by").order_by("-number")


def list_runs(*, rule_id: int | None = None) -> QuerySet[RuleRun]:
    runs = RuleRun.objects.select_related("rule", "rule_version")
    if rule_id is not None:
        runs = runs.filter(rule_id=rule_id)
    return runs.order_by("-started_at", "-id")


def list_changes(*, rule_id: int | None = None, run_id: int | None = None, document_type: str | None = None,
                 object_id: str | None = None, reverted: bool | None = None) -> QuerySet[RuleChange]:
    changes = RuleChange.objects.select_related("rule", "rule_version", "reverted_by")
    if rule_id is not None:
        changes = changes.filter(rule_id=rule_id)
    if run_id is not None:
        changes = changes.filter(run_id=run_id)
    if document_type:
        changes = changes.filter(document_type=document_type)
    if object_id:
        changes = changes.filter(object_id=str(object_id))
    if reverted is not None:
        changes = changes.filter(reverted_at__isnull=not reverted)
    return changes.order_by("-created_at", "-id")
