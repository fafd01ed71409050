"""Sales and fulfilment pages (SPEC O1–O5, issue 3 item 7): the order list, order entry with live
availability per line (htmx), the order page with its transitions, stock and shipment history and
audit trail; the warehouse to-do with its scan box, and the delivery notice with its pick list and one
action per step. Thin views: forms parse, the sales services act, reads go through the sales
selectors scoped ``for_user``; every view checks its permission."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal, InvalidOperation
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from caixiao.catalog import selectors as catalog_selectors
from caixiao.core.errors import DomainError
from caixiao.inventory import selectors as inventory_selectors
from caixiao.inventory.errors import format_quantity
from caixiao.sales import selectors as sales_selectors
from caixiao.sales import services as sales_services
from caixiao.sales.approval import DOCUMENT_TYPE as SALES_ORDER_APPROVAL
from caixiao.sales.enums import (
    DELIVERY_NOTICE_TRANSITIONS,
    EDITABLE_ORDER_STATUSES,
    OPEN_ORDER_STATUSES,
    SALES_ORDER_TRANSITIONS,
    DeliveryNoticeStatus,
    PurchaseDemandStatus,
    SalesOrderStatus,
)
from caixiao.sales.errors import OrderStockShortage
from caixiao.sales.models import DeliveryNotice, SalesOrder
from caixiao.web.approvals.views import approval_panel, is_approver_of
from caixiao.web.crud import require
from caixiao.web.forms import add_domain_error
from caixiao.web.history import change_history
from caixiao.web.lists import filter_values, list_page, paginate
from caixiao.web.sales import forms

VIEW_ORDERS, ADD_ORDERS, CHANGE_ORDERS = "sales.view_salesorder", "sales.add_salesorder", "sales.change_salesorder"
VIEW_NOTICES, ADD_NOTICES, CHANGE_NOTICES = ("sales.view_deliverynotice", "sales.add_deliverynotice",
                                             "sales.change_deliverynotice")


def _order(request: HttpRequest, pk: int) -> SalesOrder:
    """A visible order with its lines; another rep's order is a 404, as if it did not exist."""
    try:
        return sales_selectors.get_order(order_id=pk, for_user=request.user)
    except SalesOrder.DoesNotExist:
        raise Http404 from None


def _notice(request: HttpRequest, pk: int) -> DeliveryNotice:
    try:
        return sales_selectors.get_delivery_notice(notice_id=pk, for_user=request.user)
    except DeliveryNotice.DoesNotExist:
        raise Http404 from None


def _error_text(err: DomainError) -> str:
    """A service error as one sentence, its field messages appended (for messages on a redirect)."""
    problems = [str(m) for field_messages in err.fields.values() for m in field_messages]
    return " ".join([str(err.message), *problems])


# Orders -----------------------------------------------------------------------------------------------
@login_required
def order_list(request: HttpRequest) -> HttpResponse:
    require(request, VIEW_ORDERS)
    form = forms.OrderFilterForm(request.GET, user=request.user)
    f = filter_values(form)
    orders = sales_selectors.list_orders(
        for_user=request.user, status=f.get("status"), customer_id=f["customer"].pk if "customer" in f else None,
        date_from=f.get("date_from"), date_to=f.get("date_to"), q=f.get("q"))
    page = paginate(request, orders)
    return list_page(request, "web/sales/orders.html", "web/sales/_orders_results.html", {
        "form": form, "page": page, "can_add": request.user.has_perm(ADD_ORDERS)})


def _save_order(request: HttpRequest, form: forms.OrderForm, save: Callable[[], SalesOrder]) -> HttpResponse | None:
    if request.method != "POST" or not form.is_valid():
        return None
    try:
        order = save()
    except DomainError as err:
        form.add_service_error(err)
        return None
    messages.success(request, _("Saved %(order)s.") % {"order": order.number})
    return redirect("web:sales-order", pk=order.pk)


@login_required
def order_create(request: HttpRequest) -> HttpResponse:
    require(request, ADD_ORDERS)
    initial = {k: v for k in ("customer", "warehouse") if (v := request.GET.get(k, "")).isdigit()}
    form = forms.OrderForm(request.POST or None, user=request.user, initial=initial)
    saved = _save_order(request, form, lambda: sales_services.create_order(
        **form.header(), lines=form.lines.inputs(), actor=request.user))
    return saved or render(request, "web/sales/order_form.html", {"form": form, "title": _("New sales order")})


@login_required
def order_edit(request: HttpRequest, pk: int) -> HttpResponse:
    require(request, CHANGE_ORDERS)
    order = _order(request, pk)
    if order.status not in EDITABLE_ORDER_STATUSES:
        messages.error(request, _("%(order)s is %(status)s and can no longer be changed.") % {
            "order": order.number, "status": order.get_status_display()})
        return redirect("web:sales-order", pk=order.pk)
    form = forms.OrderForm(request.POST or None, user=request.user, initial=forms.order_initial(order))
    saved = _save_order(request, form, lambda: sales_services.update_order(
        order_id=order.pk, data=form.header(), lines=form.lines.inputs(), actor=request.user))
    if order.status == SalesOrderStatus.PENDING_APPROVAL and request.method != "POST":
        messages.warning(request, _("%(order)s is waiting for approval: saving a change withdraws it from approval "
                                    "and makes it a draft again.") % {"order": order.number})
    return saved or render(request, "web/sales/order_form.html", {
        "form": form, "order": order, "title": _("Edit %(order)s") % {"order": order.number}})


@login_required
@require_POST
def order_availability(request: HttpRequest) -> HttpResponse:
    """The live availability of every line being entered (htmx): available, reservable and shortage
    per row, swapped into the rows out of band. Reads only; rows not filled in yet show nothing."""
    require(request, VIEW_ORDERS)
    data = request.POST
    total = _int(data.get("lines-TOTAL_FORMS")) or 0
    rows: dict[int, tuple[int, Decimal]] = {}
    for i in range(min(total, 500)):
        product_id, quantity = _int(data.get(f"lines-{i}-product")), _decimal(data.get(f"lines-{i}-quantity"))
        if product_id and quantity and not data.get(f"lines-{i}-DELETE"):
            rows[i] = (product_id, quantity)
    warehouse_id = _int(data.get("warehouse"))
    units = dict(catalog_selectors.list_products().filter(pk__in={p for p, _q in rows.values()})
                 .values_list("pk", "base_unit__name"))
    rows = {i: row for i, row in rows.items() if row[0] in units}
    results: dict[int, Any] = {}
    if warehouse_id and inventory_selectors.list_warehouses().filter(pk=warehouse_id).exists() and rows:
        atp = sales_selectors.line_availability(warehouse_id=warehouse_id, lines=list(rows.values()))
        results = dict(zip(rows, atp, strict=True))
    cells = [{"index": i, "atp": results.get(i), "unit": units.get(rows[i][0]) if i in rows else ""}
             for i in range(min(total, 500))]
    return render(request, "web/sales/_availability.html", {"cells": cells})


def _int(value: Any) -> int | None:
    return int(value) if isinstance(value, str) and value.isdigit() and len(value) < 18 else None


def _decimal(value: Any) -> Decimal | None:
    try:
        number = Decimal(value)
    except (TypeError, ValueError, InvalidOperation):
        return None
    return number if number.is_finite() and 0 < number < Decimal("1e12") else None


# The order page ---------------------------------------------------------------------------------------
ORDER_ACTIONS: dict[str, tuple[str, Any, str]] = {  # action → (target status, label, icon)
    "confirm": (SalesOrderStatus.CONFIRMED, gettext_lazy("Confirm"), "check2-circle"),
    "close": (SalesOrderStatus.CLOSED, gettext_lazy("Close"), "archive"),
    "cancel": (SalesOrderStatus.CANCELLED, gettext_lazy("Cancel order"), "x-circle"),
}


def _order_history(order: SalesOrder, notices: list[DeliveryNotice]) -> dict[str, Any]:
    """The order's stock history: the ledger's reservations of its lines and the moves of its shipments."""
    line_ids = [line.pk for line in order.lines.all()]
    reservations = inventory_selectors.list_reservations(open_only=False).filter(
        reference_type_id=sales_selectors.line_content_type_id(), reference_id__in=line_ids)
    shipped = [n.number for n in notices if n.status == DeliveryNoticeStatus.SHIPPED]
    moves = inventory_selectors.list_moves().none()
    if shipped:
        labels = Q()
        for number in shipped:
            labels |= Q(reference_label__startswith=f"{number} #")
        moves = inventory_selectors.list_moves().filter(labels)
    return {"reservations": list(reservations), "moves": list(moves)}


@login_required
def order_detail(request: HttpRequest, pk: int) -> HttpResponse:
    require(request, VIEW_ORDERS)
    user = request.user
    in_scope = True
    try:
        order = sales_selectors.get_order(order_id=pk, for_user=user)
    except SalesOrder.DoesNotExist:
        # An approver outside the order's data scope reads what they approve (S2), and only reads it.
        if not is_approver_of(user, doc_type=SALES_ORDER_APPROVAL, object_id=pk):
            raise Http404 from None
        order, in_scope = sales_selectors.get_order_for_approver(order_id=pk), False
    statuses = sales_selectors.order_line_statuses(order)
    notices = list(order.delivery_notices.order_by("created_at", "id"))
    can_change = in_scope and user.has_perm(CHANGE_ORDERS)
    allowed = SALES_ORDER_TRANSITIONS[order.status]
    actions = [{"name": name, "label": label, "icon": icon, "url": reverse("web:sales-order-action", args=[pk, name])}
               for name, (to, label, icon) in ORDER_ACTIONS.items() if can_change and to in allowed
               and not (name == "confirm" and order.status == SalesOrderStatus.PENDING_APPROVAL)]
    ready = sum((s.ready_to_ship for s in statuses), Decimal(0))
    can_notice = (in_scope and user.has_perm(ADD_NOTICES) and order.status in OPEN_ORDER_STATUSES and ready > 0)
    return render(request, "web/sales/order_detail.html", {
        "order": order, "lines": statuses, "notices": notices, "actions": actions,
        "edit_url": reverse("web:sales-order-edit", args=[pk])
        if can_change and order.status in EDITABLE_ORDER_STATUSES else "",
        "approval": approval_panel(doc_type=SALES_ORDER_APPROVAL, obj=order, user=user),
        "credit": sales_selectors.credit_exposure(order)
        if order.status in (SalesOrderStatus.DRAFT, SalesOrderStatus.PENDING_APPROVAL) else None,
        "notice_url": reverse("web:sales-order-notice", args=[pk]) if can_notice else "",
        "demands": sales_selectors.list_purchase_demands(for_user=user, order_id=order.pk,
                                                         status=PurchaseDemandStatus.OPEN),
        "history": change_history(order), "draft": order.status == SalesOrderStatus.DRAFT,
        "reason_form": forms.ReasonForm(), **_order_history(order, notices)})


@login_required
@require_POST
def order_action(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    require(request, CHANGE_ORDERS)
    if action not in ORDER_ACTIONS:
        raise Http404
    order = _order(request, pk)
    try:
        if action == "confirm":
            _confirm(request, order)
        elif action == "cancel":
            form = forms.ReasonForm(request.POST)
            reason = form.cleaned_data["reason"] if form.is_valid() else ""
            sales_services.cancel_order(order_id=order.pk, reason=reason, actor=request.user)
            messages.success(request, _("Cancelled %(order)s.") % {"order": order.number})
        else:
            sales_services.close_order(order_id=order.pk, actor=request.user)
            messages.success(request, _("Closed %(order)s.") % {"order": order.number})
    except OrderStockShortage as err:
        messages.error(request, str(err.message), extra_tags="shortage")
    except DomainError as err:
        messages.error(request, _error_text(err))
    return redirect("web:sales-order", pk=order.pk)


def _confirm(request: HttpRequest, order: SalesOrder) -> None:
    """Confirm, then say at once what stock did not cover (O2): backordered lines and their demand."""
    result = sales_services.confirm_order(order_id=order.pk, actor=request.user)
    if result.status == SalesOrderStatus.PENDING_APPROVAL:
        messages.info(request, _("%(order)s was sent for approval; it is confirmed (and stock reserved) when the "
                                 "last approver approves.") % {"order": order.number}, extra_tags="approval")
        return
    confirmed = sales_selectors.get_order(order_id=order.pk, for_user=request.user)
    short = [s for s in sales_selectors.order_line_statuses(confirmed) if s.backordered > 0]
    if not short:
        messages.success(request, _("Confirmed %(order)s: every line is reserved.") % {"order": order.number})
        return
    lines = "; ".join(_("line %(position)s, %(product)s: %(backordered)s backordered") % {
        "position": s.line.position, "product": s.line.product.code, "backordered": format_quantity(s.backordered)}
        for s in short)
    messages.warning(request, _("Confirmed %(order)s, but stock is short: %(lines)s. The rest is reserved; "
                                "purchase demand was recorded for the shortage.") % {
        "order": order.number, "lines": lines}, extra_tags="shortage")


@login_required
@require_POST
def order_create_notice(request: HttpRequest, pk: int) -> HttpResponse:
    require(request, ADD_NOTICES)
    order = _order(request, pk)
    try:
        notice = sales_services.create_delivery_notice(order_id=order.pk, actor=request.user)
    except DomainError as err:
        messages.error(request, _error_text(err))
        return redirect("web:sales-order", pk=order.pk)
    messages.success(request, _("Created delivery notice %(notice)s for the warehouse.") % {"notice": notice.number})
    return redirect("web:delivery-notice", pk=notice.pk)


# The warehouse ----------------------------------------------------------------------------------------
@login_required
def warehouse_todo(request: HttpRequest) -> HttpResponse:
    """The warehouse's to-do list (O3) with a scan box (O4): a DN or SO number opens the document, a
    product barcode narrows the list to the notices with that product."""
    require(request, VIEW_NOTICES)
    form = forms.NoticeFilterForm(request.GET)
    f = filter_values(form)
    product = None
    if code := f.get("code", "").strip():
        found = sales_selectors.find_document_or_product(code, for_user=request.user)
        if found is not None and found.kind == "delivery_notice":
            return redirect("web:delivery-notice", pk=found.id)
        if found is not None and found.kind == "sales_order" and request.user.has_perm(VIEW_ORDERS):
            return redirect("web:sales-order", pk=found.id)
        if found is not None and found.kind == "product":
            product = catalog_selectors.list_products().get(pk=found.id)
        else:
            messages.warning(request, _("Nothing found for “%(code)s”.") % {"code": code})
    warehouse_id = f["warehouse"].pk if "warehouse" in f else None
    status = f.get("status", "")
    if status:
        notices = sales_selectors.list_delivery_notices(
            for_user=request.user, warehouse_id=warehouse_id, status=None if status == "all" else status)
    else:
        notices = sales_selectors.list_open_delivery_notices(for_user=request.user, warehouse_id=warehouse_id)
    if product is not None:
        notices = notices.filter(lines__product=product).distinct()
    page = paginate(request, notices)
    return list_page(request, "web/sales/todo.html", "web/sales/_notices_results.html",
                     {"form": form, "page": page, "product": product})


NOTICE_STEPS: dict[str, tuple[str, Any, str]] = {  # step → (target status, label, icon)
    "start_picking": (DeliveryNoticeStatus.PICKING, gettext_lazy("Start picking"), "basket"),
    "pack": (DeliveryNoticeStatus.PACKED, gettext_lazy("Packed"), "box2"),
    "check": (DeliveryNoticeStatus.CHECKED, gettext_lazy("Checked"), "clipboard-check"),
    "ship": (DeliveryNoticeStatus.SHIPPED, gettext_lazy("Ship"), "truck"),
    "cancel": (DeliveryNoticeStatus.CANCELLED, gettext_lazy("Cancel notice"), "x-circle"),
}


PROGRESS = [DeliveryNoticeStatus.OPEN, DeliveryNoticeStatus.PICKING, DeliveryNoticeStatus.PACKED,
            DeliveryNoticeStatus.CHECKED, DeliveryNoticeStatus.SHIPPED]


def _progress(status: str) -> list[dict[str, Any]]:
    """The steps of a notice, each done, current or to do; none for a cancelled notice."""
    if status not in PROGRESS:
        return []
    current = PROGRESS.index(DeliveryNoticeStatus(status))
    return [{"label": step.label, "state": "done" if i < current or status == DeliveryNoticeStatus.SHIPPED
             else "current" if i == current else "todo"} for i, step in enumerate(PROGRESS)]


def _notice_page(request: HttpRequest, notice: DeliveryNotice, step_form: Any = None) -> HttpResponse:
    can_change = request.user.has_perm(CHANGE_NOTICES)
    allowed = DELIVERY_NOTICE_TRANSITIONS[notice.status]
    steps = {name for name, (to, _label, _icon) in NOTICE_STEPS.items() if can_change and to in allowed}
    lines = list(notice.lines.all())
    forms_by_step = {"pack": forms.PackForm(), "check": forms.CheckForm(lines=lines), "ship": forms.ShipForm(),
                     "cancel": forms.ReasonForm()}
    if step_form is not None:
        forms_by_step[step_form[0]] = step_form[1]
    next_step = next((name for name in NOTICE_STEPS if name in steps and name != "cancel"), None)
    check_form = forms_by_step["check"]
    return render(request, "web/sales/notice_detail.html", {
        "progress": _progress(notice.status),
        "notice": notice, "lines": [{"line": line, "check": check_form[f"line_{line.pk}"]} for line in lines],
        "steps": steps, "next_step": next_step, "labels": {k: v[1] for k, v in NOTICE_STEPS.items()},
        "icons": {k: v[2] for k, v in NOTICE_STEPS.items()}, "forms": forms_by_step,
        "can_view_order": request.user.has_perm(VIEW_ORDERS), "history": change_history(notice)})


@login_required
def notice_detail(request: HttpRequest, pk: int) -> HttpResponse:
    require(request, VIEW_NOTICES)
    return _notice_page(request, _notice(request, pk))


@login_required
@require_POST
def notice_step(request: HttpRequest, pk: int, step: str) -> HttpResponse:
    require(request, CHANGE_NOTICES)
    if step not in NOTICE_STEPS:
        raise Http404
    notice = _notice(request, pk)
    form: Any = None
    try:
        if step == "start_picking":
            sales_services.start_picking(notice_id=notice.pk, actor=request.user)
        elif step == "pack":
            form = forms.PackForm(request.POST)
            if form.is_valid():
                sales_services.pack_delivery(notice_id=notice.pk, actor=request.user, **form.cleaned_data)
        elif step == "check":
            form = forms.CheckForm(request.POST, lines=notice.lines.all())
            if form.is_valid():
                sales_services.check_delivery(notice_id=notice.pk, lines=form.checked(), actor=request.user)
        elif step == "ship":
            form = forms.ShipForm(request.POST)
            if form.is_valid():
                shipped = sales_services.ship_delivery(notice_id=notice.pk, actor=request.user, **form.cleaned_data)
                messages.success(request, _("Shipped %(notice)s. Outbound slip %(slip)s.") % {
                    "notice": notice.number, "slip": shipped.outbound_number})
        else:
            form = forms.ReasonForm(request.POST)
            if form.is_valid():
                sales_services.cancel_delivery_notice(notice_id=notice.pk, actor=request.user, **form.cleaned_data)
    except DomainError as err:
        if form is None or not err.fields:  # e.g. a step out of order: say so on the notice's page
            messages.error(request, _error_text(err))
            return redirect("web:delivery-notice", pk=notice.pk)
        if isinstance(form, forms.CheckForm):
            form.add_service_error(err)
        else:
            add_domain_error(form, err)
    if form is not None and form.errors:
        return _notice_page(request, _notice(request, pk), step_form=(step, form))
    return redirect("web:delivery-notice", pk=notice.pk)
