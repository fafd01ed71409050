"""Domain functions for conditions (X7, P4): pure, registered with the façade."""

import datetime as dt

import pytest

from caixiao.rules.functions import avg, days_between, days_late, last_n, sum_of, wow_growth_streak


@pytest.mark.parametrize(("weekly", "threshold", "expected"), [
    ([10, 13, 16, 20], 0.20, 3),          # +30%, +23%, +25%
    ([10, 13, 16, 19], 0.20, 0),          # the last week grew only 18.75%: no streak
    ([10, 13, 16, 20, 20], 0.20, 0),      # flat last week
    ([0, 0, 5, 7], 0.20, 1),              # growth from an empty week is not a percentage: it does not count
    ([], 0.20, 0),
    ([5], 0.20, 0),
])
def test_wow_growth_streak_counts_the_most_recent_weeks_in_a_row(weekly, threshold, expected):
    assert wow_growth_streak(weekly, threshold) == expected


def test_days_late_and_between():
    due, today = dt.date(2026, 3, 1), dt.datetime(2026, 3, 4, tzinfo=dt.UTC)
    assert days_late(due, today) == 3
    assert days_late(dt.date(2026, 3, 9), today) == 0
    assert days_between(dt.date(2026, 3, 9), today) == -5


def test_list_helpers():
    assert avg([1, 2, 3]) == 2.0 and avg([]) == 0.0
    assert sum_of([1.5, 2]) == 3.5
    assert last_n([1, 2, 3, 4], 2) == [3, 4] and last_n([1, 2], 0) == []
