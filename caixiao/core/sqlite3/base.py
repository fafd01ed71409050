"""Django's SQLite backend, with the work it repeats for every statement and value done once.

- Django writes SQL with ``%s`` placeholders and its SQLite cursor rewrites them to ``?`` with a
  regular expression on every execution: 2–3 µs a statement, about 7% of an order's time in
  ``bench/order_entry.py`` (issue 3 item 8). The rewrite depends on the SQL text alone, so it is kept
  in a bounded cache.
- Values: SQLite stores datetimes as text in the connection's zone (UTC). Writing an aware UTC
  datetime and reading one back are the same operations as Django's, without the settings and
  zone lookups per value; every other value goes to Django's code. Decimals read back as floats are
  rounded to 15 digits with one shared context instead of a new one per value.

Everything else is Django's backend; ``core/tests/test_sqlite_backend.py`` compares the values with
Django's. ``ENGINE: "caixiao.core.sqlite3"`` (set by ``config/settings/base.py`` for SQLite databases)."""

from __future__ import annotations

import datetime
import decimal
from functools import lru_cache
from typing import Any

from django.conf import settings
from django.db.backends.sqlite3 import base, operations

FIFTEEN_DIGITS = decimal.Context(prec=15)  # only its precision is used: no traps can fire on a float


@lru_cache(maxsize=2048)
def _qmark(query: str) -> str:
    return base.FORMAT_QMARK_REGEX.sub("?", query).replace("%%", "%")


class SQLiteCursorWrapper(base.SQLiteCursorWrapper):
    def convert_query(self, query: str, *, param_names: Any = None) -> str:
        if param_names is None:
            return _qmark(query)
        return super().convert_query(query, param_names=param_names)


class DatabaseOperations(operations.DatabaseOperations):
    def adapt_datetimefield_value(self, value: Any) -> Any:
        if type(value) is datetime.datetime and value.tzinfo is datetime.UTC and self.connection.timezone is datetime.UTC:
            return value.isoformat(" ")[:-6]  # less "+00:00": what make_naive then str() give
        return super().adapt_datetimefield_value(value)

    def convert_datetimefield_value(self, value: Any, expression: Any, connection: Any) -> Any:
        # The driver has already parsed the text (Django registers a converter for "datetime" columns).
        if type(value) is datetime.datetime and value.tzinfo is None and settings.USE_TZ:
            return value.replace(tzinfo=self.connection.timezone)  # make_aware
        return super().convert_datetimefield_value(value, expression, connection)

    @staticmethod
    def _create_decimal(value: Any) -> decimal.Decimal:
        if isinstance(value, int | str):
            return decimal.Decimal(value)
        return FIFTEEN_DIGITS.create_decimal_from_float(value)


class DatabaseWrapper(base.DatabaseWrapper):
    ops_class = DatabaseOperations

    def create_cursor(self, name: Any = None) -> Any:
        return self.connection.cursor(factory=SQLiteCursorWrapper)
