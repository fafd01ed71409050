from __future__ import annotations

from django.db.models import QuerySet

from caixiao.accounts.models import APIToken, Department, User, hash_token


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
    return User.objects.select_related("department", "position").order_by("username")
