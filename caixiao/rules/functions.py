"""Domain functions for rule conditions (docs/rules.md "Functions"). Pure and cheap: they get their
data through the context, never by a query. ``pct_change`` lives in ``expressions``."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from django.utils.translation import gettext_lazy as _

from caixiao.rules.expressions import function


def _numbers(values: Sequence[object]) -> list[float]:
    return [float(v) for v in values]  # type: ignore[arg-type]


@function("wow_growth_streak", params=("list", "number"), returns="integer", label=_("Week-over-week growth streak"),
          description=_("wow_growth_streak(weekly_sales, 0.20): how many of the most recent weeks in a row grew by "
                        "more than 20% over the week before (growth from a week without sales does not count)."))
def wow_growth_streak(weekly: Sequence[object], threshold: float) -> int:
    values = _numbers(weekly)
    streak = 0
    for i in range(len(values) - 1, 0, -1):
        before, now = values[i - 1], values[i]
        grew = before > 0 and (now - before) / before > float(threshold)
        if not grew:
            break
        streak += 1
    return streak


@function("avg", params=("list",), returns="number", label=_("Average"),
          description=_("avg(list): the mean of a list of numbers; 0 for an empty list."))
def avg(values: Sequence[object]) -> float:
    numbers = _numbers(values)
    return sum(numbers) / len(numbers) if numbers else 0.0


@function("sum_of", params=("list",), returns="number", label=_("Sum"),
          description=_("sum_of(list): the sum of a list of numbers."))
def sum_of(values: Sequence[object]) -> float:
    return float(sum(_numbers(values)))


@function("last_n", params=("list", "integer"), returns="list", label=_("Last n"),
          description=_("last_n(list, 4): the last 4 entries (the most recent weeks of weekly_sales)."))
def last_n(values: Sequence[object], n: int) -> list[object]:
    count = max(int(n), 0)
    return list(values)[-count:] if count else []


def _day(value: object) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    raise TypeError(f"expected a date, got {type(value).__name__}")


@function("days_late", params=("date", "date"), returns="integer", label=_("Days late"),
          description=_("days_late(due_date, as_of): whole days as_of is past due_date; 0 when not late."))
def days_late(due: object, as_of: object) -> int:
    return max((_day(as_of) - _day(due)).days, 0)


@function("days_between", params=("date", "date"), returns="integer", label=_("Days between"),
          description=_("days_between(a, b): days from date a to date b (negative when b is earlier)."))
def days_between(start: object, end: object) -> int:
    return (_day(end) - _day(start)).days
