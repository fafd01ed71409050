"""Readable, gapless document numbers such as ``SO-2026-000123`` (DESIGN.md "Documents").

The counter row is created if missing and then incremented with a conditional UPDATE under a row
lock inside the caller's transaction: if the transaction rolls back, so does the number."""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from caixiao.core.models import NumberSequence


def next_value(series: str, period: str = "") -> int:
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("next_value() must run inside the document's transaction")
    updated = NumberSequence.objects.filter(series=series, period=period).update(last_value=F("last_value") + 1)
    if not updated:
        try:
            with transaction.atomic():
                NumberSequence.objects.create(series=series, period=period, last_value=1)
            return 1
        except IntegrityError:  # another transaction created it first
            NumberSequence.objects.filter(series=series, period=period).update(last_value=F("last_value") + 1)
    return NumberSequence.objects.get(series=series, period=period).last_value


def next_number(prefix: str, *, width: int = 6, yearly: bool = True) -> str:
    """``next_number("SO")`` → ``SO-2026-000001`` (the year in the configured time zone)."""
    if yearly:
        year = str(timezone.localdate().year)
        return f"{prefix}-{year}-{next_value(prefix, year):0{width}d}"
    return f"{prefix}-{next_value(prefix):0{width}d}"
