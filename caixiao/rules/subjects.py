"""The registry of subjects: the typed contexts rule conditions see (docs/rules.md "Subjects").

A subject names a kind of target (a product in a warehouse, a sales order, a supplier delivery), the
CEL ``Schema`` of its context, the triggers it supports and a provider that builds contexts: for the
targets an event touched, for a scheduled sweep over all targets, and over history for dry-runs.
Providers build contexts set-based (one query per source, never one per target). Apps above ``rules``
fill in the providers of their own subjects (``set_provider``) in their ``AppConfig.ready``; ``rules``
never imports them."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from django.utils.translation import gettext_lazy as _

from caixiao.catalog.enums import Lifecycle
from caixiao.rules.enums import Schedule, TriggerKind
from caixiao.rules.expressions import Schema, Var

if TYPE_CHECKING:
    from caixiao.core.models import OutboxEvent

SCHEDULES = tuple(Schedule.values)


@dataclass(frozen=True)
class Target:
    """What a context is about: a record (``document_type`` "app.model" + ``object_id``), a readable
    label, a scope (e.g. ``warehouse:3``) and facts for the actions (ids; never shown to CEL)."""

    document_type: str
    object_id: str
    label: str = ""
    scope: str = ""
    data: Mapping[str, Any] = field(default_factory=dict, compare=False, hash=False)

    def as_dict(self) -> dict[str, str]:
        return {"document_type": self.document_type, "object_id": self.object_id, "label": self.label,
                "scope": self.scope}


Context = dict[str, Any]
Item = tuple[Target, Context]
HistoryItem = tuple[dt.datetime, Target, Context]


class Provider(Protocol):
    def contexts(self, event: OutboxEvent | None, as_of: dt.datetime) -> Iterable[Item]:
        """The targets ``event`` touched (``None``: every target, for a scheduled run) with their contexts."""

    def history(self, start: dt.datetime, end: dt.datetime) -> Iterable[HistoryItem]:
        """Contexts as they were at points between ``start`` and ``end`` (dry-runs of scheduled rules)."""


class EmptyProvider:
    """A subject whose app has not registered its provider yet: no targets, no history."""

    def contexts(self, event: OutboxEvent | None, as_of: dt.datetime) -> Iterable[Item]:
        return ()

    def history(self, start: dt.datetime, end: dt.datetime) -> Iterable[HistoryItem]:
        return ()


@dataclass
class Subject:
    name: str
    label: Any
    schema: Schema
    events: tuple[str, ...] = ()  # event type patterns an event rule of this subject may trigger on
    schedules: tuple[str, ...] = SCHEDULES
    hooks: tuple[str, ...] = ()
    provider: Provider = field(default_factory=EmptyProvider)
    description: Any = ""

    @property
    def triggers(self) -> dict[str, tuple[str, ...]]:
        return {TriggerKind.EVENT: self.events, TriggerKind.SCHEDULE: self.schedules, TriggerKind.HOOK: self.hooks}

    def contexts(self, event: OutboxEvent | None, as_of: dt.datetime, *,
                 needs: Mapping[str, frozenset[str] | None] | None = None) -> Iterable[Item]:
        """``needs`` (variable → the fields the rules read, None: all) lets a provider that declares
        ``accepts_needs`` skip sources no rule reads (e.g. the weekly sales query)."""
        if needs is not None and getattr(self.provider, "accepts_needs", False):
            return self.provider.contexts(event, as_of, needs=needs)  # type: ignore[call-arg]
        return self.provider.contexts(event, as_of)

    def history(self, start: dt.datetime, end: dt.datetime, *,
                needs: Mapping[str, frozenset[str] | None] | None = None) -> Iterable[HistoryItem]:
        if needs is not None and getattr(self.provider, "accepts_needs", False):
            return self.provider.history(start, end, needs=needs)  # type: ignore[call-arg]
        return self.provider.history(start, end)


SUBJECTS: dict[str, Subject] = {}


def register_subject(subject: Subject) -> Subject:
    if subject.name in SUBJECTS and SUBJECTS[subject.name] is not subject:
        raise ValueError(f"subject {subject.name!r} registered twice")
    SUBJECTS[subject.name] = subject
    return subject


def get_subject(name: str) -> Subject:
    try:
        return SUBJECTS[name]
    except KeyError:
        raise LookupError(f"unknown rule subject {name!r}") from None


def set_provider(name: str, provider: Provider) -> None:
    """Fill in the provider of a subject (the app that owns its data calls this in ``ready``)."""
    get_subject(name).provider = provider


# Hooks: synchronous checks documents ask for (``services.check_hook``) ------------------------------
@dataclass(frozen=True)
class Hook:
    name: str
    subject: str
    label: Any
    description: Any = ""


HOOKS: dict[str, Hook] = {}


def register_hook(hook: Hook) -> Hook:
    HOOKS[hook.name] = hook
    subject = get_subject(hook.subject)
    if hook.name not in subject.hooks:
        subject.hooks = (*subject.hooks, hook.name)
    return hook


# The subjects ------------------------------------------------------------------------------------------
AS_OF = Var("as_of", "date", _("As of (the evaluation date)"))
_LIFECYCLE = tuple((c.value, c.label) for c in Lifecycle)

PRODUCT = register_subject(Subject(
    name="product",
    label=_("Product in a warehouse"),
    description=_("One product's stock in one warehouse, with its planning parameters and weekly sales."),
    events=("inventory.stock.*",),
    schema=Schema("rules.product", _("Product in a warehouse"), (
        Var("product", "map", _("Product"), fields=(
            Var("code", "string", _("Product code")),
            Var("name", "string", _("Product name")),
            Var("category", "string", _("Category code")),
            Var("category_name", "string", _("Category")),
            Var("lifecycle", "string", _("Lifecycle"), choices=_LIFECYCLE),
            Var("available", "number", _("Available")),
            Var("on_hand", "number", _("On hand")),
            Var("allocated", "number", _("Allocated")),
            Var("pending_qc", "number", _("Pending inspection")),
            Var("in_transit", "number", _("In transit")),
            Var("safety_stock", "number", _("Safety stock")),
            Var("min_order_qty", "number", _("Minimum order quantity")),
            Var("lead_time_days", "integer", _("Lead time (days)")),
            Var("purchase_price", "number", _("Purchase price")),
            Var("sale_price", "number", _("Sale price")),
            Var("needs_qc", "bool", _("Needs quality inspection")),
            Var("weekly_sales", "list", _("Weekly sales (last 12 weeks, oldest first)")),
            Var("sales_12w", "number", _("Sales in the last 12 weeks")),
        )),
        Var("warehouse", "map", _("Warehouse"), fields=(
            Var("code", "string", _("Warehouse code")),
            Var("name", "string", _("Warehouse name")),
        )),
        AS_OF,
    )),
))

SALES_ORDER = register_subject(Subject(
    name="sales_order",
    label=_("Sales order"),
    description=_("A sales order with its customer and lines (provided by the sales app)."),
    events=("sales.order.*",),
    schedules=(),
    schema=Schema("rules.sales_order", _("Sales order"), (
        Var("order", "map", _("Sales order"), fields=(
            Var("number", "string", _("Order number")),
            Var("status", "string", _("Status")),
            Var("amount", "number", _("Total amount")),
            Var("total_net", "number", _("Total before tax")),
            Var("currency", "string", _("Currency")),
            Var("warehouse", "string", _("Warehouse code")),
            Var("line_count", "integer", _("Number of lines")),
            Var("max_discount_percent", "number", _("Largest line discount %")),
            Var("days_to_requested", "integer", _("Days until the requested date")),
            Var("lines", "list", _("Lines [{product, quantity, unit_price, discount_percent, amount}]")),
        )),
        Var("customer", "map", _("Customer"), fields=(
            Var("code", "string", _("Customer code")),
            Var("name", "string", _("Customer name")),
            Var("category", "string", _("Customer category code")),
            Var("region", "string", _("Region code")),
            Var("credit_limit", "number", _("Credit limit")),
            Var("open_amount", "number", _("Open order value (what other confirmed orders have not shipped)")),
        )),
        AS_OF,
    )),
))

SUPPLIER_DELIVERY = register_subject(Subject(
    name="supplier_delivery",
    label=_("Supplier delivery"),
    description=_("An open purchase order line due from a supplier (provided by the purchasing app)."),
    events=("purchasing.*",),
    schema=Schema("rules.supplier_delivery", _("Supplier delivery"), (
        Var("days_late", "integer", _("Days late")),
        Var("due_on", "date", _("Due date")),
        Var("quantity_open", "number", _("Open quantity")),
        Var("affected_orders", "integer", _("Affected sales orders")),
        Var("supplier", "map", _("Supplier"), fields=(
            Var("code", "string", _("Supplier code")),
            Var("name", "string", _("Supplier name")),
            Var("rating", "string", _("Supplier rating")),
        )),
        Var("purchase_order", "map", _("Purchase order"), fields=(
            Var("number", "string", _("Purchase order number")),
        )),
        Var("product", "map", _("Product"), fields=(
            Var("code", "string", _("Product code")),
            Var("name", "string", _("Product name")),
        )),
        AS_OF,
    )),
))

register_hook(Hook("sales.order.confirm", "sales_order", _("Before a sales order is confirmed"),
                   _("Rules may block the confirmation with a message or require an approval.")))


def _set_product_provider() -> None:
    from caixiao.rules.providers import ProductProvider

    PRODUCT.provider = ProductProvider()


_set_product_provider()

