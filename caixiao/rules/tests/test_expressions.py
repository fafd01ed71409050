"""The CEL façade (X7): checked on save with positions, compiled once, evaluated with typed values."""

from decimal import Decimal

import pytest
from django.utils import translation

from caixiao.rules.expressions import (
    ExpressionError,
    ExpressionRuntimeError,
    Schema,
    Var,
    compile_expression,
    literal,
)

ORDER = Schema("test.order", "order", (
    Var("amount", "number", "amount"),
    Var("lines", "integer", "lines"),
    Var("customer", "map", "customer", fields=(Var("name", "string"), Var("credit_limit", "number"))),
    Var("weekly_sales", "list", "weekly sales"),
))
CONTEXT = {"amount": Decimal("60000.50"), "lines": 3, "customer": {"name": "恒通", "credit_limit": Decimal("50000")},
           "weekly_sales": [10, 12, 15]}


@pytest.mark.parametrize(("source", "expected"), [
    ("amount >= 50000", True),
    ("amount > customer.credit_limit && lines >= 3", True),
    ("customer.name.startsWith('恒')", True),
    ("weekly_sales.exists(w, w > 14)", True),
    ("pct_change(customer.credit_limit, amount) > 0.5", False),
])
def test_valid_conditions_evaluate_with_decimals(source: str, expected: bool) -> None:
    assert compile_expression(source, ORDER).matches(CONTEXT) is expected


@pytest.mark.parametrize(("source", "line", "column", "fragment"), [
    ("amount >= ", 1, 11, "Syntax error"),
    ("amout > 1", 1, 1, "“amout”"),
    ("amount > 1 &&\n customer.nam == 'x'", 2, 11, "“customer.nam”"),
    ("lookup(1) > 2", 1, 1, "“lookup”"),
])
def test_errors_carry_the_position(source: str, line: int, column: int, fragment: str) -> None:
    with pytest.raises(ExpressionError) as caught:
        compile_expression(source, ORDER)
    assert (caught.value.line, caught.value.column) == (line, column)
    assert fragment in caught.value.reason
    assert caught.value.as_dict()["code"] == "invalid_expression"


@pytest.mark.parametrize("source", ["amount > 'x'", "amount + 1", "", "amount"])
def test_type_errors_and_non_conditions_are_rejected(source: str) -> None:
    with pytest.raises(ExpressionError):
        compile_expression(source, ORDER)


def test_messages_follow_the_users_language() -> None:
    with translation.override("zh-hans"), pytest.raises(ExpressionError) as caught:
        compile_expression("amout > 1", ORDER)
    assert "amout" in str(caught.value.message)


def test_compiled_once_per_source() -> None:
    assert compile_expression("amount > 1.0", ORDER) is compile_expression(" amount > 1.0 ", ORDER)


def test_runtime_failures_raise_a_runtime_error() -> None:
    expression = compile_expression("lines / (lines - 3) > 1", ORDER)
    with pytest.raises(ExpressionRuntimeError):
        expression.matches(CONTEXT)


def test_literals_for_the_form_builder() -> None:
    assert literal(Decimal("50000")) == "50000.0"
    assert literal('a"b') == '"a\\"b"'
    assert literal(True) == "true"
    assert compile_expression(f"amount >= {literal(50000)}", ORDER).matches(CONTEXT)


def test_literals_escape_line_breaks_and_control_characters() -> None:
    text = 'a\nb\t"c"\\\x00'
    source = f"customer.name == {literal(text)}"
    assert compile_expression(source, ORDER).matches({**CONTEXT, "customer": {"name": text, "credit_limit": 1}})
