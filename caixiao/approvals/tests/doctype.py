"""A tiny test-only approvable document type over catalog products (the tests do not depend on sales):
``amount`` is the purchase price, the requester is the product's buyer. Callbacks record their calls
in ``calls`` and can be told to raise."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.db import connection, transaction

from caixiao.approvals.enums import ApprovalMode, ResolverKind
from caixiao.approvals.models import ApprovalInstance
from caixiao.approvals.registry import DOCUMENT_TYPES, DocumentType, StepSpec, register_document
from caixiao.catalog.models import Product
from caixiao.rules.expressions import Schema, Var

KEY = "tests.memo"
SCHEMA = Schema("tests.memo", "Test memo", (
    Var("amount", "number", "Amount"),
    Var("category", "map", "Category", fields=(Var("code", "string", "Code"),)),
    Var("urgent", "bool", "Urgent"),
))

calls: list[tuple[Any, ...]] = []
FAIL = {"on_approved": False}


def context(product: Product) -> dict[str, Any]:
    return {"amount": product.purchase_price, "category": {"code": product.category.code},
            "urgent": product.name.startswith("!")}


def on_approved(product: Product, actor: Any) -> None:
    # Runs inside the approval's transaction: the instance is already approved there.
    in_tx = transaction.get_connection().in_atomic_block
    approved = ApprovalInstance.objects.filter(document_type=KEY, object_id=str(product.pk),
                                               status="approved").exists()
    calls.append(("approved", product.pk, getattr(actor, "pk", None), in_tx, approved))
    Product.objects.filter(pk=product.pk).update(specification="approved")
    if FAIL["on_approved"]:
        raise RuntimeError("on_approved failed")


def on_rejected(product: Product, actor: Any, comment: str) -> None:
    calls.append(("rejected", product.pk, getattr(actor, "pk", None), comment))


def on_withdrawn(product: Product, actor: Any) -> None:
    calls.append(("withdrawn", product.pk, getattr(actor, "pk", None)))


def load(object_id: str) -> Product:
    qs = Product.objects.select_related("category")
    if connection.features.has_select_for_update:
        qs = qs.select_for_update(no_key=True, of=("self",))
    return qs.get(pk=int(object_id))


DOC = DocumentType(
    key=KEY, label="Test memo", schema=SCHEMA, context=context, requester=lambda p: p.buyer,
    on_approved=on_approved, on_rejected=on_rejected, on_withdrawn=on_withdrawn,
    describe=lambda p: f"{p.code} · {p.purchase_price}", url=lambda p: f"/memo/{p.pk}/", load=load)


def register() -> DocumentType:
    if DOCUMENT_TYPES.get(KEY) is not DOC:
        register_document(DOC)
    return DOC


def step(name: str, *, condition: str = "", resolver: str = ResolverKind.ROLE, params: dict | None = None,
         mode: str = ApprovalMode.ANY, required_count: int = 1, reminder_hours: int | None = None,
         parallel: bool = False) -> StepSpec:
    return StepSpec(name=name, condition=condition, resolver=resolver, params=params or {}, mode=mode,
                    required_count=required_count, reminder_hours=reminder_hours, parallel=parallel)


D = Decimal
