"""Organisation endpoints (X2, X9): the current user, users, departments, positions, roles and
personal API tokens. Administrators (``accounts.*`` permissions) manage users and the organisation;
every user manages their own tokens."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from django.shortcuts import get_object_or_404
from ninja import Field, FilterLookup, FilterSchema, Router, Schema
from ninja.pagination import paginate
from ninja.responses import Status

from caixiao.accounts import selectors, services
from caixiao.accounts.models import Department, Position, Role, User
from caixiao.accounts.roles import ROLES
from caixiao.api.crud import Id, Resource, register
from caixiao.api.errors import COMMON_ERRORS, WRITE_ERRORS
from caixiao.api.pagination import PageNumber
from caixiao.api.permissions import authorize

router = Router(tags=["organisation"])

CODE = Field(..., min_length=1, max_length=32, description="unique; upper-case letters, digits, . _ -")
NAME = Field(..., min_length=1, max_length=200)


def _label(obj: Any) -> str | None:
    return str(obj) if obj is not None else None


def _role_label(role: Role) -> str:
    """Seeded roles show their label in the caller's language; administrator-made roles as stored."""
    seeded = ROLES.get(role.code)
    return str(seeded[0]) if seeded else role.label


# The current user ------------------------------------------------------------------------------
class RoleRef(Schema):
    code: str
    label: str


class MeOut(Schema):
    id: int
    username: str
    display_name: str
    email: str
    department_id: int | None
    department_name: str | None
    position_id: int | None
    position_name: str | None
    supplier_id: int | None = Field(..., description="set for supplier portal users")
    language: str
    is_superuser: bool
    data_scope: str = Field(..., description="which customers' records the user sees: own, department or all")
    roles: list[RoleRef]
    permissions: list[str]


@router.get("/me", response={200: MeOut, **COMMON_ERRORS}, tags=["me"], operation_id="get_me")
def get_me(request):
    user = request.user
    roles = selectors.list_roles().filter(group__user=user)
    return {
        "id": user.pk, "username": user.username, "display_name": user.display_name, "email": user.email,
        "department_id": user.department_id, "department_name": _label(user.department),
        "position_id": user.position_id, "position_name": _label(user.position),
        "supplier_id": user.supplier_id, "language": user.language, "is_superuser": user.is_superuser,
        "data_scope": selectors.data_scope(user),
        "roles": [{"code": role.code, "label": _role_label(role)} for role in roles],
        "permissions": sorted(user.get_all_permissions()),
    }


# Users -----------------------------------------------------------------------------------------
class UserOut(Schema):
    id: int
    username: str
    display_name: str
    first_name: str
    last_name: str
    email: str
    phone: str
    department_id: int | None
    department_name: str | None
    position_id: int | None
    position_name: str | None
    manager_id: int | None
    supplier_id: int | None
    language: str
    roles: list[str]
    is_active: bool
    last_login: datetime | None
    date_joined: datetime

    @staticmethod
    def resolve_department_name(obj: User) -> str | None:
        return _label(obj.department)

    @staticmethod
    def resolve_position_name(obj: User) -> str | None:
        return _label(obj.position)

    @staticmethod
    def resolve_roles(obj: User) -> list[str]:
        return sorted(group.name for group in obj.groups.all())


class UserIn(Schema):
    username: str = Field(..., min_length=1, max_length=150)
    display_name: str = Field("", max_length=100)
    first_name: str = Field("", max_length=150)
    last_name: str = Field("", max_length=150)
    email: str = Field("", max_length=254)
    phone: str = Field("", max_length=32)
    department_id: Id | None = None
    position_id: Id | None = None
    manager_id: Id | None = None
    supplier_id: Id | None = Field(None, description="makes the user a supplier portal user")
    language: str = Field("", max_length=10)
    roles: list[str] = Field([], description="role codes, see GET /roles")
    password: str | None = Field(None, min_length=1, max_length=128,
                                 description="leave out for a user who logs in some other way")


class UserPatch(Schema):
    username: str | None = Field(None, min_length=1, max_length=150)
    display_name: str | None = Field(None, max_length=100)
    first_name: str | None = Field(None, max_length=150)
    last_name: str | None = Field(None, max_length=150)
    email: str | None = Field(None, max_length=254)
    phone: str | None = Field(None, max_length=32)
    department_id: Id | None = None
    position_id: Id | None = None
    manager_id: Id | None = None
    supplier_id: Id | None = None
    language: str | None = Field(None, max_length=10)
    roles: list[str] | None = Field(None, description="replaces the user's roles when sent")


class UserFilter(FilterSchema):
    department_id: Id | None = None
    position_id: Id | None = None
    manager_id: Id | None = None
    supplier_id: Id | None = None
    role: Annotated[str | None, FilterLookup("groups__name")] = Field(None, description="a role code")
    is_active: bool | None = None


class PasswordIn(Schema):
    password: str = Field(..., min_length=1, max_length=128)


def _create_user(*, data: dict[str, Any], actor: Any) -> User:
    roles = data.pop("roles", [])
    password = data.pop("password", None)
    return services.create_user(data=data, roles=roles, password=password, actor=actor)


def _update_user(*, instance: User, data: dict[str, Any], actor: Any) -> User:
    roles = data.pop("roles", None)
    return services.update_user(instance=instance, data=data, roles=roles, actor=actor)


def _set_user_active(*, instance: User, active: bool, actor: Any) -> User:
    return services.set_user_active(user=instance, active=active, actor=actor)


register(router, Resource(User, "users", UserOut, UserIn, UserPatch, UserFilter,
                          search_fields=("username", "display_name", "first_name", "last_name", "email", "phone"),
                          ordering_fields=("username", "display_name", "date_joined", "last_login", "id"),
                          default_ordering="username", queryset=lambda r: selectors.list_users(),
                          create=_create_user, update=_update_user, set_active=_set_user_active,
                          allow_delete=False, tag="users"))


@router.post("/users/{int:pk}/password", response={200: UserOut, **WRITE_ERRORS}, tags=["users"],
             operation_id="set_user_password")
def set_user_password(request, pk: int, payload: PasswordIn):
    authorize(request, "accounts.change_user")
    user = get_object_or_404(selectors.list_users(), pk=pk)
    services.set_user_password(user=user, password=payload.password, actor=request.user)
    return selectors.list_users().get(pk=pk)


# Departments -----------------------------------------------------------------------------------
class DepartmentOut(Schema):
    id: int
    code: str
    name: str
    parent_id: int | None
    head_id: int | None
    head_name: str | None
    is_active: bool
    updated_at: datetime

    @staticmethod
    def resolve_head_name(obj: Department) -> str | None:
        return _label(obj.head)


class DepartmentIn(Schema):
    code: str = CODE
    name: str = NAME
    parent_id: Id | None = None
    head_id: Id | None = Field(None, description="an active user")


class DepartmentPatch(Schema):
    code: str | None = Field(None, min_length=1, max_length=32)
    name: str | None = Field(None, min_length=1, max_length=200)
    parent_id: Id | None = None
    head_id: Id | None = None


class DepartmentFilter(FilterSchema):
    parent_id: Id | None = None
    head_id: Id | None = None
    is_active: bool | None = None


class DepartmentNode(Schema):
    id: int
    code: str
    name: str
    head_id: int | None
    head_name: str | None
    is_active: bool
    children: list[DepartmentNode]


DepartmentNode.model_rebuild()


@router.get("/departments/tree", response={200: list[DepartmentNode], **COMMON_ERRORS}, tags=["departments"],
            operation_id="department_tree", summary="The organisation as a tree")
def department_tree(request):
    authorize(request, "accounts.view_department")
    return selectors.department_tree()


register(router, Resource(Department, "departments", DepartmentOut, DepartmentIn, DepartmentPatch,
                          DepartmentFilter, queryset=lambda r: selectors.list_departments(),
                          create=services.create_department, update=services.update_department,
                          tag="departments"))


# Positions -------------------------------------------------------------------------------------
class PositionOut(Schema):
    id: int
    code: str
    name: str
    department_id: int | None
    department_name: str | None
    is_active: bool
    updated_at: datetime

    @staticmethod
    def resolve_department_name(obj: Position) -> str | None:
        return _label(obj.department)


class PositionIn(Schema):
    code: str = CODE
    name: str = NAME
    department_id: Id | None = None


class PositionPatch(Schema):
    code: str | None = Field(None, min_length=1, max_length=32)
    name: str | None = Field(None, min_length=1, max_length=200)
    department_id: Id | None = None


class PositionFilter(FilterSchema):
    department_id: Id | None = None
    is_active: bool | None = None


register(router, Resource(Position, "positions", PositionOut, PositionIn, PositionPatch, PositionFilter,
                          queryset=lambda r: selectors.list_positions(), create=services.create_position,
                          update=services.update_position, tag="positions"))


# Roles -----------------------------------------------------------------------------------------
class RoleOut(Schema):
    code: str
    label: str
    description: str
    data_scope: str
    permissions: list[str]

    @staticmethod
    def resolve_label(obj: Role) -> str:
        return _role_label(obj)

    @staticmethod
    def resolve_permissions(obj: Role) -> list[str]:
        return sorted(f"{p.content_type.app_label}.{p.codename}" for p in obj.group.permissions.all())


@router.get("/roles", response={200: list[RoleOut], **COMMON_ERRORS}, tags=["roles"], operation_id="list_roles")
def list_roles(request):
    authorize(request, "accounts.view_role")
    return selectors.list_roles()


# API tokens ------------------------------------------------------------------------------------
class TokenOut(Schema):
    id: int
    name: str
    prefix: str = Field(..., description="the first characters of the token, to recognise it")
    created_at: datetime
    last_used_at: datetime | None
    expires_at: datetime | None
    revoked_at: datetime | None
    is_valid: bool


class TokenCreatedOut(TokenOut):
    token: str = Field(..., description="the secret; shown only in this response, store it now")


class TokenIn(Schema):
    name: str = Field(..., min_length=1, max_length=100)
    expires_at: datetime | None = Field(None, description="no expiry when left out")


@router.get("/tokens", response={200: list[TokenOut], **COMMON_ERRORS}, tags=["tokens"],
            operation_id="list_my_tokens", summary="List my API tokens")
@paginate(PageNumber)
def list_tokens(request):
    return selectors.list_api_tokens(user=request.user)


@router.post("/tokens", response={201: TokenCreatedOut, **COMMON_ERRORS}, tags=["tokens"],
             operation_id="create_token", summary="Create an API token (the secret is returned once)")
def create_token(request, payload: TokenIn):
    token, raw = services.create_api_token(user=request.user, name=payload.name, expires_at=payload.expires_at,
                                           actor=request.user)
    token.token = raw  # type: ignore[attr-defined]  # returned once, never stored
    return Status(201, token)


@router.post("/tokens/{int:pk}/revoke", response={200: TokenOut, **WRITE_ERRORS}, tags=["tokens"],
             operation_id="revoke_token")
def revoke_token(request, pk: int):
    return services.revoke_api_token(token_id=pk, actor=request.user)
