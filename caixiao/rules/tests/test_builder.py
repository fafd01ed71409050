"""The condition form builder (issue 5 item 4): rows ↔ CEL, per-type operators, per-row errors."""

import itertools
from decimal import Decimal

import pytest
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from caixiao.core.errors import ValidationFailed
from caixiao.rules import builder
from caixiao.rules.expressions import Schema, Var, compile_expression, function


@function("builder_test_streak", params=("list", "number"), returns="integer", label="streak")
def _streak(values: list, growth: float) -> int:
    best = run = 0
    for old, new in itertools.pairwise(values):
        run = run + 1 if old and (new - old) / old > growth else 0
        best = max(best, run)
    return best


SCHEMA = Schema("test.builder", "builder", (
    Var("product", "map", _("Product"), fields=(
        Var("code", "string", _("Code")),
        Var("available", "number", _("Available")),
        Var("safety_stock", "number", _("Safety stock")),
        Var("lead_days", "integer", "lead days"),
        Var("is_active", "bool", "active"),
        Var("abc", "string", "ABC class", choices=(("A", "A"), ("B", "B"), ("C", "C"))),
        Var("weekly_sales", "list", "weekly sales"),
        Var("launched_on", "date", "launched"),
    )),
    Var("amount", "number", "amount"),
))
CONTEXT = {"product": {"code": "P-1\"x", "available": Decimal("5"), "safety_stock": Decimal("10"), "lead_days": 7,
                       "is_active": True, "abc": "A", "weekly_sales": [10, 13, 16, 20],
                       "launched_on": "2026-01-01"},
           "amount": Decimal("50000")}


def cel(*rows, join="all"):
    return builder.rows_to_cel(SCHEMA, list(rows), join=join)


def matches(source):
    import datetime as dt

    context = {**CONTEXT, "product": {**CONTEXT["product"], "launched_on": dt.date(2026, 1, 1)}}
    return compile_expression(source, SCHEMA).matches(context)


@pytest.mark.parametrize(("row", "expected_cel", "expected"), [
    ({"field": "product.available", "op": "lt", "value": "10"}, "product.available < 10.0", True),
    ({"field": "product.available", "op": "le", "value": "5"}, "product.available <= 5.0", True),
    ({"field": "product.available", "op": "gt", "value": "5"}, "product.available > 5.0", False),
    ({"field": "product.available", "op": "ge", "value": " 1,000.50 "}, "product.available >= 1000.5", False),
    ({"field": "product.available", "op": "eq", "value": 5}, "product.available == 5.0", True),
    ({"field": "product.available", "op": "ne", "value": "-2.5"}, "product.available != -2.5", True),
    ({"field": "product.lead_days", "op": "ge", "value": "7"}, "product.lead_days >= 7", True),
    ({"field": "product.available", "op": "lt", "value_field": "product.safety_stock"},
     "product.available < product.safety_stock", True),
    ({"field": "product.lead_days", "op": "lt", "value_field": "product.available"},
     "product.lead_days < product.available", False),
    ({"field": "product.code", "op": "eq", "value": 'P-1"x'}, 'product.code == "P-1\\"x"', True),
    ({"field": "product.code", "op": "ne", "value": "P-2"}, 'product.code != "P-2"', True),
    ({"field": "product.code", "op": "contains", "value": "1\""}, 'product.code.contains("1\\"")', True),
    ({"field": "product.code", "op": "startswith", "value": "P-"}, 'product.code.startsWith("P-")', True),
    ({"field": "product.code", "op": "in", "value": ["X", 'P-1"x']}, 'product.code in ["X", "P-1\\"x"]', True),
    ({"field": "product.abc", "op": "in", "value": "A, B"}, 'product.abc in ["A", "B"]', True),
    ({"field": "product.abc", "op": "eq", "value": "C"}, 'product.abc == "C"', False),
    ({"field": "product.is_active", "op": "is_true"}, "product.is_active", True),
    ({"field": "product.is_active", "op": "is_false"}, "!product.is_active", False),
    ({"field": "product.launched_on", "op": "lt", "value": "2026-02-01"},
     'product.launched_on < timestamp("2026-02-01T00:00:00Z")', True),
    ({"field": "product.weekly_sales", "function": "builder_test_streak", "args": ["0.20"], "op": "ge", "value": "3"},
     "builder_test_streak(product.weekly_sales, 0.2) >= 3", True),
    ({"field": "product.weekly_sales", "function": "size", "args": [], "op": "ge", "value": "4"},
     "size(product.weekly_sales) >= 4", True),
])
def test_each_operator_generates_cel_that_compiles_and_evaluates(row, expected_cel, expected):
    source = cel(row)
    assert source == expected_cel
    assert matches(source) is expected


def test_join_all_and_any():
    rows = [{"field": "product.available", "op": "lt", "value_field": "product.safety_stock"},
            {"field": "amount", "op": "ge", "value": "60000"}]
    assert cel(*rows) == "product.available < product.safety_stock && amount >= 60000.0"
    assert matches(cel(*rows)) is False
    assert cel(*rows, join="any") == "product.available < product.safety_stock || amount >= 60000.0"
    assert matches(cel(*rows, join="any")) is True


@pytest.mark.parametrize(("row", "key"), [
    ({"field": "product.available", "op": "lt", "value": "abc"}, "rows.0.value"),
    ({"field": "product.available", "op": "lt", "value": "NaN"}, "rows.0.value"),
    ({"field": "product.available", "op": "lt", "value": "1e40"}, "rows.0.value"),
    ({"field": "product.available", "op": "lt", "value": ""}, "rows.0.value"),
    ({"field": "product.lead_days", "op": "lt", "value": "1.5"}, "rows.0.value"),
    ({"field": "product.abc", "op": "eq", "value": "D"}, "rows.0.value"),
    ({"field": "product.abc", "op": "contains", "value": "A"}, "rows.0.op"),
    ({"field": "product.available", "op": "contains", "value": "1"}, "rows.0.op"),
    ({"field": "product.nope", "op": "eq", "value": "1"}, "rows.0.field"),
    ({"field": "", "op": "eq", "value": "1"}, "rows.0.field"),
    ({"field": "product", "op": "eq", "value": "1"}, "rows.0.field"),
    ({"field": "product.available", "op": "lt", "value_field": "product.code"}, "rows.0.value_field"),
    ({"field": "product.available", "op": "lt", "value_field": "product.nope"}, "rows.0.value_field"),
    ({"field": "product.launched_on", "op": "lt", "value": "2026-13-01"}, "rows.0.value"),
    ({"field": "product.weekly_sales", "function": "nope", "op": "ge", "value": "3"}, "rows.0.function"),
    ({"field": "product.weekly_sales", "function": "builder_test_streak", "args": [], "op": "ge", "value": "3"},
     "rows.0.args"),
    ({"field": "product.weekly_sales", "function": "builder_test_streak", "args": ["x"], "op": "ge", "value": "3"},
     "rows.0.args.0"),
    ({"field": "product.weekly_sales", "function": "builder_test_streak", "args": ["0.2"], "op": "ge",
      "value": "2.5"}, "rows.0.value"),
    ("not a row", "rows.0"),
])
def test_bad_rows_are_reported_per_row(row, key):
    with pytest.raises(ValidationFailed) as caught:
        builder.rows_to_cel(SCHEMA, [{"field": "amount", "op": "gt", "value": "1"}, row, row])
    err = caught.value
    assert err.code == "invalid_condition" and err.status == 422
    assert key.replace("rows.0", "rows.1") in err.fields and key.replace("rows.0", "rows.2") in err.fields
    assert not any(k.startswith("rows.0") for k in err.fields)


def test_empty_rows_and_bad_join_are_rejected():
    with pytest.raises(ValidationFailed) as caught:
        builder.rows_to_cel(SCHEMA, [], join="some")
    assert set(caught.value.fields) == {"rows", "join"}


def test_error_prefix_follows_the_caller():
    with pytest.raises(ValidationFailed) as caught:
        builder.rows_to_cel(SCHEMA, [{"field": "amount", "op": "gt", "value": "x"}], prefix="condition_rows")
    assert list(caught.value.fields) == ["condition_rows.0.value"]


def test_messages_follow_the_users_language():
    with translation.override("zh-hans"), pytest.raises(ValidationFailed) as caught:
        builder.rows_to_cel(SCHEMA, [{"field": "amount", "op": "gt", "value": "x"}])
    assert caught.value.fields["rows.0.value"]


ROUND_TRIPS = [
    [{"field": "product.available", "op": "lt", "value_field": "product.safety_stock"},
     {"field": "product.abc", "op": "in", "value": ["A", "B"]},
     {"field": "product.code", "op": "startswith", "value": "it's \\ \"q\""},
     {"field": "product.is_active", "op": "is_false"},
     {"field": "product.launched_on", "op": "ge", "value": "2025-12-31"},
     {"field": "amount", "op": "ne", "value": "-0.5"}],
    [{"field": "product.weekly_sales", "function": "builder_test_streak", "args": ["0.2"], "op": "ge", "value": "3"},
     {"field": "product.is_active", "op": "is_true"},
     {"field": "product.lead_days", "op": "eq", "value": "12"}],
]


@pytest.mark.parametrize("rows", ROUND_TRIPS)
@pytest.mark.parametrize("join", ["all", "any"])
def test_rows_survive_a_round_trip_through_cel(rows, join):
    source, cleaned = builder.build(SCHEMA, rows, join=join)
    assert cleaned == rows
    assert builder.cel_to_rows(SCHEMA, source) == (join, rows)
    assert builder.rows_to_cel(SCHEMA, builder.cel_to_rows(SCHEMA, source)[1], join=join) == source


@pytest.mark.parametrize("source", [
    "product.available < 1.0 && amount > 2.0 || amount < 1.0",
    "product.available + 1.0 < 2.0",
    "pct_change(amount, product.available) > 0.1",
    "product.weekly_sales.exists(w, w > 1)",
    "product.nope < 1.0",
    "amount < ",
])
def test_cel_beyond_the_form_opens_in_the_editor(source):
    assert builder.cel_to_rows(SCHEMA, source) is None


def test_simple_hand_typed_cel_opens_as_rows():
    assert builder.cel_to_rows(SCHEMA, "(amount >= 50000) && product.abc == 'A'") == ("all", [
        {"field": "amount", "op": "ge", "value": "50000"}, {"field": "product.abc", "op": "eq", "value": "A"}])


def test_describe_schema_gives_labels_types_operators_and_functions():
    with translation.override("en"):
        described = {f["path"]: f for f in builder.describe_schema(SCHEMA)["fields"]}
    assert described["product.available"]["label"] == "Product · Available"
    assert described["product.available"]["operators"] == ["eq", "ne", "lt", "le", "gt", "ge"]
    assert described["product.code"]["operators"] == ["eq", "ne", "contains", "startswith", "in"]
    assert described["product.abc"]["operators"] == ["eq", "ne", "in"]
    assert described["product.abc"]["choices"][0] == {"value": "A", "label": "A"}
    assert described["product.is_active"]["operators"] == ["is_true", "is_false"]
    assert "builder_test_streak" in described["product.weekly_sales"]["functions"]
    assert "product" not in described
    names = {f["name"]: f for f in builder.describe_functions()}
    assert names["builder_test_streak"]["for_rows"] and not names["pct_change"]["for_rows"]


def test_describe_rows_reads_like_a_sentence():
    rows = [{"field": "product.available", "op": "lt", "value_field": "product.safety_stock"},
            {"field": "amount", "op": "ge", "value": "5"}]
    with translation.override("en"):
        assert builder.describe_rows(SCHEMA, rows) == "Product · Available < Product · Safety stock and amount ≥ 5"


# Property: whatever a user types, the generated CEL compiles, keeps the value, and reads back -------------
from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

TEXT = st.text(alphabet=st.characters(exclude_categories=["Cs"], exclude_characters="\x00"), max_size=40)
NUMBER = st.decimals(min_value=Decimal("-1e12"), max_value=Decimal("1e12"), allow_nan=False, places=4)


@settings(max_examples=200, deadline=None)
@given(text=TEXT, prefix=TEXT, choices=st.lists(TEXT.filter(lambda t: "," not in t), min_size=1, max_size=4),
       number=NUMBER, join=st.sampled_from(["all", "any"]))
def test_any_typed_value_gives_cel_that_compiles_evaluates_and_reads_back(text, prefix, choices, number, join):
    rows = [{"field": "product.code", "op": "eq", "value": text},
            {"field": "product.code", "op": "startswith", "value": prefix},
            {"field": "product.code", "op": "in", "value": choices},
            {"field": "amount", "op": "le", "value": str(number)}]
    try:
        source, cleaned = builder.build(SCHEMA, rows, join=join)
    except ValidationFailed as err:  # only an empty text may be refused
        assert all(key.endswith(".value") for key in err.fields)
        assert not text.strip() or not prefix.strip() or not all(c.strip() for c in choices)
        return
    context = {"product": {**CONTEXT["product"], "code": text}, "amount": number}
    expected = [True, text.startswith(prefix), text in cleaned[2]["value"], True]
    result = compile_expression(source, SCHEMA).matches(context)
    assert result is (all(expected) if join == "all" else any(expected))
    assert builder.cel_to_rows(SCHEMA, source) == (join, cleaned)
