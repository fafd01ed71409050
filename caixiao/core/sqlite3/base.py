"""Django's SQLite backend, with the placeholder conversion of each statement remembered.

Django writes SQL with ``%s`` placeholders and its SQLite cursor rewrites them to ``?`` with a regular
expression on every execution: 2–3 µs a statement, about 7% of an order's time in
``bench/order_entry.py`` (issue 3 item 8). The rewrite depends on the SQL text alone, so it is kept
in a bounded cache; everything else is Django's backend. ``ENGINE: "caixiao.core.sqlite3"`` (set by
``config/settings/base.py`` for SQLite databases)."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from django.db.backends.sqlite3 import base


@lru_cache(maxsize=2048)
def _qmark(query: str) -> str:
    return base.FORMAT_QMARK_REGEX.sub("?", query).replace("%%", "%")


class SQLiteCursorWrapper(base.SQLiteCursorWrapper):
    def convert_query(self, query: str, *, param_names: Any = None) -> str:
        if param_names is None:
            return _qmark(query)
        return super().convert_query(query, param_names=param_names)


class DatabaseWrapper(base.DatabaseWrapper):
    def create_cursor(self, name: Any = None) -> Any:
        return self.connection.cursor(factory=SQLiteCursorWrapper)
