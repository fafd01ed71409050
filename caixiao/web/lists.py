"""What the document and stock list pages share: a row of filters above the list (``FilterForm``),
its valid values (``filter_values``), pagination, and answering htmx with the results only."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.paginator import Page, Paginator
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.cache import patch_vary_headers

from caixiao.web.forms import BootstrapForm

PER_PAGE = 50


class FilterForm(BootstrapForm):
    """Filters above a list: selects start with "All …", text fields are searches, dates are small."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            field.widget.attrs["aria-label"] = field.label
            if isinstance(field.widget, forms.Select):
                field.widget.attrs["class"] = "form-select form-select-sm"
            elif isinstance(field.widget, forms.DateInput):
                field.widget.attrs["class"] = "form-control form-control-sm"
            elif isinstance(field.widget, forms.TextInput):
                field.widget.input_type = "search"
                field.widget.attrs.update({"class": "form-control form-control-sm", "placeholder": field.label,
                                           "autocomplete": "off"})


def filter_values(form: forms.Form) -> dict[str, Any]:
    """The valid filters of a form bound to ``request.GET``; an invalid one is dropped, not refused."""
    form.is_valid()
    return {name: value for name, value in form.cleaned_data.items() if value not in (None, "", False)}


def paginate(request: HttpRequest, rows: QuerySet) -> Page:
    return Paginator(rows, PER_PAGE).get_page(request.GET.get("page"))


def _partial(request: HttpRequest) -> bool:
    htmx = getattr(request, "htmx", None)
    return htmx is not None and bool(htmx) and not htmx.history_restore_request


def list_page(request: HttpRequest, template: str, partial: str, context: dict[str, Any]) -> HttpResponse:
    """A list page, or only its results when htmx asks (the filters update the results in place)."""
    response = render(request, partial if _partial(request) else template, context)
    patch_vary_headers(response, ["HX-Request"])
    return response
