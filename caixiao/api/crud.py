"""Registers the standard master-data endpoints for one resource on a router:

    GET    /<path>                 list (filters, ``q`` search, ``ordering``, pagination)
    POST   /<path>                 create                     → 201
    GET    /<path>/{id}            read
    PATCH  /<path>/{id}            change fields (never a status: documents have transition actions)
    POST   /<path>/{id}/deactivate and /activate  (records with ``is_active``)
    DELETE /<path>/{id}            delete if nothing refers to it, else 409 ``in_use``
    GET    /<path>/{id}/history    who changed what and when (X10)

Each write calls a domain service (``create``/``update``/``set_active`` callables, defaulting to
the generic ``core.masterdata`` services); permissions are checked here, business rules in the
service. ``allow_delete=False`` leaves DELETE out for records that are only ever deactivated.
"""


from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Annotated, Any

from django.db.models import Model, Q, QuerySet
from django.shortcuts import get_object_or_404
from django.utils import translation
from django.utils.translation import gettext as _
from ninja import Field, FilterSchema, Query, Router, Schema
from ninja.pagination import paginate
from ninja.responses import Status

from caixiao.api.errors import COMMON_ERRORS, WRITE_ERRORS, ErrorOut
from caixiao.api.pagination import PageNumber
from caixiao.api.permissions import authorize
from caixiao.core import masterdata
from caixiao.core.errors import DomainError, ValidationFailed

# A record id in a query or body: bounded so an absurd number is a 422, not a database overflow.
Id = Annotated[int, Field(ge=1, le=2**63 - 1)]


class HistoryOut(Schema):
    at: Any
    user: str | None
    action: str
    changes: dict[str, list[Any]]


class ListParams(Schema):
    q: str | None = Field(None, description="search in code, name and other text fields")
    ordering: str | None = Field(None, description="a field name, '-' for descending")


@dataclass
class Resource:
    model: type[Model]
    path: str
    out: type[Schema]
    create_in: type[Schema]
    update_in: type[Schema]
    filters: type[FilterSchema] | None = None
    search_fields: Sequence[str] = ("code", "name")
    ordering_fields: Sequence[str] = ("code", "name", "created_at", "updated_at", "id")
    default_ordering: str = "code"
    queryset: Callable[[Any], QuerySet] | None = None
    create: Callable[..., Model] | None = None
    update: Callable[..., Model] | None = None
    tag: str | None = None
    extra_perms: dict[str, str] = field(default_factory=dict)
    set_active: Callable[..., Model] | None = None
    allow_delete: bool = True

    @property
    def name(self) -> str:
        return self.model._meta.model_name  # type: ignore[return-value]

    def perm(self, verb: str) -> str:
        return self.extra_perms.get(verb) or f"{self.model._meta.app_label}.{verb}_{self.name}"

    def base_queryset(self, request) -> QuerySet:
        if self.queryset is not None:
            return self.queryset(request)
        return self.model._default_manager.all()


def _history(instance: Model) -> list[dict[str, Any]]:
    records = list(instance.history.select_related("history_user").order_by("-history_date", "-history_id")[:100])  # type: ignore[attr-defined]
    result = []
    for newer, older in zip(records, [*records[1:], None], strict=False):
        changes: dict[str, list[Any]] = {}
        if older is not None:
            delta = newer.diff_against(older)
            changes = {c.field: [_jsonable(c.old), _jsonable(c.new)] for c in delta.changes}
        result.append({
            "at": newer.history_date,
            "user": str(newer.history_user) if newer.history_user else None,
            "action": {"+": "created", "~": "changed", "-": "deleted"}[newer.history_type],
            "changes": changes,
        })
    return result


def _jsonable(value: Any) -> Any:
    if value is None or isinstance(value, (bool, int, str)):
        return value
    return str(value)


def register(router: Router, res: Resource) -> None:
    with translation.override("en"):  # the schema is written in English whatever the active language
        tags = [res.tag or str(res.model._meta.verbose_name_plural)]
    name = res.name
    has_active = any(f.name == "is_active" for f in res.model._meta.get_fields())
    FilterCls = res.filters

    def get_instance(request, pk: int) -> Model:
        return get_object_or_404(res.base_queryset(request), pk=pk)

    def set_active(instance: Model, *, active: bool, actor: Any) -> Model:
        if res.set_active is not None:
            return res.set_active(instance=instance, active=active, actor=actor)
        return masterdata.set_active(instance, active=active, actor=actor)

    if FilterCls is not None:
        @router.get(f"/{res.path}", response={200: list[res.out], **COMMON_ERRORS}, tags=tags,  # type: ignore[name-defined]
                    operation_id=f"list_{name}", summary=_list_summary(res))
        @paginate(PageNumber)
        def list_records(request, filters: FilterCls = Query(...), params: ListParams = Query(...)):  # type: ignore[valid-type]
            authorize(request, res.perm("view"))
            return _apply_list(res, filters.filter(res.base_queryset(request)), params)  # type: ignore[attr-defined]
    else:
        @router.get(f"/{res.path}", response={200: list[res.out], **COMMON_ERRORS}, tags=tags,  # type: ignore[name-defined]
                    operation_id=f"list_{name}", summary=_list_summary(res))
        @paginate(PageNumber)
        def list_records(request, params: ListParams = Query(...)):
            authorize(request, res.perm("view"))
            return _apply_list(res, res.base_queryset(request), params)

    @router.post(f"/{res.path}", response={201: res.out, **WRITE_ERRORS}, tags=tags, operation_id=f"create_{name}")
    def create_record(request, payload: res.create_in):  # type: ignore[name-defined]
        authorize(request, res.perm("add"))
        data = payload.dict(exclude_unset=True)
        with _fields_named_as_sent(set(data)):
            if res.create is not None:
                obj = res.create(data=data, actor=request.user)
            else:
                obj = masterdata.create_record(res.model, data=data, actor=request.user)
        return Status(201, res.base_queryset(request).get(pk=obj.pk))

    @router.get(f"/{res.path}/{{int:pk}}", response={200: res.out, **WRITE_ERRORS}, tags=tags,
                operation_id=f"get_{name}")
    def get_record(request, pk: int):
        authorize(request, res.perm("view"))
        return get_instance(request, pk)

    @router.patch(f"/{res.path}/{{int:pk}}", response={200: res.out, **WRITE_ERRORS}, tags=tags,
                  operation_id=f"update_{name}")
    def update_record(request, pk: int, payload: res.update_in):  # type: ignore[name-defined]
        authorize(request, res.perm("change"))
        instance = get_instance(request, pk)
        data = payload.dict(exclude_unset=True)
        if not data:
            raise ValidationFailed(_("Send at least one field to change."))
        with _fields_named_as_sent(set(data)):
            if res.update is not None:
                res.update(instance=instance, data=data, actor=request.user)
            else:
                masterdata.update_record(instance, data=data, actor=request.user)
        return res.base_queryset(request).get(pk=pk)

    if has_active:
        @router.post(f"/{res.path}/{{int:pk}}/deactivate", response={200: res.out, **WRITE_ERRORS}, tags=tags,
                     operation_id=f"deactivate_{name}")
        def deactivate_record(request, pk: int):
            authorize(request, res.perm("change"))
            set_active(get_instance(request, pk), active=False, actor=request.user)
            return res.base_queryset(request).get(pk=pk)

        @router.post(f"/{res.path}/{{int:pk}}/activate", response={200: res.out, **WRITE_ERRORS}, tags=tags,
                     operation_id=f"activate_{name}")
        def activate_record(request, pk: int):
            authorize(request, res.perm("change"))
            set_active(get_instance(request, pk), active=True, actor=request.user)
            return res.base_queryset(request).get(pk=pk)

    if res.allow_delete:
        @router.delete(f"/{res.path}/{{int:pk}}", response={204: None, **WRITE_ERRORS}, tags=tags,
                       operation_id=f"delete_{name}")
        def delete_record(request, pk: int):
            authorize(request, res.perm("delete"))
            masterdata.delete_record(get_instance(request, pk), actor=request.user)
            return Status(204, None)

    if hasattr(res.model, "history"):
        @router.get(f"/{res.path}/{{int:pk}}/history", response={200: list[HistoryOut], 404: ErrorOut,
                                                               **COMMON_ERRORS},
                    tags=tags, operation_id=f"history_{name}")
        def record_history(request, pk: int):
            authorize(request, res.perm("view"))
            return _history(get_instance(request, pk))


@contextmanager
def _fields_named_as_sent(sent: set[str]) -> Iterator[None]:
    """Report a foreign key's errors under the name the client sent (``category_id``, not ``category``)."""
    try:
        yield
    except DomainError as exc:
        exc.fields = {f"{name}_id" if f"{name}_id" in sent and name not in sent else name: messages
                      for name, messages in exc.fields.items()}
        raise


def _list_summary(res: Resource) -> str:
    with translation.override("en"):
        return f"List {res.model._meta.verbose_name_plural}"


def _apply_list(res: Resource, qs: QuerySet, params: ListParams) -> QuerySet:
    if params.q:
        term = params.q.strip()[:100]
        cond = Q()
        for f in res.search_fields:
            cond |= Q(**{f"{f}__icontains": term})
        qs = qs.filter(cond)
    ordering = params.ordering or res.default_ordering
    if ordering.lstrip("-") not in res.ordering_fields:
        raise ValidationFailed(fields={"ordering": [
            _("Order by one of: %(fields)s.") % {"fields": ", ".join(res.ordering_fields)}]})
    return qs.order_by(ordering, "pk")
