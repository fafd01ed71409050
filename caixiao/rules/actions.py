"""The registry of rule actions (docs/rules.md "Actions").

An ``Action`` declares its parameters (validated when a rule is saved), ``run(ctx)`` which makes its
changes and returns the ``RuleChange`` rows it wrote (``ctx.change(...)`` writes one), an optional
``revert(change, actor)``, and ``dry_run(ctx)`` which only describes what it would do. Apps above
``rules`` register theirs in their ``AppConfig.ready`` or ``handlers.py`` (notify, create_todo and
replenishment_alert: notifications; create_purchase_demand: sales). The rule engine registers
adjust_safety_stock, block and require_approval here."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from caixiao.core.errors import ValidationFailed
from caixiao.core.money import quantize_qty
from caixiao.rules.enums import TriggerKind
from caixiao.rules.errors import ChangedSince, RuleCodes
from caixiao.rules.models import RevertReason, RuleChange

if TYPE_CHECKING:
    from caixiao.core.models import OutboxEvent
    from caixiao.rules.models import Rule, RuleRun, RuleVersion
    from caixiao.rules.subjects import Target

PARAM_TYPES = ("number", "integer", "string", "text", "bool", "choice", "multichoice", "users", "roles")


@dataclass(frozen=True)
class Param:
    type: str
    label: Any
    required: bool = False
    choices: tuple[tuple[str, Any], ...] = ()
    default: Any = None
    min: Decimal | None = None
    max: Decimal | None = None
    help: Any = ""

    def __post_init__(self) -> None:
        if self.type not in PARAM_TYPES:
            raise ValueError(f"unknown action parameter type {self.type!r}")


@dataclass
class Verdict:
    """What the rules of a synchronous hook decided: messages that block, reasons that need approval."""

    blocked: list[str] = field(default_factory=list)
    approval_reasons: list[str] = field(default_factory=list)
    rules: list[str] = field(default_factory=list)  # codes of the rules that matched

    @property
    def ok(self) -> bool:
        return not self.blocked and not self.approval_reasons


@dataclass
class ActionContext:
    """Everything an action sees for one matched target."""

    rule: Rule
    version: RuleVersion
    params: dict[str, Any]
    target: Target
    context: dict[str, Any]
    as_of: dt.datetime
    trigger_kind: str
    run: RuleRun | None = None
    event: OutboxEvent | None = None
    state: dict[str, Any] = field(default_factory=dict)  # shared by every target of one run
    verdict: Verdict | None = None

    def change(self, *, action_type: str, document_type: str, object_id: Any, field: str = "", old: Any = None,
               new: Any = None, label: str = "", description: str = "", expires_at: dt.datetime | None = None,
               revertible: bool = True) -> RuleChange:
        return RuleChange.objects.create(
            rule=self.rule, rule_version=self.version, run=self.run, action_type=action_type,
            document_type=document_type, object_id=str(object_id), label=label[:200] or self.target.label[:200],
            field=field, old_value=_json(old), new_value=_json(new), description=str(description)[:300],
            expires_at=expires_at, revertible=revertible)


def _json(value: Any) -> Any:
    if isinstance(value, Decimal):
        return f"{value.normalize():f}"
    if isinstance(value, dt.date | dt.datetime):
        return value.isoformat()
    return value


RunFn = Callable[[ActionContext], list[RuleChange]]


@dataclass(frozen=True)
class Action:
    type: str
    label: Any
    run: RunFn
    dry_run: Callable[[ActionContext], str]
    params: Mapping[str, Param] = field(default_factory=dict)
    revert: Callable[[RuleChange, Any], Any] | None = None
    check: Callable[[dict[str, Any]], dict[str, list[str]]] | None = None  # extra checks → field errors
    resolve: RunFn | None = None  # called for targets that no longer match (close what run opened)
    trigger_kinds: frozenset[str] = frozenset(TriggerKind.values)
    subjects: frozenset[str] | None = None  # None: any subject
    description: Any = ""

    def validate(self, params: Any, *, prefix: str = "params") -> dict[str, Any]:
        """Check and normalise ``params``; raise ``ValidationFailed`` (422) with per-field messages."""
        errors, clean = validate_params(self.params, params, prefix=prefix)
        if not errors and self.check is not None:
            errors.update({f"{prefix}.{k}": v for k, v in self.check(clean).items()})
        if errors:
            raise ValidationFailed(code=RuleCodes.INVALID_ACTION_PARAMS, fields=errors)
        return clean


ACTIONS: dict[str, Action] = {}


def register_action(action: Action) -> Action:
    existing = ACTIONS.get(action.type)
    if existing is not None and existing.run is not action.run:
        raise ValueError(f"rule action {action.type!r} registered twice")
    ACTIONS[action.type] = action
    return action


def get_action(type_: str) -> Action | None:
    return ACTIONS.get(type_)


def validate_params(spec: Mapping[str, Param], params: Any, *, prefix: str) -> tuple[dict[str, list[str]], dict]:
    errors: dict[str, list[str]] = {}
    clean: dict[str, Any] = {}
    if params is None:
        params = {}
    if not isinstance(params, dict):
        return {prefix: [gettext("Enter the parameters as an object.")]}, {}
    for name in params:
        if name not in spec:
            errors[f"{prefix}.{name}"] = [gettext("Unknown parameter “%(name)s”.") % {"name": name}]
    for name, param in spec.items():
        value = params.get(name, param.default)
        if value in (None, "", []):
            if param.required:
                errors[f"{prefix}.{name}"] = [gettext("This parameter is required.")]
            elif param.default is not None:
                clean[name] = param.default
            continue
        try:
            clean[name] = _coerce(param, value)
        except ValueError as exc:
            errors[f"{prefix}.{name}"] = [str(exc)]
    return errors, clean


def _coerce(param: Param, value: Any) -> Any:
    if param.type in ("number", "integer"):
        if isinstance(value, bool):
            raise ValueError(gettext("Enter a number."))
        try:
            number = Decimal(str(value))
        except InvalidOperation:
            raise ValueError(gettext("Enter a number.")) from None
        if not number.is_finite():
            raise ValueError(gettext("Enter a number."))
        if param.type == "integer" and number != number.to_integral_value():
            raise ValueError(gettext("Enter a whole number."))
        if param.min is not None and number < param.min:
            raise ValueError(gettext("Enter at least %(min)s.") % {"min": param.min})
        if param.max is not None and number > param.max:
            raise ValueError(gettext("Enter at most %(max)s.") % {"max": param.max})
        return int(number) if param.type == "integer" else f"{number.normalize():f}"
    if param.type in ("string", "text"):
        if not isinstance(value, str):
            raise ValueError(gettext("Enter text."))
        limit = 200 if param.type == "string" else 2000
        if len(value) > limit:
            raise ValueError(gettext("At most %(n)s characters.") % {"n": limit})
        return value.strip()
    if param.type == "bool":
        if not isinstance(value, bool):
            raise ValueError(gettext("Enter true or false."))
        return value
    if param.type == "choice":
        if value not in {c for c, _label in param.choices}:
            raise ValueError(gettext("“%(value)s” is not one of the choices.") % {"value": value})
        return value
    values = value if isinstance(value, list) else [value]
    if param.type == "multichoice":
        allowed = {c for c, _label in param.choices}
        unknown = [v for v in values if v not in allowed]
        if unknown:
            raise ValueError(gettext("Unknown: %(values)s") % {"values": ", ".join(map(str, unknown))})
        return list(dict.fromkeys(values))
    if param.type == "users":
        try:
            ids = sorted({int(v) for v in values})
        except (TypeError, ValueError):
            raise ValueError(gettext("Enter user ids.")) from None
        found = set(get_user_model().objects.filter(pk__in=ids, is_active=True).values_list("pk", flat=True))
        missing = [i for i in ids if i not in found]
        if missing:
            raise ValueError(gettext("Unknown or inactive users: %(ids)s") % {"ids": ", ".join(map(str, missing))})
        return ids
    if param.type == "roles":
        codes = sorted({str(v) for v in values})
        names: set[str] = set(Group.objects.filter(name__in=codes).values_list("name", flat=True))
        missing_codes = [c for c in codes if c not in names]
        if missing_codes:
            raise ValueError(gettext("Unknown roles: %(codes)s") % {"codes": ", ".join(missing_codes)})
        return codes
    raise ValueError(f"unsupported parameter type {param.type}")


# adjust_safety_stock (P4) -----------------------------------------------------------------------------
PRODUCT = "catalog.product"


def _active_adjustment(product_id: int) -> RuleChange | None:
    return (RuleChange.objects.filter(action_type="adjust_safety_stock", document_type=PRODUCT,
                                      object_id=str(product_id), field="safety_stock", reverted_at__isnull=True)
            .order_by("-created_at", "-id").first())


def _plan_adjustment(ctx: ActionContext, current: Decimal, original: Decimal) -> Decimal | None:
    p = ctx.params
    decimals = int(ctx.target.data.get("unit_decimals") or 0)
    raised = quantize_qty(current * (1 + Decimal(p["percent"]) / 100), decimals)
    caps = []
    if p.get("cap_qty") is not None:
        caps.append(Decimal(p["cap_qty"]))
    if p.get("cap_percent") is not None:
        caps.append(quantize_qty(original * (1 + Decimal(p["cap_percent"]) / 100), decimals))
    new = min([raised, *caps])
    return new if new > current else None


def _adjust_safety_stock(ctx: ActionContext) -> list[RuleChange]:
    from caixiao.catalog import services as catalog_services
    from caixiao.catalog.models import Product

    product_id = int(ctx.target.data.get("product_id") or ctx.target.object_id)
    done = ctx.state.setdefault("adjusted_products", set())
    if product_id in done:  # one product, several warehouses matched: adjust it once per run
        return []
    done.add(product_id)
    product = Product.objects.select_for_update(no_key=True).get(pk=product_id)
    previous = _active_adjustment(product_id)
    original = Decimal(str(previous.old_value)) if previous is not None and \
        Decimal(str(previous.new_value)) == product.safety_stock else product.safety_stock
    new = _plan_adjustment(ctx, product.safety_stock, original)
    if new is None:
        return []
    old = product.safety_stock
    catalog_services.update_product(instance=product, data={"safety_stock": new}, actor=None)
    expires_at = ctx.as_of + dt.timedelta(days=int(ctx.params["expires_days"])) \
        if ctx.params.get("expires_days") else None
    if previous is not None and Decimal(str(previous.new_value)) == old:
        # The new change takes over the earlier one: it restores the original value when reverted.
        RuleChange.objects.filter(pk=previous.pk).update(reverted_at=timezone.now(),
                                                         revert_reason=RevertReason.SUPERSEDED)
        old = original
    description = gettext("Safety stock %(old)s → %(new)s (+%(percent)s%%)") % {
        "old": f"{old.normalize():f}", "new": f"{new.normalize():f}", "percent": ctx.params["percent"]}
    return [ctx.change(action_type="adjust_safety_stock", document_type=PRODUCT, object_id=product_id,
                       field="safety_stock", old=old, new=new, label=f"{product.code} {product.name}",
                       description=description, expires_at=expires_at)]


def _dry_adjust_safety_stock(ctx: ActionContext) -> str:
    current = Decimal(str(ctx.context["product"]["safety_stock"]))
    new = _plan_adjustment(ctx, current, current)
    if new is None:
        return gettext("Safety stock stays %(old)s (cap reached or zero)") % {"old": f"{current.normalize():f}"}
    return gettext("Safety stock %(old)s → %(new)s") % {"old": f"{current.normalize():f}", "new": f"{new.normalize():f}"}


@transaction.atomic
def _revert_safety_stock(change: RuleChange, actor: Any) -> Any:
    from caixiao.catalog import services as catalog_services
    from caixiao.catalog.models import Product

    product = Product.objects.select_for_update(no_key=True).filter(pk=change.object_id).first()
    if product is None or product.safety_stock != Decimal(str(change.new_value)):
        raise ChangedSince()
    catalog_services.update_product(instance=product, data={"safety_stock": Decimal(str(change.old_value))},
                                    actor=actor)
    return change.old_value


def _check_adjustment(params: dict[str, Any]) -> dict[str, list[str]]:
    if params.get("cap_qty") is None and params.get("cap_percent") is None:
        return {"cap_percent": [gettext("Give a cap: a quantity or a percentage of the original safety stock.")]}
    return {}


ADJUST_SAFETY_STOCK = register_action(Action(
    type="adjust_safety_stock", label=_("Adjust safety stock"),
    description=_("Raise the product's safety stock by a percentage, rounded to its unit, never above the cap; "
                  "reverted automatically when it expires."),
    params={
        "percent": Param("number", _("Raise by (%)"), required=True, min=Decimal("0.01"), max=Decimal("1000")),
        "cap_percent": Param("number", _("Cap: at most this % above the original"), min=Decimal("0")),
        "cap_qty": Param("number", _("Cap: at most this quantity"), min=Decimal("0")),
        "expires_days": Param("integer", _("Expires after (days)"), min=Decimal("1"), max=Decimal("3650")),
    },
    run=_adjust_safety_stock, dry_run=_dry_adjust_safety_stock, revert=_revert_safety_stock,
    check=_check_adjustment, subjects=frozenset({"product"}),
    trigger_kinds=frozenset({TriggerKind.EVENT, TriggerKind.SCHEDULE}),
))


# block and require_approval (hooks) -----------------------------------------------------------------------
def _block(ctx: ActionContext) -> list[RuleChange]:
    if ctx.verdict is not None:
        ctx.verdict.blocked.append(ctx.params.get("message") or ctx.rule.name)
    return []


def _require_approval(ctx: ActionContext) -> list[RuleChange]:
    if ctx.verdict is not None:
        ctx.verdict.approval_reasons.append(ctx.params.get("message") or ctx.rule.name)
    return []


BLOCK = register_action(Action(
    type="block", label=_("Block with a message"), run=_block,
    dry_run=lambda ctx: gettext("Blocked: %(message)s") % {"message": ctx.params.get("message") or ctx.rule.name},
    params={"message": Param("string", _("Message"), required=True)},
    trigger_kinds=frozenset({TriggerKind.HOOK}),
    description=_("Stop the document's step (e.g. confirming an order) with this message."),
))
REQUIRE_APPROVAL = register_action(Action(
    type="require_approval", label=_("Require approval"), run=_require_approval,
    dry_run=lambda ctx: gettext("Needs approval: %(message)s") % {
        "message": ctx.params.get("message") or ctx.rule.name},
    params={"message": Param("string", _("Reason"), required=True)},
    trigger_kinds=frozenset({TriggerKind.HOOK}),
    description=_("Send the document for approval with this reason before the step goes ahead."),
))
