"""Events of the rule engine (docs/events.md, docs/rules.md)."""

from caixiao.core.events import define

PAYLOAD_VERSION = 1
_RULE = {"version": "payload version", "rule_id": "rule id", "code": "rule code", "rule_version": "version number"}

RULE_CHANGED = define(
    "rules.rule.changed", description="A rule was created, edited (a new version), enabled or disabled.",
    payload={**_RULE, "change": "created, updated, enabled or disabled", "enabled": "true/false"})
RULE_FAILED = define(
    "rules.rule.failed",
    description="A rule failed at run time (its condition or an action raised); it was disabled. The "
                "transaction that triggered it was not affected.",
    payload={**_RULE, "trigger_ref": "event:<id>, schedule:<name> or hook:<name>", "error": "the error, short",
             "failure_count": "failures so far"})
RULE_MATCHED = define(
    "rules.rule.matched", description="A rule run matched one or more targets and ran its actions (one event per run).",
    payload={**_RULE, "run_id": "rule run id", "trigger_ref": "what triggered the run", "evaluated": "targets evaluated",
             "matched": "targets matched", "changes": "changes written",
             "targets": "up to 20 matched targets [{document_type, object_id, label}]"})
CHANGE_REVERTED = define(
    "rules.change.reverted", description="A change a rule made was reverted (by hand, with its run, or on expiry).",
    payload={**_RULE, "change_id": "rule change id", "document_type": "app.model", "object_id": "id",
             "field": "field", "restored": "the value put back", "reason": "manual, run or expired"})
