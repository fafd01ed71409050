"""The rule editor's state (issue 5 item 4): header fields as a Django form, the condition as rows
(field / operator / value or another field) or typed CEL, and the actions with their parameters
rendered from each action type's parameter schema.

The editor is re-rendered from what was posted whenever a select changes (htmx swaps the editor in
place), so the page needs no client-side state: ``Editor.from_post`` reads it all back, and
``Editor.service_data`` turns it into what ``rules.services`` takes. A service's ``DomainError`` is
spread back over the header fields, the rows, the CEL editor and the actions (``Editor.add_error``)."""

from __future__ import annotations

import contextlib
import re
from dataclasses import dataclass
from dataclasses import field as dc_field
from typing import Any

from django import forms
from django.contrib.auth import get_user_model
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy

from caixiao.accounts.models import Role
from caixiao.core.errors import DomainError, ValidationFailed
from caixiao.rules import builder, presentation
from caixiao.rules.actions import ACTIONS, Param
from caixiao.rules.enums import TriggerKind
from caixiao.rules.models import Rule
from caixiao.rules.subjects import SUBJECTS
from caixiao.web.forms import BootstrapForm

MAX_ROWS = builder.MAX_ROWS
MAX_ACTIONS = 20


def trigger_choices(subject_name: str | None) -> list[tuple[Any, Any]]:
    """Grouped choices "kind:value" for the subject's triggers (event types, schedules, hooks)."""
    subject = SUBJECTS.get(subject_name or "")
    if subject is None:
        return [("", "—")]
    options = presentation.trigger_options(subject)
    groups: list[tuple[Any, Any]] = [("", "—")]
    for kind in TriggerKind:
        entries = [(f"{kind.value}:{o['value']}", o["label"]) for o in options.get(kind.value, [])]
        if entries:
            groups.append((str(kind.label), entries))
    return groups


class RuleHeaderForm(BootstrapForm):
    code = forms.CharField(label=gettext_lazy("Code"), max_length=64,
                           help_text=gettext_lazy("Letters, digits, - and _; it cannot be changed later."))
    name = forms.CharField(label=gettext_lazy("Name"), max_length=200)
    description = forms.CharField(label=gettext_lazy("Description"), required=False, max_length=4000,
                                  widget=forms.Textarea(attrs={"rows": 2}))
    subject = forms.ChoiceField(label=gettext_lazy("Applies to"))
    trigger = forms.ChoiceField(label=pgettext_lazy("rule trigger", "When"), help_text=gettext_lazy(
        "An event, a schedule, or a check before a document step (which may block it or require approval)."))
    comment = forms.CharField(label=gettext_lazy("What this version changes"), required=False, max_length=300)

    def __init__(self, *args: Any, rule: Rule | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.rule = rule
        subjects = [(s.name, str(s.label)) for s in SUBJECTS.values()]
        self.fields["subject"].choices = subjects  # type: ignore[attr-defined]
        subject = (self.data.get("subject") if self.is_bound else None) or self.initial.get("subject") \
            or next(iter(SUBJECTS), "")
        self.fields["trigger"].choices = trigger_choices(subject)  # type: ignore[attr-defined]
        for name in ("subject", "trigger"):
            self.fields[name].widget.attrs.update({"class": "form-select", "data-refresh": "1"})
        if rule is not None:
            del self.fields["code"]

    def trigger_parts(self) -> tuple[str, str]:
        kind, _sep, value = (self.cleaned_data.get("trigger") or "").partition(":")
        return kind, value


# Rows -------------------------------------------------------------------------------------------------
@dataclass
class Row:
    index: int
    field: str = ""
    op: str = ""
    value: Any = ""
    value_field: str = ""
    function: str = ""
    args: list[str] = dc_field(default_factory=list)
    errors: dict[str, list[str]] = dc_field(default_factory=dict)

    def data(self) -> dict[str, Any]:
        row: dict[str, Any] = {"field": self.field, "op": self.op}
        if self.function:
            row["function"], row["args"] = self.function, list(self.args)
        if self.value_field:
            row["value_field"] = self.value_field
        elif self.op == "in":
            row["value"] = [v.strip() for v in str(self.value).split(",") if v.strip()] \
                if not isinstance(self.value, list) else self.value
        elif builder.OPERATORS.get(self.op, builder.OPERATORS["eq"]).takes_value:
            row["value"] = self.value
        return row

    @property
    def value_text(self) -> str:
        return ", ".join(map(str, self.value)) if isinstance(self.value, list) else str(self.value or "")

    @classmethod
    def from_data(cls, index: int, data: dict[str, Any]) -> Row:
        return cls(index=index, field=data.get("field", ""), op=data.get("op", ""), value=data.get("value", ""),
                   value_field=data.get("value_field") or "", function=data.get("function") or "",
                   args=[str(a) for a in data.get("args") or []])


@dataclass
class ActionBlock:
    index: int
    type: str = ""
    params: dict[str, Any] = dc_field(default_factory=dict)
    errors: dict[str, list[str]] = dc_field(default_factory=dict)


def _indices(post: Any, name: str, limit: int) -> list[int]:
    seen: list[int] = []
    for raw in post.getlist(name):
        if raw.isdigit() and len(raw) < 6 and int(raw) not in seen:
            seen.append(int(raw))
    return seen[:limit]


def _param_from_post(post: Any, key: str, param: Param) -> Any:
    if param.type in ("multichoice", "users", "roles"):
        return [v for v in post.getlist(key) if v]
    if param.type == "bool":
        return post.get(key) == "on"
    return post.get(key, "").strip()


def _without_nul(post: Any) -> Any:
    """The posted values without NUL characters (PostgreSQL cannot store them; nobody types them)."""
    if not any("\x00" in v for _key, values in post.lists() for v in values):
        return post
    clean = post.copy()
    for key, values in post.lists():
        clean.setlist(key, [v.replace("\x00", "") for v in values])
    return clean


_ROW_ERROR = re.compile(r"^rows\.(\d+)(?:\.(\w+))?(?:\.(\d+))?$")
_ACTION_ERROR = re.compile(r"^actions\.(\d+)(?:\.params)?(?:\.(\w+))?$")


@dataclass
class Editor:
    """Everything the rule editor shows and posts."""

    header: RuleHeaderForm
    mode: str = "rows"  # rows | cel
    join: str = "all"
    rows: list[Row] = dc_field(default_factory=list)
    cel: str = ""
    actions: list[ActionBlock] = dc_field(default_factory=list)
    condition_errors: list[str] = dc_field(default_factory=list)
    condition_position: dict[str, Any] = dc_field(default_factory=dict)
    action_errors: list[str] = dc_field(default_factory=list)
    notice: str = ""

    # Building --------------------------------------------------------------------------------------
    @classmethod
    def blank(cls) -> Editor:
        subject = next(iter(SUBJECTS), "")
        header = RuleHeaderForm(initial={"subject": subject})
        editor = cls(header=header, rows=[Row(0)], actions=[ActionBlock(0)])
        return editor

    @classmethod
    def for_rule(cls, rule: Rule) -> Editor:
        version = rule.current_version
        header = RuleHeaderForm(rule=rule, initial={
            "name": rule.name, "description": rule.description, "subject": rule.subject,
            "trigger": f"{rule.trigger_kind}:{rule.trigger}"})
        join, rows = presentation.stored_rows(version)
        editor = cls(header=header, join=join, cel=version.condition if version else "")
        if rows:
            editor.rows = [Row.from_data(i, r) for i, r in enumerate(rows)]
        else:
            subject = SUBJECTS.get(rule.subject)
            parsed = builder.cel_to_rows(subject.schema, editor.cel) if subject and editor.cel else None
            if parsed:
                editor.join, editor.rows = parsed[0], [Row.from_data(i, r) for i, r in enumerate(parsed[1])]
            else:
                editor.mode, editor.rows = "cel", [Row(0)]
        editor.actions = [ActionBlock(i, a.get("type", ""), dict(a.get("params") or {}))
                          for i, a in enumerate(version.actions if version else [])] or [ActionBlock(0)]
        return editor

    @classmethod
    def from_post(cls, post: Any, rule: Rule | None = None) -> Editor:
        post = _without_nul(post)
        header = RuleHeaderForm(post, rule=rule, initial={"subject": rule.subject} if rule else {})
        editor = cls(header=header, mode="cel" if post.get("mode") == "cel" else "rows",
                     join="any" if post.get("join") == "any" else "all", cel=post.get("cel", "")[:10000])
        for i in _indices(post, "row", MAX_ROWS):
            p = f"row-{i}-"
            args = [post.get(f"{p}arg-{n}", "").strip() for n in range(5) if f"{p}arg-{n}" in post]
            values = list(post.getlist(f"{p}value"))
            editor.rows.append(Row(i, field=post.get(f"{p}field", ""), op=post.get(f"{p}op", ""),
                                   value=values[0] if len(values) == 1 else ", ".join(v for v in values if v),
                                   value_field=post.get(f"{p}value_field", ""),
                                   function=post.get(f"{p}function", ""), args=args))
        for i in _indices(post, "action", MAX_ACTIONS):
            p = f"action-{i}-"
            block = ActionBlock(i, type=post.get(f"{p}type", ""))
            action = ACTIONS.get(block.type)
            if action is not None:
                block.params = {name: _param_from_post(post, f"{p}param-{name}", param)
                                for name, param in action.params.items()}
            editor.actions.append(block)
        return editor

    @property
    def subject_name(self) -> str:
        form = self.header
        name = (form.data.get("subject") if form.is_bound else None) or form.initial.get("subject") or ""
        return name if name in SUBJECTS else next(iter(SUBJECTS), "")

    # Changes the page asks for without saving -------------------------------------------------------
    def apply_command(self, post: Any) -> None:
        if "add_row" in post and len(self.rows) < MAX_ROWS:
            self.rows.append(Row(max((r.index for r in self.rows), default=-1) + 1))
        if (remove := post.get("remove_row", "")).isdigit():
            self.rows = [r for r in self.rows if r.index != int(remove)] or [Row(0)]
        if "add_action" in post and len(self.actions) < MAX_ACTIONS:
            self.actions.append(ActionBlock(max((a.index for a in self.actions), default=-1) + 1))
        if (remove := post.get("remove_action", "")).isdigit():
            self.actions = [a for a in self.actions if a.index != int(remove)] or [ActionBlock(0)]
        if post.get("switch") == "cel" and self.mode == "rows":
            self.mode = "cel"
            with contextlib.suppress(ValidationFailed):  # keep what was typed; the rows show their errors
                self.cel = self.generated_cel()
        elif post.get("switch") == "rows" and self.mode == "cel":
            subject = SUBJECTS.get(self.subject_name)
            parsed = builder.cel_to_rows(subject.schema, self.cel) if subject and self.cel.strip() else None
            if parsed is None and self.cel.strip():
                self.notice = _("This condition cannot be shown as rows; keep editing it as CEL or clear it.")
            else:
                self.mode = "rows"
                if parsed:
                    self.join, self.rows = parsed[0], [Row.from_data(i, r) for i, r in enumerate(parsed[1])]

    # Rows → CEL ----------------------------------------------------------------------------------
    def row_data(self) -> list[dict[str, Any]]:
        return [r.data() for r in self.rows]

    def generated_cel(self) -> str:
        subject = presentation.get_subject(self.subject_name)
        try:
            return builder.rows_to_cel(subject.schema, self.row_data(), join=self.join)
        except ValidationFailed as err:
            self.add_error(err)
            raise

    def condition(self) -> tuple[str, dict[str, Any]]:
        """The CEL and the rows to store; raises ``ValidationFailed`` (and records it) when rows are bad."""
        if self.mode == "cel":
            return self.cel, {}
        subject = presentation.get_subject(self.subject_name)
        try:
            source, cleaned = builder.build(subject.schema, self.row_data(), join=self.join)
        except ValidationFailed as err:
            self.add_error(err)
            raise
        return source, presentation.pack_rows(self.join, cleaned)

    def action_data(self) -> list[dict[str, Any]]:
        return [{"type": a.type, "params": {k: v for k, v in a.params.items() if v not in ("", None)}}
                for a in self.actions if a.type]

    def service_data(self) -> dict[str, Any]:
        """What ``create_rule`` / ``update_rule`` take; call after ``header.is_valid()``."""
        data = {k: v for k, v in self.header.cleaned_data.items() if k != "trigger"}
        data["trigger_kind"], data["trigger"] = self.header.trigger_parts()
        data["condition"], data["condition_rows"] = self.condition()
        data["actions"] = self.action_data()
        return data

    # Errors ------------------------------------------------------------------------------------------
    def add_error(self, err: DomainError) -> None:
        """Spread a service error over the editor: header fields, rows, the CEL, the actions."""
        by_position = dict(enumerate(self.rows))
        actions = dict(enumerate([a for a in self.actions if a.type]))
        if err.details.get("line") is not None:
            self.condition_position = {"line": err.details.get("line"), "column": err.details.get("column")}
        leftover: list[str] = []
        for key, messages in (err.fields or {"": [str(err.message)]}).items():
            texts = [str(m) for m in messages]
            if key in ("condition", "expression", "cel", "rows", "join"):
                self.condition_errors += texts
            elif (m := _ROW_ERROR.match(key)) and int(m.group(1)) in by_position:
                row = by_position[int(m.group(1))]
                name = m.group(2) or "field"
                if name == "args" and m.group(3) is not None:
                    name = f"arg-{m.group(3)}"
                row.errors.setdefault(name, []).extend(texts)
            elif key == "actions":
                self.action_errors += texts
            elif (m := _ACTION_ERROR.match(key)) and int(m.group(1)) in actions:
                actions[int(m.group(1))].errors.setdefault(m.group(2) or "type", []).extend(texts)
            elif key in self.header.fields:
                self.header.add_error(key, texts)
            elif key == "trigger_kind":
                self.header.add_error("trigger", texts)
            else:
                leftover += texts
        if leftover or (not err.fields and not self.condition_errors):
            self.header.add_error(None, leftover or [str(err.message)])

    @property
    def has_errors(self) -> bool:
        return bool(self.header.errors or self.condition_errors or self.action_errors
                    or any(r.errors for r in self.rows) or any(a.errors for a in self.actions))


# Rendering helpers -------------------------------------------------------------------------------------
def row_widgets(editor: Editor) -> dict[str, Any]:
    """What each row's selects offer, for the subject being edited."""
    subject = SUBJECTS.get(editor.subject_name)
    if subject is None:
        return {"fields": [], "rows": []}
    fields = builder.fields(subject.schema)
    by_path = {f.path: f for f in fields}
    functions = builder.list_functions()
    rows = []
    for row in editor.rows:
        f = by_path.get(row.field)
        type_ = f.type if f else ""
        function = functions.get(row.function) if type_ == "list" else None
        if type_ == "list" and function is None and functions:
            function = next(iter(functions.values()))
        result_type = function.returns if function else type_
        operators = (builder.OPERATORS_BY_TYPE.get(result_type, ()) if function
                     else f.operators() if f else ())
        op = builder.OPERATORS.get(row.op) if row.op in operators else (
            builder.OPERATORS[operators[0]] if operators else None)
        compatible = builder._COMPATIBLE.get(result_type, set())
        rows.append({
            "row": row, "field": f, "type": result_type,
            "operators": [builder.OPERATORS[o] for o in operators], "op": op.code if op else "",
            "takes_value": bool(op and op.takes_value), "takes_field": bool(op and op.takes_field),
            "choices": list(f.var.choices) if f and f.var.choices and not function else [],
            "value_fields": [o for o in fields if o.type in compatible and o.path != row.field]
            if op and op.takes_field else [],
            "functions": list(functions.values()) if type_ == "list" else [],
            "function": function,
            "args": [{"n": n, "type": t, "value": row.args[n] if n < len(row.args) else ""}
                     for n, t in enumerate(function.params)] if function else [],
            "input_type": "date" if result_type == "date" else "text",
            "values": [v.strip() for v in row.value_text.split(",")],
        })
    return {"fields": fields, "rows": rows}


def action_widgets(editor: Editor) -> list[dict[str, Any]]:
    subject = editor.subject_name
    kind = (editor.header.data.get("trigger") if editor.header.is_bound else editor.header.initial.get("trigger")) or ""
    kind = kind.partition(":")[0] or None
    types = presentation.actions_for(subject, kind if kind in TriggerKind.values else None)
    users = None
    out = []
    for block in editor.actions:
        action = ACTIONS.get(block.type)
        params = []
        for name, param in (action.params.items() if action else ()):
            value = block.params.get(name, param.default if param.default is not None else "")
            choices: list[tuple[str, str]] = [(str(v), str(lbl)) for v, lbl in param.choices]
            if param.type == "users":
                if users is None:
                    users = [(str(u.pk), f"{u.get_full_name() or u.get_username()} ({u.get_username()})")
                             for u in get_user_model().objects.filter(is_active=True).order_by("username")[:500]]
                choices = users
            elif param.type == "roles":
                choices = [(r.group.name, str(r.label)) for r in Role.objects.select_related("group")]
            selected = {str(v) for v in value} if isinstance(value, list) else {str(value)}
            params.append({"name": name, "param": param, "value": "" if value is None else value,
                           "selected": selected, "choices": choices, "errors": block.errors.get(name, []),
                           "key": f"action-{block.index}-param-{name}"})
        out.append({"block": block, "action": action, "types": types, "params": params,
                    "param_names": [p["name"] for p in params],
                    "type_errors": block.errors.get("type", [])})
    return out
