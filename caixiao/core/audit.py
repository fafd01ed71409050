"""Audit entries for state changes and other actions (X10). Call inside the service's transaction."""

from __future__ import annotations

from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.utils import timezone

from caixiao.core import rows
from caixiao.core.models import AuditEntry


def record(*, actor: Any, obj: models.Model, verb: str, from_state: str = "", to_state: str = "",
           changes: dict[str, Any] | None = None, comment: str = "") -> None:
    """Write one audit entry (one plain INSERT, rows.py); nothing is returned, as no caller reads the
    entry back in the same use case and building the instance cost as much as writing it."""
    actor = actor if getattr(actor, "pk", None) else None
    values = {"at": timezone.now(), "actor_id": actor.pk if actor else None,
              "content_type_id": ContentType.objects.get_for_model(obj, for_concrete_model=True).pk,
              "object_id": str(obj.pk), "verb": verb, "from_state": str(from_state), "to_state": str(to_state),
              "changes": changes or {}, "comment": comment}
    rows.insert_rows(AuditEntry, [values], returning=False)


def entries_for(obj: models.Model) -> models.QuerySet[AuditEntry]:
    ct = ContentType.objects.get_for_model(obj, for_concrete_model=True)
    return AuditEntry.objects.filter(content_type=ct, object_id=str(obj.pk)).select_related("actor")
