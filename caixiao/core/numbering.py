"""Readable, gapless document numbers such as ``SO-2026-000123`` (DESIGN.md "Documents").

The counter row is created if missing and then incremented by one ``UPDATE … RETURNING`` (the row lock,
the increment and the read in one statement) inside the caller's transaction: if the transaction rolls
back, so does the number."""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.utils import timezone

from caixiao.core import rows
from caixiao.core.models import NumberSequence


def next_value(series: str, period: str = "") -> int:
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("next_value() must run inside the document's transaction")
    if (value := _increment(series, period)) is not None:
        return value
    try:
        with transaction.atomic():
            NumberSequence.objects.create(series=series, period=period, last_value=1)
        return 1
    except IntegrityError:  # another transaction created it first
        value = _increment(series, period)
        assert value is not None
        return value


def _increment(series: str, period: str) -> int | None:
    """``UPDATE … SET last_value = last_value + 1 … RETURNING last_value``: one statement that takes the
    row lock, increments and reads (SQLite ≥ 3.35 and PostgreSQL); None when the row is missing."""
    connection = transaction.get_connection()
    table = connection.ops.quote_name(NumberSequence._meta.db_table)
    row = rows.execute(f"UPDATE {table} SET last_value = last_value + 1 WHERE series = %s "  # noqa: S608
                       "AND period = %s RETURNING last_value", [series, period], using=connection.alias).fetchone()
    return None if row is None else int(row[0])


def next_number(prefix: str, *, width: int = 6, yearly: bool = True) -> str:
    """``next_number("SO")`` → ``SO-2026-000001`` (the year in the configured time zone)."""
    if yearly:
        year = str(timezone.localdate().year)
        return f"{prefix}-{year}-{next_value(prefix, year):0{width}d}"
    return f"{prefix}-{next_value(prefix):0{width}d}"
