"""Generic write services for master data (X1): create, update, deactivate, delete.

Each domain's ``services.py`` calls these, adding its own rules; views and API endpoints never save a
model themselves. Validation runs ``full_clean`` and turns Django's errors into one
``ValidationFailed`` (422) or ``DuplicateCode`` (409) carrying per-field messages, so bad input
changes nothing and never reaches the database as an IntegrityError."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, TypeVar

from django.core.exceptions import ValidationError
from django.db import IntegrityError, models, transaction
from django.db.models.deletion import ProtectedError, RestrictedError

from caixiao.core.codes import normalize_code
from caixiao.core.errors import DuplicateCode, InUse, ValidationFailed

M = TypeVar("M", bound=models.Model)


def validation_error_to_domain(exc: ValidationError) -> ValidationFailed:
    if hasattr(exc, "error_dict"):
        fields = {name: [str(m) for e in errs for m in e.messages] for name, errs in exc.error_dict.items()}
        duplicate = any(e.code in {"unique", "unique_together"} for errs in exc.error_dict.values() for e in errs)
        if duplicate:
            return DuplicateCode(fields=fields)  # type: ignore[return-value]
        return ValidationFailed(fields=fields)
    return ValidationFailed(fields={"__all__": [str(m) for m in exc.messages]})


def _assign(instance: models.Model, data: Mapping[str, Any]) -> None:
    for name, value in data.items():
        field = instance._meta.get_field(name)
        if name == "code" and isinstance(value, str):
            value = normalize_code(value)
        if isinstance(field, models.ForeignKey) and not isinstance(value, models.Model) and value is not None:
            setattr(instance, field.attname, value)
        else:
            setattr(instance, name, value)


def _save(instance: M, actor: Any, *, exclude: Iterable[str] = ()) -> M:
    try:
        instance.full_clean(exclude=list(exclude))
    except ValidationError as exc:
        raise validation_error_to_domain(exc) from None
    instance._history_user = actor if getattr(actor, "pk", None) else None  # type: ignore[attr-defined]
    try:
        with transaction.atomic():
            instance.save()
    except IntegrityError as exc:  # a concurrent insert of the same code, or a DB constraint
        raise DuplicateCode(fields={"__all__": [str(DuplicateCode.default_message)]}) from exc
    return instance


def resolve_references(model: type[models.Model], data: Mapping[str, Any]) -> dict[str, list[str]]:
    """Check that every foreign key id in ``data`` exists; return per-field errors otherwise."""
    from django.utils.translation import gettext as _

    errors: dict[str, list[str]] = {}
    for name, value in data.items():
        try:
            field = model._meta.get_field(name)
        except Exception:  # noqa: S112 - unknown names are reported by full_clean
            continue
        if isinstance(field, models.ForeignKey) and value is not None and not isinstance(value, models.Model):
            target = field.related_model
            if not target._default_manager.filter(pk=value).exists():  # type: ignore[union-attr]
                errors[name] = [_("Unknown %(target)s: %(value)s") % {
                    "target": target._meta.verbose_name, "value": value}]  # type: ignore[union-attr]
    return errors


@transaction.atomic
def create_record(model: type[M], *, data: Mapping[str, Any], actor: Any) -> M:
    errors = resolve_references(model, data)
    if errors:
        raise ValidationFailed(fields=errors)
    instance = model()
    _assign(instance, data)
    return _save(instance, actor)


@transaction.atomic
def update_record(instance: M, *, data: Mapping[str, Any], actor: Any) -> M:
    errors = resolve_references(type(instance), data)
    if errors:
        raise ValidationFailed(fields=errors)
    _assign(instance, data)
    return _save(instance, actor)


@transaction.atomic
def set_active(instance: M, *, active: bool, actor: Any) -> M:
    instance.is_active = active  # type: ignore[attr-defined]
    instance._history_user = actor if getattr(actor, "pk", None) else None  # type: ignore[attr-defined]
    instance.save()
    return instance


@transaction.atomic
def delete_record(instance: models.Model, *, actor: Any) -> None:
    """Delete a record nothing refers to; otherwise raise ``InUse`` (deactivate it instead)."""
    instance._history_user = actor if getattr(actor, "pk", None) else None  # type: ignore[attr-defined]
    try:
        with transaction.atomic():
            instance.delete()
    except (ProtectedError, RestrictedError) as exc:
        raise InUse() from exc
