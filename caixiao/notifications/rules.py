"""The rule engine's actions that notify people, and the alert when a rule fails (docs/rules.md).

Registered here because they write notifications and to-dos (``rules`` sits below ``notifications``
and never imports it): ``notify`` (users, roles and/or named recipients such as the product's buyer
or the owners of the sales orders a late supplier delivery affects), ``create_todo``, and
``replenishment_alert`` — the built-in stock-below-safety-stock alert that replaced the handler of
the events issue: a replenish to-do for the buyer and one message per low-stock episode, the to-do
closed when available stock is back. Imported from ``notifications/handlers.py``."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.apps import apps
from django.contrib.auth import get_user_model
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from caixiao.core.events import handler
from caixiao.core.models import OutboxEvent
from caixiao.notifications import kinds, services
from caixiao.notifications.models import TodoStatus
from caixiao.rules.actions import Action, ActionContext, Param, register_action
from caixiao.rules.enums import TriggerKind
from caixiao.rules.models import RuleChange

BELOW_SAFETY = "inventory.stock.below_safety"
RULE_MATCHED = "rules.rule.matched"
RULE_FAILED = "rules.rule.failed"
ADMINISTRATOR = "administrator"
RULE_TODO = kinds.register_kind(kinds.TodoKind("rule_todo", gettext_lazy("Rule follow-up"), "lightning", 3))


# Named recipients ---------------------------------------------------------------------------------------
def _product_buyer(ctx: ActionContext) -> list[Any]:
    buyer_id = ctx.target.data.get("buyer_id")
    if buyer_id:
        return list(get_user_model().objects.filter(pk=buyer_id, is_active=True))
    return services.users_with_role("buyer")


def _order_owner(ctx: ActionContext) -> list[Any]:
    order_id = ctx.target.data.get("order_id")
    orders = apps.get_model("sales", "SalesOrder").objects.select_related("owner", "customer__account_manager")
    order = orders.filter(pk=order_id).first() if order_id else None
    if order is None:
        return []
    person = order.owner or order.customer.account_manager
    return [person] if person is not None else []


def _owners_of_affected_sales_orders(ctx: ActionContext) -> list[Any]:
    ids = ctx.target.data.get("sales_order_ids") or []
    orders = apps.get_model("sales", "SalesOrder").objects.filter(pk__in=ids).select_related(
        "owner", "customer__account_manager")
    people = {}
    for order in orders:
        person = order.owner or order.customer.account_manager
        if person is not None:
            people[person.pk] = person
    return list(people.values())


RECIPIENTS: dict[str, tuple[Any, Callable[[ActionContext], list[Any]]]] = {
    "product_buyer": (gettext_lazy("The product's buyer"), _product_buyer),
    "order_owner": (gettext_lazy("The sales order's rep"), _order_owner),
    "owners_of_affected_sales_orders": (gettext_lazy("Account managers of the affected sales orders"),
                                        _owners_of_affected_sales_orders),
}
_RECIPIENT_PARAMS = {
    "users": Param("users", gettext_lazy("Users")),
    "roles": Param("roles", gettext_lazy("Roles")),
    "recipients": Param("multichoice", gettext_lazy("Related people"),
                        choices=tuple((k, label) for k, (label, _fn) in RECIPIENTS.items())),
}


def _people(ctx: ActionContext) -> list[Any]:
    cache = ctx.state.setdefault("notify_people", {})  # the same users and roles for every target of a run
    key = (tuple(ctx.params.get("users") or ()), tuple(ctx.params.get("roles") or ()))
    if key not in cache:
        fixed = list(get_user_model().objects.filter(pk__in=key[0], is_active=True))
        for role in key[1]:
            fixed += services.users_with_role(role)
        cache[key] = fixed
    users = list(cache[key])
    for name in ctx.params.get("recipients") or []:
        users += RECIPIENTS[name][1](ctx)
    return list({u.pk: u for u in users}.values())


def _needs_someone(params: dict[str, Any]) -> dict[str, list[str]]:
    if not (params.get("users") or params.get("roles") or params.get("recipients")):
        return {"users": [_("Choose users, roles or related people.")]}
    return {}


def _title(ctx: ActionContext) -> Callable[[], str]:
    custom = ctx.params.get("title")
    return lambda: custom or _("%(rule)s: %(target)s") % {"rule": ctx.rule.name, "target": ctx.target.label}


def _url(ctx: ActionContext) -> str:
    target = ctx.target
    return services.document_url(target.document_type, target.object_id) if target.document_type else ""


# notify -------------------------------------------------------------------------------------------------------
def _notify(ctx: ActionContext) -> list[RuleChange]:
    people = _people(ctx)
    message = ctx.params.get("message") or ""
    sent = services.notify(recipients=people, verb=RULE_MATCHED, event=ctx.event, title=_title(ctx),
                           body=lambda: message, document_type=ctx.target.document_type,
                           document_id=ctx.target.object_id, url=_url(ctx))
    if not sent:
        return []
    return [ctx.change(action_type="notify", document_type=ctx.target.document_type or "rules.rule",
                       object_id=ctx.target.object_id or ctx.rule.pk, field="notification",
                       new=[n.recipient_id for n in sent], revertible=False,
                       description=_("Notified %(count)s people") % {"count": len(sent)})]


register_action(Action(
    type="notify", label=gettext_lazy("Notify"), run=_notify,
    dry_run=lambda ctx: _("Notify %(people)s") % {"people": ", ".join(u.get_username() for u in _people(ctx)) or "—"},
    params={**_RECIPIENT_PARAMS, "title": Param("string", gettext_lazy("Title")),
            "message": Param("text", gettext_lazy("Message"))},
    check=_needs_someone, trigger_kinds=frozenset({TriggerKind.EVENT, TriggerKind.SCHEDULE, TriggerKind.HOOK}),
    description=gettext_lazy("Send an in-app message (and e-mail, per preferences) to users, roles or related people."),
))


# create_todo --------------------------------------------------------------------------------------------------
def _create_todo(ctx: ActionContext) -> list[RuleChange]:
    common: dict[str, Any] = {"kind": RULE_TODO.code, "document_type": ctx.target.document_type or "rules.rule",
              "document_id": ctx.target.object_id or ctx.rule.pk, "scope": f"rule:{ctx.rule.pk}"[:64],
              "title": _title(ctx), "url": _url(ctx), "event": ctx.event}
    opened = []
    users = list(get_user_model().objects.filter(pk__in=ctx.params.get("users") or [], is_active=True))
    for name in ctx.params.get("recipients") or []:
        users += RECIPIENTS[name][1](ctx)
    for user in {u.pk: u for u in users}.values():
        todo, created = services.open_todo(assignee=user, **common)
        if created:
            opened.append(todo)
    for role in ctx.params.get("roles") or []:
        todo, created = services.open_todo(role=role, **common)
        if created:
            opened.append(todo)
    return [ctx.change(action_type="create_todo", document_type="notifications.todo", object_id=todo.pk,
                       field="status", old=None, new=TodoStatus.OPEN, label=todo.title,
                       description=_("To-do opened: %(title)s") % {"title": todo.title}) for todo in opened]


def _revert_todo(change: RuleChange, actor: Any) -> Any:
    from caixiao.notifications.models import Todo
    from caixiao.rules.errors import ChangedSince

    updated = Todo.objects.filter(pk=change.object_id, status=TodoStatus.OPEN).update(
        status=TodoStatus.CANCELLED, closed_by=actor if getattr(actor, "pk", None) else None)
    if not updated:
        raise ChangedSince()
    return TodoStatus.CANCELLED


register_action(Action(
    type="create_todo", label=gettext_lazy("Create a to-do"), run=_create_todo, revert=_revert_todo,
    dry_run=lambda ctx: _("Open a to-do: %(title)s") % {"title": _title(ctx)()},
    params={**_RECIPIENT_PARAMS, "title": Param("string", gettext_lazy("Title"))}, check=_needs_someone,
    trigger_kinds=frozenset({TriggerKind.EVENT, TriggerKind.SCHEDULE}),
    description=gettext_lazy("Put a to-do on the lists of users or roles (once while it is open)."),
))


# replenishment_alert (the built-in stock-below-safety-stock rule) ---------------------------------------------
def _facts(ctx: ActionContext) -> dict[str, str]:
    product, warehouse = ctx.context["product"], ctx.context["warehouse"]
    return {"product": f"{product['code']} {product['name']}", "warehouse": f"{warehouse['code']} {warehouse['name']}",
            "available": f"{product['available'].normalize():f}",
            "safety": f"{product['safety_stock'].normalize():f}"}


def _replenishment_alert(ctx: ActionContext) -> list[RuleChange]:
    facts = _facts(ctx)
    product_id = ctx.target.data["product_id"]
    scope = ctx.target.scope
    url = services.document_url("catalog.product", str(product_id))
    title = lambda: _("%(product)s is below safety stock in %(warehouse)s") % facts  # noqa: E731
    buyer_id = ctx.target.data.get("buyer_id")
    buyers = list(get_user_model().objects.filter(pk=buyer_id, is_active=True)) if buyer_id else []
    if not buyer_id:
        buyers = services.users_with_role("buyer")
    common: dict[str, Any] = {"kind": kinds.REPLENISH.code, "document_type": "catalog.product", "document_id": product_id,
              "scope": scope, "url": url, "event": ctx.event, "title": title}
    opened = []
    for buyer in buyers:
        todo, created = services.open_todo(assignee=buyer, **common)
        if created:
            opened.append(todo)
    if not buyers:
        todo, created = services.open_todo(role="buyer", **common)
        if created:
            opened.append(todo)
    if not opened:
        return []  # alert once per episode of low stock, not on every move while it stays low
    services.notify(recipients=buyers, verb=BELOW_SAFETY, event=ctx.event, title=title,
                    body=lambda: _("Available %(available)s, safety stock %(safety)s.") % facts,
                    document_type="catalog.product", document_id=str(product_id), url=url)
    return [ctx.change(action_type="replenishment_alert", document_type="notifications.todo", object_id=todo.pk,
                       field="status", new=TodoStatus.OPEN, revertible=False, label=todo.title,
                       description=_("Replenish to-do opened (available %(available)s, safety stock %(safety)s)")
                       % facts) for todo in opened]


def _stock_recovered(ctx: ActionContext) -> list[RuleChange]:
    services.close_todos(kind=kinds.REPLENISH.code, document_type="catalog.product",
                         document_id=ctx.target.data["product_id"], scope=ctx.target.scope, status=TodoStatus.DONE)
    return []


register_action(Action(
    type="replenishment_alert", label=gettext_lazy("Replenishment alert"), run=_replenishment_alert,
    resolve=_stock_recovered,
    dry_run=lambda ctx: _("Replenish to-do for the buyer: available %(available)s, safety stock %(safety)s")
    % _facts(ctx),
    subjects=frozenset({"product"}), trigger_kinds=frozenset({TriggerKind.EVENT, TriggerKind.SCHEDULE}),
    description=gettext_lazy("A replenish to-do and one message for the product's buyer while stock is low; the "
                             "to-do closes when stock is back."),
))


# A rule failed: tell the administrators ---------------------------------------------------------------------------
@handler(RULE_FAILED, name="notifications.rule_failed")
def on_rule_failed(event: OutboxEvent) -> None:
    p = event.payload
    admins = services.users_with_role(ADMINISTRATOR)
    url = services.document_url("rules.rule", str(p["rule_id"]))
    services.notify(recipients=admins, verb=RULE_FAILED, event=event,
                    title=lambda: _("Rule %(code)s failed and was switched off") % {"code": p.get("code", "")},
                    body=lambda: _("%(error)s (triggered by %(trigger)s)") % {
                        "error": p.get("error", ""), "trigger": p.get("trigger_ref", "")},
                    document_type="rules.rule", document_id=str(p["rule_id"]), url=url)
