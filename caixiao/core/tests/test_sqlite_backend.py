"""The SQLite backend's shortcuts (caixiao/core/sqlite3) give exactly Django's values (issue 3 item 8)."""

from __future__ import annotations

import datetime
import decimal
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.db.models import DecimalField
from django.db.models.expressions import Col

pytestmark = pytest.mark.skipif(connection.vendor != "sqlite", reason="the SQLite backend only")

UTC = datetime.UTC


def django_ops():
    """Django's own operations on our connection (imported here: the module needs the sqlite3 driver's
    backend, which a PostgreSQL run never loads)."""
    from django.db.backends.sqlite3.base import DatabaseOperations

    return DatabaseOperations(connection)


@pytest.mark.parametrize("value", [
    None,
    datetime.datetime(2026, 11, 24, 12, 17, 34, 955496, tzinfo=UTC),
    datetime.datetime(2026, 1, 1, tzinfo=UTC),  # no microseconds: str() leaves them out
    datetime.datetime(2026, 6, 1, 8, 30, tzinfo=ZoneInfo("Asia/Shanghai")),  # not UTC: Django's path
    datetime.datetime(2026, 6, 1, 8, 30, tzinfo=datetime.timezone(datetime.timedelta(hours=8))),
])
def test_datetimes_are_written_as_django_writes_them(value):
    assert connection.ops.adapt_datetimefield_value(value) == django_ops().adapt_datetimefield_value(value)


@pytest.mark.parametrize("value", [
    None,
    "2026-11-24 12:17:34.955496",
    "2026-11-24 12:17:34",
    "2026-11-24T12:17:34+08:00",
    "2026-11-24 12:17:34.5",  # fromisoformat reads one digit of fraction as Django's regex does
    datetime.datetime(2026, 11, 24, 12, 17, 34),  # already a datetime (an expression's value)
])
def test_datetimes_are_read_as_django_reads_them(value):
    ours = connection.ops.convert_datetimefield_value(value, None, connection)
    theirs = django_ops().convert_datetimefield_value(value, None, connection)
    assert ours == theirs
    assert getattr(ours, "tzinfo", None) == getattr(theirs, "tzinfo", None)


@pytest.mark.parametrize("value", [None, 0, 7, "12.5", 19.9, 0.1 + 0.2, 123456789.123456, -2.675])
def test_decimals_are_read_as_django_reads_them(value):
    field = DecimalField(max_digits=18, decimal_places=6)
    field.set_attributes_from_name("quantity")
    col = Col("t", field)
    ours = connection.ops.get_decimalfield_converter(col)(value, col, connection)
    theirs = django_ops().get_decimalfield_converter(col)(value, col, connection)
    assert (ours, str(ours)) == (theirs, str(theirs))
    assert isinstance(ours, decimal.Decimal | type(None))


def test_the_backend_in_use_is_ours():
    assert type(connection.ops).__module__ == "caixiao.core.sqlite3.base"
