"""The condition form builder (issue 5 item 4, X7): rows of field / operator / value ↔ CEL.

A business user builds a condition from rows joined by "all" (``&&``) or "any" (``||``)::

    {"field": "product.available", "op": "lt", "value_field": "product.safety_stock"}
    {"field": "product.category", "op": "in", "value": ["TOOLS", "PAINT"]}
    {"field": "order.amount", "op": "ge", "value": "50000"}
    {"field": "product.is_seasonal", "op": "is_true"}
    {"field": "product.weekly_sales", "function": "wow_growth_streak", "args": ["0.20"], "op": "ge", "value": "3"}

Which operators a row offers follows the field's type (``OPERATORS_BY_TYPE``); a list field is used
through a function over it (the registered expression functions whose first parameter is a list,
plus ``size``). Values are checked per type (a number must parse as a ``Decimal``, a choice must be
one of the field's choices) and every problem is reported at once, per row, as a
``ValidationFailed`` with code ``invalid_condition`` and fields such as ``rows.2.value``. The CEL is
generated with ``expressions.literal`` and compiled against the subject's schema before it is
returned, so generated CEL always compiles; the engine then compiles it again like hand-typed CEL.

``cel_to_rows`` reads back CEL of the shape this module writes (so a rule whose rows were lost, or a
hand-typed condition that happens to be simple, opens in the form); anything else gives ``None`` and
the form shows the CEL editor. Rows are stored in ``RuleVersion.condition_rows``; see
docs/rules-guide.md."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from caixiao.core.errors import ValidationFailed
from caixiao.rules.expressions import FUNCTIONS, Schema, Var, compile_expression, literal

MAX_ROWS = 50
MAX_NUMBER = Decimal("1e15")
JOINS = {"all": "&&", "any": "||"}
JOIN_LABELS = {"all": _("all of the conditions"), "any": _("any of the conditions")}


@dataclass(frozen=True)
class Operator:
    code: str
    label: Any  # lazy: shown in the user's language
    symbol: str  # for compact display, e.g. "≥"
    cel: str  # the CEL operator, or "" for methods/unary forms
    takes_value: bool = True
    takes_field: bool = True  # may compare against another field


OPERATORS: dict[str, Operator] = {op.code: op for op in (
    Operator("eq", _("equals"), "=", "=="),
    Operator("ne", _("does not equal"), "≠", "!="),
    Operator("lt", _("less than"), "<", "<"),
    Operator("le", _("at most"), "≤", "<="),
    Operator("gt", _("greater than"), ">", ">"),
    Operator("ge", _("at least"), "≥", ">="),
    Operator("contains", _("contains"), "∋", ""),
    Operator("startswith", _("starts with"), "^", ""),
    Operator("in", _("is one of"), "∈", "in", takes_field=False),
    Operator("is_true", _("is yes"), "✓", "", takes_value=False, takes_field=False),
    Operator("is_false", _("is no"), "✗", "", takes_value=False, takes_field=False),
)}
_COMPARE = ("eq", "ne", "lt", "le", "gt", "ge")
OPERATORS_BY_TYPE: dict[str, tuple[str, ...]] = {
    "number": _COMPARE,
    "integer": _COMPARE,
    "date": _COMPARE,
    "string": ("eq", "ne", "contains", "startswith", "in"),
    "bool": ("is_true", "is_false"),
}
CHOICE_OPERATORS = ("eq", "ne", "in")
_CEL_TO_OP = {op.cel: op.code for op in OPERATORS.values() if op.cel and op.code != "in"}
# Types a row may compare with each other (a value field of a compatible type).
_COMPATIBLE = {"number": {"number", "integer"}, "integer": {"number", "integer"}, "string": {"string"},
               "date": {"date"}, "bool": {"bool"}}


@dataclass(frozen=True)
class ListFunction:
    """A function a row applies to a list field: ``name(field, *args) <op> value``."""

    name: str
    label: Any
    description: Any
    params: tuple[str, ...]  # the extra arguments' types, after the list
    returns: str


SIZE = ListFunction("size", _("number of entries"), _("size(list): how many entries the list has."), (), "integer")


def list_functions() -> dict[str, ListFunction]:
    """``size`` and every registered expression function whose first parameter is a list."""
    found = {"size": SIZE}
    for f in FUNCTIONS.values():
        if f.params and f.params[0] == "list" and f.returns in OPERATORS_BY_TYPE and all(
                p in ("number", "integer", "string", "bool") for p in f.params[1:]):
            found[f.name] = ListFunction(f.name, f.label or f.name, f.description, tuple(f.params[1:]), f.returns)
    return found


# Describing a schema (for the form and GET /rules/subjects) -----------------------------------------
@dataclass(frozen=True)
class Field:
    path: str
    var: Var
    label: str  # "产品 · 可用库存": the parents' labels and the field's, in the active language

    @property
    def type(self) -> str:
        return self.var.type

    def operators(self) -> tuple[str, ...]:
        if self.var.choices:
            return CHOICE_OPERATORS
        return OPERATORS_BY_TYPE.get(self.var.type, ())


def fields(schema: Schema) -> list[Field]:
    """Every field a row may use (scalars and lists, not maps), with its label, in schema order."""
    out: list[Field] = []

    def walk(prefix: str, labels: list[str], var: Var) -> None:
        label = [*labels, str(var.label or var.name)]
        if var.type == "map":
            for child in var.fields:
                walk(f"{prefix}{var.name}.", label, child)
        else:
            out.append(Field(f"{prefix}{var.name}", var, " · ".join(label)))

    for v in schema.variables:
        walk("", [], v)
    return out


def field_map(schema: Schema) -> dict[str, Field]:
    return {f.path: f for f in fields(schema)}


def describe_schema(schema: Schema) -> dict[str, Any]:
    """The schema as the form and the API show it: fields with labels, types, choices and operators."""
    functions = list_functions()
    rows = []
    for f in fields(schema):
        entry: dict[str, Any] = {"path": f.path, "label": f.label, "type": f.type,
                                 "choices": [{"value": v, "label": str(lbl)} for v, lbl in f.var.choices],
                                 "operators": list(f.operators())}
        if f.type == "list":
            entry["functions"] = list(functions)
        rows.append(entry)
    return {"fields": rows}


def describe_operators() -> list[dict[str, Any]]:
    return [{"code": op.code, "label": str(op.label), "symbol": op.symbol, "takes_value": op.takes_value,
             "takes_field": op.takes_field} for op in OPERATORS.values()]


def describe_functions() -> list[dict[str, Any]]:
    """The list functions (for rows) and every other registered function (for the CEL editor)."""
    listed = list_functions()
    out = [{"name": f.name, "label": str(f.label), "description": str(f.description), "params": ["list", *f.params],
            "returns": f.returns, "for_rows": True, "operators": list(OPERATORS_BY_TYPE[f.returns])}
           for f in listed.values()]
    out += [{"name": f.name, "label": str(f.label or f.name), "description": str(f.description),
             "params": list(f.params), "returns": f.returns, "for_rows": False, "operators": []}
            for name, f in sorted(FUNCTIONS.items()) if name not in listed]
    return out


# Rows → CEL -------------------------------------------------------------------------------------------
class _Errors:
    def __init__(self, prefix: str) -> None:
        self.prefix = prefix
        self.fields: dict[str, list[str]] = {}

    def add(self, key: str, message: Any) -> None:
        self.fields.setdefault(f"{self.prefix}.{key}" if key else self.prefix, []).append(str(message))


def _number(raw: Any, *, integer: bool) -> Decimal | int | None:
    if isinstance(raw, bool) or raw is None:
        return None
    text = str(raw).strip().replace(",", "") if isinstance(raw, str) else str(raw)
    try:
        number = Decimal(text)
    except (InvalidOperation, ValueError):
        return None
    if not number.is_finite() or abs(number) >= MAX_NUMBER:
        return None
    if integer:
        return int(number) if number == number.to_integral_value() else None
    return number.normalize() if number != 0 else Decimal(0)


def _date(raw: Any) -> dt.date | None:
    if isinstance(raw, dt.date) and not isinstance(raw, dt.datetime):
        return raw
    try:
        return dt.date.fromisoformat(str(raw).strip())
    except ValueError:
        return None


def _cel_value(value: Any, type_: str) -> str:
    if type_ == "integer":
        return str(int(value))
    if type_ == "date":
        return f'timestamp("{value.isoformat()}T00:00:00Z")'
    return literal(value)


def _parse_value(raw: Any, type_: str, var: Var | None, errors: _Errors, key: str) -> Any:
    """A row's value checked for ``type_`` (and the field's choices); records an error and gives None."""
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        errors.add(key, _("Enter a value."))
        return None
    if var is not None and var.choices:
        for choice, _label in var.choices:
            if str(choice) == str(raw).strip():
                return choice
        errors.add(key, _("Choose one of: %(choices)s.") % {
            "choices": ", ".join(str(c) for c, _lbl in var.choices)})
        return None
    if type_ in ("number", "integer"):
        number = _number(raw, integer=type_ == "integer")
        if number is None:
            errors.add(key, _("Enter a whole number.") if type_ == "integer" else _("Enter a number."))
        return number
    if type_ == "date":
        day = _date(raw)
        if day is None:
            errors.add(key, _("Enter a valid date (YYYY-MM-DD)."))
        return day
    if type_ == "bool":
        text = str(raw).strip().lower()
        if text in ("true", "1", "yes"):
            return True
        if text in ("false", "0", "no"):
            return False
        errors.add(key, _("Enter true or false."))
        return None
    if not isinstance(raw, str | int | Decimal) or len(str(raw)) > 200:
        errors.add(key, _("Enter text of at most 200 characters."))
        return None
    return str(raw)


def _clean_row(schema_fields: dict[str, Field], row: Any, index: int, errors: _Errors) -> dict[str, Any] | None:
    """One row checked and normalised (values as canonical strings), or None with errors recorded."""
    key = str(index)
    if not isinstance(row, dict):
        errors.add(key, _("Expected an object."))
        return None
    before = sum(len(v) for v in errors.fields.values())
    path = str(row.get("field") or "").strip()
    field = schema_fields.get(path)
    if field is None:
        errors.add(f"{key}.field", _("Unknown field “%(name)s”.") % {"name": path} if path else _("Choose a field."))
        return None
    out: dict[str, Any] = {"field": path}
    type_ = field.type
    var: Var | None = field.var
    operators: tuple[str, ...] = field.operators()
    if type_ == "list":
        functions = list_functions()
        name = str(row.get("function") or "").strip()
        function = functions.get(name)
        if function is None:
            errors.add(f"{key}.function", _("Choose one of: %(choices)s.") % {"choices": ", ".join(functions)})
            return None
        args = row.get("args") or []
        if not isinstance(args, list) or len(args) != len(function.params):
            errors.add(f"{key}.args", _("%(function)s takes %(n)s argument(s) after the list.") % {
                "function": name, "n": len(function.params)})
            return None
        out["function"] = name
        out["args"] = []
        for i, (raw, param) in enumerate(zip(args, function.params, strict=True)):
            value = _parse_value(raw, param, None, errors, f"{key}.args.{i}")
            out["args"].append(_canonical(value))
        type_, var, operators = function.returns, None, OPERATORS_BY_TYPE[function.returns]
    op = str(row.get("op") or "").strip()
    if op not in operators:
        errors.add(f"{key}.op", _("Choose one of: %(choices)s.") % {"choices": ", ".join(operators)})
        return None
    out["op"] = op
    operator = OPERATORS[op]
    value_field = str(row.get("value_field") or "").strip()
    if value_field and operator.takes_field:
        other = schema_fields.get(value_field)
        if other is None:
            errors.add(f"{key}.value_field", _("Unknown field “%(name)s”.") % {"name": value_field})
        elif other.type not in _COMPATIBLE.get(type_, set()):
            errors.add(f"{key}.value_field", _("“%(other)s” cannot be compared with “%(field)s”.") % {
                "other": other.label, "field": field.label})
        else:
            out["value_field"] = value_field
    elif value_field:
        errors.add(f"{key}.value_field", _("This operator compares with a value, not with another field."))
    elif operator.takes_value:
        raw = row.get("value")
        if op == "in":
            items = raw if isinstance(raw, list) else [p for p in str(raw or "").split(",") if p.strip()]
            if not items:
                errors.add(f"{key}.value", _("Enter at least one value."))
            values = [_parse_value(item, type_, var, errors, f"{key}.value") for item in items[:100]]
            out["value"] = [_canonical(v) for v in values]
        else:
            out["value"] = _canonical(_parse_value(raw, type_, var, errors, f"{key}.value"))
    return out if sum(len(v) for v in errors.fields.values()) == before else None


def _canonical(value: Any) -> Any:
    """Values as the rows store them: numbers and dates as strings, choices and text as given."""
    if isinstance(value, bool):
        return value
    if isinstance(value, Decimal | int):
        return format(Decimal(value).normalize(), "f") if value != 0 else "0"
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def clean_rows(schema: Schema, rows: Any, *, join: str = "all", prefix: str = "rows") -> list[dict[str, Any]]:
    """Check every row; raise one ``ValidationFailed`` (``invalid_condition``) naming each bad part."""
    errors = _Errors(prefix)
    if join not in JOINS:
        errors.fields["join"] = [str(_("Choose one of: %(choices)s.") % {"choices": "all, any"})]
    if not isinstance(rows, list) or not rows:
        errors.add("", _("Add at least one condition."))
        rows = []
    elif len(rows) > MAX_ROWS:
        errors.add("", _("Use at most %(n)s conditions.") % {"n": MAX_ROWS})
        rows = []
    schema_fields = field_map(schema)
    cleaned = [_clean_row(schema_fields, row, i, errors) for i, row in enumerate(rows)]
    if errors.fields:
        raise ValidationFailed(gettext("Some conditions are not valid."), code="invalid_condition",
                               fields=errors.fields)
    return [row for row in cleaned if row is not None]


def _clause(schema_fields: dict[str, Field], row: dict[str, Any]) -> str:
    field = schema_fields[row["field"]]
    left, type_ = row["field"], field.type
    var: Var | None = field.var
    if type_ == "list":
        function = list_functions()[row["function"]]
        args = [_cel_value(_revive(a, p), p) for a, p in zip(row["args"], function.params, strict=True)]
        left = f"{function.name}({', '.join([row['field'], *args])})"
        type_, var = function.returns, None
    op = row["op"]
    if op == "is_true":
        return left
    if op == "is_false":
        return f"!{left}"
    if "value_field" in row:
        right = row["value_field"]
    elif op == "in":
        right = "[" + ", ".join(_choice_or_value(v, type_, var) for v in row["value"]) + "]"
    else:
        right = _choice_or_value(row["value"], type_, var)
    if op == "contains":
        return f"{left}.contains({right})"
    if op == "startswith":
        return f"{left}.startsWith({right})"
    return f"{left} {OPERATORS[op].cel} {right}"


def _choice_or_value(value: Any, type_: str, var: Var | None) -> str:
    if var is not None and var.choices:
        return literal(value)
    return _cel_value(_revive(value, type_), type_)


def _revive(value: Any, type_: str) -> Any:
    if type_ == "number":
        return Decimal(value)
    if type_ == "integer":
        return int(value)
    if type_ == "date":
        return dt.date.fromisoformat(value)
    if type_ == "bool":
        return value if isinstance(value, bool) else str(value).lower() == "true"
    return value


def rows_to_cel(schema: Schema, rows: Any, *, join: str = "all", prefix: str = "rows",
                field_name: str = "condition") -> str:
    """Rows → CEL, checked: bad rows raise ``invalid_condition``; the result compiles against ``schema``."""
    cleaned = clean_rows(schema, rows, join=join, prefix=prefix)
    schema_fields = field_map(schema)
    source = f" {JOINS[join]} ".join(_clause(schema_fields, row) for row in cleaned)
    compile_expression(source, schema, field_name=field_name)
    return source


def build(schema: Schema, rows: Any, *, join: str = "all", prefix: str = "rows") -> tuple[str, list[dict[str, Any]]]:
    """The CEL and the canonical rows to store together in ``RuleVersion.condition_rows``."""
    cleaned = clean_rows(schema, rows, join=join, prefix=prefix)
    return rows_to_cel(schema, cleaned, join=join, prefix=prefix), cleaned


def describe_rows(schema: Schema, rows: list[dict[str, Any]], *, join: str = "all") -> str:
    """A one-line reading of rows in the user's language: "产品 · 可用库存 < 产品 · 安全库存 且 …"."""
    schema_fields = field_map(schema)
    parts = []
    for row in rows:
        field = schema_fields.get(row.get("field", ""))
        if field is None:
            continue
        text = field.label
        if row.get("function"):
            function = list_functions().get(row["function"])
            text = f"{function.label if function else row['function']}({text}{''.join(', ' + str(a) for a in row.get('args', []))})"
        op = OPERATORS.get(row.get("op", ""))
        if op is None:
            continue
        text += f" {op.symbol}"
        if row.get("value_field") and row["value_field"] in schema_fields:
            text += f" {schema_fields[row['value_field']].label}"
        elif op.takes_value:
            value = row.get("value")
            text += " " + (", ".join(str(v) for v in value) if isinstance(value, list) else str(value))
        parts.append(text)
    joiner = f" {gettext('and') if join == 'all' else gettext('or')} "
    return joiner.join(parts)


# CEL → rows -------------------------------------------------------------------------------------------
_TOKEN = re.compile(r"""
    (?P<ws>\s+)
  | (?P<string>"(?:[^"\\\n]|\\.)*"|'(?:[^'\\\n]|\\.)*')
  | (?P<number>\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)
  | (?P<ident>[A-Za-z_][A-Za-z0-9_]*)
  | (?P<op>&&|\|\||==|!=|<=|>=|<|>|!|\(|\)|\[|\]|,|\.|-)
""", re.VERBOSE)
_ESCAPES = {"\\": "\\", '"': '"', "'": "'", "n": "\n", "t": "\t", "r": "\r"}


class _Unreadable(Exception):
    pass


def _tokens(source: str) -> list[tuple[str, str]]:
    out, pos = [], 0
    while pos < len(source):
        match = _TOKEN.match(source, pos)
        if match is None:
            raise _Unreadable
        kind = match.lastgroup or ""
        if kind != "ws":
            out.append((kind, match.group(0)))
        pos = match.end()
    return out


def _unquote(token: str) -> str:
    body, out, i = token[1:-1], [], 0
    while i < len(body):
        if body[i] == "\\" and body[i + 1:i + 2] == "u" and re.fullmatch(r"[0-9a-fA-F]{4}", body[i + 2:i + 6]):
            out.append(chr(int(body[i + 2:i + 6], 16)))
            i += 6
        elif body[i] == "\\":
            if i + 1 >= len(body) or body[i + 1] not in _ESCAPES:
                raise _Unreadable
            out.append(_ESCAPES[body[i + 1]])
            i += 2
        else:
            out.append(body[i])
            i += 1
    return "".join(out)


class _Reader:
    def __init__(self, tokens: list[tuple[str, str]], schema_fields: dict[str, Field]) -> None:
        self.tokens, self.pos, self.fields = tokens, 0, schema_fields

    def peek(self, offset: int = 0) -> tuple[str, str]:
        i = self.pos + offset
        return self.tokens[i] if i < len(self.tokens) else ("end", "")

    def take(self, text: str | None = None, kind: str | None = None) -> str:
        tok_kind, tok = self.peek()
        if (text is not None and tok != text) or (kind is not None and tok_kind != kind) or tok_kind == "end":
            raise _Unreadable
        self.pos += 1
        return tok

    def path(self) -> str:
        parts = [self.take(kind="ident")]
        while self.peek()[1] == "." and self.peek(1)[0] == "ident" and self.peek(2)[1] != "(":
            self.take(".")
            parts.append(self.take(kind="ident"))
        return ".".join(parts)

    def literal(self) -> Any:
        kind, tok = self.peek()
        if tok == "-":
            self.take("-")
            return -Decimal(self.take(kind="number"))
        if kind == "number":
            self.take()
            return Decimal(tok)
        if kind == "string":
            self.take()
            return _unquote(tok)
        if tok in ("true", "false"):
            self.take()
            return tok == "true"
        if tok == "timestamp":
            self.take()
            self.take("(")
            text = _unquote(self.take(kind="string"))
            self.take(")")
            if not text.endswith("T00:00:00Z"):
                raise _Unreadable
            return dt.date.fromisoformat(text[:-10])
        raise _Unreadable

    def clause(self) -> dict[str, Any]:
        if self.peek()[1] == "(":
            self.take("(")
            inner = self.clause()
            self.take(")")
            return inner
        negate = False
        if self.peek()[1] == "!":
            self.take("!")
            negate = True
        if self.peek()[0] == "ident" and self.peek(1)[1] == "(":
            name = self.take()
            self.take("(")
            row: dict[str, Any] = {"field": self.path(), "function": name, "args": []}
            while self.peek()[1] == ",":
                self.take(",")
                row["args"].append(_canonical(self.literal()))
            self.take(")")
        else:
            row = {"field": self.path()}
        nxt = self.peek()[1]
        if negate or nxt in ("&&", "||", ")", ""):
            if nxt not in ("&&", "||", ")", ""):
                raise _Unreadable
            row["op"] = "is_false" if negate else "is_true"
            return row
        if nxt == "." and "function" not in row:
            self.take(".")
            method = self.take(kind="ident")
            row["op"] = {"contains": "contains", "startsWith": "startswith"}.get(method)
            if row["op"] is None:
                raise _Unreadable
            self.take("(")
            self._right(row)
            self.take(")")
            return row
        if nxt == "in":
            self.take("in")
            self.take("[")
            values = [_canonical(self.literal())]
            while self.peek()[1] == ",":
                self.take(",")
                values.append(_canonical(self.literal()))
            self.take("]")
            row.update(op="in", value=values)
            return row
        op = _CEL_TO_OP.get(nxt)
        if op is None:
            raise _Unreadable
        self.take()
        row["op"] = op
        self._right(row)
        return row

    def _right(self, row: dict[str, Any]) -> None:
        if self.peek()[0] == "ident" and self.peek()[1] not in ("true", "false", "timestamp"):
            row["value_field"] = self.path()
        else:
            row["value"] = _canonical(self.literal())


def cel_to_rows(schema: Schema, source: str) -> tuple[str, list[dict[str, Any]]] | None:
    """``(join, rows)`` for CEL of the shape ``rows_to_cel`` writes, else None (use the CEL editor)."""
    try:
        reader = _Reader(_tokens(source.strip()), field_map(schema))
        rows = [reader.clause()]
        join = None
        while reader.peek()[0] != "end":
            joiner = reader.take(kind="op")
            kind = next((k for k, v in JOINS.items() if v == joiner), None)
            if kind is None or (join is not None and kind != join):
                return None
            join = kind
            rows.append(reader.clause())
    except (_Unreadable, InvalidOperation, ValueError):
        return None
    join = join or "all"
    try:
        cleaned = clean_rows(schema, rows, join=join)
    except ValidationFailed:
        return None
    return join, cleaned
