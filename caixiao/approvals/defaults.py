"""Seeded approval flows (SPEC S2, the seeds' purchase-order rule) and the placeholder registration
of ``purchasing.order`` until the purchasing app registers the real one (it replaces this cleanly,
whichever registers first: ``registry.register_document``).

The seeds' flow: step 1 purchasing manager, always; step 2 finance director when ``amount >= 50000``
— under 50,000 the purchasing manager alone approves, from 50,000 the purchasing manager and then the
finance director. ``ensure_default_flows()`` is idempotent: it creates the flow of every registered
type that has a ``default_flow`` and no flow yet (an administrator's edits and deactivations stand)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.utils.translation import gettext_lazy as _

from caixiao.approvals.enums import ApprovalMode, ResolverKind
from caixiao.approvals.models import ApprovalFlow
from caixiao.approvals.registry import DOCUMENT_TYPES, DocumentType, StepSpec, register_document
from caixiao.rules.expressions import Schema, Var

PURCHASE_ORDER = "purchasing.order"
PURCHASE_ORDER_THRESHOLD = Decimal("50000")

PURCHASE_ORDER_SCHEMA = Schema("approvals.purchasing.order", _("Purchase order"), (
    Var("amount", "number", _("Amount (total)")),
    Var("currency", "string", _("Currency")),
    Var("supplier", "map", _("Supplier"), fields=(Var("code", "string", _("Code")),
                                                  Var("name", "string", _("Name")))),
    Var("department", "string", _("Department")),
    Var("requester", "string", _("Requester")),
))

PURCHASE_ORDER_FLOW = (
    StepSpec(name=_("Purchasing manager"), condition="", resolver=ResolverKind.ROLE,
             params={"role": "purchasing_manager"}, mode=ApprovalMode.ANY, reminder_hours=24),
    StepSpec(name=_("Finance director"), condition="amount >= 50000", resolver=ResolverKind.ROLE,
             params={"role": "finance_director"}, mode=ApprovalMode.ANY, reminder_hours=24),
)


def _attr(obj: Any, *names: str, default: Any = None) -> Any:
    for name in names:
        value = getattr(obj, name, None)
        if value is not None:
            return value
    return default


def _placeholder_context(obj: Any) -> dict[str, Any]:
    """Best effort over attribute names a purchase order will likely have; the purchasing app's own
    registration supplies the real context."""
    supplier = _attr(obj, "supplier")
    requester = _attr(obj, "created_by", "buyer", "owner")
    department = getattr(requester, "department", None)
    return {"amount": _attr(obj, "total_gross", "amount", default=Decimal("0")),
            "currency": str(_attr(obj, "currency", default="CNY")),
            "supplier": {"code": str(getattr(supplier, "code", "")), "name": str(getattr(supplier, "name", ""))},
            "department": str(getattr(department, "name", "") or ""),
            "requester": str(requester or "")}


PURCHASE_ORDER_PLACEHOLDER = register_document(DocumentType(
    key=PURCHASE_ORDER, label=_("Purchase order"), schema=PURCHASE_ORDER_SCHEMA, context=_placeholder_context,
    requester=lambda obj: _attr(obj, "created_by", "buyer", "owner"), default_flow=PURCHASE_ORDER_FLOW,
    default_flow_name=_("Purchase order approval"), placeholder=True))


def ensure_default_flows(*, actor: Any = None) -> list[ApprovalFlow]:
    """Create the default flow of every registered document type that has one and no flow yet."""
    from caixiao.approvals import services

    created = []
    for dt_ in list(DOCUMENT_TYPES.values()):
        flow = services.seed_default_flow(dt_, actor=actor)
        if flow is not None:
            created.append(flow)
    return created
