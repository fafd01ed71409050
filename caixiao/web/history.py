"""The change history of a record for its detail page (X10): field history from django-simple-history,
merged with the audit entries services wrote for the record (e.g. role changes)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db import models
from django.utils.text import capfirst
from django.utils.translation import gettext as _

from caixiao.core import audit
from caixiao.web import display

HIDDEN_FIELDS = ("created_at", "updated_at", "password", "last_login")


def _audit_verbs() -> dict[str, str]:
    return {"roles": _("Roles changed"), "api_token:created": _("API token created"),
            "api_token:revoked": _("API token revoked"), "created": _("Created"),
            "delivery_notice_created": _("Delivery notice created"),
            "confirm_blocked": _("Not confirmed: stock is short"), "lines_added": _("Lines added"),
            "counted_quantities": _("Counted quantities entered")}


@dataclass
class Change:
    field: str
    old: str  # "" when the entry records only a value (e.g. the token created)
    new: str


@dataclass
class HistoryEntry:
    at: datetime
    user: str
    action: str
    changes: list[Change] = field(default_factory=list)


def _label(model: type[models.Model], name: str) -> str:
    try:
        return str(capfirst(model._meta.get_field(name).verbose_name))  # type: ignore[union-attr]
    except Exception:
        return name


def _display(value: Any, model_field: models.Field | None, names: dict[tuple[Any, Any], str]) -> str:
    if value is None or value == "":
        return "—"
    if model_field is not None:
        if model_field.is_relation:
            return names.get((model_field.related_model, value), f"#{value}")
        if model_field.choices:
            return str(dict(model_field.flatchoices).get(value, value))  # type: ignore[arg-type]
        value = display.format_value(value, display.kind_of(model_field))
    if isinstance(value, bool):
        return _("Yes") if value else _("No")
    if isinstance(value, list):
        return ", ".join(str(v) for v in value) or "—"
    if isinstance(value, dict):
        return ", ".join(f"{k}: {v}" for k, v in value.items()) or "—"
    return str(value)


def _field(model: type[models.Model], name: str) -> models.Field | None:
    try:
        found = model._meta.get_field(name)
    except Exception:
        return None
    return found if isinstance(found, models.Field) else None


def change_history(instance: models.Model, *, limit: int = 50) -> list[HistoryEntry]:
    """The newest ``limit`` changes of ``instance``, newest first, each with field, old → new."""
    model = type(instance)
    entries: list[HistoryEntry] = []
    if hasattr(instance, "history"):
        records = list(instance.history.select_related("history_user")  # type: ignore[attr-defined]
                       .order_by("-history_date", "-history_id")[: limit + 1])
        diffs = []
        for newer, older in zip(records, [*records[1:], None], strict=False):
            if older is None and len(records) > limit:
                break
            delta = newer.diff_against(older, excluded_fields=HIDDEN_FIELDS) if older is not None else None
            diffs.append((newer, delta.changes if delta else []))
        names = _related_names(model, [c for _newer, changes in diffs for c in changes])
        actions = {"+": _("Created"), "~": _("Changed"), "-": _("Deleted")}
        for newer, changes in diffs:
            if newer.history_type == "~" and not changes:
                continue  # only hidden fields changed (e.g. a login)
            entries.append(HistoryEntry(
                at=newer.history_date,
                user=str(newer.history_user) if newer.history_user else "—",
                action=actions[newer.history_type],
                changes=[Change(_label(model, c.field), _display(c.old, _field(model, c.field), names),
                                _display(c.new, _field(model, c.field), names)) for c in changes],
            ))
    verbs = _audit_verbs()
    for entry in audit.entries_for(instance)[:limit]:
        changes = []
        for name, value in (entry.changes or {}).items():
            pair = isinstance(value, list) and len(value) == 2
            old, new = value if pair else (None, value)
            changes.append(Change(_label(model, name) if name != "roles" else _("Roles"),
                                  _display(old, None, {}) if pair else "", _display(new, None, {})))
        action = verbs.get(entry.verb, entry.verb)
        if entry.from_state and entry.to_state:  # a transition (core.transitions.apply)
            action = _("Status changed")
            changes.insert(0, Change(_label(model, "status"), _state(model, entry.from_state),
                                     _state(model, entry.to_state)))
        if entry.comment:
            changes.append(Change(_("Reason"), "", entry.comment))
        entries.append(HistoryEntry(at=entry.at, user=str(entry.actor) if entry.actor else "—",
                                    action=action, changes=changes))
    entries.sort(key=lambda e: e.at, reverse=True)
    return entries[:limit]


def _state(model: type[models.Model], value: str) -> str:
    return _display(value, _field(model, "status"), {})


def _related_names(model: type[models.Model], changes: list[Any]) -> dict[tuple[Any, Any], str]:
    """``{(related model, pk): str(record)}`` for every foreign key value in ``changes``, one query per model."""
    wanted: dict[Any, set[Any]] = defaultdict(set)
    for change in changes:
        model_field = _field(model, change.field)
        if model_field is not None and model_field.is_relation:
            wanted[model_field.related_model] |= {v for v in (change.old, change.new) if v is not None}
    names: dict[tuple[Any, Any], str] = {}
    for related, pks in wanted.items():
        for pk, obj in related._default_manager.in_bulk(list(pks)).items():
            names[(related, pk)] = str(obj)
    return names
