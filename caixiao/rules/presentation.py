"""What the rules API and pages show (issue 5 items 4, 5): subjects with their fields, operators and
triggers, action types with their parameters, a version's condition as rows, and the list reads.

Read-only; the engine's services write. Shared by ``caixiao.api.v1.rules`` and ``caixiao.web.rules``
so both describe the same thing the same way."""

from __future__ import annotations

import fnmatch
from typing import Any

from django.db.models import Max, OuterRef, Q, QuerySet, Subquery
from django.utils.translation import gettext

from caixiao.core.errors import ValidationFailed
from caixiao.core.events import EVENT_TYPES
from caixiao.rules import builder, selectors
from caixiao.rules.actions import ACTIONS, Action, Param
from caixiao.rules.enums import Schedule, TriggerKind
from caixiao.rules.models import Rule, RuleRun, RuleVersion
from caixiao.rules.subjects import HOOKS, SUBJECTS, Subject


# Subjects ---------------------------------------------------------------------------------------------
def get_subject(name: str, *, field: str = "subject") -> Subject:
    subject = SUBJECTS.get(name)
    if subject is None:
        raise ValidationFailed(code="unknown_subject", fields={field: [
            gettext("Choose one of: %(choices)s.") % {"choices": ", ".join(SUBJECTS)}]})
    return subject


def event_types_for(subject: Subject) -> list[str]:
    """The catalogued event types a subject's event patterns cover, sorted."""
    return sorted(name for name in EVENT_TYPES if any(fnmatch.fnmatchcase(name, p) for p in subject.events))


def trigger_options(subject: Subject) -> dict[str, list[dict[str, str]]]:
    """Per trigger kind, what a rule of this subject may trigger on, with labels."""
    events = [{"value": name, "label": f"{name} — {EVENT_TYPES[name].description}"}
              for name in event_types_for(subject)]
    events += [{"value": p, "label": gettext("%(pattern)s (any of these events)") % {"pattern": p}}
               for p in subject.events if any(ch in p for ch in "*?[")]
    schedules = [{"value": s, "label": str(Schedule(s).label) if s in Schedule.values else s}
                 for s in subject.schedules]
    hooks = [{"value": h, "label": str(HOOKS[h].label) if h in HOOKS else h} for h in subject.hooks]
    return {TriggerKind.EVENT: events, TriggerKind.SCHEDULE: schedules, TriggerKind.HOOK: hooks}


def describe_subject(subject: Subject) -> dict[str, Any]:
    return {"name": subject.name, "label": str(subject.label), "description": str(subject.description),
            "triggers": trigger_options(subject), **builder.describe_schema(subject.schema)}


def describe_subjects() -> list[dict[str, Any]]:
    return [describe_subject(s) for s in SUBJECTS.values()]


# Actions ----------------------------------------------------------------------------------------------
def describe_param(name: str, param: Param) -> dict[str, Any]:
    return {"name": name, "type": param.type, "label": str(param.label), "required": param.required,
            "choices": [{"value": v, "label": str(lbl)} for v, lbl in param.choices],
            "default": param.default, "min": None if param.min is None else f"{param.min:f}",
            "max": None if param.max is None else f"{param.max:f}", "help": str(param.help)}


def describe_action(action: Action) -> dict[str, Any]:
    return {"type": action.type, "label": str(action.label), "description": str(action.description),
            "trigger_kinds": sorted(action.trigger_kinds),
            "subjects": None if action.subjects is None else sorted(action.subjects),
            "revertible": action.revert is not None,
            "params": [describe_param(name, p) for name, p in action.params.items()]}


def actions_for(subject: str | None = None, trigger_kind: str | None = None) -> list[Action]:
    return [a for a in ACTIONS.values()
            if (subject is None or a.subjects is None or subject in a.subjects)
            and (trigger_kind is None or trigger_kind in a.trigger_kinds)]


def describe_actions() -> list[dict[str, Any]]:
    return [describe_action(a) for a in ACTIONS.values()]


def describe_action_list(actions: list[dict[str, Any]]) -> list[str]:
    """Each configured action as one readable line: "通知: roles=purchasing_manager"."""
    lines = []
    for entry in actions or []:
        action = ACTIONS.get(entry.get("type", ""))
        label = str(action.label) if action else entry.get("type", "?")
        params = entry.get("params") or {}
        parts = []
        for name, value in params.items():
            param = action.params.get(name) if action else None
            shown = ", ".join(map(str, value)) if isinstance(value, list) else str(value)
            parts.append(f"{param.label if param else name}: {shown}")
        lines.append(f"{label} — {'; '.join(parts)}" if parts else label)
    return lines


# Conditions -------------------------------------------------------------------------------------------
def stored_rows(version: RuleVersion | None) -> tuple[str, list[dict[str, Any]]]:
    """``(join, rows)`` of a version's form-builder rows; ``("all", [])`` when the CEL was typed."""
    if version is None:
        return "all", []
    data = version.condition_rows
    if isinstance(data, dict):
        rows = data.get("rows") or []
        join = str(data.get("join")) if data.get("join") in builder.JOINS else "all"
        return join, rows if isinstance(rows, list) else []
    if isinstance(data, list):  # rows stored as a bare list: the join is read back from the CEL
        subject = SUBJECTS.get(version.rule.subject)
        parsed = builder.cel_to_rows(subject.schema, version.condition) if subject else None
        return (parsed[0] if parsed else "all"), data
    return "all", []


def pack_rows(join: str, rows: list[dict[str, Any]]) -> dict[str, Any]:
    """What ``RuleVersion.condition_rows`` stores for rows built in the form."""
    return {"join": join, "rows": rows} if rows else {}


def describe_condition(version: RuleVersion | None) -> str:
    if version is None:
        return ""
    join, rows = stored_rows(version)
    subject = SUBJECTS.get(version.rule.subject)
    if rows and subject is not None:
        return builder.describe_rows(subject.schema, rows, join=join)
    return version.condition


# Reads (the engine's selectors, with what the list pages add) -----------------------------------------
def list_rules(*, trigger_kind: str | None = None, enabled: bool | None = None, builtin: bool | None = None,
               subject: str | None = None, q: str | None = None) -> QuerySet[Rule]:
    """``selectors.list_rules`` plus the built-in filter, a search, and each rule's last run."""
    last_run = RuleRun.objects.filter(rule=OuterRef("pk")).order_by("-started_at", "-id")
    qs = selectors.list_rules(enabled=enabled, trigger_kind=trigger_kind, subject=subject).select_related(
        "current_version__rule", "current_version__created_by").annotate(
        last_run_at=Max("runs__started_at"), last_run_error=Subquery(last_run.values("error")[:1]))
    if builtin is not None:
        qs = qs.filter(is_builtin=builtin)
    if q:
        term = q.strip()[:100]
        qs = qs.filter(Q(code__icontains=term) | Q(name__icontains=term) | Q(description__icontains=term))
    return qs


def list_versions(*, rule_id: int) -> QuerySet[RuleVersion]:
    return selectors.list_versions(rule_id=rule_id).select_related("rule")


list_changes = selectors.list_changes


def list_runs(*, rule_id: int | None = None, failed: bool | None = None) -> QuerySet[RuleRun]:
    qs = selectors.list_runs(rule_id=rule_id)
    if failed is True:
        qs = qs.exclude(error="")
    elif failed is False:
        qs = qs.filter(error="")
    return qs
