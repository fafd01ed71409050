"""Forms of the approval pages. They parse input; the approvals services validate (CEL conditions
against the document type's schema, a step with no possible approver, a flow with no steps, dates of
a delegation) and their ``DomainError``s come back as form errors: ``steps.2.condition`` on the
condition field of the third step's row."""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _

from caixiao.accounts.models import Position
from caixiao.approvals.enums import ApprovalMode, ResolverKind
from caixiao.approvals.registry import DOCUMENT_TYPES, StepSpec
from caixiao.core.errors import DomainError
from caixiao.web.forms import BootstrapForm, BootstrapFormSet, add_domain_error, role_choices

COMMENT_MAX_LENGTH = 1000


def approver_users():
    """Active staff users (not supplier portal users), by name."""
    return (get_user_model().objects.filter(is_active=True, supplier__isnull=True)
            .order_by("last_name", "first_name", "username"))


class DecisionForm(BootstrapForm):
    """Approve, reject or return: one click, an optional comment; a rejection may go back to an
    earlier step instead of the requester."""

    comment = forms.CharField(label=_("comment"), required=False, max_length=COMMENT_MAX_LENGTH,
                              widget=forms.Textarea(attrs={"rows": 2}))
    to_step = forms.TypedChoiceField(label=_("reject to"), required=False, coerce=int, empty_value=None,
                                     choices=[("", _("the requester"))])

    def __init__(self, *args: Any, steps: list[tuple[int, str]] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["to_step"].choices = [("", _("the requester")), *[  # type: ignore[attr-defined]
            (position, _("step %(position)s: %(name)s") % {"position": position, "name": name})
            for position, name in steps or []]]


class FlowForm(BootstrapForm):
    name = forms.CharField(label=_("name"), max_length=200)
    description = forms.CharField(label=_("description"), required=False, max_length=2000,
                                  widget=forms.Textarea(attrs={"rows": 2}))


class StepForm(BootstrapForm):
    """One step: name, condition (CEL), who approves (the resolver and its parameter), mode."""

    name = forms.CharField(label=_("name"), max_length=200)
    condition = forms.CharField(label=_("condition"), required=False, max_length=4000,
                                widget=forms.Textarea(attrs={"rows": 2, "class": "form-control font-monospace",
                                                             "spellcheck": "false"}),
                                help_text=_("CEL, e.g. amount >= 50000.0; empty: always."))
    resolver = forms.ChoiceField(label=_("approvers"), choices=ResolverKind.choices)
    role = forms.ChoiceField(label=_("role"), required=False)
    users = forms.ModelMultipleChoiceField(label=_("users"), required=False, queryset=get_user_model().objects.none(),
                                           widget=forms.SelectMultiple(attrs={"size": 3}))
    position = forms.ModelChoiceField(label=_("position"), required=False, queryset=Position.objects.none())
    n = forms.IntegerField(label=_("N-th manager"), required=False, min_value=1, max_value=10)
    mode = forms.ChoiceField(label=_("mode"), choices=ApprovalMode.choices)
    required_count = forms.IntegerField(label=_("approvals required"), min_value=1, max_value=50, initial=1)
    reminder_hours = forms.IntegerField(label=_("remind after hours"), required=False, min_value=1, max_value=24 * 90)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["role"].choices = [("", "—"), *role_choices()]  # type: ignore[attr-defined]
        self.fields["users"].queryset = approver_users()  # type: ignore[attr-defined]
        self.fields["position"].queryset = Position.objects.order_by("code")  # type: ignore[attr-defined]

    def params(self) -> dict[str, Any]:
        data = self.cleaned_data
        resolver = data["resolver"]
        if resolver == ResolverKind.USER:
            return {"user_ids": [u.pk for u in data.get("users") or []]}
        if resolver == ResolverKind.ROLE:
            return {"role": data.get("role") or ""}
        if resolver == ResolverKind.POSITION:
            position = data.get("position")
            return {"position_id": position.pk if position is not None else None}
        if resolver == ResolverKind.NTH_MANAGER:
            return {"n": data.get("n") or 1}
        return {}

    def as_spec(self) -> StepSpec:
        data = self.cleaned_data
        return StepSpec(name=data["name"], condition=(data.get("condition") or "").strip(),
                        resolver=data["resolver"], params=self.params(), mode=data["mode"],
                        required_count=data.get("required_count") or 1, reminder_hours=data.get("reminder_hours"))


# The form field that holds each resolver's parameter (where a "params" error is shown).
PARAM_FIELDS = {ResolverKind.USER.value: "users", ResolverKind.ROLE.value: "role",
                ResolverKind.POSITION.value: "position", ResolverKind.NTH_MANAGER.value: "n"}


class StepFormSet(BootstrapFormSet):
    def entered_forms(self) -> list[StepForm]:
        """The rows to save, less the deleted and the untouched extra ones, in the order chosen: the
        i-th is the service's ``steps.i``."""
        rows = [form for i, form in enumerate(self.forms)
                if (i < self.initial_form_count() or form.has_changed()) and not form.cleaned_data.get("DELETE")]
        return sorted(rows, key=lambda f: (f.cleaned_data.get("ORDER") or 10_000, self.forms.index(f)))

    def specs(self) -> list[StepSpec]:
        return [form.as_spec() for form in self.entered_forms()]

    def add_service_error(self, err: DomainError, flow_form: FlowForm) -> None:
        """``steps.2.condition`` → the condition of the third saved row; the rest on the flow form."""
        rows = self.entered_forms()
        rest: dict[str, list[str]] = {}
        for key, messages in err.fields.items():
            parts = key.split(".")
            if parts[0] == "steps" and len(parts) >= 2 and parts[1].isdigit() and int(parts[1]) < len(rows):
                form = rows[int(parts[1])]
                name = parts[2] if len(parts) > 2 else None
                if name in ("resolver_params", "params", "user_ids", "position_id", "role", "n"):
                    name = PARAM_FIELDS.get(str(form.cleaned_data.get("resolver")), "resolver")
                form.add_error(name if name in form.fields else None, [str(m) for m in messages])
            else:
                rest[key] = [str(m) for m in messages]
        if rest or not err.fields:
            add_domain_error(flow_form, DomainError(err.message, fields=rest))


_StepFormSetFactory = forms.formset_factory(StepForm, formset=StepFormSet, extra=0, can_delete=True, can_order=True)


def step_formset(data: Any = None, *, initial: Any = None) -> StepFormSet:
    return cast(StepFormSet, _StepFormSetFactory(data, prefix="steps", initial=initial))


def step_initial(step: Any) -> dict[str, Any]:
    """A stored ``ApprovalStep`` (or a snapshot dict) as a row of the form."""
    get = step.get if isinstance(step, dict) else lambda name, default=None: getattr(step, name, default)
    params = get("resolver_params") or get("params") or {}
    return {"name": get("name"), "condition": get("condition") or "", "resolver": get("resolver"),
            "role": params.get("role", ""), "users": params.get("user_ids", []),
            "position": params.get("position_id"), "n": params.get("n"), "mode": get("mode"),
            "required_count": get("required_count") or 1, "reminder_hours": get("reminder_hours"),
            "ORDER": get("position")}


class DelegationForm(BootstrapForm):
    to_user = forms.ModelChoiceField(label=_("who approves for me"), queryset=get_user_model().objects.none())
    starts_on = forms.DateField(label=_("from"), widget=forms.DateInput(attrs={"type": "date"}))
    ends_on = forms.DateField(label=_("until"), widget=forms.DateInput(attrs={"type": "date"}))
    document_types = forms.MultipleChoiceField(label=_("document types"), required=False,
                                               widget=forms.CheckboxSelectMultiple,
                                               help_text=_("None ticked: every document type."))
    reason = forms.CharField(label=_("reason"), required=False, max_length=200)

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["to_user"].queryset = approver_users().exclude(pk=user.pk)  # type: ignore[attr-defined]
        self.fields["document_types"].choices = [  # type: ignore[attr-defined]
            (key, str(dt.label)) for key, dt in sorted(DOCUMENT_TYPES.items())]
