"""Domain errors. Services raise these; the API and web layers map them to 4xx responses and form
errors. Each carries a machine-readable ``code``, a localized ``message`` and optional per-field
messages. Never raise HTTP errors from a service."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _


class DomainError(Exception):
    code = "domain_error"
    status = 400
    default_message: Any = _("The request could not be carried out.")

    def __init__(self, message: Any = None, *, code: str | None = None,
                 fields: dict[str, list[str]] | None = None, **details: Any) -> None:
        self.message = message if message is not None else self.default_message
        if code:
            self.code = code
        self.fields = fields or {}
        self.details = details
        super().__init__(str(self.message))

    def as_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {"code": self.code, "message": str(self.message),
                                "fields": {k: [str(m) for m in v] for k, v in self.fields.items()}}
        if self.details:
            data["details"] = self.details
        return data


class ValidationFailed(DomainError):
    code = "validation_error"
    status = 422
    default_message = _("Some fields are not valid.")


class NotFound(DomainError):
    code = "not_found"
    status = 404
    default_message = _("The record does not exist.")


class PermissionDenied(DomainError):
    code = "permission_denied"
    status = 403
    default_message = _("You do not have permission to do this.")


class Conflict(DomainError):
    code = "conflict"
    status = 409
    default_message = _("The request conflicts with the current state.")


class DuplicateCode(Conflict):
    code = "duplicate"
    default_message = _("A record with this code already exists.")


class InUse(Conflict):
    code = "in_use"
    default_message = _("The record is referred to by other records; deactivate it instead.")


class InvalidTransition(Conflict):
    code = "invalid_transition"

    def __init__(self, obj: object = None, *, frm: str = "", to: str = "", message: Any = None) -> None:
        label = getattr(getattr(obj, "_meta", None), "verbose_name", "")
        msg = message or _("%(document)s cannot go from “%(frm)s” to “%(to)s”.") % {
            "document": label, "frm": frm, "to": to}
        super().__init__(msg, frm=str(frm), to=str(to))
