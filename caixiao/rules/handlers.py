"""The outbox consumer of the rule engine: event rules. It subscribes to the event families that rule
subjects support and returns at once (no query) unless an enabled rule listens to the event's type
(``engine.wants_event``: a cached set, invalidated whenever a rule changes)."""

from __future__ import annotations

from caixiao.core.events import handler
from caixiao.core.models import OutboxEvent
from caixiao.rules import engine
from caixiao.rules.subjects import SUBJECTS

EVENT_PATTERNS = tuple(sorted({p for subject in SUBJECTS.values() for p in subject.events}))


@handler(*EVENT_PATTERNS, name="rules.event_rules")
def run_event_rules(event: OutboxEvent) -> None:
    engine.on_event(event)
