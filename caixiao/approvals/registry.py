"""Approvable document types (DESIGN.md "Approvals", "Dependency direction").

``approvals`` never imports the apps whose documents it approves: each of them registers a
``DocumentType`` here (in its ``AppConfig.ready`` or ``handlers.py``) with the callbacks the engine
calls, and the typed schema its step conditions may refer to. ``on_approved`` runs inside the
transaction of the final approval: if it raises, the approval rolls back with it.

A placeholder registration (``placeholder=True``, e.g. ``purchasing.order`` in ``defaults.py`` until the
purchasing app exists) yields to the owning app's registration whatever order they run in."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import gettext_lazy as _

from caixiao.approvals.enums import ApprovalMode, ResolverKind
from caixiao.core.errors import ValidationFailed
from caixiao.rules.expressions import Schema


@dataclass(frozen=True)
class StepSpec:
    """A step as data: what ``create_flow``/``update_flow`` take and ``default_flow`` seeds.

    ``resolver`` is a ``ResolverKind`` and ``params`` its parameters (``{"role": "finance_director"}``,
    ``{"user_ids": [3, 4]}``, ``{"position_id": 2}``, ``{}`` for department_head, ``{"n": 1}`` for
    nth_manager); ``mode`` all | any | n_of_m with ``required_count`` approvals for n_of_m; ``parallel``:
    the step opens together with the step before it and the flow moves on when both are done."""

    name: Any
    condition: str = ""
    resolver: str = ResolverKind.ROLE
    params: Mapping[str, Any] = field(default_factory=dict)
    mode: str = ApprovalMode.ANY
    required_count: int = 1
    reminder_hours: int | None = 24
    parallel: bool = False  # opens together with the step before it (parallel branches)

    def as_data(self) -> dict[str, Any]:
        return {"name": str(self.name), "condition": self.condition, "resolver": str(self.resolver),
                "params": dict(self.params), "mode": str(self.mode), "required_count": self.required_count,
                "reminder_hours": self.reminder_hours, "parallel": self.parallel}


@dataclass(frozen=True)
class DocumentType:
    key: str                                                     # "sales.order", "purchasing.order"
    label: Any                                                   # lazy translated
    schema: Schema                                               # what step conditions may refer to
    context: Callable[[Any], Mapping[str, Any]]                  # obj -> typed context for the conditions
    requester: Callable[[Any], Any]                              # obj -> the User who submitted / owns it
    on_approved: Callable[[Any, Any], None] | None = None        # (obj, actor): final approval, same transaction
    on_rejected: Callable[[Any, Any, str], None] | None = None   # (obj, actor, comment): back to the requester
    describe: Callable[[Any], str] = str                         # "SO-2026-00012 · 恒通 · ¥62,000"
    url: Callable[[Any], str] | None = None                      # web URL of the document
    default_flow: tuple[StepSpec, ...] = ()                      # seeded when no flow exists for the type
    load: Callable[[str], Any] | None = None                     # object_id -> obj, locked (select_for_update)
    # Additions to the contract (docs/approvals.md):
    on_returned: Callable[[Any, Any, str], None] | None = None   # (obj, actor, comment); default: on_rejected
    on_withdrawn: Callable[[Any, Any], None] | None = None       # (obj, actor): the requester pulled it back
    default_flow_name: Any = ""                                  # name of the seeded flow; default: the label
    placeholder: bool = False                                    # yields to the owning app's registration


DOCUMENT_TYPES: dict[str, DocumentType] = {}


def register_document(dt: DocumentType) -> DocumentType:
    """Register (or, for the owning app, replace a placeholder of) an approvable document type."""
    existing = DOCUMENT_TYPES.get(dt.key)
    if existing is not None and existing is not dt:
        if dt.placeholder:
            return existing  # the real registration came first; keep it
        if not existing.placeholder:
            raise ValueError(f"approval document type {dt.key!r} registered twice")
    DOCUMENT_TYPES[dt.key] = dt
    return dt


def unregister_document(key: str) -> None:
    """For tests that register a throw-away type."""
    DOCUMENT_TYPES.pop(key, None)


def get_document(key: str) -> DocumentType:
    try:
        return DOCUMENT_TYPES[key]
    except KeyError:
        raise ValidationFailed(_("Unknown document type “%(key)s”.") % {"key": key}, code="unknown_document_type",
                               fields={"document_type": [str(_("Unknown document type."))]}) from None
