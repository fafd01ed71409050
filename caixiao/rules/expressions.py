"""The one façade over CEL (DESIGN.md "Rules"). Approval-step conditions and rule conditions are CEL
expressions checked against a typed ``Schema`` when they are saved, compiled once per source text and
evaluated many times.

Checking on save catches, with the line and column where possible: syntax errors, unknown variables
and fields, unknown functions, and type errors (found by evaluating once against a sample context of
the schema's types). A condition that passes these checks can still fail at run time on real data
(an ``int`` division by zero, a missing map key); callers catch ``ExpressionRuntimeError``.

Values cross into CEL as: ``Decimal`` → double (conditions compare amounts; they never compute
money that is stored), ``date``/``datetime`` → timestamp (UTC midnight for a date), dict → map,
list/tuple → list. Nothing else (model instances in particular) is allowed in a context."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from functools import lru_cache
from typing import Any

import cel
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from caixiao.core.errors import ValidationFailed

# CEL's own functions and macros (the cel-spec standard definitions) that conditions may use.
BUILTINS = frozenset({
    "size", "contains", "startsWith", "endsWith", "matches", "has", "all", "exists", "exists_one", "map",
    "filter", "int", "uint", "double", "string", "bool", "bytes", "timestamp", "duration", "type", "dyn",
    "getFullYear", "getMonth", "getDayOfMonth", "getDayOfWeek", "getDayOfYear", "getDate", "getHours",
    "getMinutes", "getSeconds", "max", "min",
})
TYPES = ("number", "integer", "string", "bool", "date", "list", "map")
_COMPREHENSION = re.compile(r"\.\s*(?:all|exists|exists_one|map|filter)\s*\(\s*([A-Za-z_]\w*)\s*,")
_PATH = re.compile(r"(?<![\w.])([A-Za-z_]\w*)((?:\s*\.\s*[A-Za-z_]\w*)+)")
_STRING = re.compile(r"""("(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*')""")
_POSITION = re.compile(r"<input>:(\d+):(\d+):\s*(?:Syntax error:\s*)?(.*)")


@dataclass(frozen=True)
class Var:
    """A variable or field of a schema. ``fields`` lists a map's keys (only those may be used)."""

    name: str
    type: str
    label: Any = ""
    fields: tuple[Var, ...] = ()
    choices: tuple[tuple[str, Any], ...] = ()

    def __post_init__(self) -> None:
        if self.type not in TYPES:
            raise ValueError(f"unknown expression type {self.type!r} for {self.name!r}")

    def field(self, name: str) -> Var | None:
        return next((f for f in self.fields if f.name == name), None)

    def sample(self) -> Any:
        if self.type == "map":
            return {f.name: f.sample() for f in self.fields}
        if self.choices:
            return self.choices[0][0]
        return {"number": 1.0, "integer": 1, "string": "", "bool": False, "list": [],
                "date": dt.datetime(2000, 1, 1, tzinfo=dt.UTC)}[self.type]


@dataclass(frozen=True, eq=False)  # hashed by identity: schemas are module constants
class Schema:
    """What a kind of expression may refer to: the typed context its callers promise to supply."""

    name: str
    label: Any
    variables: tuple[Var, ...]

    def var(self, name: str) -> Var | None:
        return next((v for v in self.variables if v.name == name), None)

    def resolve(self, path: str) -> Var | None:
        """``"order.amount"`` → the Var, or None if any step is unknown."""
        head, *rest = path.split(".")
        var = self.var(head)
        for part in rest:
            if var is None or var.type != "map":
                return None
            var = var.field(part)
        return var

    def leaves(self) -> list[tuple[str, Var]]:
        """Every scalar field with its dotted path, for the condition form builder."""
        out: list[tuple[str, Var]] = []

        def walk(prefix: str, var: Var) -> None:
            if var.type == "map" and var.fields:
                for f in var.fields:
                    walk(f"{prefix}{var.name}.", f)
            else:
                out.append((f"{prefix}{var.name}", var))

        for v in self.variables:
            walk("", v)
        return out

    def sample(self) -> dict[str, Any]:
        return {v.name: v.sample() for v in self.variables}


@dataclass(frozen=True)
class Function:
    name: str
    func: Callable[..., Any]
    params: tuple[str, ...]
    returns: str
    label: Any = ""
    description: Any = ""


FUNCTIONS: dict[str, Function] = {}


def function(name: str, *, params: tuple[str, ...], returns: str, label: Any = "",
             description: Any = "") -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Register a domain function for every expression: ``@function("pct_change", params=("number",
    "number"), returns="number")``. It receives CEL values converted to Python and must be pure and
    cheap: no queries (give it the data through the context instead)."""
    if not re.fullmatch(r"[a-z_][a-z0-9_]*", name) or name in BUILTINS:
        raise ValueError(f"invalid or reserved function name {name!r}")

    def register(func: Callable[..., Any]) -> Callable[..., Any]:
        existing = FUNCTIONS.get(name)
        if existing is not None and existing.func is not func:
            raise ValueError(f"two expression functions named {name!r}")
        FUNCTIONS[name] = Function(name, func, params, returns, label, description)
        return func

    return register


class ExpressionError(ValidationFailed):
    """An expression rejected on save. ``details`` carry ``line`` and ``column`` (1-based) when known."""

    code = "invalid_expression"

    def __init__(self, message: Any, *, source: str, line: int | None = None, column: int | None = None,
                 field_name: str = "expression") -> None:
        if line is not None:
            text = gettext("Line %(line)s, column %(column)s: %(message)s") % {
                "line": line, "column": column, "message": message}
        else:
            text = str(message)
        details: dict[str, Any] = {"source": source}
        if line is not None:
            details.update(line=line, column=column)
        super().__init__(text, fields={field_name: [text]}, **details)
        self.line, self.column, self.reason = line, column, str(message)


class ExpressionRuntimeError(Exception):
    """Evaluating a checked expression failed on real data."""


def _position(source: str, offset: int) -> tuple[int, int]:
    before = source[:offset]
    return before.count("\n") + 1, offset - (before.rfind("\n") + 1) + 1


def _blank_strings(source: str) -> str:
    return _STRING.sub(lambda m: " " * len(m.group(0)), source)


_AS_IS = frozenset({bool, int, float, str, type(None)})


def to_cel(value: Any) -> Any:
    """Convert a Python value for a CEL context (see the module docstring)."""
    kind = type(value)  # exact types first: this runs for every field of every context evaluated
    if kind in _AS_IS:
        return value
    if kind is Decimal:
        return float(value)
    if kind is dict:
        return {k if type(k) is str else str(k): to_cel(v) for k, v in value.items()}
    if kind is list:
        return [v if type(v) in _AS_IS else to_cel(v) for v in value]
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, dt.datetime):
        return value if value.tzinfo else value.replace(tzinfo=dt.UTC)
    if isinstance(value, dt.date):
        return dt.datetime(value.year, value.month, value.day, tzinfo=dt.UTC)
    if isinstance(value, Mapping):
        return {str(k): to_cel(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [to_cel(v) for v in value]
    raise TypeError(f"cannot pass {type(value).__name__} to an expression")


@dataclass(frozen=True)
class Expression:
    """A checked, compiled expression. Build it with ``compile_expression``; evaluate it many times.

    Handing a context to CEL costs far more than evaluating (the conversion of every value): so only
    what the expression uses crosses over — the variables it names and, for a map it only reads fields
    of (``product.available``), just those fields — with only the domain functions it calls."""

    source: str
    schema: Schema
    program: Any = field(repr=False, compare=False)
    boolean: bool = True
    needs: tuple[tuple[str, frozenset[str] | None], ...] | None = field(default=None, repr=False, compare=False)
    functions: Mapping[str, Callable[..., Any]] | None = field(default=None, repr=False, compare=False)

    def prune(self, context: Mapping[str, Any]) -> Mapping[str, Any]:
        """The part of ``context`` the expression uses (all of it when that cannot be told)."""
        if self.needs is None:
            return context
        out: dict[str, Any] = {}
        for name, fields in self.needs:
            if name not in context:
                continue
            value = context[name]
            if fields is not None and isinstance(value, Mapping):
                value = {k: value[k] for k in fields if k in value}
            out[name] = value
        return out

    def evaluate(self, context: Mapping[str, Any]) -> Any:
        variables = to_cel(self.prune(context))
        functions = dict(self.functions) if self.functions is not None else _function_table()
        try:
            return self.program.execute(cel.Context(variables=variables, functions=functions))
        except Exception as exc:  # the CEL runtime raises RuntimeError/TypeError/ValueError
            raise ExpressionRuntimeError(str(exc)) from exc

    def matches(self, context: Mapping[str, Any]) -> bool:
        """Evaluate a condition; anything but a bool is a runtime error."""
        result = self.evaluate(context)
        if not isinstance(result, bool):
            raise ExpressionRuntimeError(f"the condition gave {result!r}, not true or false")
        return result


class Batch:
    """Several checked expressions over the same contexts (the rules of one subject in one sweep): each
    context crosses into CEL once, pruned to what any of them uses, and every program runs on it."""

    def __init__(self, expressions: list[Expression]) -> None:
        self.expressions = expressions
        needs: dict[str, set[str] | None] = {}
        whole = any(e.needs is None for e in expressions)
        for expression in expressions:
            for name, fields in expression.needs or ():
                if fields is None or needs.get(name, set()) is None:
                    needs[name] = None
                else:
                    needs.setdefault(name, set()).update(fields)  # type: ignore[union-attr]
        self.pruner = Expression("", expressions[0].schema if expressions else Schema("", "", ()), None,
                                 needs=None if whole else tuple(
                                     (n, frozenset(f) if f is not None else None) for n, f in needs.items()))
        self.functions: dict[str, Callable[..., Any]] = {}
        for expression in expressions:
            self.functions.update(expression.functions if expression.functions is not None else _function_table())

    def matches(self, context: Mapping[str, Any]) -> list[bool | ExpressionRuntimeError]:
        """Per expression: its boolean result, or the ``ExpressionRuntimeError`` it raised."""
        cel_context = cel.Context(variables=to_cel(self.pruner.prune(context)), functions=self.functions)
        results: list[bool | ExpressionRuntimeError] = []
        for expression in self.expressions:
            try:
                result = expression.program.execute(cel_context)
            except Exception as exc:
                results.append(ExpressionRuntimeError(str(exc)))
                continue
            results.append(result if isinstance(result, bool) else ExpressionRuntimeError(
                f"the condition gave {result!r}, not true or false"))
        return results


def _needs(plain: str, variables: list[str], bound: set[str]) -> tuple[tuple[str, frozenset[str] | None], ...] | None:
    """Per variable the expression names: the first-level fields it reads, or None when it uses the
    variable some other way (passes it to a function, calls a method on it, compares it whole)."""
    needs = []
    for name in variables:
        if name in bound:
            continue  # a comprehension's own variable, not one of the context's
        fields: set[str] | None = set()
        for use in re.finditer(rf"(?<![\w.]){re.escape(name)}(?!\w)", plain):
            access = re.match(r"\s*\.\s*([A-Za-z_]\w*)(\s*\()?", plain[use.end():])
            if access is None or access.group(2):
                fields = None
                break
            fields.add(access.group(1))  # type: ignore[union-attr]
        needs.append((name, frozenset(fields) if fields is not None else None))
    return tuple(needs)


@lru_cache(maxsize=1)
def _function_table_cached(version: int) -> dict[str, Callable[..., Any]]:
    return {name: f.func for name, f in FUNCTIONS.items()}


def _function_table() -> dict[str, Callable[..., Any]]:
    return _function_table_cached(len(FUNCTIONS))


def compile_expression(source: str, schema: Schema, *, boolean: bool = True,
                       field_name: str = "expression") -> Expression:
    """Check ``source`` against ``schema`` and compile it; raise ``ExpressionError`` (422, code
    ``invalid_expression``) with the position of the first problem. Cached per (source, schema)."""
    return _compile(source.strip(), schema, boolean, field_name)


@lru_cache(maxsize=4096)
def _compile(source: str, schema: Schema, boolean: bool, field_name: str) -> Expression:
    def fail(message: Any, offset: int | None = None, line: int | None = None, column: int | None = None) -> None:
        if offset is not None:
            line, column = _position(source, offset)
        raise ExpressionError(message, source=source, line=line, column=column, field_name=field_name)

    if not source:
        fail(_("Enter an expression."))
    try:
        program = cel.compile(source)
    except ValueError as exc:
        found = _POSITION.search(str(exc))
        if found:
            detail = found.group(3).split("\n")[0].strip()
            fail(_("Syntax error: %(detail)s") % {"detail": detail}, line=int(found.group(1)),
                 column=int(found.group(2)) + 1)
        fail(_("Syntax error."))

    plain = _blank_strings(source)
    bound = set(_COMPREHENSION.findall(plain))
    for name in program.functions():
        if not name.isidentifier() or name.startswith("_") or name in BUILTINS or name in FUNCTIONS:
            continue
        found = re.search(rf"(?<![\w]){re.escape(name)}\s*\(", plain)
        fail(_("Unknown function “%(name)s”.") % {"name": name}, offset=found.start() if found else None)
    for name in program.variables():
        if name in bound or schema.var(name) is not None:
            continue
        found = re.search(rf"(?<![\w.]){re.escape(name)}(?!\w)", plain)
        fail(_("Unknown field “%(name)s”.") % {"name": name}, offset=found.start() if found else None)
    for match in _PATH.finditer(plain):
        head = match.group(1)
        if head in bound or schema.var(head) is None:
            continue
        parts = [head] + [p.strip() for p in match.group(2).split(".")[1:]]
        if plain[match.end():].lstrip().startswith("("):
            parts = parts[:-1]  # a method call such as name.startsWith(...)
        for depth in range(2, len(parts) + 1):
            if schema.resolve(".".join(parts[:depth])) is None:
                offset = match.start() + plain[match.start():match.end()].find(parts[depth - 1])
                fail(_("Unknown field “%(name)s”.") % {"name": ".".join(parts[:depth])}, offset=offset)

    used = {name: FUNCTIONS[name].func for name in program.functions() if name in FUNCTIONS}
    shadowed = any(schema.var(name) is not None for name in bound)  # keep everything when in doubt
    needs = None if shadowed else _needs(plain, list(program.variables()), bound)
    expression = Expression(source, schema, program, boolean, needs=needs, functions=used)
    try:
        result = expression.evaluate(schema.sample())
    except ExpressionRuntimeError as exc:
        fail(_("The expression cannot be evaluated: %(detail)s") % {"detail": exc})
    if boolean and not isinstance(result, bool):
        fail(_("The condition must give true or false."))
    return expression


def literal(value: Any) -> str:
    """A Python value as CEL source, for the form builder: strings quoted and escaped (line breaks and
    other control characters, which CEL strings cannot hold raw, as ``\\uXXXX``), numbers as doubles
    (so they compare with the double fields), booleans lower-case."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float | Decimal):
        text = format(Decimal(str(value)).normalize(), "f")
        return text if "." in text else f"{text}.0"
    if isinstance(value, str):
        quoted = value.replace("\\", "\\\\").replace('"', '\\"')
        return '"' + "".join(f"\\u{ord(ch):04x}" if ord(ch) < 0x20 or ord(ch) == 0x7F or ch in "\u2028\u2029"
                             else ch for ch in quoted) + '"'
    if isinstance(value, list | tuple):
        return "[" + ", ".join(literal(v) for v in value) + "]"
    raise TypeError(f"no CEL literal for {type(value).__name__}")


@function("pct_change", params=("number", "number"), returns="number", label=_("Percentage change"),
          description=_("pct_change(old, new): the change from old to new as a fraction (0.2 = +20%); 0 when old is 0."))
def pct_change(old: float, new: float) -> float:
    return 0.0 if not old else (float(new) - float(old)) / float(old)
