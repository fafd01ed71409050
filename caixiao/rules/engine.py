"""The rule engine's runtime (docs/rules.md): compile once per version, evaluate a set of rules over
the contexts of one subject in a single pass, then run each rule's actions in its own savepoint.

A failure (``ExpressionRuntimeError`` from the condition, any exception from an action) never breaks
the transaction that triggered the rule: the rule's savepoint is rolled back, the rule is disabled with
the reason, ``rules.rule.failed`` is emitted and administrators are notified. Event and scheduled rules
record that in their own transaction (the outbox delivery's, the job's). A synchronous hook runs in the
caller's transaction, which may still roll back later; so the failure is recorded *detached*, by a
short thread on its own database connection that commits on its own (see ``record_failure_detached``)."""

from __future__ import annotations

import datetime as dt
import fnmatch
import json
import logging
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db import DatabaseError, close_old_connections, connection, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext

from caixiao.core import outbox, rows
from caixiao.core.models import OutboxEvent
from caixiao.rules import events
from caixiao.rules.actions import Action, ActionContext, Verdict, get_action
from caixiao.rules.enums import TriggerKind
from caixiao.rules.expressions import Batch, Expression, ExpressionRuntimeError, compile_expression
from caixiao.rules.models import Rule, RuleRun, RuleVersion
from caixiao.rules.subjects import Item, Target, get_subject

logger = logging.getLogger(__name__)

MATCHED_SAMPLE = 20
EVENT_TRIGGERS_TTL = 5.0  # seconds another process may take to see a newly enabled event rule


# Compiled versions -------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Prepared:
    expression: Expression
    actions: tuple[tuple[Action, dict[str, Any]], ...]
    resolves: bool = False  # an action wants the targets that do not match (to close what it opened)


_PREPARED: dict[tuple[Any, ...], Prepared] = {}


def prepare(version: RuleVersion, subject_name: str) -> Prepared:
    """The compiled condition and resolved actions of a version (cached: versions never change; the key
    carries the source too, so a reused primary key after a rolled-back test never hits a stale entry)."""
    key = (version.pk, subject_name, version.condition, json.dumps(version.actions, sort_keys=True, default=str))
    cached = _PREPARED.get(key) if version.pk else None
    if cached is not None:
        return cached
    expression = compile_expression(version.condition, get_subject(subject_name).schema, field_name="condition")
    actions = []
    for spec in version.actions:
        action = get_action(spec.get("type", ""))
        if action is None:
            raise LookupError(f"the action {spec.get('type')!r} is not registered")
        actions.append((action, dict(spec.get("params") or {})))
    prepared = Prepared(expression, tuple(actions), resolves=any(a.resolve is not None for a, _p in actions))
    if version.pk:
        if len(_PREPARED) > 2048:
            _PREPARED.clear()
        _PREPARED[key] = prepared
    return prepared


# Which event types enabled rules listen to (a cache, invalidated on every rule change) ----------------
_event_triggers: tuple[float, frozenset[str]] | None = None


def invalidate_cache() -> None:
    global _event_triggers
    _event_triggers = None


def event_triggers() -> frozenset[str]:
    global _event_triggers
    now = time.monotonic()
    if _event_triggers is None or now - _event_triggers[0] > EVENT_TRIGGERS_TTL:
        triggers = frozenset(Rule.objects.filter(enabled=True, trigger_kind=TriggerKind.EVENT)
                             .values_list("trigger", flat=True))
        _event_triggers = (now, triggers)
    return _event_triggers[1]


def wants_event(event_type: str) -> bool:
    return any(fnmatch.fnmatchcase(event_type, pattern) for pattern in event_triggers())


# Evaluation ------------------------------------------------------------------------------------------------
@dataclass
class Outcome:
    rule: Rule
    prepared: Prepared | None
    evaluated: int = 0
    matches: list[Item] = field(default_factory=list)
    unmatched: list[Item] = field(default_factory=list)
    error: str = ""


def needs_of(rules: Sequence[Rule]) -> dict[str, frozenset[str] | None] | None:
    """What the conditions of ``rules`` read, per variable (for the providers); None: everything."""
    try:
        prepared = [prepare(r.current_version, r.subject) for r in rules]  # type: ignore[arg-type]
    except Exception:
        return None  # evaluate() reports the broken rule
    return dict(Batch([p.expression for p in prepared]).pruner.needs or ()) if prepared else None


def evaluate(rules: Sequence[Rule], items: Iterable[Item]) -> list[Outcome]:
    """One pass over ``items`` (contexts of one subject) evaluating every rule; a rule whose condition
    fails is left out of the rest of the pass with its error. No writes."""
    outcomes = []
    for rule in rules:
        try:
            outcomes.append(Outcome(rule, prepare(rule.current_version, rule.subject)))  # type: ignore[arg-type]
        except Exception as exc:  # a version that no longer compiles or an unregistered action
            outcomes.append(Outcome(rule, None, error=_short(exc)))
    live = [o for o in outcomes if o.prepared is not None]
    batch = Batch([o.prepared.expression for o in live])  # type: ignore[union-attr]
    for item in items:
        results = batch.matches(item[1])
        for outcome, result in zip(live, results, strict=True):
            if outcome.error:
                continue
            outcome.evaluated += 1
            if isinstance(result, ExpressionRuntimeError):
                outcome.error = gettext("The condition failed on %(target)s: %(error)s") % {
                    "target": item[0].label or item[0].object_id, "error": result}
            elif result:
                outcome.matches.append(item)
            elif outcome.prepared.resolves:  # type: ignore[union-attr]
                outcome.unmatched.append(item)
    return outcomes


def _short(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"[:1000]


def apply(outcome: Outcome, *, trigger_kind: str, trigger_ref: str, as_of: dt.datetime,
          event: OutboxEvent | None = None) -> RuleRun | None:
    """Record the run and run the actions of ``outcome`` in a savepoint; on any failure roll the
    savepoint back and disable the rule (in the current transaction, which is the job's or the outbox
    delivery's own)."""
    rule = outcome.rule
    version = rule.current_version
    assert version is not None
    run = None
    if outcome.matches or outcome.error or trigger_kind != TriggerKind.EVENT:
        # An event that matched nothing leaves no run (only resolve actions, which close what is done).
        run = RuleRun.objects.create(rule=rule, rule_version=version, trigger_kind=trigger_kind,
                                     trigger_ref=trigger_ref, started_at=timezone.now(),
                                     evaluated=outcome.evaluated, matched=len(outcome.matches))
    changes = 0
    error = outcome.error
    if not error:
        try:
            with transaction.atomic():
                changes = _run_actions(outcome, run=run, trigger_kind=trigger_kind, as_of=as_of, event=event)
        except DatabaseError:
            raise  # not the rule's fault (a lock, a lost connection): let the caller retry
        except Exception as exc:
            logger.exception("rule %s failed in its actions", rule.code)
            error = gettext("An action failed: %(error)s") % {"error": _short(exc)}
    if run is None and error:
        run = RuleRun.objects.create(rule=rule, rule_version=version, trigger_kind=trigger_kind,
                                     trigger_ref=trigger_ref, started_at=timezone.now(),
                                     evaluated=outcome.evaluated, matched=len(outcome.matches))
    if run is not None:
        run.finished_at = timezone.now()
        run.error = error
        run.save(update_fields=["finished_at", "error"])
    if error:
        record_failure(rule.pk, error=error, trigger_ref=trigger_ref)
    elif outcome.matches and run is not None:
        outbox.emit(events.RULE_MATCHED, aggregate=rule, payload={
            **_rule_payload(rule), "run_id": run.pk, "trigger_ref": trigger_ref, "evaluated": outcome.evaluated,
            "matched": len(outcome.matches), "changes": changes,
            "targets": [t.as_dict() for t, _c in outcome.matches[:MATCHED_SAMPLE]]})
    return run


def _run_actions(outcome: Outcome, *, run: RuleRun | None, trigger_kind: str, as_of: dt.datetime,
                 event: OutboxEvent | None, verdict: Verdict | None = None) -> int:
    rule, prepared = outcome.rule, outcome.prepared
    assert prepared is not None
    state: dict[str, Any] = {}
    changes = 0
    for items, resolve in ((outcome.matches, False), (outcome.unmatched, True)):
        for target, context in items:
            for action, params in prepared.actions:
                fn = action.resolve if resolve else action.run
                if fn is None:
                    continue
                ctx = ActionContext(rule=rule, version=rule.current_version, params=params,  # type: ignore[arg-type]
                                    target=target, context=context, as_of=as_of, trigger_kind=trigger_kind,
                                    run=run, event=event, state=state, verdict=verdict)
                changes += len(fn(ctx) or [])
    return changes


def _rule_payload(rule: Rule) -> dict[str, Any]:
    version = rule.current_version
    return {"version": events.PAYLOAD_VERSION, "rule_id": rule.pk, "code": rule.code,
            "rule_version": version.number if version is not None else None}


# Failures ----------------------------------------------------------------------------------------------------
def record_failure(rule_id: int, *, error: str, trigger_ref: str) -> bool:
    """Disable the rule and announce it, in the current transaction. Returns False if it was already
    disabled (a second failure in the same sweep, or another process got there first)."""
    with transaction.atomic():
        updated = Rule.objects.filter(pk=rule_id, enabled=True).update(
            enabled=False, disabled_reason=error[:2000], failure_count=F("failure_count") + 1,
            updated_at=timezone.now())
        if not updated:
            return False
        rule = Rule.objects.select_related("current_version").get(pk=rule_id)
        outbox.emit(events.RULE_FAILED, aggregate=rule, payload={
            **_rule_payload(rule), "trigger_ref": trigger_ref, "error": error[:500],
            "failure_count": rule.failure_count})
    invalidate_cache()
    transaction.on_commit(invalidate_cache)
    return True


DETACHED_ATTEMPTS = 600  # × 0.1 s: wait up to a minute for the caller's transaction to free the lock
_detached_threads: list[threading.Thread] = []


def record_failure_detached(rule_id: int, *, error: str, trigger_ref: str) -> None:
    """Record a failure so that it survives whatever happens to the current transaction.

    Outside a transaction this is ``record_failure``. Inside one (a synchronous hook), a thread with
    its own connection writes and commits it: on PostgreSQL at once (the hook only read the rule row);
    on SQLite it waits, retrying, until the caller's transaction releases the write lock. Either way the
    disabling stands even if the caller's transaction rolls back, and the caller never waits for it."""
    if not connection.in_atomic_block:
        record_failure(rule_id, error=error, trigger_ref=trigger_ref)
        return

    def work() -> None:
        try:
            for _attempt in range(DETACHED_ATTEMPTS):
                try:
                    record_failure(rule_id, error=error, trigger_ref=trigger_ref)
                    return
                except DatabaseError:
                    close_old_connections()
                    time.sleep(0.1)
            logger.error("could not record the failure of rule %s: %s", rule_id, error)
        finally:
            connection.close()

    thread = threading.Thread(target=work, name=f"rule-failure-{rule_id}", daemon=True)
    _detached_threads.append(thread)
    thread.start()


def wait_for_detached(timeout: float = 30.0) -> None:
    """Join the threads ``record_failure_detached`` started (tests, and ``manage.py`` commands on exit)."""
    while _detached_threads:
        _detached_threads.pop().join(timeout)


# Triggers ----------------------------------------------------------------------------------------------------
def enabled_rules(*, trigger_kind: str, trigger: str | None = None) -> list[Rule]:
    """The enabled rules of a trigger with their current versions, by code. A prepared statement
    (core/rows.py): a hook asks it in every transaction that runs the hook (confirming an order)."""
    where = "rules_rule.enabled AND rules_rule.trigger_kind = %s AND rules_rule.current_version_id IS NOT NULL"
    params = [trigger_kind]
    if trigger is not None and trigger_kind != TriggerKind.EVENT:
        where += ' AND rules_rule."trigger" = %s'
        params.append(trigger)
    rules_list = rows.select(Rule, where, params, related=("current_version",), order_by="rules_rule.code")
    if trigger is not None and trigger_kind == TriggerKind.EVENT:
        rules_list = [r for r in rules_list if fnmatch.fnmatchcase(trigger, r.trigger)]
    return rules_list


def by_subject(rules: Iterable[Rule]) -> dict[str, list[Rule]]:
    groups: dict[str, list[Rule]] = {}
    for rule in rules:
        groups.setdefault(rule.subject, []).append(rule)
    return groups


def on_event(event: OutboxEvent) -> list[RuleRun]:
    """The outbox handler's work: run the enabled event rules whose trigger matches ``event``.
    Idempotent per event: a replayed event does not run a rule version twice."""
    if not wants_event(event.type):
        return []
    trigger_ref = f"event:{event.pk}"
    rules = enabled_rules(trigger_kind=TriggerKind.EVENT, trigger=event.type)
    done = set(RuleRun.objects.filter(trigger_ref=trigger_ref, rule__in=rules).values_list("rule_version_id", flat=True))
    rules = [r for r in rules if r.current_version_id not in done]
    runs = []
    for subject_name, group in by_subject(rules).items():
        items = list(get_subject(subject_name).contexts(event, event.created_at, needs=needs_of(group)))
        for outcome in evaluate(group, items):
            run = apply(outcome, trigger_kind=TriggerKind.EVENT, trigger_ref=trigger_ref, as_of=event.created_at,
                        event=event)
            if run is not None:
                runs.append(run)
    return runs


def run_schedule(schedule: str, *, as_of: dt.datetime | None = None) -> list[RuleRun]:
    """Run the enabled rules on ``schedule``: one pass over each subject's targets for all of its rules,
    then each rule's actions in its own transaction."""
    as_of = as_of or timezone.now()
    trigger_ref = f"schedule:{schedule}"
    runs = []
    for subject_name, group in by_subject(enabled_rules(trigger_kind=TriggerKind.SCHEDULE, trigger=schedule)).items():
        outcomes = evaluate(group, get_subject(subject_name).contexts(None, as_of, needs=needs_of(group)))
        for outcome in outcomes:
            with transaction.atomic():
                run = apply(outcome, trigger_kind=TriggerKind.SCHEDULE, trigger_ref=trigger_ref, as_of=as_of)
            if run is not None:
                runs.append(run)
    return runs


def check_hook(hook: str, context: dict[str, Any] | Callable[[], tuple[Target, dict[str, Any]]], *,
               target: Target | None = None, as_of: dt.datetime | None = None) -> Verdict:
    """Run the enabled rules of a synchronous hook inside the caller's transaction (each in a
    savepoint) and return what they decided. A rule that fails is skipped and disabled (detached).
    ``context`` may be a function returning ``(target, context)``: it is called only when the hook has
    enabled rules, so documents pay one indexed query when nobody wrote a rule for the hook."""
    verdict = Verdict()
    rules = enabled_rules(trigger_kind=TriggerKind.HOOK, trigger=hook)
    if not rules:
        return verdict
    if callable(context):
        target, context = context()
    as_of = as_of or timezone.now()
    target = target or Target("", "", hook)
    trigger_ref = f"hook:{hook}"
    for outcome in evaluate(rules, [(target, context)]):
        error = outcome.error
        if not error and outcome.matches:
            mine = Verdict()
            try:
                with transaction.atomic():
                    _run_actions(outcome, run=None, trigger_kind=TriggerKind.HOOK, as_of=as_of, event=None,
                                 verdict=mine)
            except DatabaseError:
                raise
            except Exception as exc:
                logger.exception("rule %s failed in a hook", outcome.rule.code)
                error = gettext("An action failed: %(error)s") % {"error": _short(exc)}
            else:
                verdict.blocked += mine.blocked
                verdict.approval_reasons += mine.approval_reasons
                verdict.rules.append(outcome.rule.code)
        if error:
            record_failure_detached(outcome.rule.pk, error=error, trigger_ref=trigger_ref)
    return verdict
