"""The outbox consumer of the rule engine: event rules. It subscribes to the event families that rule
subjects support, and declines an event at emit time (``when``: no delivery row is written) unless an
enabled rule listens to its type — ``engine.wants_event``, a cached set of the enabled event triggers,
invalidated whenever a rule changes in this process and re-read at most every few seconds otherwise."""

from __future__ import annotations

from caixiao.core.events import handler
from caixiao.core.models import OutboxEvent
from caixiao.rules import engine
from caixiao.rules.subjects import SUBJECTS

EVENT_PATTERNS = tuple(sorted({p for subject in SUBJECTS.values() for p in subject.events}))


@handler(*EVENT_PATTERNS, name="rules.event_rules", when=engine.wants_event)
def run_event_rules(event: OutboxEvent) -> None:
    engine.on_event(event)
