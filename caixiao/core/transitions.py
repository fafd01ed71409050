"""Explicit document state machines (STYLE.md B5). Each app's enums.py defines a mapping
``{from_status: {allowed_to_status, ...}}``; services call ``ensure`` before changing anything and
``apply`` to save the new status together with an audit entry. Illegal transitions raise."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from django.db import models

from caixiao.core import audit, rows
from caixiao.core.errors import InvalidTransition

Transitions = Mapping[str, Iterable[str]]


def allowed(table: Transitions, frm: str, to: str) -> bool:
    return to in set(table.get(frm, ()))


def ensure(obj: models.Model, *, to: str, table: Transitions, field: str = "status") -> None:
    frm = getattr(obj, field)
    if not allowed(table, frm, to):
        raise InvalidTransition(obj, frm=_label(obj, field, frm), to=_label(obj, field, to))


def apply(obj: models.Model, *, to: str, table: Transitions, actor: Any, field: str = "status",
          update_fields: Iterable[str] = (), comment: str = "", changes: dict[str, Any] | None = None) -> None:
    ensure(obj, to=to, table=table, field=field)
    frm = getattr(obj, field)
    setattr(obj, field, to)
    fields = {field, *update_fields}
    if hasattr(obj, "updated_at"):
        fields.add("updated_at")
    rows.update(obj, sorted(fields))  # obj.save(update_fields=…), prepared once (rows.py)
    audit.record(actor=actor, obj=obj, verb=f"{field}:{to}", from_state=frm, to_state=to,
                 changes=changes, comment=comment)


def _label(obj: models.Model, field: str, value: str) -> str:
    choices = dict(obj._meta.get_field(field).flatchoices)  # type: ignore[union-attr]
    return str(choices.get(value, value))
