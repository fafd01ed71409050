"""Validation of master-data codes: one product code, one customer code, … across the system (X1)."""

from django.core.validators import RegexValidator
from django.utils.translation import gettext_lazy as _

CODE_MAX_LENGTH = 32

code_validator = RegexValidator(
    regex=r"^[A-Z0-9][A-Z0-9._\-]{0,31}$",
    message=_("Use 1–32 upper-case letters, digits, dots, dashes or underscores, starting with a letter or digit."),
    code="invalid_code",
)


def normalize_code(value: str) -> str:
    return (value or "").strip().upper()
