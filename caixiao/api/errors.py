"""One error shape for the whole API: ``{"code", "message", "fields"}`` with a 4xx status (N4)."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from django.utils.translation import gettext as _
from ninja import NinjaAPI, Schema
from ninja.errors import AuthenticationError, HttpError, ValidationError

from caixiao.core.errors import DomainError
from caixiao.core.masterdata import validation_error_to_domain


class ErrorOut(Schema):
    code: str
    message: str
    fields: dict[str, list[str]] = {}


# Status codes every endpoint may answer with; endpoints add 404/409 as they apply.
COMMON_ERRORS = {400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 422: ErrorOut}
WRITE_ERRORS = {**COMMON_ERRORS, 404: ErrorOut, 409: ErrorOut}


def _pydantic_message(err: dict) -> str:
    """Localize the common pydantic error types; keep pydantic's text for the rest."""
    kind = err.get("type", "")
    ctx = err.get("ctx") or {}
    messages = {
        "missing": _("This field is required."),
        "string_too_long": _("Use at most %(n)s characters.") % {"n": ctx.get("max_length")},
        "string_too_short": _("Use at least %(n)s characters.") % {"n": ctx.get("min_length")},
        "greater_than_equal": _("Must be at least %(n)s.") % {"n": ctx.get("ge")},
        "greater_than": _("Must be greater than %(n)s.") % {"n": ctx.get("gt")},
        "less_than_equal": _("Must be at most %(n)s.") % {"n": ctx.get("le")},
        "int_parsing": _("Enter a whole number."),
        "int_type": _("Enter a whole number."),
        "decimal_parsing": _("Enter a number."),
        "decimal_type": _("Enter a number."),
        "decimal_max_places": _("Use at most %(n)s decimal places.") % {"n": ctx.get("decimal_places")},
        "decimal_max_digits": _("The number is too large."),
        "finite_number": _("Enter a finite number."),
        "bool_parsing": _("Enter true or false."),
        "date_from_datetime_parsing": _("Enter a valid date (YYYY-MM-DD)."),
        "date_parsing": _("Enter a valid date (YYYY-MM-DD)."),
        "enum": _("Choose one of: %(choices)s.") % {"choices": ctx.get("expected", "")},
        "literal_error": _("Choose one of: %(choices)s.") % {"choices": ctx.get("expected", "")},
        "string_type": _("Enter text."),
        "dict_type": _("Expected an object."),
        "list_type": _("Expected a list."),
        "model_attributes_type": _("Expected an object."),
        "extra_forbidden": _("Unknown field."),
        "value_error": str(ctx.get("error", "")) or _("Enter a valid value."),
    }
    return str(messages.get(kind) or err.get("msg", _("Enter a valid value.")))


def _field_name(loc: list) -> str:
    # ninja prefixes the location with the source ("body", "query", "path") and the argument name.
    parts = [str(p) for p in loc]
    if parts and parts[0] in {"body", "query", "path", "header", "cookie", "form", "file"}:
        parts = parts[1:]
        if len(parts) > 1 and parts[0] in {"payload", "data", "filters", "body", "params"}:
            parts = parts[1:]
    return ".".join(parts) or "__all__"


def install(api: NinjaAPI) -> None:
    def respond(request, code: str, message: str, status: int, fields=None, **extra):
        body = {"code": code, "message": str(message), "fields": fields or {}, **extra}
        return api.create_response(request, body, status=status)

    @api.exception_handler(DomainError)
    def domain_error(request, exc: DomainError):
        return api.create_response(request, exc.as_dict(), status=exc.status)

    @api.exception_handler(ValidationError)
    def validation_error(request, exc: ValidationError):
        fields: dict[str, list[str]] = {}
        for err in exc.errors:
            fields.setdefault(_field_name(list(err.get("loc", []))), []).append(_pydantic_message(err))
        return respond(request, "validation_error", _("Some fields are not valid."), 422, fields)

    @api.exception_handler(DjangoValidationError)
    def django_validation_error(request, exc: DjangoValidationError):
        return domain_error(request, validation_error_to_domain(exc))

    @api.exception_handler(AuthenticationError)
    def not_authenticated(request, exc):
        return respond(request, "not_authenticated",
                       _("Log in, or send a valid API token as “Authorization: Bearer <token>”."), 401)

    @api.exception_handler(HttpError)
    def http_error(request, exc: HttpError):
        if exc.status_code == 400 and str(exc.message).startswith("Cannot parse request body"):
            return respond(request, "malformed_json", _("The request body is not valid JSON."), 400)
        if exc.status_code == 403:
            return respond(request, "permission_denied", _("You do not have permission to do this."), 403)
        if exc.status_code == 429:
            return respond(request, "throttled", _("Too many requests; try again shortly."), 429)
        return respond(request, "http_error", str(exc.message), exc.status_code)

    @api.exception_handler(Http404)
    def not_found(request, exc):
        return respond(request, "not_found", _("The record does not exist."), 404)

    @api.exception_handler(DjangoPermissionDenied)
    def forbidden(request, exc):
        return respond(request, "permission_denied", _("You do not have permission to do this."), 403)
