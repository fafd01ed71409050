"""Rules API (issue 5 items 2–5; X4, X7, P4): rules with their immutable versions, enable/disable,
dry-runs against history (saved rules and unsaved drafts), the subjects and action types a rule may
use, the runs and the change log with its revert actions.

A condition is sent either as CEL (``condition``) or as form-builder rows (``condition_rows`` with
``join``), never both; rows are turned into CEL by ``rules.builder`` and then checked by the engine
like typed CEL. An invalid expression is a 422 ``invalid_expression`` whose ``details`` carry the
``line`` and ``column``; bad rows are a 422 ``invalid_condition`` naming each row
(``condition_rows.2.value``). Writes go through ``rules.services``; reads through
``rules.presentation``."""


from datetime import date, datetime, time, timedelta
from typing import Any, Literal

from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema
from ninja.pagination import paginate
from ninja.responses import Status
from pydantic import ConfigDict

from caixiao.api.crud import Id
from caixiao.api.errors import COMMON_ERRORS, ErrorOut
from caixiao.api.idempotency import idempotent
from caixiao.api.pagination import PageNumber
from caixiao.api.permissions import authorize
from caixiao.core.errors import ValidationFailed
from caixiao.rules import builder, presentation, services
from caixiao.rules.enums import TriggerKind
from caixiao.rules.models import Rule, RuleChange, RuleRun, RuleVersion

router = Router(tags=["rules"])

VIEW, ADD, CHANGE, DELETE = "rules.view_rule", "rules.add_rule", "rules.change_rule", "rules.delete_rule"
VIEW_CHANGES, REVERT = "rules.view_rulechange", "rules.change_rulechange"
VIEW_RUNS = "rules.view_rulerun"


class RuleErrorOut(ErrorOut):
    details: dict[str, Any] | None = Field(
        None, description="invalid_expression: {line, column, source} of the first problem (1-based)")


ERRORS = {**COMMON_ERRORS, 422: RuleErrorOut}
WRITE = {**ERRORS, 404: ErrorOut, 409: ErrorOut}


# Schemas ---------------------------------------------------------------------------------------------------
class ConditionRowIn(Schema):
    model_config = ConfigDict(extra="forbid")

    field: str = Field(..., max_length=100, description="a field path of the subject, e.g. product.available")
    op: str = Field(..., max_length=20, description="eq ne lt le gt ge | contains startswith in | is_true is_false")
    value: Any = Field(None, description="a number as a string, text, a choice, a date (YYYY-MM-DD); "
                                         "a list for op 'in'")
    value_field: str | None = Field(None, max_length=100, description="compare with another field instead")
    function: str | None = Field(None, max_length=64, description="list fields: the function applied, e.g. size")
    args: list[Any] | None = Field(None, max_length=10, description="the function's arguments after the list")


class ActionIn(Schema):
    model_config = ConfigDict(extra="forbid")

    type: str = Field(..., max_length=64, description="an action type from GET /rules/actions")
    params: dict[str, Any] = Field(default_factory=dict)


class RuleIn(Schema):
    model_config = ConfigDict(extra="forbid")

    code: str = Field(..., max_length=64, description="unique, letters, digits, - and _")
    name: str = Field(..., max_length=200)
    description: str = Field("", max_length=4000)
    trigger_kind: TriggerKind
    trigger: str = Field(..., max_length=100, description="event type, schedule (hourly/daily/weekly) or hook name")
    subject: str = Field(..., max_length=64, description="a subject name from GET /rules/subjects")
    condition: str | None = Field(None, max_length=10000, description="CEL; or send condition_rows")
    condition_rows: list[ConditionRowIn] | None = Field(None, max_length=builder.MAX_ROWS)
    join: Literal["all", "any"] = Field("all", description="condition_rows: all (and) or any (or)")
    actions: list[ActionIn] = Field(..., min_length=1, max_length=20)
    comment: str = Field("", max_length=300, description="what this version changes")


class RulePut(Schema):
    """The whole rule; saving makes a new version (the code never changes)."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(..., max_length=200)
    description: str = Field("", max_length=4000)
    trigger_kind: TriggerKind
    trigger: str = Field(..., max_length=100)
    subject: str = Field(..., max_length=64)
    condition: str | None = Field(None, max_length=10000)
    condition_rows: list[ConditionRowIn] | None = Field(None, max_length=builder.MAX_ROWS)
    join: Literal["all", "any"] = "all"
    actions: list[ActionIn] = Field(..., min_length=1, max_length=20)
    comment: str = Field("", max_length=300)


class RulePatch(Schema):
    """Fields left out keep their current value; a changed condition or actions makes a new version."""

    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(None, max_length=200)
    description: str | None = Field(None, max_length=4000)
    trigger_kind: TriggerKind | None = None
    trigger: str | None = Field(None, max_length=100)
    subject: str | None = Field(None, max_length=64)
    condition: str | None = Field(None, max_length=10000)
    condition_rows: list[ConditionRowIn] | None = Field(None, max_length=builder.MAX_ROWS)
    join: Literal["all", "any"] | None = None
    actions: list[ActionIn] | None = Field(None, min_length=1, max_length=20)
    comment: str | None = Field(None, max_length=300)


class VersionOut(Schema):
    id: int
    number: int
    condition: str
    condition_rows: list[dict[str, Any]] = Field(..., description="form-builder rows; empty when CEL was typed")
    join: str
    condition_text: str = Field(..., description="the condition in words (rows) or the CEL")
    actions: list[dict[str, Any]]
    comment: str
    created_by: str | None
    created_at: datetime

    @staticmethod
    def resolve_condition_rows(obj: RuleVersion) -> list[dict[str, Any]]:
        return presentation.stored_rows(obj)[1]

    @staticmethod
    def resolve_join(obj: RuleVersion) -> str:
        return presentation.stored_rows(obj)[0]

    @staticmethod
    def resolve_condition_text(obj: RuleVersion) -> str:
        return presentation.describe_condition(obj)

    @staticmethod
    def resolve_created_by(obj: RuleVersion) -> str | None:
        return obj.created_by.get_username() if obj.created_by else None


class RuleOut(Schema):
    id: int
    code: str
    name: str
    description: str
    trigger_kind: TriggerKind
    trigger: str
    subject: str
    is_builtin: bool
    enabled: bool
    disabled_reason: str
    failure_count: int
    current_version: VersionOut | None
    last_run_at: datetime | None = None
    created_at: datetime
    updated_at: datetime

    @staticmethod
    def resolve_last_run_at(obj: Rule) -> datetime | None:
        return getattr(obj, "last_run_at", None)


class RuleDetailOut(RuleOut):
    versions: list[VersionOut]

    @staticmethod
    def resolve_versions(obj: Rule) -> list[RuleVersion]:
        return list(presentation.list_versions(rule_id=obj.pk))


class RuleFilters(Schema):
    trigger_kind: TriggerKind | None = None
    enabled: bool | None = None
    builtin: bool | None = None
    subject: str | None = Field(None, max_length=64)
    q: str | None = Field(None, max_length=100, description="search in code, name, description")


class DisableIn(Schema):
    reason: str = Field("", max_length=500)


class DryRunIn(Schema):
    model_config = ConfigDict(extra="forbid")

    start: date
    end: date


class DraftDryRunIn(RuleIn):
    code: str = Field("draft", max_length=64)
    start: date
    end: date


class TargetOut(Schema):
    document_type: str
    object_id: str
    label: str
    scope: str = ""


class DryRunMatchOut(Schema):
    as_of: datetime
    target: TargetOut
    description: str
    would_change: list[str]


class DryRunOut(Schema):
    evaluated: int
    matched_count: int
    matched: list[DryRunMatchOut] = Field(..., description="the first 500 matches")
    truncated: bool = Field(False, description="more matched than are listed")
    errors: list[str] = Field(default_factory=list, description="targets the condition failed on (first 20)")
    source: str = Field("", description="what was replayed: history (snapshots) or events (the outbox)")


class ParamOut(Schema):
    name: str
    type: str
    label: str
    required: bool
    choices: list[dict[str, Any]]
    default: Any = None
    min: str | None = None
    max: str | None = None
    help: str = ""


class ActionTypeOut(Schema):
    type: str
    label: str
    description: str
    trigger_kinds: list[str]
    subjects: list[str] | None
    revertible: bool
    params: list[ParamOut]


class FieldOut(Schema):
    path: str
    label: str
    type: str
    choices: list[dict[str, Any]]
    operators: list[str]
    functions: list[str] | None = None


class OperatorOut(Schema):
    code: str
    label: str
    symbol: str
    takes_value: bool
    takes_field: bool


class FunctionOut(Schema):
    name: str
    label: str
    description: str
    params: list[str]
    returns: str
    for_rows: bool
    operators: list[str]


class SubjectOut(Schema):
    name: str
    label: str
    description: str
    triggers: dict[str, list[dict[str, str]]]
    fields: list[FieldOut]


class SubjectsOut(Schema):
    subjects: list[SubjectOut]
    operators: list[OperatorOut]
    functions: list[FunctionOut]


class ChangeOut(Schema):
    id: int
    rule_id: int
    rule_code: str = Field(..., alias="rule.code")
    rule_version: int = Field(..., alias="rule_version.number")
    run_id: int | None
    action_type: str
    document_type: str
    object_id: str
    label: str
    field: str
    old_value: Any
    new_value: Any
    description: str
    revertible: bool
    created_at: datetime
    expires_at: datetime | None
    reverted_at: datetime | None
    reverted_by: str | None
    revert_reason: str

    @staticmethod
    def resolve_reverted_by(obj: RuleChange) -> str | None:
        return obj.reverted_by.get_username() if obj.reverted_by else None


class ChangeFilters(Schema):
    rule_id: Id | None = None
    run_id: Id | None = None
    document_type: str | None = Field(None, max_length=100, description="app.model, e.g. catalog.product")
    object_id: str | None = Field(None, max_length=64)
    reverted: bool | None = None


class RunOut(Schema):
    id: int
    rule_id: int
    rule_code: str = Field(..., alias="rule.code")
    rule_version: int = Field(..., alias="rule_version.number")
    trigger_kind: str
    trigger_ref: str
    started_at: datetime
    finished_at: datetime | None
    evaluated: int
    matched: int
    error: str


class RunFilters(Schema):
    rule_id: Id | None = None
    failed: bool | None = None


class RevertedOut(Schema):
    reverted: int
    changes: list[ChangeOut]


# Helpers ---------------------------------------------------------------------------------------------------
def _rule(pk: int) -> Rule:
    return get_object_or_404(presentation.list_rules(), pk=pk)


def _no_nul(value: Any, path: str = "") -> None:
    """PostgreSQL cannot store NUL characters (text or JSON): refuse them with a 422, not a 500."""
    if isinstance(value, str) and "\x00" in value:
        raise ValidationFailed(fields={path or "__all__": [_("Remove the NUL character.")]})
    if isinstance(value, dict):
        for key, item in value.items():
            _no_nul(str(key), path)
            _no_nul(item, f"{path}.{key}" if path else str(key))
    elif isinstance(value, list | tuple):
        for i, item in enumerate(value):
            _no_nul(item, f"{path}.{i}")


def _condition(data: dict[str, Any], subject: str) -> dict[str, Any]:
    _no_nul(data)
    """Turn ``condition_rows`` into CEL (checked), or pass typed CEL on; exactly one must be given."""
    rows, condition, join = data.pop("condition_rows", None), data.get("condition"), data.pop("join", None) or "all"
    if rows is not None and condition:
        raise ValidationFailed(fields={"condition": [_("Send either condition or condition_rows, not both.")]})
    if rows is not None:
        schema = presentation.get_subject(subject).schema
        data["condition"], cleaned = builder.build(schema, rows, join=join, prefix="condition_rows")
        data["condition_rows"] = presentation.pack_rows(join, cleaned)
    elif condition is not None:
        data["condition_rows"] = {}
    return data


def _current(rule: Rule) -> dict[str, Any]:
    version = rule.current_version
    return {"name": rule.name, "description": rule.description, "trigger_kind": rule.trigger_kind,
            "trigger": rule.trigger, "subject": rule.subject,
            "condition": version.condition if version else "", "actions": version.actions if version else []}


# Rules -----------------------------------------------------------------------------------------------------
@router.get("/rules", response={200: list[RuleOut], **ERRORS}, operation_id="list_rules",
            summary="Rules (built-in and written by administrators) with their current version")
@paginate(PageNumber)
def list_rules(request, filters: RuleFilters = Query(...)):
    authorize(request, VIEW)
    return presentation.list_rules(**filters.dict())


@router.post("/rules", response={201: RuleDetailOut, **WRITE}, operation_id="create_rule",
             summary="Create a rule (disabled) with its first version")
def create_rule(request, payload: RuleIn):
    authorize(request, ADD)
    data = _condition(payload.dict(), payload.subject)
    rule = services.create_rule(data=data, actor=request.user)
    return Status(201, _rule(rule.pk))


@router.get("/rules/subjects", response={200: SubjectsOut, **ERRORS}, operation_id="list_rule_subjects",
            summary="What conditions may use: subjects with their fields, triggers, operators and functions")
def list_subjects(request):
    authorize(request, VIEW)
    return {"subjects": presentation.describe_subjects(), "operators": builder.describe_operators(),
            "functions": builder.describe_functions()}


@router.get("/rules/actions", response={200: list[ActionTypeOut], **ERRORS}, operation_id="list_rule_actions",
            summary="Action types and their parameters")
def list_actions(request):
    authorize(request, VIEW)
    return presentation.describe_actions()


@router.post("/rules/dry-run", response={200: DryRunOut, **WRITE}, operation_id="dry_run_rule_draft",
             summary="Dry-run an unsaved rule against history: what would have matched and changed")
def dry_run_draft(request, payload: DraftDryRunIn):
    authorize(request, CHANGE)
    data = payload.dict()
    start, end = data.pop("start"), data.pop("end")
    data = _condition(data, payload.subject)
    return _dry_run(start, end, data=data)


@router.get("/rules/{int:pk}", response={200: RuleDetailOut, **WRITE}, operation_id="get_rule",
            summary="A rule with its current version and every version")
def get_rule(request, pk: int):
    authorize(request, VIEW)
    return _rule(pk)


@router.put("/rules/{int:pk}", response={200: RuleDetailOut, **WRITE}, operation_id="replace_rule",
            summary="Save the whole rule as a new version")
def replace_rule(request, pk: int, payload: RulePut):
    authorize(request, CHANGE)
    _rule(pk)
    data = _condition(payload.dict(), payload.subject)
    services.update_rule(rule_id=pk, data=data, actor=request.user)
    return _rule(pk)


@router.patch("/rules/{int:pk}", response={200: RuleDetailOut, **WRITE}, operation_id="update_rule",
              summary="Change some fields; a new version keeps the rest")
def update_rule(request, pk: int, payload: RulePatch):
    authorize(request, CHANGE)
    rule = _rule(pk)
    sent = {k: v for k, v in payload.dict(exclude_unset=True).items() if v is not None}
    if not sent:
        raise ValidationFailed(_("Send at least one field to change."))
    data = {**_current(rule), **sent}
    stored_join, stored = presentation.stored_rows(rule.current_version)
    if "condition_rows" in sent:
        data.pop("condition", None)
    elif "condition" not in sent and stored:
        # Keep the form's rows (checked again: the subject may have changed).
        data.pop("condition", None)
        data["condition_rows"], data["join"] = stored, sent.get("join") or stored_join
    else:
        data.pop("condition_rows", None)
    services.update_rule(rule_id=pk, data=_condition(data, data["subject"]), actor=request.user)
    return _rule(pk)


@router.delete("/rules/{int:pk}", response={204: None, **WRITE}, operation_id="delete_rule",
               summary="Delete a rule that never changed anything (409 for built-in rules and rules with changes)")
def delete_rule(request, pk: int):
    authorize(request, DELETE)
    _rule(pk)
    services.delete_rule(rule_id=pk, actor=request.user)
    return Status(204, None)


@router.post("/rules/{int:pk}/enable", response={200: RuleDetailOut, **WRITE}, operation_id="enable_rule",
             summary="Switch a rule on")
@idempotent(RuleDetailOut)
def enable_rule(request, pk: int):
    authorize(request, CHANGE)
    _rule(pk)
    services.enable_rule(rule_id=pk, actor=request.user)
    return _rule(pk)


@router.post("/rules/{int:pk}/disable", response={200: RuleDetailOut, **WRITE}, operation_id="disable_rule",
             summary="Switch a rule off")
@idempotent(RuleDetailOut)
def disable_rule(request, pk: int, payload: DisableIn | None = None):
    authorize(request, CHANGE)
    _rule(pk)
    services.disable_rule(rule_id=pk, actor=request.user, reason=payload.reason if payload else "")
    return _rule(pk)


@router.post("/rules/{int:pk}/dry-run", response={200: DryRunOut, **WRITE}, operation_id="dry_run_rule",
             summary="Dry-run the rule's current version against history between start and end")
def dry_run_rule(request, pk: int, payload: DryRunIn):
    authorize(request, VIEW)
    _rule(pk)
    return _dry_run(payload.start, payload.end, rule_id=pk)


def _period(start: date, end: date) -> tuple[datetime, datetime]:
    """Whole days in the current time zone: from the start of ``start`` to the end of ``end``."""
    begin = timezone.make_aware(datetime.combine(start, time.min))
    return begin, timezone.make_aware(datetime.combine(end + timedelta(days=1), time.min))


EARLIEST, LATEST = date(1970, 1, 1), date(2999, 12, 30)


def _dry_run(start: date, end: date, **kwargs: Any) -> Any:
    for name, day in (("start", start), ("end", end)):
        if not EARLIEST <= day <= LATEST:
            raise ValidationFailed(fields={name: [_("Enter a date between %(first)s and %(last)s.") % {
                "first": EARLIEST.isoformat(), "last": LATEST.isoformat()}]})
    if end < start:
        raise ValidationFailed(fields={"end": [_("The end must not be before the start.")]})
    begin, finish = _period(start, end)
    return services.dry_run(start=begin, end=finish, **kwargs)


# Change log and runs ---------------------------------------------------------------------------------------
@router.get("/rule-changes", response={200: list[ChangeOut], **ERRORS}, operation_id="list_rule_changes",
            summary="The change log: every change a rule made, newest first")
@paginate(PageNumber)
def list_changes(request, filters: ChangeFilters = Query(...)):
    authorize(request, VIEW_CHANGES)
    return presentation.list_changes(**filters.dict())


@router.post("/rule-changes/{int:pk}/revert", response={200: ChangeOut, **WRITE}, operation_id="revert_rule_change",
             summary="Put back the value a rule changed (409 if the record changed since)")
@idempotent(ChangeOut)
def revert_change(request, pk: int):
    authorize(request, REVERT)
    get_object_or_404(RuleChange, pk=pk)
    services.revert_change(change_id=pk, actor=request.user)
    return presentation.list_changes().get(pk=pk)


@router.get("/rule-runs", response={200: list[RunOut], **ERRORS}, operation_id="list_rule_runs",
            summary="Rule runs, newest first")
@paginate(PageNumber)
def list_runs(request, filters: RunFilters = Query(...)):
    authorize(request, VIEW_RUNS)
    return presentation.list_runs(**filters.dict())


@router.post("/rule-runs/{int:pk}/revert", response={200: RevertedOut, **WRITE}, operation_id="revert_rule_run",
             summary="Revert every change of one run that is not reverted yet")
@idempotent(RevertedOut)
def revert_run(request, pk: int):
    authorize(request, REVERT)
    get_object_or_404(RuleRun, pk=pk)
    services.revert_run(run_id=pk, actor=request.user)
    changes = list(presentation.list_changes(run_id=pk))
    return {"reverted": sum(1 for c in changes if c.reverted_at), "changes": changes}
