"""Only what a condition uses crosses into CEL (the conversion is what evaluation costs, bench/rules.py)."""

import datetime as dt
from decimal import Decimal

from caixiao.rules.expressions import Schema, Var, compile_expression
from caixiao.rules.functions import wow_growth_streak

SCHEMA = Schema("test.pruning", "p", (
    Var("product", "map", "product", fields=(Var("available", "number"), Var("safety_stock", "number"),
                                             Var("name", "string"), Var("weekly_sales", "list"))),
    Var("warehouse", "map", "warehouse", fields=(Var("code", "string"),)),
    Var("as_of", "date"),
))
CONTEXT = {"product": {"available": Decimal("3"), "safety_stock": Decimal("5"), "name": "扳手",
                       "weekly_sales": [10.0, 13.0, 16.0, 20.0]},
           "warehouse": {"code": "W1"}, "as_of": dt.date(2026, 1, 5)}


def test_only_the_fields_read_are_passed():
    expression = compile_expression("product.available < product.safety_stock", SCHEMA)
    assert expression.prune(CONTEXT) == {"product": {"available": Decimal("3"), "safety_stock": Decimal("5")}}
    assert expression.matches(CONTEXT)


def test_methods_functions_and_comprehensions():
    name = compile_expression("product.name.startsWith('扳') && warehouse.code == 'W1'", SCHEMA)
    assert name.prune(CONTEXT) == {"product": {"name": "扳手"}, "warehouse": {"code": "W1"}}
    assert name.matches(CONTEXT)
    growth = compile_expression("wow_growth_streak(product.weekly_sales, 0.20) >= 3", SCHEMA)
    assert growth.functions == {"wow_growth_streak": wow_growth_streak}
    assert growth.matches(CONTEXT)
    any_week = compile_expression("product.weekly_sales.exists(w, w > 15.0)", SCHEMA)
    assert any_week.prune(CONTEXT) == {"product": {"weekly_sales": [10.0, 13.0, 16.0, 20.0]}}
    assert any_week.matches(CONTEXT)


def test_a_variable_used_whole_is_passed_whole():
    whole = compile_expression("size(product) > 2 && as_of > timestamp('2025-01-01T00:00:00Z')", SCHEMA)
    assert whole.prune(CONTEXT) == {"product": CONTEXT["product"], "as_of": CONTEXT["as_of"]}
    assert whole.matches(CONTEXT)
