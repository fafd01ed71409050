"""Dry-run against history before a rule goes live (X7): which targets would have matched and what
would have changed, for saved rules and unsaved drafts; nothing is written."""

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from caixiao.core.errors import ValidationFailed
from caixiao.rules import services
from caixiao.rules.expressions import ExpressionError
from caixiao.rules.models import RuleChange, RuleRun

pytestmark = pytest.mark.django_db
D = Decimal

GROW = {"code": "grow", "name": "Grow", "trigger_kind": "schedule", "trigger": "weekly", "subject": "product",
        "condition": "wow_growth_streak(product.weekly_sales, 0.20) >= 3",
        "actions": [{"type": "adjust_safety_stock", "params": {"percent": "15", "cap_percent": "50"}}]}


def test_a_draft_is_dry_run_week_by_week_over_history_without_writing(growing, roles):
    now = timezone.now()
    result = services.dry_run(data=GROW, start=now - dt.timedelta(weeks=6), end=now)
    assert result.source == "history"
    assert result.evaluated == 6  # one context per past Monday in the range
    [match] = result.matched
    assert match.target["object_id"] == str(growing.pk)
    assert match.as_of.date() == timezone.localdate() - dt.timedelta(days=timezone.localdate().weekday())
    assert match.would_change == ["Safety stock 100 → 115"]
    growing.refresh_from_db()
    assert growing.safety_stock == D("100")
    assert not RuleChange.objects.exists() and not RuleRun.objects.exists()


def test_a_saved_rule_and_an_edit_of_it_are_dry_run(growing, make_rule, roles):
    rule = make_rule(**GROW, enabled=False)
    now = timezone.now()
    assert services.dry_run(rule_id=rule.pk, start=now - dt.timedelta(weeks=6), end=now).matched_count == 1
    edited = services.dry_run(rule_id=rule.pk, data={"condition": "wow_growth_streak(product.weekly_sales, 0.20) >= 2"},
                              start=now - dt.timedelta(weeks=6), end=now)
    assert edited.matched_count == 2  # last week's Monday too (streak of 2 then)
    rule.refresh_from_db()
    assert rule.current_version.number == 1


def test_bad_drafts_and_ranges_are_refused(roles):
    now = timezone.now()
    with pytest.raises(ExpressionError):
        services.dry_run(data={**GROW, "condition": "product.nope > 1.0"}, start=now - dt.timedelta(days=7), end=now)
    with pytest.raises(ValidationFailed):
        services.dry_run(data=GROW, start=now, end=now - dt.timedelta(days=1))
    with pytest.raises(ValidationFailed):
        services.dry_run(start=now - dt.timedelta(days=1), end=now)
