"""Retry a whole transaction when the database asks for it (STYLE.md B7, SPEC N3).

PostgreSQL may abort a transaction with a deadlock (40P01), a serialization failure (40001) or a
lock timeout (55P03); SQLite answers "database is locked" when its busy timeout runs out. Each is safe
to retry from the start, and only from the start: a retry inside an outer transaction would run on
in an aborted transaction, so nested calls re-raise and the outermost wrapped call retries."""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from functools import wraps
from typing import ParamSpec, TypeVar

from django.db import OperationalError, transaction

P = ParamSpec("P")
R = TypeVar("R")

ATTEMPTS = 5
BASE_DELAY = 0.02  # seconds; doubled on each attempt, with jitter
RETRYABLE_SQLSTATES = frozenset({"40001", "40P01", "55P03"})
RETRYABLE_SQLITE_MESSAGES = ("database is locked", "database table is locked")


def is_conflict(exc: BaseException) -> bool:
    """True for the errors a database raises when a transaction lost a race and may be retried."""
    cause = exc.__cause__
    if getattr(cause, "sqlstate", None) in RETRYABLE_SQLSTATES:
        return True
    return any(text in str(exc) for text in RETRYABLE_SQLITE_MESSAGES)


def retry_on_conflict(fn: Callable[P, R]) -> Callable[P, R]:
    """Decorate a function that owns its transaction: ``@retry_on_conflict`` above ``@transaction.atomic``."""

    @wraps(fn)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        for attempt in range(1, ATTEMPTS + 1):
            try:
                return fn(*args, **kwargs)
            except OperationalError as exc:
                nested = transaction.get_connection().in_atomic_block
                if nested or attempt == ATTEMPTS or not is_conflict(exc):
                    raise
                time.sleep(BASE_DELAY * 2 ** (attempt - 1) * (1 + random.random()))
        raise AssertionError("unreachable")

    return wrapper
