"""The registry of to-do kinds. Each app whose work lands on a to-do list registers its kind here
(delivery notices and replenishment now; approvals, inspections and rule actions later)."""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class TodoKind:
    code: str
    label: object
    icon: str = "check2-square"
    due_days: int | None = None  # default due date: this many days after creation


TODO_KINDS: dict[str, TodoKind] = {}


def register_kind(kind: TodoKind) -> TodoKind:
    existing = TODO_KINDS.get(kind.code)
    if existing is not None and existing != kind:
        raise ValueError(f"to-do kind {kind.code!r} registered twice")
    TODO_KINDS[kind.code] = kind
    return kind


def get_kind(code: str) -> TodoKind:
    try:
        return TODO_KINDS[code]
    except KeyError:
        raise LookupError(f"unknown to-do kind {code!r}; register it with register_kind()") from None


SHIP_DELIVERY_NOTICE = register_kind(TodoKind("ship_delivery_notice", _("Delivery notice to ship"), "truck", 1))
REPLENISH = register_kind(TodoKind("replenish", _("Replenish stock"), "box-arrow-in-down", 3))
