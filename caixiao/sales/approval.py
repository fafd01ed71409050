"""Sales orders as an approvable document (S2; docs/sales.md "Approval").

``SalesConfig.ready`` registers the document type ``sales.order`` with the approvals registry: the
schema step conditions may use (amount, customer, credit exposure, discounts), the context of one
order, and the callbacks the engine calls in its own transaction: the final approval confirms the
order (reserving stock under its shortage policy), a rejection puts it back to draft. The approvals
app never imports sales (DESIGN.md "Dependency direction")."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext_lazy as _

from caixiao.approvals.enums import ApprovalMode, ResolverKind
from caixiao.approvals.registry import DocumentType, StepSpec, register_document
from caixiao.rules.expressions import Schema, Var
from caixiao.sales import selectors
from caixiao.sales.models import SalesOrder

DOCUMENT_TYPE = "sales.order"
ZERO = Decimal("0")
HUNDRED = Decimal("100")

SCHEMA = Schema("sales.order", _("Sales order"), (
    Var("amount", "number", _("Order total (with tax)")),
    Var("customer", "map", _("Customer"), fields=(
        Var("code", "string", _("Customer code")),
        Var("name", "string", _("Customer name")),
        Var("credit_limit", "number", _("Credit limit")),
    )),
    Var("exposure", "number", _("Credit exposure (open orders + this order)")),
    Var("over_credit_limit", "bool", _("Over the credit limit")),
    Var("max_discount", "number", _("Largest line discount (0–1)")),
    Var("discount_over_threshold", "bool", _("Discount over the approval threshold")),
    Var("department", "string", _("Sales rep's department (code)")),
    Var("lines", "integer", _("Number of lines")),
    Var("rule_requires_approval", "bool", _("A rule asks for approval")),
))


def discount_threshold() -> Decimal:
    return Decimal(str(getattr(settings, "SALES_DISCOUNT_APPROVAL_THRESHOLD", "0.15")))


class OrderContext(Mapping[str, Any]):
    """The facts of one order that step conditions see (all of ``SCHEMA``, nothing else). The credit
    exposure costs a query (the customer's open orders), so it is read only when asked for: by a
    condition that names ``exposure``, or ``over_credit_limit`` of a customer with a credit limit (no
    limit, 0, means no credit check: never over it), or when the whole context is stored. So is the
    sales rep's ``department`` (a query for the department's code)."""

    def __init__(self, order: SalesOrder, values: dict[str, Any]) -> None:
        self._order = order
        self._values = values
        self._credit: selectors.CreditExposure | None = None

    def _exposure(self) -> selectors.CreditExposure:
        if self._credit is None:
            self._credit = selectors.credit_exposure(self._order)
        return self._credit

    def __getitem__(self, key: str) -> Any:
        if key == "exposure":
            return self._exposure().exposure
        if key == "over_credit_limit":
            return self._order.customer.credit_limit > 0 and self._exposure().over_limit
        if key == "department":
            owner = self._order.owner
            return getattr(getattr(owner, "department", None), "code", "") or "" if owner is not None else ""
        return self._values[key]

    def __iter__(self) -> Iterator[str]:
        return iter(CONTEXT_KEYS)

    def __len__(self) -> int:
        return len(CONTEXT_KEYS)

    def __contains__(self, key: object) -> bool:
        return key in CONTEXT_KEYS

    def __repr__(self) -> str:
        return f"OrderContext({self._order.pk})"


CONTEXT_KEYS = ("amount", "customer", "exposure", "over_credit_limit", "max_discount", "discount_over_threshold",
                "department", "lines", "rule_requires_approval")


def context(order: SalesOrder) -> OrderContext:
    """The facts of one order that step conditions see (all of ``SCHEMA``, nothing else)."""
    discounts = [line.discount_percent for line in order.lines.all()]
    max_discount = max(discounts, default=ZERO) / HUNDRED
    return OrderContext(order, {
        "amount": order.total_gross,
        "customer": {"code": order.customer.code, "name": order.customer.name,
                     "credit_limit": order.customer.credit_limit},
        "max_discount": max_discount,
        "discount_over_threshold": max_discount > discount_threshold(),
        "lines": len(discounts),
        # Set by confirm_order from the rules of the sales.order.confirm hook (require_approval actions).
        "rule_requires_approval": bool(getattr(order, "rule_approval_reasons", None)),
    })


def load(object_id: Any) -> SalesOrder:
    """The order, locked (the engine calls this in its decision's transaction)."""
    from caixiao.sales import locks

    return locks.get_order_for_update(order_id=int(object_id))


def requester(order: SalesOrder) -> Any:
    """The sales rep the order belongs to (approvers such as "head of the requester's department"
    resolve from them), else whoever entered it."""
    return order.owner or order.created_by


def describe(order: SalesOrder) -> str:
    """``SO-2026-0001 (恒通, ¥62,000.00)``: the order, its customer and its total."""
    symbol = "¥" if order.currency == "CNY" else f"{order.currency} "
    return f"{order.number} ({order.customer.name}, {symbol}{order.total_gross:,.2f})"


def url(order: SalesOrder) -> str:
    try:
        return reverse("web:sales-order", args=[order.pk])
    except NoReverseMatch:
        return ""


def on_approved(order: SalesOrder, actor: Any) -> None:
    from caixiao.sales.services import orders

    orders.confirm_approved_order(order_id=order.pk, actor=actor)


def on_rejected(order: SalesOrder, actor: Any, comment: str = "") -> None:
    """Rejected or returned for changes: a draft again, the comment in its audit trail."""
    from caixiao.sales.services import orders

    orders.return_order_to_draft(order_id=order.pk, actor=actor, comment=comment)


def on_withdrawn(order: SalesOrder, actor: Any) -> None:
    from caixiao.sales.services import orders

    orders.return_order_to_draft(order_id=order.pk, actor=actor, comment="")


def default_flow() -> tuple[StepSpec, ...]:
    """Over the credit limit: sales manager, then finance director; a big discount, or a rule asking
    for approval: the sales manager."""
    return (
        StepSpec(name=_("Sales manager"),
                 condition="over_credit_limit || discount_over_threshold || rule_requires_approval",
                 resolver=ResolverKind.ROLE, params={"role": "sales_manager"}, mode=ApprovalMode.ANY),
        StepSpec(name=_("Finance director"), condition="over_credit_limit",
                 resolver=ResolverKind.ROLE, params={"role": "finance_director"}, mode=ApprovalMode.ANY),
    )


def register() -> None:
    register_document(DocumentType(
        key=DOCUMENT_TYPE, label=_("Sales order"), schema=SCHEMA, context=context, requester=requester,
        on_approved=on_approved, on_rejected=on_rejected, on_returned=on_rejected, on_withdrawn=on_withdrawn,
        describe=describe, url=url, default_flow=default_flow(), load=load,
        default_flow_name=_("Sales order approval (credit limit, discount)")))
