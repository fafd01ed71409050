"""One small mechanism for every master-data page of the staff UI.

A ``Resource`` describes one model: the selector that reads it, the form fields, the list columns,
the search and sort fields, the permissions and the domain services that write it. ``urls(resource)``
turns it into five pages and two actions:

    <path>/                      list: search (live with htmx), filter by active, sort, paginate
    <path>/new/                  create form        → the ``create`` service
    <path>/<pk>/                 detail: fields, child tables, change history (X10)
    <path>/<pk>/edit/            edit form          → the ``update`` service
    <path>/<pk>/deactivate/      POST               → the ``set_active`` service (and activate/);
                                                      default core.masterdata.set_active

A ``Child`` is a table of dependent records on the detail page (a product's unit conversions, a
customer's contacts): added inline with htmx, edited on their own form page, deleted by POST.
Views stay thin: a form parses input, the service validates and saves, a ``DomainError`` becomes
form errors, and every view checks the model permission itself.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cached_property, reduce
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import FieldDoesNotExist, PermissionDenied
from django.core.paginator import Paginator
from django.db import models
from django.db.models import Q, QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import URLPattern, path, reverse
from django.utils.cache import patch_vary_headers
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from caixiao.core import masterdata
from caixiao.core.errors import DomainError
from caixiao.web import display
from caixiao.web.forms import CodeField, ServiceForm
from caixiao.web.history import change_history

PER_PAGE = 25

REGISTRY: dict[type[models.Model], Resource] = {}
REGISTRY_BY_KEY: dict[str, Resource] = {}


# Columns and cells ------------------------------------------------------------------------------
@dataclass(frozen=True)
class Column:
    """A value shown in a table or on a detail page: a field name, a dotted path (``category.name``)
    or a ``value`` callable. Label and kind (money, qty, rate, bool …) default from the model field."""

    name: str
    label: Any = None
    kind: str | None = None
    value: Callable[[Any], Any] | None = None
    link: bool = False  # link a foreign key to its own detail page
    sort: str = ""      # the ordering key when it is not the column's own name (``supplier__code``)


@dataclass
class Cell:
    text: Any
    kind: str = "text"
    url: str = ""

    @property
    def numeric(self) -> bool:
        return self.kind in display.NUMERIC_KINDS


def _model_field(model: type[models.Model], dotted: str) -> models.Field | None:
    field_: Any = None
    for part in dotted.split("."):
        try:
            field_ = model._meta.get_field(part)
        except FieldDoesNotExist:
            return None
        if field_.is_relation and field_.related_model is not None:
            model = field_.related_model
    return field_ if isinstance(field_, models.Field) else None


def _column_kind(model: type[models.Model], column: Column) -> str:
    if column.kind:
        return column.kind
    return "text" if column.value is not None else display.kind_of(_model_field(model, column.name))


def column_label(model: type[models.Model], column: Column) -> str:
    if column.label is not None:
        return str(capfirst(column.label))
    first = column.name.split(".")[0]
    try:
        return str(capfirst(model._meta.get_field(first).verbose_name))  # type: ignore[union-attr]
    except FieldDoesNotExist:
        return str(capfirst(first.replace("_", " ")))


def cell(obj: models.Model, column: Column, user: Any) -> Cell:
    kind = _column_kind(type(obj), column)
    if column.value is not None:
        value = column.value(obj)
    else:
        value = obj
        parts = column.name.split(".")
        for part in parts[:-1]:
            value = getattr(value, part, None)
            if value is None:
                break
        if value is not None:
            last = parts[-1]
            display_method = getattr(value, f"get_{last}_display", None)
            value = display_method() if callable(display_method) else getattr(value, last, None)
    url = ""
    if isinstance(value, models.Model):
        url = detail_url_for(value, user) if column.link else ""
        value = str(value)
    text = "" if value is None else display.format_value(value, kind)
    return Cell(text=text, kind=kind, url=url)


def detail_url_for(obj: models.Model, user: Any) -> str:
    """The detail page of ``obj`` if it has one the user may view, else ''."""
    resource = REGISTRY.get(type(obj))
    if resource is None or not user.has_perm(resource.perm("view")):
        return ""
    return reverse(resource.url_name("detail"), args=[obj.pk])


def _as_columns(items: Sequence[str | Column]) -> list[Column]:
    return [c if isinstance(c, Column) else Column(c) for c in items]


# Resource and child descriptions --------------------------------------------------------------------
def _form_class(model: type[models.Model], base: type[ServiceForm], fields: Sequence[str]) -> type[ServiceForm]:
    field_classes = {"code": CodeField} if "code" in fields else None
    return forms.modelform_factory(model, form=base, fields=list(fields),  # type: ignore[return-value]
                                   field_classes=field_classes)


def _perm(model: type[models.Model], verb: str) -> str:
    return f"{model._meta.app_label}.{verb}_{model._meta.model_name}"


def _has_active(model: type[models.Model]) -> bool:
    return any(f.name == "is_active" for f in model._meta.fields)


@dataclass
class Child:
    """Dependent records listed on the parent's detail page."""

    key: str                                           # URL segment, e.g. "units"
    model: type[models.Model]
    parent_field: str                                  # the foreign key to the parent, e.g. "product"
    rows: Callable[[models.Model, Any], QuerySet]      # (parent, user) → records, through a selector
    columns: Sequence[str | Column]
    fields: Sequence[str] = ()                         # inline form; empty: read-only or ``link``
    create: Callable[..., models.Model] | None = None  # service(data=, actor=)
    update: Callable[..., models.Model] | None = None  # service(instance=, data=, actor=)
    title: Any = None
    link: str | None = None                            # key of the Resource that owns these rows
    deletable: bool = False
    perm_model: type[models.Model] | None = None       # whose permissions apply (default: ``model``)

    def perm(self, verb: str) -> str:
        return _perm(self.perm_model or self.model, verb)

    @cached_property
    def form_class(self) -> type[ServiceForm]:
        return _form_class(self.model, ServiceForm, self.fields)

    @property
    def label(self) -> str:
        return str(capfirst(self.title or self.model._meta.verbose_name_plural))


@dataclass
class Resource:
    key: str                                           # URL names: web:<key>-list, -detail, …
    model: type[models.Model]
    path: str                                          # URL prefix, e.g. "products"
    queryset: Callable[[Any], QuerySet]                # user → records the user may see (a selector)
    fields: Sequence[str]                              # form fields
    columns: Sequence[str | Column]                    # list columns; the first links to the detail page
    sections: Sequence[tuple[Any, Sequence[str | Column]]] = ()  # detail groups; default: the form fields
    search_fields: Sequence[str] = ("code", "name")
    sort_fields: Sequence[str] = ("code", "name")
    default_sort: str = "code"
    create: Callable[..., models.Model] | None = None  # service(data=, actor=); default core.masterdata
    update: Callable[..., models.Model] | None = None  # service(instance=, data=, actor=)
    set_active: Callable[..., models.Model] | None = None  # service(instance, active=, actor=)
    form: type[ServiceForm] = ServiceForm
    create_form: type[ServiceForm] | None = None
    create_fields: Sequence[str] | None = None
    children: Sequence[Child] = ()
    initial: Callable[[HttpRequest], dict[str, Any]] | None = None
    display: Callable[[Any], str] = str                # the record's name in titles and messages
    icon: str = "card-list"

    def __post_init__(self) -> None:
        REGISTRY[self.model] = self
        REGISTRY_BY_KEY[self.key] = self

    # names and permissions
    @property
    def verbose_name(self) -> str:
        return str(self.model._meta.verbose_name)

    @property
    def label_plural(self) -> str:
        return str(capfirst(self.model._meta.verbose_name_plural))

    def perm(self, verb: str) -> str:
        return _perm(self.model, verb)

    def url_name(self, page: str) -> str:
        return f"web:{self.key}-{page}"

    @property
    def has_active(self) -> bool:
        return _has_active(self.model)

    def child(self, key: str) -> Child:
        for child in self.children:
            if child.key == key:
                return child
        raise KeyError(key)

    # forms
    @cached_property
    def edit_form_class(self) -> type[ServiceForm]:
        return _form_class(self.model, self.form, self.fields)

    @cached_property
    def create_form_class(self) -> type[ServiceForm]:
        return _form_class(self.model, self.create_form or self.form, self.create_fields or self.fields)

    # services
    def run_create(self, data: dict[str, Any], actor: Any) -> models.Model:
        if self.create is not None:
            return self.create(data=data, actor=actor)
        return masterdata.create_record(self.model, data=data, actor=actor)

    def run_update(self, instance: models.Model, data: dict[str, Any], actor: Any) -> models.Model:
        if self.update is not None:
            return self.update(instance=instance, data=data, actor=actor)
        return masterdata.update_record(instance, data=data, actor=actor)

    def detail_sections(self) -> list[tuple[Any, list[Column]]]:
        if self.sections:
            return [(title, _as_columns(items)) for title, items in self.sections]
        return [(None, _as_columns(self.fields))]


# Permission helpers -----------------------------------------------------------------------------
def require(request: HttpRequest, perm: str) -> None:
    """Raise ``PermissionDenied`` (rendered by templates/403.html) unless the user holds ``perm``."""
    if not request.user.has_perm(perm):
        raise PermissionDenied


def get_record(res: Resource, request: HttpRequest, pk: int) -> models.Model:
    """A record the user may see; others' records are 404, as if they did not exist."""
    return get_object_or_404(res.queryset(request.user), pk=pk)


def _render_partial(request: HttpRequest) -> bool:
    htmx = getattr(request, "htmx", None)
    return htmx is not None and bool(htmx) and not htmx.history_restore_request


# List -------------------------------------------------------------------------------------------
def _header(res: Resource, column: Column, current_sort: str) -> dict[str, Any]:
    key = next((k for k in (column.sort, column.name.replace(".", "__")) if k in res.sort_fields), "")
    direction = ""
    if key and current_sort == key:
        direction = "asc"
    elif key and current_sort == f"-{key}":
        direction = "desc"
    return {"label": column_label(res.model, column), "sort": key, "direction": direction,
            "next_sort": f"-{key}" if direction == "asc" else key,
            "numeric": Cell("", _column_kind(res.model, column)).numeric}


@login_required
def list_view(request: HttpRequest, res: Resource) -> HttpResponse:
    require(request, res.perm("view"))
    qs = res.queryset(request.user)
    q = request.GET.get("q", "").strip()[:100]
    if q:
        qs = qs.filter(reduce(operator.or_, (Q(**{f"{f}__icontains": q}) for f in res.search_fields)))
    active = request.GET.get("active", "")
    if res.has_active and active in {"1", "0"}:
        qs = qs.filter(is_active=active == "1")
    sort = request.GET.get("sort") or res.default_sort
    if sort.lstrip("-") not in res.sort_fields:
        sort = res.default_sort
    page = Paginator(qs.order_by(sort, "pk"), PER_PAGE).get_page(request.GET.get("page"))

    columns = _as_columns(res.columns)
    headers = [_header(res, c, sort) for c in columns]
    rows = [{"obj": obj, "url": reverse(res.url_name("detail"), args=[obj.pk]),
             "inactive": res.has_active and not obj.is_active,  # type: ignore[attr-defined]
             "cells": [cell(obj, c, request.user) for c in columns]}
            for obj in page.object_list]
    context = {
        "res": res, "page": page, "headers": headers, "rows": rows, "q": q, "active": active, "sort": sort,
        "create_url": reverse(res.url_name("create")) if request.user.has_perm(res.perm("add")) else "",
        "list_url": reverse(res.url_name("list")),
    }
    template = "web/_resource_results.html" if _render_partial(request) else "web/resource_list.html"
    response = render(request, template, context)
    patch_vary_headers(response, ["HX-Request"])
    return response


# Detail ---------------------------------------------------------------------------------------------
def child_context(res: Resource, child: Child, parent: models.Model, request: HttpRequest,
                  form: ServiceForm | None = None) -> dict[str, Any]:
    user = request.user
    columns = _as_columns(child.columns)
    owner = REGISTRY_BY_KEY.get(child.link) if child.link else None
    can_change = user.has_perm(child.perm("change"))
    rows = []
    for obj in child.rows(parent, user):
        if owner is not None:
            url = reverse(owner.url_name("detail"), args=[obj.pk])
        elif can_change and child.fields:
            url = reverse(res.url_name("child-edit"), args=[parent.pk, child.key, obj.pk])
        else:
            url = ""
        rows.append({"obj": obj, "url": url, "cells": [cell(obj, c, user) for c in columns],
                     "inactive": _has_active(child.model) and not obj.is_active,  # type: ignore[attr-defined]
                     "delete_url": reverse(res.url_name("child-delete"), args=[parent.pk, child.key, obj.pk])
                     if child.deletable and user.has_perm(child.perm("delete")) else ""})
    can_add = user.has_perm(child.perm("add"))
    add_url = ""
    if can_add and owner is not None:
        add_url = f"{reverse(owner.url_name('create'))}?{child.parent_field}={parent.pk}"
    elif can_add and child.fields:
        add_url = reverse(res.url_name("child-add"), args=[parent.pk, child.key])
        form = form or child.form_class(auto_id=f"id_{child.key}_%s")
    return {
        "key": child.key, "label": child.label, "rows": rows, "add_url": add_url,
        "form": form if add_url and owner is None else None,
        "add_label": _("Add %(record)s") % {"record": child.model._meta.verbose_name},
        "headers": [{"label": column_label(child.model, c), "numeric": Cell("", _column_kind(child.model, c)).numeric}
                    for c in columns],
    }


@login_required
def detail_view(request: HttpRequest, res: Resource, pk: int) -> HttpResponse:
    require(request, res.perm("view"))
    obj = get_record(res, request, pk)
    sections = [{"title": title, "fields": [(column_label(res.model, c), cell(obj, c, request.user)) for c in cols]}
                for title, cols in res.detail_sections()]
    children = [child_context(res, child, obj, request) for child in res.children
                if request.user.has_perm(child.perm("view"))]
    can_change = request.user.has_perm(res.perm("change"))
    is_active = getattr(obj, "is_active", True)
    toggle_url = ""
    if can_change and res.has_active:
        toggle_url = reverse(res.url_name("deactivate" if is_active else "activate"), args=[obj.pk])
    return render(request, "web/resource_detail.html", {
        "res": res, "obj": obj, "record": res.display(obj), "sections": sections, "children": children,
        "history": change_history(obj),
        "edit_url": reverse(res.url_name("edit"), args=[obj.pk]) if can_change else "",
        "toggle_url": toggle_url, "is_active": is_active,
        "list_url": reverse(res.url_name("list")),
    })


# Create and edit ------------------------------------------------------------------------------------
def form_groups(form: ServiceForm, sections: Sequence[tuple[Any, Sequence[str | Column]]] = ()) -> list[dict]:
    """The form's fields in the resource's sections; fields no section names come last."""
    groups, used = [], set()
    for title, items in sections:
        names = [c.name if isinstance(c, Column) else c for c in items]
        used.update(names)
        fields = [form[name] for name in names if name in form.fields]
        if fields:
            groups.append({"title": title, "fields": fields})
    rest = [form[name] for name in form.fields if name not in used]
    if rest:
        groups.append({"title": None, "fields": rest})
    return groups


def _form_page(request: HttpRequest, res: Resource, form: ServiceForm, *, title: str, cancel_url: str,
               obj: models.Model | None = None, child: Child | None = None) -> HttpResponse:
    return render(request, "web/resource_form.html", {
        "res": res, "form": form, "title": title, "record": res.display(obj) if obj else "", "cancel_url": cancel_url,
        "groups": form_groups(form, () if child else res.sections),
        "list_url": reverse(res.url_name("list")),
    })


@login_required
def create_view(request: HttpRequest, res: Resource) -> HttpResponse:
    require(request, res.perm("add"))
    form_class = res.create_form_class
    if request.method == "POST":
        form = form_class(request.POST)
        if form.is_valid():
            try:
                obj = res.run_create(form.service_data(), request.user)
            except DomainError as err:
                form.add_domain_error(err)
            else:
                messages.success(request, _("Created %(record)s.") % {"record": res.display(obj)})
                return redirect(res.url_name("detail"), pk=obj.pk)
    else:
        initial = res.initial(request) if res.initial else {}
        initial.update({k: v for k, v in request.GET.items() if k in form_class.base_fields})
        form = form_class(initial=initial)
    title = _("New %(record)s") % {"record": res.model._meta.verbose_name}
    return _form_page(request, res, form, title=title, cancel_url=reverse(res.url_name("list")))


@login_required
def edit_view(request: HttpRequest, res: Resource, pk: int) -> HttpResponse:
    require(request, res.perm("change"))
    obj = get_record(res, request, pk)
    title = _("Edit %(record)s") % {"record": res.display(obj)}
    form = res.edit_form_class(request.POST or None, instance=obj)
    if request.method == "POST" and form.is_valid():
        try:
            res.run_update(obj, form.service_data(), request.user)
        except DomainError as err:
            form.add_domain_error(err)
        else:
            messages.success(request, _("Saved %(record)s.") % {"record": res.display(obj)})
            return redirect(res.url_name("detail"), pk=obj.pk)
    return _form_page(request, res, form, title=title, obj=obj,
                      cancel_url=reverse(res.url_name("detail"), args=[obj.pk]))


@login_required
@require_POST
def set_active_view(request: HttpRequest, res: Resource, pk: int, active: bool) -> HttpResponse:
    require(request, res.perm("change"))
    obj = get_record(res, request, pk)
    try:
        (res.set_active or masterdata.set_active)(obj, active=active, actor=request.user)
    except DomainError as err:
        messages.error(request, str(err.message))
    else:
        message = _("Activated %(record)s.") if active else _("Deactivated %(record)s.")
        messages.success(request, message % {"record": res.display(obj)})
    return redirect(res.url_name("detail"), pk=obj.pk)


# Child records ----------------------------------------------------------------------------------
def _child_parent(request: HttpRequest, res: Resource, pk: int, key: str, verb: str) -> tuple[Child, models.Model]:
    require(request, res.perm("view"))
    try:
        child = res.child(key)
    except KeyError:
        raise Http404 from None
    require(request, child.perm(verb))
    return child, get_record(res, request, pk)


@login_required
def child_add_view(request: HttpRequest, res: Resource, pk: int, key: str) -> HttpResponse:
    child, parent = _child_parent(request, res, pk, key, "add")
    if not child.fields:
        raise PermissionDenied
    prefix_id = f"id_{child.key}_%s"
    form = child.form_class(request.POST or None, auto_id=prefix_id)
    if request.method == "POST" and form.is_valid():
        data = {**form.service_data(), f"{child.parent_field}_id": parent.pk}
        try:
            obj = child.create(data=data, actor=request.user) if child.create else \
                masterdata.create_record(child.model, data=data, actor=request.user)
        except DomainError as err:
            form.add_domain_error(err)
        else:
            if _render_partial(request):
                return render(request, "web/_child_table.html",
                              {"child": child_context(res, child, parent, request), "obj": parent})
            messages.success(request, _("Added %(record)s.") % {"record": obj})
            return redirect(res.url_name("detail"), pk=parent.pk)
    if _render_partial(request):
        return render(request, "web/_child_table.html",
                      {"child": child_context(res, child, parent, request, form=form), "obj": parent})
    return _form_page(request, res, form, title=_("Add %(record)s") % {"record": child.model._meta.verbose_name},
                      obj=parent, child=child, cancel_url=reverse(res.url_name("detail"), args=[parent.pk]))


def _child_record(child: Child, parent: models.Model, request: HttpRequest, child_pk: int) -> models.Model:
    return get_object_or_404(child.rows(parent, request.user), pk=child_pk)


@login_required
def child_edit_view(request: HttpRequest, res: Resource, pk: int, key: str, child_pk: int) -> HttpResponse:
    child, parent = _child_parent(request, res, pk, key, "change")
    if not child.fields:
        raise PermissionDenied
    obj = _child_record(child, parent, request, child_pk)
    title = _("Edit %(record)s") % {"record": obj}
    form = child.form_class(request.POST or None, instance=obj)
    if request.method == "POST" and form.is_valid():
        try:
            if child.update:
                child.update(instance=obj, data=form.service_data(), actor=request.user)
            else:
                masterdata.update_record(obj, data=form.service_data(), actor=request.user)
        except DomainError as err:
            form.add_domain_error(err)
        else:
            messages.success(request, _("Saved %(record)s.") % {"record": obj})
            return redirect(res.url_name("detail"), pk=parent.pk)
    return _form_page(request, res, form, title=title, obj=parent, child=child,
                      cancel_url=reverse(res.url_name("detail"), args=[parent.pk]))


@login_required
@require_POST
def child_delete_view(request: HttpRequest, res: Resource, pk: int, key: str, child_pk: int) -> HttpResponse:
    child, parent = _child_parent(request, res, pk, key, "delete")
    if not child.deletable:
        raise PermissionDenied
    obj = _child_record(child, parent, request, child_pk)
    label = str(obj)
    try:
        masterdata.delete_record(obj, actor=request.user)
    except DomainError as err:
        messages.error(request, str(err.message))
    else:
        messages.success(request, _("Deleted %(record)s.") % {"record": label})
    return redirect(res.url_name("detail"), pk=parent.pk)


# URLs -------------------------------------------------------------------------------------------
def urls(res: Resource) -> list[URLPattern]:
    base = res.path
    kw = {"res": res}
    patterns = [
        path(f"{base}/", list_view, kw, name=f"{res.key}-list"),
        path(f"{base}/new/", create_view, kw, name=f"{res.key}-create"),
        path(f"{base}/<int:pk>/", detail_view, kw, name=f"{res.key}-detail"),
        path(f"{base}/<int:pk>/edit/", edit_view, kw, name=f"{res.key}-edit"),
    ]
    if res.has_active:
        patterns += [
            path(f"{base}/<int:pk>/deactivate/", set_active_view, {**kw, "active": False},
                 name=f"{res.key}-deactivate"),
            path(f"{base}/<int:pk>/activate/", set_active_view, {**kw, "active": True}, name=f"{res.key}-activate"),
        ]
    if res.children:
        patterns += [
            path(f"{base}/<int:pk>/<slug:key>/add/", child_add_view, kw, name=f"{res.key}-child-add"),
            path(f"{base}/<int:pk>/<slug:key>/<int:child_pk>/edit/", child_edit_view, kw,
                 name=f"{res.key}-child-edit"),
            path(f"{base}/<int:pk>/<slug:key>/<int:child_pk>/delete/", child_delete_view, kw,
                 name=f"{res.key}-child-delete"),
        ]
    return patterns

