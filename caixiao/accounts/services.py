from __future__ import annotations

import secrets
from datetime import datetime
from typing import Any

from django.conf import settings
from django.contrib.auth.models import Group, Permission
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from caixiao.accounts.models import APIToken, Role, User, hash_token
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


@transaction.atomic
def create_user(*, data: dict[str, Any], roles: list[str], password: str | None, actor: Any) -> User:
    user = masterdata.create_record(User, data={**data, "password": "!"}, actor=actor)
    if password:
        user.set_password(password)
    else:
        user.set_unusable_password()
    user.save(update_fields=["password"])
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
