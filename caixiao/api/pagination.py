"""Page-number pagination with a hard ceiling: asking for more than ``API_MAX_PAGE_SIZE`` rows or a
page past the end is a 422 with a clear message, not a silent clamp."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.utils.translation import gettext as _
from ninja import Field, Schema
from ninja.pagination import PaginationBase

from caixiao.core.errors import ValidationFailed


class PageNumber(PaginationBase):
    class Input(Schema):
        page: int = Field(1, ge=1, description="1-based page number")
        page_size: int = Field(settings.NINJA_PAGINATION_PER_PAGE, ge=1, description="rows per page (≤ 200)")

    class Output(Schema):
        items: list[Any]
        count: int
        page: int
        page_size: int

    items_attribute = "items"

    def paginate_queryset(self, queryset, pagination: Input, request=None, **params):  # type: ignore[override]
        if pagination.page_size > settings.API_MAX_PAGE_SIZE:
            raise ValidationFailed(fields={"page_size": [
                _("Use at most %(n)s rows per page.") % {"n": settings.API_MAX_PAGE_SIZE}]})
        count = self._items_count(queryset)
        offset = (pagination.page - 1) * pagination.page_size
        if offset and offset >= count:
            raise ValidationFailed(fields={"page": [_("There are only %(n)s rows.") % {"n": count}]})
        return {
            "items": list(queryset[offset: offset + pagination.page_size]),
            "count": count,
            "page": pagination.page,
            "page_size": pagination.page_size,
        }
