import pytest
from django.db import OperationalError, transaction

from caixiao.core import retry
from caixiao.core.retry import is_conflict, retry_on_conflict


class Deadlock(Exception):
    sqlstate = "40P01"


def conflict() -> OperationalError:
    try:
        raise OperationalError("deadlock detected") from Deadlock()
    except OperationalError as exc:
        return exc


@pytest.fixture(autouse=True)
def no_sleep(monkeypatch):
    monkeypatch.setattr(retry.time, "sleep", lambda seconds: None)


def test_conflicts_are_recognised():
    assert is_conflict(conflict())
    assert is_conflict(OperationalError("database is locked"))
    assert not is_conflict(OperationalError("no such table: x"))


def test_a_conflict_is_retried_until_the_call_succeeds():
    calls = []

    @retry_on_conflict
    def work():
        calls.append(1)
        if len(calls) < 3:
            raise conflict()
        return "done"

    assert work() == "done" and len(calls) == 3


def test_retries_stop_after_the_last_attempt():
    calls = []

    @retry_on_conflict
    def work():
        calls.append(1)
        raise conflict()

    with pytest.raises(OperationalError):
        work()
    assert len(calls) == retry.ATTEMPTS


def test_other_errors_are_not_retried():
    calls = []

    @retry_on_conflict
    def work():
        calls.append(1)
        raise OperationalError("no such table: x")

    with pytest.raises(OperationalError):
        work()
    assert len(calls) == 1


@pytest.mark.django_db
def test_inside_an_outer_transaction_the_outermost_caller_retries():
    calls = []

    @retry_on_conflict
    def work():
        calls.append(1)
        raise conflict()

    with pytest.raises(OperationalError), transaction.atomic():
        work()
    assert len(calls) == 1
