"""The event catalog and the handler registry (DESIGN.md "Events, automation, notifications").

Each app declares the events it emits in its ``events.py`` with ``define(...)`` and its consumers in
``handlers.py`` with ``@handler(...)``; both modules are imported when Django starts (see
``CoreConfig.ready``). Lower layers never import the higher layers that consume their events."""

from __future__ import annotations

import fnmatch
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from caixiao.core.models import OutboxEvent


@dataclass(frozen=True)
class EventType:
    name: str  # dotted, past tense: "sales.order.confirmed"
    description: str
    version: int = 1
    payload: dict[str, str] = field(default_factory=dict)  # field → meaning, for docs/events.md


@dataclass(frozen=True)
class Handler:
    name: str
    patterns: tuple[str, ...]  # event names, or fnmatch patterns such as "sales.*" or "*"
    func: Callable[[OutboxEvent], Any]
    # Asked when an event is emitted, in the emitting transaction: False means the handler would do
    # nothing with this event type now (e.g. no webhook subscription wants it), so no delivery is written.
    when: Callable[[str], bool] | None = None

    def wants(self, event_type: str) -> bool:
        # Asked of every handler on every emit: names are compared, only patterns are matched.
        return event_type in self.patterns or any(
            fnmatch.fnmatchcase(event_type, p) for p in self.patterns if "*" in p or "?" in p or "[" in p)


EVENT_TYPES: dict[str, EventType] = {}
HANDLERS: dict[str, Handler] = {}


class UnknownEventType(LookupError):
    pass


def define(name: str, *, description: str, version: int = 1, payload: dict[str, str] | None = None) -> str:
    """Declare an event type; returns its name so apps keep it as a constant."""
    parts = name.split(".")
    if len(parts) < 3 or not all(p.isidentifier() and p.islower() for p in parts):
        raise ValueError(f"event names are dotted lower-case words, e.g. sales.order.confirmed: {name!r}")
    existing = EVENT_TYPES.get(name)
    if existing is not None and existing.version != version:
        raise ValueError(f"event {name!r} defined twice with different versions")
    EVENT_TYPES[name] = EventType(name=name, description=description, version=version, payload=payload or {})
    return name


def get_event_type(name: str) -> EventType:
    try:
        return EVENT_TYPES[name]
    except KeyError:
        raise UnknownEventType(name) from None


def handler(*patterns: str, name: str | None = None, when: Callable[[str], bool] | None = None,
            ) -> Callable[[Callable[[OutboxEvent], Any]], Callable[[OutboxEvent], Any]]:
    """Subscribe a function to events: ``@handler("sales.order.confirmed")``. Handlers must be
    idempotent in effect, fast, and write only to the database (network calls go through their own
    delivery tables, as webhooks and e-mail do). ``when(event_type)``, if given, is asked at emit time;
    when it answers False the event gets no delivery for this handler (it must be cheap: one indexed
    query at most, as it runs in every emitting transaction)."""
    if not patterns:
        raise ValueError("a handler needs at least one event name or pattern")

    def register(func: Callable[[OutboxEvent], Any]) -> Callable[[OutboxEvent], Any]:
        key = name or f"{func.__module__}.{func.__qualname__}"
        if key in HANDLERS and HANDLERS[key].func is not func:
            raise ValueError(f"two handlers named {key!r}")
        HANDLERS[key] = Handler(name=key, patterns=tuple(patterns), func=func, when=when)
        return func

    return register


_MATCHED: dict[tuple[str, int, int], tuple[Handler, ...]] = {}


def handlers_for(event_type: str) -> list[Handler]:
    """The handlers whose patterns match ``event_type``. Every emit asks, so the matching handlers are
    kept per event type and registry (handlers register at start-up; tests may swap the registry or
    replace a handler, which the identity check notices)."""
    key = (event_type, id(HANDLERS), len(HANDLERS))
    found = _MATCHED.get(key)
    if found is None or any(HANDLERS.get(h.name) is not h for h in found):
        found = _MATCHED[key] = tuple(h for h in HANDLERS.values() if h.wants(event_type))
    return list(found)


def subscribed(event_type: str) -> list[Handler]:
    """The handlers that get a delivery of an event emitted now: ``handlers_for`` less those whose
    ``when`` declines it."""
    return [h for h in handlers_for(event_type) if h.when is None or h.when(event_type)]
