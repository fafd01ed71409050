"""Generic references from the ledger to the document lines that move stock. ``inventory`` never
imports the documents: a caller passes its line (any model instance) or a ``Ref``."""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.contenttypes.models import ContentType
from django.db import models

LABEL_MAX_LENGTH = 100


@dataclass(frozen=True)
class Ref:
    """A document line: its content type, its id and a readable label such as ``SO-2026-000123 #2``."""

    content_type_id: int
    object_id: int
    label: str = ""

    @classmethod
    def to(cls, obj: models.Model, label: str = "") -> Ref:
        content_type = ContentType.objects.get_for_model(obj, for_concrete_model=True)
        return cls(content_type.pk, obj.pk, (label or str(obj))[:LABEL_MAX_LENGTH])


Reference = Ref | models.Model


def as_ref(reference: Reference | None) -> Ref | None:
    if reference is None or isinstance(reference, Ref):
        return reference
    return Ref.to(reference)


def reference_filter(reference: Reference, prefix: str = "reference") -> dict[str, object]:
    """``Model.objects.filter(**reference_filter(line))`` for models with a ``reference`` generic FK."""
    ref = as_ref(reference)
    assert ref is not None
    return {f"{prefix}_type_id": ref.content_type_id, f"{prefix}_id": ref.object_id}
