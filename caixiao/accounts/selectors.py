from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from caixiao.accounts.models import APIToken, Department, Position, Role, User, hash_token


def get_valid_token(*, raw: str) -> APIToken | None:
    token = APIToken.objects.select_related("user").filter(token_hash=hash_token(raw)).first()
    return token if token is not None and token.is_valid else None


def department_subtree_ids(department_id: int) -> set[int]:
    """The department and every department below it (one query per tree level)."""
    ids = {department_id}
    frontier = {department_id}
    while frontier:
        frontier = set(Department.objects.filter(parent_id__in=frontier).values_list("id", flat=True)) - ids
        ids |= frontier
    return ids


def data_scope(user: User) -> str:
    """The widest data scope any of the user's roles grants: ``all``, ``department`` or ``own``."""
    if user.is_superuser:
        return "all"
    scopes = set(user.groups.filter(role__isnull=False).values_list("role__data_scope", flat=True))
    for scope in ("all", "department", "own"):
        if scope in scopes:
            return scope
    return "own"


def visible_owner_ids(user: User) -> set[int] | None:
    """User ids whose customers (and their documents) ``user`` may see; ``None`` means everyone.

    A sales rep sees their own customers, a manager everything owned in the departments they head or
    belong to (and below), executives and back-office roles everything (X2)."""
    scope = data_scope(user)
    if scope == "all":
        return None
    if scope == "department":
        roots = set(user.headed_departments.values_list("id", flat=True))
        if user.department_id:
            roots.add(user.department_id)
        dept_ids: set[int] = set()
        for root in roots:
            dept_ids |= department_subtree_ids(root)
        return set(User.objects.filter(department_id__in=dept_ids).values_list("id", flat=True)) | {user.pk}
    return {user.pk}


def list_users() -> QuerySet[User]:
    return User.objects.select_related("department", "position").prefetch_related("groups").order_by("username")


def list_departments() -> QuerySet[Department]:
    return Department.objects.select_related("parent", "head")


def list_positions() -> QuerySet[Position]:
    return Position.objects.select_related("department")


def list_api_tokens(*, user: User) -> QuerySet[APIToken]:
    return APIToken.objects.filter(user=user).order_by("-created_at", "-id")


def list_roles() -> QuerySet[Role]:
    return Role.objects.select_related("group").prefetch_related("group__permissions__content_type")


def department_tree() -> list[dict[str, Any]]:
    """Every department as nested nodes (``children``), roots first, each level by code; one query."""
    nodes: dict[int, dict[str, Any]] = {}
    roots: list[dict[str, Any]] = []
    departments = list(Department.objects.select_related("head").order_by("code"))
    for dept in departments:
        nodes[dept.pk] = {"id": dept.pk, "code": dept.code, "name": dept.name, "head_id": dept.head_id,
                          "head_name": str(dept.head) if dept.head else None, "is_active": dept.is_active,
                          "children": []}
    for dept in departments:
        parent = nodes.get(dept.parent_id) if dept.parent_id else None
        (parent["children"] if parent else roots).append(nodes[dept.pk])
    return roots
