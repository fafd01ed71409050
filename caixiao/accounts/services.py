from __future__ import annotations

import secrets
from datetime import datetime
from typing import Any

from django.conf import settings
from django.contrib.auth.models import Group, Permission
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from caixiao.accounts.models import APIToken, Department, Position, Role, User, hash_token
from caixiao.accounts.roles import ROLES
from caixiao.core import audit, masterdata
from caixiao.core.errors import NotFound, PermissionDenied, ValidationFailed


@transaction.atomic
def sync_roles() -> list[Role]:
    """Create or update the seeded roles so their permissions match ``roles.ROLES``."""
    wanted = {p for _label, _scope, perms in ROLES.values() for p in perms}
    by_key = {f"{p.content_type.app_label}.{p.codename}": p
              for p in Permission.objects.select_related("content_type")
              if f"{p.content_type.app_label}.{p.codename}" in wanted}
    missing = wanted - set(by_key)
    if missing:
        raise RuntimeError(f"unknown permissions in roles.ROLES: {sorted(missing)}")
    roles = []
    for code, (label, scope, perms) in ROLES.items():
        group, _created = Group.objects.get_or_create(name=code)
        group.permissions.set([by_key[p] for p in perms])
        role, _created = Role.objects.update_or_create(group=group, defaults={"label": str(label), "data_scope": scope})
        roles.append(role)
    return roles


# Users -----------------------------------------------------------------------------------------
def _check_user(data: dict[str, Any], instance: User | None = None) -> None:
    errors: dict[str, list[str]] = {}
    manager_id = data.get("manager_id")
    if manager_id is not None:
        if instance is not None and manager_id == instance.pk:
            errors["manager_id"] = [_("A user cannot be their own manager.")]
        elif not User.objects.filter(pk=manager_id, is_active=True).exists():
            errors["manager_id"] = [_("Choose an active user.")]
    language = data.get("language")
    if language and language not in dict(settings.LANGUAGES):
        errors["language"] = [_("Choose one of: %(choices)s.") % {"choices": ", ".join(dict(settings.LANGUAGES))}]
    if errors:
        raise ValidationFailed(fields=errors)


def _check_password(password: str, user: User) -> None:
    try:
        validate_password(password, user)
    except ValidationError as exc:
        raise ValidationFailed(fields={"password": list(exc.messages)}) from None


def _check_may_change(user: User, actor: Any) -> None:
    """Only a superuser may change a superuser, so an administrator cannot lock out the owner."""
    if user.is_superuser and not getattr(actor, "is_superuser", False):
        raise PermissionDenied()


@transaction.atomic
def create_user(*, data: dict[str, Any], roles: list[str], password: str | None, actor: Any) -> User:
    _check_user(data)
    user = masterdata.create_record(User, data={**data, "password": "!"}, actor=actor)
    if password:
        _check_password(password, user)
        user.set_password(password)
    else:
        user.set_unusable_password()
    user.save(update_fields=["password"])
    set_roles(user=user, roles=roles, actor=actor)
    return user


@transaction.atomic
def update_user(*, instance: User, data: dict[str, Any], roles: list[str] | None = None, actor: Any) -> User:
    """Change a user's fields and, when ``roles`` is given, replace their roles."""
    _check_may_change(instance, actor)
    _check_user(data, instance)
    user = masterdata.update_record(instance, data=data, actor=actor)
    if roles is not None:
        set_roles(user=user, roles=roles, actor=actor)
    return user


@transaction.atomic
def set_roles(*, user: User, roles: list[str], actor: Any) -> None:
    groups = list(Group.objects.filter(name__in=roles))
    unknown = set(roles) - {g.name for g in groups}
    if unknown:
        raise ValidationFailed(fields={"roles": [_("Unknown role: %(code)s") % {"code": c} for c in sorted(unknown)]})
    before = sorted(user.groups.values_list("name", flat=True))
    user.groups.set(groups)
    after = sorted(g.name for g in groups)
    if before != after:
        audit.record(actor=actor, obj=user, verb="roles", changes={"roles": [before, after]})


@transaction.atomic
def create_api_token(*, user: User, name: str, actor: Any, expires_at: datetime | None = None) -> tuple[APIToken, str]:
    """Create a token and return it with the raw secret, which is shown once and never stored."""
    if actor.pk != user.pk and not actor.has_perm("accounts.add_apitoken"):
        raise PermissionDenied()
    name = (name or "").strip()
    if not name:
        raise ValidationFailed(fields={"name": [_("This field is required.")]})
    if expires_at is not None and timezone.is_naive(expires_at):
        expires_at = timezone.make_aware(expires_at)  # read as the local time zone
    if expires_at is not None and expires_at <= timezone.now():
        raise ValidationFailed(fields={"expires_at": [_("Choose a time in the future.")]})
    raw = settings.API_TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = APIToken.objects.create(user=user, name=name[:100], prefix=raw[:10], token_hash=hash_token(raw),
                                    expires_at=expires_at)
    audit.record(actor=actor, obj=user, verb="api_token:created", changes={"token": token.prefix})
    return token, raw


@transaction.atomic
def revoke_api_token(*, token_id: int, actor: Any) -> APIToken:
    token = APIToken.objects.select_for_update(no_key=True).filter(pk=token_id).first()
    if token is None or (token.user_id != actor.pk and not actor.has_perm("accounts.delete_apitoken")):
        raise NotFound()
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at", "updated_at"])
        audit.record(actor=actor, obj=token.user, verb="api_token:revoked", changes={"token": token.prefix})
    return token


@transaction.atomic
def set_user_active(*, user: User, active: bool, actor: Any) -> User:
    """Deactivate (or reactivate) a user: a deactivated user can neither log in nor use a token."""
    _check_may_change(user, actor)
    if not active and user.pk == getattr(actor, "pk", None):
        raise ValidationFailed(_("You cannot deactivate yourself."))
    return masterdata.set_active(user, active=active, actor=actor)


@transaction.atomic
def set_user_password(*, user: User, password: str, actor: Any) -> User:
    _check_may_change(user, actor)
    _check_password(password, user)
    user.set_password(password)
    user.save(update_fields=["password"])
    audit.record(actor=actor, obj=user, verb="password_set")
    return user


# Departments and positions ---------------------------------------------------------------------
def _check_department(data: dict[str, Any], instance: Department | None = None) -> None:
    errors: dict[str, list[str]] = {}
    parent_id = data.get("parent_id")
    if parent_id is not None and instance is not None:
        node: int | None = parent_id
        while node is not None:
            if node == instance.pk:
                errors["parent_id"] = [_("A department cannot sit below itself.")]
                break
            node = Department.objects.filter(pk=node).values_list("parent_id", flat=True).first()
    head_id = data.get("head_id")
    if head_id is not None and not User.objects.filter(pk=head_id, is_active=True).exists():
        errors["head_id"] = [_("Choose an active user.")]
    if errors:
        raise ValidationFailed(fields=errors)


@transaction.atomic
def create_department(*, data: dict[str, Any], actor: Any) -> Department:
    _check_department(data)
    return masterdata.create_record(Department, data=data, actor=actor)


@transaction.atomic
def update_department(*, instance: Department, data: dict[str, Any], actor: Any) -> Department:
    _check_department(data, instance)
    return masterdata.update_record(instance, data=data, actor=actor)


@transaction.atomic
def create_position(*, data: dict[str, Any], actor: Any) -> Position:
    return masterdata.create_record(Position, data=data, actor=actor)


@transaction.atomic
def update_position(*, instance: Position, data: dict[str, Any], actor: Any) -> Position:
    return masterdata.update_record(instance, data=data, actor=actor)
