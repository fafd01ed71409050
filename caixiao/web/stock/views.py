"""Stock pages (issue 3, item 7): stock levels, a product's stock with its bins and moves, the move
history, adjustments, transfers, stock counts (盘点), the stock value report and the invariant check
(库存核对). Thin views: a form parses, an inventory service acts, a ``DomainError`` becomes form
errors; reads go through ``inventory.selectors``; every view checks its permission."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Count, Q, QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from caixiao.catalog import selectors as catalog_selectors
from caixiao.core.errors import DomainError
from caixiao.inventory import selectors as inventory_selectors
from caixiao.inventory import services as inventory_services
from caixiao.inventory.enums import STOCK_COUNT_TRANSITIONS, StockCountStatus
from caixiao.inventory.invariants import check_invariants
from caixiao.inventory.models import StockCount
from caixiao.web.crud import require
from caixiao.web.forms import BootstrapForm, add_domain_error
from caixiao.web.lists import filter_values, list_page, paginate
from caixiao.web.stock import forms
from caixiao.web.stock.quantities import filter_balances, level_rows, shown_quantities

VIEW_STOCK = "inventory.view_stockbalance"
VIEW_MOVES = "inventory.view_stockmove"
MOVE_STOCK = "inventory.add_stockmove"
VIEW_COUNTS, ADD_COUNTS, CHANGE_COUNTS = ("inventory.view_stockcount", "inventory.add_stockcount",
                                          "inventory.change_stockcount")
CHECK_STOCK = (VIEW_STOCK, "inventory.view_reservation")
VIEW_VALUE = "inventory.view_productcost"


# Stock levels -----------------------------------------------------------------------------------------
@login_required
def stock_levels(request: HttpRequest) -> HttpResponse:
    require(request, VIEW_STOCK)
    form = forms.StockLevelFilterForm(request.GET)
    f = filter_values(form)
    below = f.get("below", False)
    rows = inventory_selectors.list_balances(
        warehouse_id=f["warehouse"].pk if "warehouse" in f else None,
        category_id=f["category"].pk if "category" in f else None, include_empty=f.get("empty", False) or below)
    page = paginate(request, filter_balances(rows, q=f.get("q", ""), below_safety_stock=below))
    quantities = shown_quantities()
    return list_page(request, "web/stock/levels.html", "web/stock/_levels_results.html", {
        "form": form, "page": page, "quantities": quantities, "rows": level_rows(page.object_list, quantities),
        "can_move": request.user.has_perm(MOVE_STOCK)})


@login_required
def product_stock(request: HttpRequest, pk: int) -> HttpResponse:
    """One product: its quantities per warehouse, its bins and its latest moves."""
    require(request, VIEW_STOCK)
    product = get_object_or_404(catalog_selectors.list_products(), pk=pk)
    quantities = shown_quantities()
    balances = inventory_selectors.list_balances(product_id=product.pk, include_empty=True)
    moves = (inventory_selectors.list_moves(product_id=product.pk)[:20]
             if request.user.has_perm(VIEW_MOVES) else None)
    return render(request, "web/stock/product.html", {
        "product": product, "quantities": quantities, "rows": level_rows(balances, quantities),
        "bins": inventory_selectors.list_bin_balances(product_id=product.pk), "moves": moves,
        "can_move": request.user.has_perm(MOVE_STOCK)})


# Moves ------------------------------------------------------------------------------------------------
@login_required
def stock_moves(request: HttpRequest) -> HttpResponse:
    require(request, VIEW_MOVES)
    form = forms.MoveFilterForm(request.GET)
    f = filter_values(form)
    product_param = request.GET.get("product", "")
    product = catalog_selectors.list_products().filter(pk=product_param).first() if product_param.isdigit() else None
    moves = inventory_selectors.list_moves(
        product_id=product.pk if product else None,
        warehouse_id=f["warehouse"].pk if "warehouse" in f else None, state=f.get("state"), kind=f.get("kind"),
        date_from=f.get("date_from"), date_to=f.get("date_to"), reference_label=f.get("reference"))
    if term := f.get("q", "").strip():
        moves = moves.filter(Q(product__code__icontains=term) | Q(product__name__icontains=term))
    return list_page(request, "web/stock/moves.html", "web/stock/_moves_results.html", {
        "form": form, "page": paginate(request, moves), "product": product,
        "hidden": [("product", product.pk)] if product else []})


@login_required
def bin_options(request: HttpRequest) -> HttpResponse:
    """The ``<option>``s of the bins of the warehouse chosen in a form (the one numeric parameter)."""
    require(request, "inventory.view_location")
    warehouse_id = next((v for k in request.GET if k != "empty" and (v := request.GET.get(k, "")).isdigit()), None)
    bins = (inventory_selectors.list_locations().filter(warehouse_id=warehouse_id, is_active=True)
            if warehouse_id else inventory_selectors.list_locations().none())
    return render(request, "web/stock/_bin_options.html", {"bins": bins, "empty": request.GET.get("empty") == "1"})


# Adjustments and transfers ----------------------------------------------------------------------------
def _initial(request: HttpRequest, *names: str) -> dict[str, str]:
    return {name: value for name in names if (value := request.GET.get(name, "")).isdigit()}


def _service_form(request: HttpRequest, form: BootstrapForm, act: Callable[[], Any],
                  aliases: dict[str, str] | None = None) -> bool:
    """Run ``act`` (one service call) when the form is valid; a ``DomainError`` becomes form errors."""
    if request.method != "POST" or not form.is_valid():
        return False
    try:
        act()
    except DomainError as err:
        add_domain_error(form, err, aliases)
        return False
    return True


@login_required
def adjust_stock(request: HttpRequest) -> HttpResponse:
    require(request, MOVE_STOCK)
    form = forms.AdjustmentForm(request.POST or None, initial=_initial(request, "product", "warehouse"))
    if _service_form(request, form, lambda: inventory_services.adjust_stock(
            **form.service_kwargs(), actor=request.user)):
        product = form.cleaned_data["product"]
        messages.success(request, _("Adjusted the stock of %(product)s.") % {"product": product})
        return redirect("web:stock-product", pk=product.pk)
    return render(request, "web/stock/move_form.html", {
        "form": form, "title": _("Adjust stock"), "icon": "sliders",
        "intro": _("Correct a balance with a reason: stock found, lost or damaged. The adjustment is a new "
                   "move in the ledger; nothing is overwritten.")})


TRANSFER_FIELDS = ("product_id", "quantity", "from_warehouse_id", "to_warehouse_id", "from_location_id",
                   "to_location_id")


@login_required
def transfer_stock(request: HttpRequest) -> HttpResponse:
    require(request, MOVE_STOCK)
    form = forms.TransferForm(request.POST or None, initial=_initial(request, "product", "from_warehouse"))

    def act() -> None:
        data = form.service_kwargs()
        inventory_services.transfer_stock(requests=[inventory_services.TransferRequest(**data)],
                                          reason=form.cleaned_data["reason"], actor=request.user)

    aliases = {f"requests.0.{name}": name for name in TRANSFER_FIELDS}
    if _service_form(request, form, act, aliases):
        product = form.cleaned_data["product"]
        messages.success(request, _("Transferred %(product)s.") % {"product": product})
        return redirect("web:stock-product", pk=product.pk)
    return render(request, "web/stock/move_form.html", {
        "form": form, "title": _("Transfer stock"), "icon": "arrow-left-right",
        "intro": _("Move stock between warehouses, or between bins of one warehouse (putaway). Only stock "
                   "that is not allocated to orders can move.")})


# Stock counts -----------------------------------------------------------------------------------------
# One action per target status of STOCK_COUNT_TRANSITIONS, each with its service.
COUNT_ACTIONS: dict[str, tuple[str, Callable[..., StockCount], Any, str]] = {
    "complete": (StockCountStatus.COUNTED, inventory_services.complete_stock_count,
                 gettext_lazy("Finish counting"), "check2-square"),
    "post": (StockCountStatus.POSTED, inventory_services.post_stock_count,
             gettext_lazy("Post the differences"), "journal-check"),
    "reopen": (StockCountStatus.DRAFT, inventory_services.reopen_stock_count,
               gettext_lazy("Recount"), "arrow-counterclockwise"),
    "cancel": (StockCountStatus.CANCELLED, inventory_services.cancel_stock_count,
               gettext_lazy("Cancel the count"), "x-circle"),
}


def _counts() -> QuerySet[StockCount]:
    return (StockCount.objects.select_related("warehouse", "created_by").annotate(line_count=Count("lines"))
            .order_by("-created_at", "-id"))


@login_required
def stock_counts(request: HttpRequest) -> HttpResponse:
    require(request, VIEW_COUNTS)
    form = forms.StockCountFilterForm(request.GET)
    f = filter_values(form)
    counts = _counts()
    if "warehouse" in f:
        counts = counts.filter(warehouse=f["warehouse"])
    if "status" in f:
        counts = counts.filter(status=f["status"])
    return list_page(request, "web/stock/counts.html", "web/stock/_counts_results.html", {
        "form": form, "page": paginate(request, counts), "can_add": request.user.has_perm(ADD_COUNTS)})


def _count_selection(data: dict[str, Any]) -> list[inventory_services.CountLineRequest] | None:
    """The lines of a new count narrowed to a category and/or bins; None: the service's default
    (every product and bin holding stock in the warehouse)."""
    if not data["category"] and not data["locations"]:
        return None
    rows = inventory_selectors.list_bin_balances(warehouse_id=data["warehouse"].pk)
    if data["category"]:
        rows = rows.filter(product__category=data["category"])
    if data["locations"]:
        rows = rows.filter(location__in=data["locations"])
    return [inventory_services.CountLineRequest(product_id=p, location_id=loc)
            for p, loc in rows.order_by("product_id", "location_id").values_list("product_id", "location_id")]


@login_required
def create_stock_count(request: HttpRequest) -> HttpResponse:
    require(request, ADD_COUNTS)
    form = forms.StockCountForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        lines = _count_selection(form.cleaned_data)
        if lines == []:
            form.add_error(None, _("There is no stock to count in this selection."))
        else:
            try:
                count = inventory_services.create_stock_count(
                    warehouse_id=form.cleaned_data["warehouse"].pk, lines=lines, note=form.cleaned_data["note"],
                    actor=request.user)
            except DomainError as err:
                add_domain_error(form, err)
            else:
                messages.success(request, _("Started stock count %(number)s.") % {"number": count.number})
                return redirect("web:stock-count", pk=count.pk)
    return render(request, "web/stock/count_form.html", {"form": form})


def _count_lines(count: StockCount) -> list[Any]:
    return list(count.lines.select_related("product__base_unit", "location").order_by(
        "location__code", "product__code", "id"))


@login_required
def stock_count(request: HttpRequest, pk: int) -> HttpResponse:
    require(request, VIEW_COUNTS)
    count = get_object_or_404(_counts(), pk=pk)
    lines = _count_lines(count)
    editable = count.status == StockCountStatus.DRAFT and request.user.has_perm(CHANGE_COUNTS)
    form = forms.CountedForm(lines=lines) if editable else None
    return _count_page(request, count, lines, form)


def _count_page(request: HttpRequest, count: StockCount, lines: list[Any], form: forms.CountedForm | None) -> HttpResponse:
    can_change = request.user.has_perm(CHANGE_COUNTS)
    actions = [{"name": name, "label": label, "icon": icon,
                "url": reverse("web:stock-count-action", args=[count.pk, name])}
               for name, (to, _service, label, icon) in COUNT_ACTIONS.items()
               if can_change and to in STOCK_COUNT_TRANSITIONS[count.status]]
    rows = [{"line": line, "field": form[f"line_{line.pk}"] if form else None} for line in lines]
    return render(request, "web/stock/count_detail.html", {
        "count": count, "rows": rows, "form": form, "actions": actions,
        "counted": sum(1 for line in lines if line.counted_quantity is not None)})


@login_required
@require_POST
def record_counted(request: HttpRequest, pk: int) -> HttpResponse:
    require(request, CHANGE_COUNTS)
    count = get_object_or_404(_counts(), pk=pk)
    lines = _count_lines(count)
    form = forms.CountedForm(request.POST, lines=lines)
    aliases = {f"counted.{line.pk}": f"line_{line.pk}" for line in lines}
    if _service_form(request, form, lambda: inventory_services.record_counted_quantities(
            count_id=count.pk, counted=form.counted(), actor=request.user), aliases):
        messages.success(request, _("Saved the counted quantities."))
        return redirect("web:stock-count", pk=count.pk)
    return _count_page(request, count, lines, form)


@login_required
@require_POST
def stock_count_action(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    require(request, CHANGE_COUNTS)
    if action not in COUNT_ACTIONS:
        raise Http404
    count = get_object_or_404(_counts(), pk=pk)
    _to, service, label, _icon = COUNT_ACTIONS[action]
    try:
        service(count_id=count.pk, actor=request.user)
    except DomainError as err:
        problems = [str(m) for messages_ in err.fields.values() for m in messages_]
        messages.error(request, " ".join([str(err.message), *problems]))
    else:
        messages.success(request, _("%(action)s: done.") % {"action": label})
    return redirect("web:stock-count", pk=count.pk)


# Reports ----------------------------------------------------------------------------------------------
@login_required
def stock_value(request: HttpRequest) -> HttpResponse:
    require(request, VIEW_VALUE)
    form = forms.StockValueFilterForm(request.GET)
    f = filter_values(form)
    report = inventory_selectors.stock_value(warehouse_id=f["warehouse"].pk if "warehouse" in f else None,
                                             category_id=f["category"].pk if "category" in f else None)
    return render(request, "web/stock/value.html", {"form": form, "report": report})


@login_required
def stock_check(request: HttpRequest) -> HttpResponse:
    """库存核对: the ledger invariants over the whole database; drifts are shown, never repaired."""
    for perm in CHECK_STOCK:
        require(request, perm)
    drifts = check_invariants()
    products = catalog_selectors.list_products().in_bulk({d.product_id for d in drifts if d.product_id})
    warehouses = inventory_selectors.list_warehouses().in_bulk({d.warehouse_id for d in drifts if d.warehouse_id})
    locations = inventory_selectors.list_locations().in_bulk({d.location_id for d in drifts if d.location_id})
    rows = [{"drift": d, "product": products.get(d.product_id), "warehouse": warehouses.get(d.warehouse_id),
             "location": locations.get(d.location_id)} for d in drifts]
    return render(request, "web/stock/check.html", {"drifts": rows})
