"""Use cases of the rule engine (docs/rules.md): create and edit rules (a new immutable version each
time, checked on save), switch them on and off, dry-run them over history, revert what they changed,
and the synchronous hook check documents call. The runtime lives in ``engine``."""

from __future__ import annotations

import datetime as dt
import fnmatch
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Exists, Max, OuterRef
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _

from caixiao.core import audit, outbox
from caixiao.core.errors import DuplicateCode, InUse, NotFound, ValidationFailed
from caixiao.core.events import EVENT_TYPES
from caixiao.core.models import OutboxEvent
from caixiao.rules import engine, events
from caixiao.rules import functions as _functions  # noqa: F401 - registers the domain functions
from caixiao.rules.actions import ActionContext, Verdict, get_action
from caixiao.rules.builtins import BUILTIN_RULES
from caixiao.rules.enums import RevertReason, TriggerKind
from caixiao.rules.errors import AlreadyReverted, ChangedSince, NotRevertible, RuleCodes
from caixiao.rules.expressions import ExpressionRuntimeError, compile_expression
from caixiao.rules.models import Rule, RuleChange, RuleRun, RuleVersion
from caixiao.rules.subjects import SUBJECTS, Subject, Target

RULE_FIELDS = ("name", "description", "trigger_kind", "trigger", "subject")
VERSION_FIELDS = ("condition", "condition_rows", "actions", "comment")
DRY_RUN_LIMIT = 500
DRY_RUN_MAX_DAYS = 366


# Checking a definition -----------------------------------------------------------------------------------
def _check_trigger(subject: Subject, kind: str, trigger: str) -> list[str]:
    if kind == TriggerKind.EVENT:
        known = [name for name in EVENT_TYPES if fnmatch.fnmatchcase(name, trigger)]
        if not known:
            return [_("No event type matches “%(trigger)s”.") % {"trigger": trigger}]
        unsupported = [name for name in known if not any(fnmatch.fnmatchcase(name, p) for p in subject.events)]
        if unsupported:
            return [_("The subject “%(subject)s” cannot be triggered by %(events)s.") % {
                "subject": subject.label, "events": ", ".join(sorted(unsupported))}]
        return []
    allowed = subject.triggers.get(kind, ())
    if trigger not in allowed:
        return [_("Choose one of: %(choices)s.") % {"choices": ", ".join(allowed) or "—"}]
    return []


def clean_definition(data: Mapping[str, Any], *, rule: Rule | None = None) -> dict[str, Any]:
    """Check a rule definition (a whole one, or ``rule``'s current one with ``data`` on top); return
    the cleaned values. Raises ``ValidationFailed`` (422) with per-field messages, or ``ExpressionError``
    (422, code ``invalid_expression``, with line and column) for the condition."""
    current: dict[str, Any] = {}
    if rule is not None:
        current = {name: getattr(rule, name) for name in RULE_FIELDS}
        version = rule.current_version
        if version is not None:
            current.update({name: getattr(version, name) for name in VERSION_FIELDS if name != "comment"})
    values = {**current, **{k: v for k, v in data.items() if k in (*RULE_FIELDS, *VERSION_FIELDS, "code", "enabled")}}
    errors: dict[str, list[str]] = {}
    for name in ("name", "trigger_kind", "trigger", "subject", "condition"):
        if not str(values.get(name) or "").strip():
            errors[name] = [_("This field is required.")]
    if rule is None:
        code = slugify(str(values.get("code") or ""))
        if not code:
            errors["code"] = [_("This field is required.")]
        values["code"] = code
    subject = SUBJECTS.get(str(values.get("subject") or ""))
    if values.get("subject") and subject is None:
        errors["subject"] = [_("Unknown subject “%(name)s”.") % {"name": values["subject"]}]
    kind = values.get("trigger_kind")
    if kind and kind not in TriggerKind.values:
        errors["trigger_kind"] = [_("Choose event, schedule or hook.")]
    elif subject is not None and kind and values.get("trigger"):
        problems = _check_trigger(subject, kind, str(values["trigger"]).strip())
        if problems:
            errors["trigger"] = problems
    if len(str(values.get("name") or "")) > 200:
        errors["name"] = [_("At most 200 characters.")]
    if errors:
        raise ValidationFailed(fields=errors)
    assert subject is not None
    values["condition"] = str(values["condition"]).strip()
    compile_expression(values["condition"], subject.schema, field_name="condition")
    values["actions"] = _clean_actions(values.get("actions"), subject=subject, kind=str(kind))
    rows = values.get("condition_rows") or {}
    if not isinstance(rows, dict | list):
        raise ValidationFailed(fields={"condition_rows": [_("Enter the form rows as JSON.")]})
    values["condition_rows"] = rows
    values["trigger"] = str(values["trigger"]).strip()
    values["comment"] = str(data.get("comment") or "")[:300]
    values["enabled"] = bool(values.get("enabled", False))
    values["description"] = str(values.get("description") or "")
    return values


def _clean_actions(raw: Any, *, subject: Subject, kind: str) -> list[dict[str, Any]]:
    if not isinstance(raw, list) or not raw:
        raise ValidationFailed(fields={"actions": [_("Add at least one action.")]})
    errors: dict[str, list[str]] = {}
    clean = []
    for i, spec in enumerate(raw):
        prefix = f"actions.{i}"
        if not isinstance(spec, dict):
            errors[prefix] = [_("Enter the action as an object with a type and parameters.")]
            continue
        action = get_action(str(spec.get("type") or ""))
        if action is None:
            raise ValidationFailed(code=RuleCodes.UNKNOWN_ACTION, fields={
                f"{prefix}.type": [_("Unknown action “%(type)s”.") % {"type": spec.get("type")}]})
        if kind not in action.trigger_kinds:
            errors[f"{prefix}.type"] = [_("“%(action)s” cannot be used with this trigger.") % {"action": action.label}]
            continue
        if action.subjects is not None and subject.name not in action.subjects:
            errors[f"{prefix}.type"] = [_("“%(action)s” cannot be used for %(subject)s.") % {
                "action": action.label, "subject": subject.label}]
            continue
        try:
            clean.append({"type": action.type, "params": action.validate(spec.get("params"), prefix=f"{prefix}.params")})
        except ValidationFailed as exc:
            errors.update(exc.fields)
    if errors:
        raise ValidationFailed(code=RuleCodes.INVALID_ACTION_PARAMS, fields=errors)
    return clean


# Writes -------------------------------------------------------------------------------------------------------
def _changed(rule: Rule, change: str, actor: Any) -> None:
    outbox.emit(events.RULE_CHANGED, aggregate=rule, actor=actor, payload={
        "version": events.PAYLOAD_VERSION, "rule_id": rule.pk, "code": rule.code,
        "rule_version": rule.current_version.number if rule.current_version else None,
        "change": change, "enabled": rule.enabled})
    engine.invalidate_cache()
    transaction.on_commit(engine.invalidate_cache)


def _new_version(rule: Rule, values: Mapping[str, Any], actor: Any) -> RuleVersion:
    number = (RuleVersion.objects.filter(rule=rule).aggregate(n=Max("number"))["n"] or 0) + 1
    return RuleVersion.objects.create(rule=rule, number=number, condition=values["condition"],
                                      condition_rows=values["condition_rows"], actions=values["actions"],
                                      comment=values["comment"], created_by=_user(actor))


def _user(actor: Any) -> Any:
    return actor if getattr(actor, "pk", None) else None


@transaction.atomic
def create_rule(*, data: Mapping[str, Any], actor: Any, is_builtin: bool = False) -> Rule:
    values = clean_definition(data)
    if Rule.objects.filter(code=values["code"]).exists():
        raise DuplicateCode(fields={"code": [str(DuplicateCode.default_message)]})
    try:
        with transaction.atomic():
            rule = Rule.objects.create(code=values["code"], is_builtin=is_builtin, enabled=values["enabled"],
                                       created_by=_user(actor), **{k: values[k] for k in RULE_FIELDS})
    except IntegrityError as exc:  # a concurrent create of the same code
        raise DuplicateCode(fields={"code": [str(DuplicateCode.default_message)]}) from exc
    rule.current_version = _new_version(rule, values, actor)
    rule.save(update_fields=["current_version"])
    audit.record(actor=actor, obj=rule, verb="rule:created", to_state="enabled" if rule.enabled else "disabled",
                 changes={"version": 1})
    _changed(rule, "created", actor)
    return rule


def get_rule_for_update(rule_id: int) -> Rule:
    rule = (Rule.objects.select_for_update(no_key=True, of=("self",)).select_related("current_version")
            .filter(pk=rule_id).first())
    if rule is None:
        raise NotFound()
    return rule


@transaction.atomic
def update_rule(*, rule_id: int, data: Mapping[str, Any], actor: Any) -> RuleVersion:
    """Edit a rule: always a new version (the old one stays, with its runs and changes)."""
    rule = get_rule_for_update(rule_id)
    values = clean_definition(data, rule=rule)
    before = {k: getattr(rule, k) for k in RULE_FIELDS}
    for name in RULE_FIELDS:
        setattr(rule, name, values[name])
    version = _new_version(rule, values, actor)
    rule.current_version = version
    update = [*RULE_FIELDS, "current_version", "updated_at"]
    if "enabled" in data and bool(data["enabled"]) != rule.enabled:
        rule.enabled = bool(data["enabled"])
        rule.disabled_reason = ""
        update += ["enabled", "disabled_reason"]
    rule.save(update_fields=update)
    audit.record(actor=actor, obj=rule, verb="rule:updated", comment=values["comment"],
                 changes={"version": version.number,
                          **{k: [str(before[k]), str(values[k])] for k in RULE_FIELDS if before[k] != values[k]}})
    _changed(rule, "updated", actor)
    return version


@transaction.atomic
def enable_rule(*, rule_id: int, actor: Any) -> Rule:
    rule = get_rule_for_update(rule_id)
    if rule.enabled:
        return rule
    version = rule.current_version
    # Check it again: an action may have been unregistered or a field renamed since it was saved.
    clean_definition({"condition": version.condition, "actions": version.actions} if version else {}, rule=rule)
    rule.enabled, rule.disabled_reason = True, ""
    rule.save(update_fields=["enabled", "disabled_reason", "updated_at"])
    audit.record(actor=actor, obj=rule, verb="rule:enabled", from_state="disabled", to_state="enabled")
    _changed(rule, "enabled", actor)
    return rule


@transaction.atomic
def disable_rule(*, rule_id: int, actor: Any, reason: str = "") -> Rule:
    rule = get_rule_for_update(rule_id)
    if not rule.enabled:
        return rule
    rule.enabled, rule.disabled_reason = False, reason[:2000]
    rule.save(update_fields=["enabled", "disabled_reason", "updated_at"])
    audit.record(actor=actor, obj=rule, verb="rule:disabled", from_state="enabled", to_state="disabled",
                 comment=reason)
    _changed(rule, "disabled", actor)
    return rule


@transaction.atomic
def delete_rule(*, rule_id: int, actor: Any) -> None:
    """Delete a rule that never changed anything; built-in rules are switched off instead."""
    rule = get_rule_for_update(rule_id)
    if rule.is_builtin:
        raise InUse(_("Built-in rules cannot be deleted; disable them instead."), code=RuleCodes.BUILTIN_RULE)
    if RuleChange.objects.filter(rule=rule).exists():
        raise InUse(_("This rule changed records; disable it instead so its change log stays."))
    audit.record(actor=actor, obj=rule, verb="rule:deleted", comment=rule.code)
    Rule.objects.filter(pk=rule.pk).update(current_version=None)
    rule.delete()
    engine.invalidate_cache()
    transaction.on_commit(engine.invalidate_cache)


def ensure_builtin_rules() -> list[Rule]:
    """Create the built-in rules that do not exist yet (idempotent; never touches edited ones)."""
    created = []
    for spec in BUILTIN_RULES:
        if Rule.objects.filter(code=spec["code"]).exists():
            continue
        data = {k: (str(v) if k in ("name", "description") else v) for k, v in spec.items()}
        try:
            created.append(create_rule(data=data, actor=None, is_builtin=True))
        except DuplicateCode:
            continue  # seeded concurrently by another process
    return created


# Reverting -------------------------------------------------------------------------------------------------
def _revert(change: RuleChange, *, actor: Any, reason: str) -> RuleChange:
    if change.reverted_at is not None:
        raise AlreadyReverted(change_id=change.pk)
    action = get_action(change.action_type)
    if not change.revertible or action is None or action.revert is None:
        raise NotRevertible(change_id=change.pk)
    try:
        restored = action.revert(change, actor)
    except ChangedSince as exc:
        exc.details.setdefault("change_id", change.pk)
        raise
    change.reverted_at = timezone.now()
    change.reverted_by = _user(actor)
    change.revert_reason = reason
    change.save(update_fields=["reverted_at", "reverted_by", "revert_reason"])
    rule = change.rule
    audit.record(actor=actor, obj=rule, verb="rule:change_reverted", comment=reason,
                 changes={"change_id": change.pk, "document": f"{change.document_type}:{change.object_id}",
                          "field": change.field, "restored": restored})
    outbox.emit(events.CHANGE_REVERTED, aggregate=change, actor=actor, payload={
        "version": events.PAYLOAD_VERSION, "rule_id": rule.pk, "code": rule.code,
        "rule_version": change.rule_version.number, "change_id": change.pk, "document_type": change.document_type,
        "object_id": change.object_id, "field": change.field, "restored": restored, "reason": reason})
    return change


def _get_change_for_update(change_id: int) -> RuleChange:
    change = (RuleChange.objects.select_for_update(no_key=True, of=("self",))
              .select_related("rule", "rule_version").filter(pk=change_id).first())
    if change is None:
        raise NotFound()
    return change


@transaction.atomic
def revert_change(*, change_id: int, actor: Any) -> RuleChange:
    """Put back the value a rule changed, if the record still holds what the rule set; otherwise 409
    ``changed_since`` (someone changed it afterwards; their value stays)."""
    return _revert(_get_change_for_update(change_id), actor=actor, reason=RevertReason.MANUAL)


@transaction.atomic
def revert_run(*, run_id: int, actor: Any) -> list[RuleChange]:
    """Revert every revertible change of one run, newest first, all or nothing."""
    if not RuleRun.objects.filter(pk=run_id).exists():
        raise NotFound()
    ids = list(RuleChange.objects.filter(run_id=run_id, reverted_at__isnull=True, revertible=True)
               .order_by("-created_at", "-id").values_list("pk", flat=True))
    return [_revert(_get_change_for_update(pk), actor=actor, reason=RevertReason.RUN) for pk in ids]


def revert_expired_changes(*, now: dt.datetime | None = None) -> int:
    """The expiry job: revert changes whose ``expires_at`` passed, each in its own transaction, as the
    system. A record changed since keeps its value; the change just stops expiring (noted on it)."""
    now = now or timezone.now()
    ids = list(RuleChange.objects.filter(expires_at__lte=now, reverted_at__isnull=True, revertible=True)
               .order_by("expires_at", "pk").values_list("pk", flat=True))
    reverted = 0
    for pk in ids:
        with transaction.atomic():
            change = _get_change_for_update(pk)
            if change.reverted_at is not None or change.expires_at is None or change.expires_at > now:
                continue
            try:
                with transaction.atomic():
                    _revert(change, actor=None, reason=RevertReason.EXPIRED)
                reverted += 1
            except (ChangedSince, NotRevertible):
                note = _("Not reverted on expiry: the record was changed since.")
                RuleChange.objects.filter(pk=pk).update(
                    expires_at=None, description=f"{change.description} {note}".strip()[:300])
    return reverted


def prune_runs(*, now: dt.datetime | None = None) -> int:
    """The retention job: delete runs started more than ``RULES_RUN_RETENTION_DAYS`` ago that changed
    nothing. A run with changes stays as long as its changes do (it is how a whole run is reverted).
    Returns how many runs were deleted."""
    cutoff = (now or timezone.now()) - dt.timedelta(days=settings.RULES_RUN_RETENTION_DAYS)
    stale = RuleRun.objects.filter(started_at__lt=cutoff).exclude(
        Exists(RuleChange.objects.filter(run=OuterRef("pk"))))
    _total, per_model = stale.delete()
    return per_model.get(RuleRun._meta.label, 0)


# Runs ---------------------------------------------------------------------------------------------------
def run_schedule(*, schedule: str, as_of: dt.datetime | None = None) -> list[RuleRun]:
    """Run the enabled rules of one schedule now (the crontask jobs call this)."""
    return engine.run_schedule(schedule, as_of=as_of)


def check_hook(hook: str, context: dict[str, Any] | Callable[[], tuple[Target, dict[str, Any]]], *,
               target: Target | None = None) -> Verdict:
    """Ask the enabled rules of a synchronous hook what they say about a document, e.g.
    ``check_hook("sales.order.confirm", order_context(order))`` → ``Verdict(blocked=[...],
    approval_reasons=[...])``. Runs inside the caller's transaction and never raises for a rule's bug."""
    return engine.check_hook(hook, context, target=target)


# Dry-run --------------------------------------------------------------------------------------------------
@dataclass
class DryRunMatch:
    as_of: dt.datetime
    target: dict[str, str]
    description: str
    would_change: list[str]


@dataclass
class DryRunResult:
    evaluated: int = 0
    matched_count: int = 0
    matched: list[DryRunMatch] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    truncated: bool = False
    source: str = ""  # what was replayed: "history" or "events"


def _history(subject: Subject, rule: Rule, start: dt.datetime, end: dt.datetime, *,
             needs: Mapping[str, frozenset[str] | None] | None = None) -> Iterator[tuple[dt.datetime, Target, dict]]:
    if rule.trigger_kind == TriggerKind.EVENT:
        prefix = rule.trigger.split("*", 1)[0]
        qs = OutboxEvent.objects.filter(created_at__gte=start, created_at__lte=end, type__startswith=prefix)
        for event in qs.order_by("created_at", "id").iterator(chunk_size=500):
            if fnmatch.fnmatchcase(event.type, rule.trigger):
                for target, context in subject.contexts(event, event.created_at, needs=needs):
                    yield event.created_at, target, context
    else:
        yield from subject.history(start, end, needs=needs)


def dry_run(*, start: dt.datetime, end: dt.datetime, rule_id: int | None = None,
            data: Mapping[str, Any] | None = None, limit: int = DRY_RUN_LIMIT) -> DryRunResult:
    """Which targets a rule (saved, or an unsaved draft in ``data``) would have matched between ``start``
    and ``end`` and what it would have changed. Scheduled and hook rules replay the subject's history
    (a context per week for products); event rules replay the outbox events of their trigger still in the
    outbox table. Nothing is written: actions only describe, inside a transaction that is rolled back."""
    if end <= start:
        raise ValidationFailed(fields={"end": [_("The end must be after the start.")]})
    if (end - start).days > DRY_RUN_MAX_DAYS:
        raise ValidationFailed(fields={"start": [_("Dry-run at most a year at a time.")]})
    if rule_id is not None:
        rule = Rule.objects.select_related("current_version").filter(pk=rule_id).first()
        if rule is None:
            raise NotFound()
        version = rule.current_version
        if data:
            values = clean_definition(data, rule=rule)
            rule = Rule(pk=rule.pk, code=rule.code, **{k: values[k] for k in RULE_FIELDS})
            version = RuleVersion(rule=rule, number=0, **{k: values[k] for k in VERSION_FIELDS})
    elif data is not None:
        values = clean_definition(data)
        rule = Rule(code=values["code"], **{k: values[k] for k in RULE_FIELDS})
        version = RuleVersion(rule=rule, number=0, **{k: values[k] for k in VERSION_FIELDS})
    else:
        raise ValidationFailed(fields={"rule_id": [_("Choose a rule or send a draft.")]})
    assert version is not None
    rule.current_version = version
    subject = SUBJECTS[rule.subject]
    prepared = engine.prepare(version, rule.subject)
    result = DryRunResult(source="events" if rule.trigger_kind == TriggerKind.EVENT else "history")
    state: dict[str, Any] = {}
    with transaction.atomic():
        needs = dict(prepared.expression.needs) if prepared.expression.needs is not None else None
        for as_of, target, context in _history(subject, rule, start, end, needs=needs):
            result.evaluated += 1
            try:
                matched = prepared.expression.matches(context)
            except ExpressionRuntimeError as exc:
                if len(result.errors) < 20:
                    result.errors.append(f"{target.label}: {exc}")
                continue
            if not matched:
                continue
            result.matched_count += 1
            if len(result.matched) >= limit:
                result.truncated = True
                continue
            verdict = Verdict()
            would = []
            for action, params in prepared.actions:
                ctx = ActionContext(rule=rule, version=version, params=params, target=target, context=context,
                                    as_of=as_of, trigger_kind=rule.trigger_kind, state=state, verdict=verdict)
                try:
                    would.append(str(action.dry_run(ctx)))
                except Exception as exc:  # a draft's action that would fail: say so, do not raise
                    would.append(_("%(action)s would fail: %(error)s") % {"action": action.label, "error": exc})
            result.matched.append(DryRunMatch(as_of=as_of, target=target.as_dict(), description=target.label,
                                              would_change=would))
        transaction.set_rollback(True)
    return result




