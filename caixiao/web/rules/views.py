"""Rule pages (issue 5 items 3–5; X4, X7, P4): the rules list, a rule with its versions, runs and
changes, the editor (condition rows with a live CEL preview, or CEL typed directly; actions with
their parameters), the dry-run page, the change log with a revert per change and per run, and the
run log. Thin views: ``rules.services`` writes, ``rules.presentation`` reads and describes; every
view checks its permission."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Count, Q
from django.forms.utils import ErrorDict
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from caixiao.core.errors import DomainError
from caixiao.rules import builder, presentation, services
from caixiao.rules.enums import TriggerKind
from caixiao.rules.expressions import ExpressionError, compile_expression
from caixiao.rules.models import Rule, RuleChange, RuleRun
from caixiao.rules.subjects import SUBJECTS
from caixiao.web.crud import require
from caixiao.web.forms import BootstrapForm
from caixiao.web.lists import FilterForm, filter_values, list_page, paginate
from caixiao.web.rules.forms import Editor, action_widgets, row_widgets

VIEW, ADD, CHANGE, DELETE = "rules.view_rule", "rules.add_rule", "rules.change_rule", "rules.delete_rule"
VIEW_CHANGES, REVERT = "rules.view_rulechange", "rules.change_rulechange"
VIEW_RUNS = "rules.view_rulerun"
COMMANDS = ("refresh", "add_row", "remove_row", "add_action", "remove_action", "switch")


def _rule(pk: int) -> Rule:
    rule = presentation.list_rules().filter(pk=pk).first()
    if rule is None:
        raise Http404
    return rule


def _back(request: HttpRequest, default: str) -> HttpResponse:
    target = request.POST.get("next") or ""
    if target and url_has_allowed_host_and_scheme(target, {request.get_host()}):
        return redirect(target)
    return redirect(default)


def _error_text(err: DomainError) -> str:
    problems = [str(m) for field_messages in err.fields.values() for m in field_messages]
    return " ".join(dict.fromkeys([str(err.message), *problems]))


# The list ---------------------------------------------------------------------------------------------
class RuleFilterForm(FilterForm):
    q = forms.CharField(label=gettext_lazy("Search rules"), required=False, max_length=100)
    trigger_kind = forms.ChoiceField(label=gettext_lazy("Trigger"), required=False,
                                     choices=[("", gettext_lazy("All triggers")), *TriggerKind.choices])
    enabled = forms.ChoiceField(label=gettext_lazy("Status"), required=False, choices=[
        ("", gettext_lazy("Enabled and disabled")), ("1", gettext_lazy("Enabled")), ("0", gettext_lazy("Disabled"))])
    builtin = forms.ChoiceField(label=gettext_lazy("Kind"), required=False, choices=[
        ("", gettext_lazy("Built-in and own")), ("1", gettext_lazy("Built-in")), ("0", gettext_lazy("Own"))])


def _flag(value: str | None) -> bool | None:
    return {"1": True, "0": False}.get(value or "")


@login_required
def rule_list(request: HttpRequest) -> HttpResponse:
    require(request, VIEW)
    form = RuleFilterForm(request.GET)
    f = filter_values(form)
    rules = presentation.list_rules(trigger_kind=f.get("trigger_kind"), enabled=_flag(f.get("enabled")),
                                    builtin=_flag(f.get("builtin")), q=f.get("q"))
    page = paginate(request, rules)
    page.object_list = list(page.object_list)
    for rule in page.object_list:
        subject = SUBJECTS.get(rule.subject)
        rule.subject_label = str(subject.label) if subject else rule.subject  # type: ignore[attr-defined]
    return list_page(request, "web/rules/rules.html", "web/rules/_rules_results.html", {
        "form": form, "page": page, "can_add": request.user.has_perm(ADD),
        "can_change": request.user.has_perm(CHANGE)})


@login_required
@require_POST
def rule_toggle(request: HttpRequest, pk: int) -> HttpResponse:
    require(request, CHANGE)
    rule = _rule(pk)
    try:
        if request.POST.get("enabled") == "1":
            services.enable_rule(rule_id=rule.pk, actor=request.user)
            messages.success(request, _("Enabled “%(name)s”.") % {"name": rule.name})
        else:
            services.disable_rule(rule_id=rule.pk, actor=request.user, reason=request.POST.get("reason", "")[:500])
            messages.success(request, _("Disabled “%(name)s”.") % {"name": rule.name})
    except DomainError as err:
        messages.error(request, _error_text(err))
    return _back(request, reverse("web:rule", args=[pk]))


@login_required
@require_POST
def rule_delete(request: HttpRequest, pk: int) -> HttpResponse:
    require(request, DELETE)
    rule = _rule(pk)
    try:
        services.delete_rule(rule_id=rule.pk, actor=request.user)
    except DomainError as err:
        messages.error(request, _error_text(err))
        return redirect("web:rule", pk=pk)
    messages.success(request, _("Deleted the rule “%(name)s”.") % {"name": rule.name})
    return redirect("web:rules")


# One rule ---------------------------------------------------------------------------------------------
@login_required
def rule_detail(request: HttpRequest, pk: int) -> HttpResponse:
    require(request, VIEW)
    rule = _rule(pk)
    user = request.user
    versions = list(presentation.list_versions(rule_id=pk)[:50])
    subject = SUBJECTS.get(rule.subject)
    return render(request, "web/rules/rule_detail.html", {
        "rule": rule, "subject": subject, "version": rule.current_version,
        "condition_text": presentation.describe_condition(rule.current_version),
        "actions": presentation.describe_action_list(rule.current_version.actions if rule.current_version else []),
        "versions": [{"version": v, "condition_text": presentation.describe_condition(v),
                      "actions": presentation.describe_action_list(v.actions)} for v in versions],
        "runs": list(presentation.list_runs(rule_id=pk)[:10]) if user.has_perm(VIEW_RUNS) else None,
        "changes": list(presentation.list_changes(rule_id=pk)[:10]) if user.has_perm(VIEW_CHANGES) else None,
        "can_change": user.has_perm(CHANGE), "can_revert": user.has_perm(REVERT),
        "can_delete": user.has_perm(DELETE) and not rule.is_builtin,
    })


# The editor -------------------------------------------------------------------------------------------
def _editor_page(request: HttpRequest, editor: Editor, rule: Rule | None) -> HttpResponse:
    url = reverse("web:rule-edit", args=[rule.pk]) if rule else reverse("web:rule-create")
    hx = {"hx-post": url, "hx-target": "#rule-editor", "hx-select": "#rule-editor", "hx-swap": "outerHTML",
          "hx-vals": '{"refresh": "1"}', "hx-sync": "#rule-form:replace"}
    for name in ("subject", "trigger"):
        editor.header.fields[name].widget.attrs.update(hx)
    return render(request, "web/rules/rule_form.html", {
        "editor": editor, "rule": rule, "url": url, "widgets": row_widgets(editor),
        "action_blocks": action_widgets(editor),
        "title": _("Edit rule %(code)s") % {"code": rule.code} if rule else _("New rule"),
        "preview_url": reverse("web:rule-preview"), "joins": builder.JOIN_LABELS,
        "draft_dry_run_url": reverse("web:rule-draft-dry-run"),
        "draft_start": timezone.localdate() - dt.timedelta(weeks=12), "draft_end": timezone.localdate(),
    })


def _edit(request: HttpRequest, rule: Rule | None) -> HttpResponse:
    if request.method != "POST":
        editor = Editor.for_rule(rule) if rule else Editor.blank()
        return _editor_page(request, editor, rule)
    editor = Editor.from_post(request.POST, rule=rule)
    if any(name in request.POST for name in COMMANDS):
        editor.apply_command(request.POST)
        editor.header._errors = ErrorDict()  # type: ignore[attr-defined]  # a refresh: no "required" errors yet
        return _editor_page(request, editor, rule)
    if editor.header.is_valid():
        try:
            data = editor.service_data()
            if rule is None:
                rule = services.create_rule(data=data, actor=request.user)
                messages.success(request, _("Created the rule “%(name)s” (disabled: try a dry-run, then enable it).")
                                 % {"name": rule.name})
            else:
                version = services.update_rule(rule_id=rule.pk, data=data, actor=request.user)
                messages.success(request, _("Saved version %(number)s of “%(name)s”.")
                                 % {"number": version.number, "name": rule.name})
            return redirect("web:rule", pk=rule.pk)
        except DomainError as err:
            if not editor.has_errors:  # rows' errors were recorded when they were read
                editor.add_error(err)
    return _editor_page(request, editor, rule)


@login_required
def rule_create(request: HttpRequest) -> HttpResponse:
    require(request, ADD)
    return _edit(request, None)


@login_required
def rule_edit(request: HttpRequest, pk: int) -> HttpResponse:
    require(request, CHANGE)
    return _edit(request, _rule(pk))


@login_required
@require_POST
def rule_preview(request: HttpRequest) -> HttpResponse:
    """The live "generated CEL" under the condition (htmx): the CEL the rows make, or whether the typed
    CEL compiles, with the line and column of the first problem."""
    if not (request.user.has_perm(ADD) or request.user.has_perm(CHANGE)):
        require(request, CHANGE)
    editor = Editor.from_post(request.POST)
    context: dict[str, Any] = {"editor": editor, "source": "", "ok": False}
    subject = SUBJECTS.get(editor.subject_name)
    try:
        if editor.mode == "rows":
            context["source"] = editor.generated_cel()
        elif subject is not None:
            context["source"] = editor.cel
            compile_expression(editor.cel, subject.schema, field_name="condition")
        context["ok"] = True
    except ExpressionError as err:
        context["error"] = str(err.message)
        context["position"] = _caret(editor.cel, err.line, err.column)
    except DomainError as err:
        context["errors"] = [f"{_row_label(key)}: {m}" for key, msgs in err.fields.items() for m in msgs] \
            or [str(err.message)]
    return render(request, "web/rules/_preview.html", context)


def _row_label(key: str) -> str:
    parts = key.split(".")
    if parts[0] == "rows" and len(parts) > 1 and parts[1].isdigit():
        return _("Row %(n)s") % {"n": int(parts[1]) + 1}
    return _("Condition")


def _caret(source: str, line: int | None, column: int | None) -> dict[str, Any] | None:
    """The offending line with a caret under the column, for the CEL editor."""
    if line is None or column is None:
        return None
    lines = source.strip().splitlines() or [""]
    if not 1 <= line <= len(lines):
        return None
    return {"line": line, "column": column, "text": lines[line - 1], "pad": " " * max(column - 1, 0)}


# Dry-run --------------------------------------------------------------------------------------------
class DryRunForm(BootstrapForm):
    start = forms.DateField(label=gettext_lazy("From"))
    end = forms.DateField(label=gettext_lazy("To"))

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        for name in ("start", "end"):
            if data.get(name) and not dt.date(1970, 1, 1) <= data[name] <= dt.date(2999, 12, 30):
                self.add_error(name, _("Enter a date between %(first)s and %(last)s.") % {
                    "first": "1970-01-01", "last": "2999-12-30"})  # also drops it from cleaned_data
        if data.get("start") and data.get("end") and data["end"] < data["start"]:
            self.add_error("end", _("The end must not be before the start."))
        return data


@login_required
def rule_dry_run(request: HttpRequest, pk: int) -> HttpResponse:
    require(request, VIEW)
    rule = _rule(pk)
    today = timezone.localdate()
    form = DryRunForm(request.GET if "start" in request.GET else None,
                      initial={"start": today - dt.timedelta(weeks=12), "end": today})
    result = None
    if form.is_bound and form.is_valid():
        start = timezone.make_aware(dt.datetime.combine(form.cleaned_data["start"], dt.time.min))
        end = timezone.make_aware(dt.datetime.combine(form.cleaned_data["end"] + dt.timedelta(days=1), dt.time.min))
        try:
            result = services.dry_run(rule_id=rule.pk, start=start, end=end)
        except DomainError as err:
            for key, msgs in (err.fields or {"": [str(err.message)]}).items():
                form.add_error(key if key in form.fields else None, [str(m) for m in msgs])
    return render(request, "web/rules/dry_run.html", {
        "rule": rule, "form": form, "result": result,
        "condition_text": presentation.describe_condition(rule.current_version),
        "actions": presentation.describe_action_list(rule.current_version.actions if rule.current_version else []),
        "can_change": request.user.has_perm(CHANGE)})


@login_required
@require_POST
def rule_draft_dry_run(request: HttpRequest) -> HttpResponse:
    """Dry-run what the editor holds, before saving (htmx): the same result table as the dry-run page,
    or the errors that keep the draft from being checked."""
    if not (request.user.has_perm(ADD) or request.user.has_perm(CHANGE)):
        require(request, CHANGE)
    rule_id = request.POST.get("rule_id", "")
    rule = _rule(int(rule_id)) if rule_id.isdigit() and len(rule_id) < 18 else None
    editor = Editor.from_post(request.POST, rule=rule)
    form = DryRunForm({"start": request.POST.get("draft-start"), "end": request.POST.get("draft-end")})
    for name in ("code", "name"):  # a draft need not be named to be tried
        if name in editor.header.fields:
            editor.header.fields[name].required = False
    context: dict[str, Any] = {"result": None, "errors": []}
    if not form.is_valid():
        context["errors"] = [str(m) for msgs in form.errors.values() for m in msgs]
    elif not editor.header.is_valid():
        context["errors"] = [f"{editor.header.fields[k].label}: {m}" if k in editor.header.fields else str(m)
                             for k, msgs in editor.header.errors.items() for m in msgs]
    else:
        start = timezone.make_aware(dt.datetime.combine(form.cleaned_data["start"], dt.time.min))
        end = timezone.make_aware(dt.datetime.combine(form.cleaned_data["end"] + dt.timedelta(days=1), dt.time.min))
        try:
            data = editor.service_data()
            data["name"] = data.get("name") or "draft"
            if rule is None:
                data["code"] = data.get("code") or "draft"
            context["result"] = services.dry_run(start=start, end=end, data=data,
                                                 rule_id=rule.pk if rule else None)
        except DomainError as err:
            context["errors"] = [str(m) for msgs in (err.fields or {"": [err.message]}).values() for m in msgs]
    return render(request, "web/rules/_draft_dry_run.html", context)


# Change log and runs ----------------------------------------------------------------------------------
class ChangeFilterForm(FilterForm):
    rule = forms.ModelChoiceField(label=gettext_lazy("Rule"), required=False, queryset=Rule.objects.order_by("code"),
                                  empty_label=gettext_lazy("All rules"))
    reverted = forms.ChoiceField(label=gettext_lazy("Reverted"), required=False, choices=[
        ("", gettext_lazy("Reverted or not")), ("0", gettext_lazy("In effect")), ("1", gettext_lazy("Reverted"))])
    run = forms.IntegerField(required=False, min_value=1, widget=forms.HiddenInput)


@login_required
def change_list(request: HttpRequest) -> HttpResponse:
    require(request, VIEW_CHANGES)
    form = ChangeFilterForm(request.GET)
    f = filter_values(form)
    changes = presentation.list_changes(rule_id=f["rule"].pk if "rule" in f else None, run_id=f.get("run"),
                                        reverted=_flag(f.get("reverted")))
    return list_page(request, "web/rules/changes.html", "web/rules/_changes_results.html", {
        "form": form, "page": paginate(request, changes), "can_revert": request.user.has_perm(REVERT),
        "hidden": [("run", f["run"])] if f.get("run") else []})


@login_required
@require_POST
def change_revert(request: HttpRequest, pk: int) -> HttpResponse:
    require(request, REVERT)
    if not RuleChange.objects.filter(pk=pk).exists():
        raise Http404
    try:
        change = services.revert_change(change_id=pk, actor=request.user)
    except DomainError as err:
        messages.error(request, _error_text(err))
    else:
        messages.success(request, _("Reverted: %(what)s") % {"what": change.description or change.label})
    return _back(request, reverse("web:rule-changes"))


class RunFilterForm(FilterForm):
    rule = forms.ModelChoiceField(label=gettext_lazy("Rule"), required=False, queryset=Rule.objects.order_by("code"),
                                  empty_label=gettext_lazy("All rules"))
    failed = forms.ChoiceField(label=gettext_lazy("Result"), required=False, choices=[
        ("", gettext_lazy("All runs")), ("1", gettext_lazy("Failed")), ("0", gettext_lazy("Succeeded"))])


@login_required
def run_list(request: HttpRequest) -> HttpResponse:
    require(request, VIEW_RUNS)
    form = RunFilterForm(request.GET)
    f = filter_values(form)
    runs = presentation.list_runs(rule_id=f["rule"].pk if "rule" in f else None, failed=_flag(f.get("failed")))
    runs = runs.annotate(change_count=Count("changes"), open_changes=Count(
        "changes", filter=Q(changes__reverted_at__isnull=True, changes__revertible=True)))
    return list_page(request, "web/rules/runs.html", "web/rules/_runs_results.html", {
        "form": form, "page": paginate(request, runs), "can_revert": request.user.has_perm(REVERT)})


@login_required
@require_POST
def run_revert(request: HttpRequest, pk: int) -> HttpResponse:
    require(request, REVERT)
    if not RuleRun.objects.filter(pk=pk).exists():
        raise Http404
    try:
        changes = services.revert_run(run_id=pk, actor=request.user)
    except DomainError as err:
        messages.error(request, _error_text(err))
    else:
        messages.success(request, _("Reverted %(count)s changes of run #%(run)s.") % {"count": len(changes), "run": pk})
    return _back(request, reverse("web:rule-runs"))
