"""Stock pages: levels with every quantity and the safety-stock highlight, a product's stock, move
history, adjustment and transfer forms (errors re-render and change nothing), stock counts, stock
value, the invariant check; permissions by role and query ceilings."""

from decimal import Decimal

import pytest
from django.urls import reverse

from caixiao.catalog.models import Product
from caixiao.inventory import services as inventory_services
from caixiao.inventory.models import Location, StockBalance, StockCount, StockMove
from caixiao.inventory.references import Ref


@pytest.fixture
def stock(world, admin_user):
    """P001 (safety stock 20): 12 in bin A-01 of WH1 (3 reserved), 2 not in a bin, 5 pending inspection."""
    product, warehouse = world["product"], world["warehouse"]
    Product.objects.filter(pk=product.pk).update(safety_stock=Decimal("20"))
    bin_a = Location.objects.create(warehouse=warehouse, code="A-01")
    inventory_services.receive_stock(requests=[
        inventory_services.ReceiveRequest(product_id=product.pk, warehouse_id=warehouse.pk, quantity=Decimal("12"),
                                          unit_cost=Decimal("10"), location_id=bin_a.pk),
        inventory_services.ReceiveRequest(product_id=product.pk, warehouse_id=warehouse.pk, quantity=Decimal("2"),
                                          unit_cost=Decimal("10")),
        inventory_services.ReceiveRequest(product_id=product.pk, warehouse_id=warehouse.pk, quantity=Decimal("5"),
                                          unit_cost=Decimal("10"), state="pending_qc"),
    ], actor=admin_user)
    inventory_services.reserve_stock(requests=[inventory_services.ReserveRequest(
        product_id=product.pk, warehouse_id=warehouse.pk, quantity=Decimal("3"),
        reference=Ref.to(product, label="SO-TEST #1"))], allow_partial=False, actor=admin_user)
    return {**world, "bin_a": bin_a}


def ledger():
    return StockMove.objects.count(), list(StockBalance.objects.values())


# Stock levels -----------------------------------------------------------------------------------------
def test_stock_levels_show_every_quantity_and_flag_low_stock(admin_client, stock):
    response = admin_client.get(reverse("web:stock-levels"))
    assert response.status_code == 200
    [row] = response.context["rows"]
    figures = {q.name: value for q, value in row.figures}
    assert figures == {"on_hand": 14, "allocated": 3, "available": 11, "pending_qc": 5, "in_transit": 0,
                       "rejected": 0, "backlog": 0}  # backlog: sales registers it; on_order: not yet
    assert row.below_safety_stock
    html = response.content.decode()
    assert 'class="row-below"' in html and 'data-quantity="available">11<' in html
    assert ">on_hand<" in html and ">pending_qc<" in html  # the vocabulary term under each header


def test_stock_level_filters(admin_client, stock, admin_user):
    other = inventory_services.create_warehouse(data={"code": "WH2", "name": "北京仓"}, actor=admin_user)
    url = reverse("web:stock-levels")

    def products(**params):
        return [(r.balance.product.code, r.balance.warehouse.code) for r in admin_client.get(url, params).context["rows"]]

    assert products(q="绿") == products(q="p001") == [("P001", "WH1")]
    assert products(warehouse=other.pk) == []
    assert products(category=stock["category"].pk) == [("P001", "WH1")]
    assert products(below="on") == [("P001", "WH1")]
    Product.objects.filter(pk=stock["product"].pk).update(safety_stock=Decimal("5"))
    assert products(below="on") == []
    assert products(warehouse="nonsense") == [("P001", "WH1")]  # a bad filter is ignored


def test_stock_levels_answer_htmx_with_the_results_only(admin_client, stock):
    response = admin_client.get(reverse("web:stock-levels"), {"q": "P001"}, HTTP_HX_REQUEST="true")
    assert response.templates[0].name == "web/stock/_levels_results.html"
    assert response["Vary"].count("HX-Request") == 1


def test_stock_levels_query_ceiling(admin_client, stock, admin_user, django_assert_max_num_queries):
    pcs, category = stock["pcs"], stock["category"]
    for i in range(30):
        product = Product.objects.create(code=f"T{i:03d}", name=f"茶{i}", category=category, base_unit=pcs)
        inventory_services.adjust_stock(product_id=product.pk, warehouse_id=stock["warehouse"].pk,
                                        quantity=Decimal(i + 1), reason="期初", actor=admin_user)
    admin_client.get(reverse("web:stock-levels"))
    # session, user, permissions (2), filter choices (2), count, page, page balances, backlog provider, menu
    with django_assert_max_num_queries(11):
        response = admin_client.get(reverse("web:stock-levels"))
    assert len(response.context["rows"]) == 31


def test_product_stock_page(admin_client, stock, django_assert_max_num_queries):
    url = reverse("web:stock-product", args=[stock["product"].pk])
    with django_assert_max_num_queries(11):
        response = admin_client.get(url)
    assert response.status_code == 200
    bins = [(b.location.code if b.location else None, b.on_hand) for b in response.context["bins"]]
    assert bins == [("A-01", 12), (None, 2)]
    assert len(response.context["moves"]) == 3
    assert admin_client.get(reverse("web:stock-product", args=[999999])).status_code == 404


# Moves ------------------------------------------------------------------------------------------------
def test_move_history_filters(admin_client, stock, django_assert_max_num_queries):
    url = reverse("web:stock-moves")
    with django_assert_max_num_queries(8):
        response = admin_client.get(url)
    assert response.context["page"].paginator.count == 3
    assert admin_client.get(url, {"state": "pending_qc"}).context["page"].paginator.count == 1
    assert admin_client.get(url, {"kind": "adjustment"}).context["page"].paginator.count == 0
    assert admin_client.get(url, {"product": stock["product"].pk}).context["product"] == stock["product"]
    assert admin_client.get(url, {"q": "不存在"}).context["page"].paginator.count == 0


# Adjustments and transfers ----------------------------------------------------------------------------
def test_adjustment_posts_a_move_and_shows_the_product(login, make_user, stock):
    client = login(make_user("warehouse_clerk"))
    response = client.post(reverse("web:stock-adjust"), {
        "product": stock["product"].pk, "warehouse": stock["warehouse"].pk, "location": stock["bin_a"].pk,
        "state": "on_hand", "quantity": "-2", "reason": "破损"})
    assert response.status_code == 302
    assert response.url == reverse("web:stock-product", args=[stock["product"].pk])
    assert StockBalance.objects.get().on_hand == 12


@pytest.mark.parametrize(("change", "field"), [
    ({"quantity": "0"}, "quantity"),
    ({"quantity": "1.5"}, "quantity"),
    ({"quantity": "-13"}, None),  # more than is free: a non-field error naming the shortage
    ({"reason": ""}, "reason"),
    ({"state": "pending_qc"}, "location"),  # only on-hand stock is kept in bins
    ({"location": "elsewhere"}, "location"),
])
def test_bad_adjustments_rerender_and_change_nothing(admin_client, stock, admin_user, change, field):
    other = inventory_services.create_warehouse(data={"code": "WH2", "name": "北京仓"}, actor=admin_user)
    elsewhere = Location.objects.create(warehouse=other, code="Z-01")
    data = {"product": stock["product"].pk, "warehouse": stock["warehouse"].pk, "location": stock["bin_a"].pk,
            "state": "on_hand", "quantity": "1", "reason": "盘盈"}
    data.update({k: elsewhere.pk if v == "elsewhere" else v for k, v in change.items()})
    before = ledger()
    response = admin_client.post(reverse("web:stock-adjust"), data)
    assert response.status_code == 200
    form = response.context["form"]
    assert form.errors
    if field:
        assert field in form.errors, form.errors
    else:
        assert "P001" in " ".join(form.non_field_errors())
    assert ledger() == before
    assert "is-invalid" in response.content.decode() or form.non_field_errors()


def test_transfer_form(login, make_user, stock, admin_user):
    client = login(make_user("warehouse_clerk"))
    bin_b = Location.objects.create(warehouse=stock["warehouse"], code="B-01")
    url = reverse("web:stock-transfer")
    data = {"product": stock["product"].pk, "quantity": "4", "from_warehouse": stock["warehouse"].pk,
            "from_location": stock["bin_a"].pk, "to_warehouse": stock["warehouse"].pk, "to_location": bin_b.pk,
            "reason": "上架"}
    assert client.post(url, data).status_code == 302
    assert StockMove.objects.filter(kind="transfer").count() == 2

    before = ledger()
    same = client.post(url, {**data, "to_location": stock["bin_a"].pk})
    assert "to_location" in same.context["form"].errors
    too_much = client.post(url, {**data, "quantity": "99"})
    assert too_much.context["form"].non_field_errors()
    assert ledger() == before


def test_forms_are_prefilled_from_the_product_page(admin_client, stock):
    response = admin_client.get(reverse("web:stock-adjust"), {"product": stock["product"].pk})
    assert response.context["form"]["product"].value() == str(stock["product"].pk)


# Stock counts -----------------------------------------------------------------------------------------
def test_stock_count_pages(login, make_user, stock):
    client = login(make_user("warehouse_clerk"))
    response = client.post(reverse("web:stock-count-create"), {"warehouse": stock["warehouse"].pk, "note": "月末"})
    count = StockCount.objects.get()
    assert response.url == reverse("web:stock-count", args=[count.pk])
    detail = client.get(response.url)
    assert [a["name"] for a in detail.context["actions"]] == ["complete", "cancel"]
    lines = {line.location.code if line.location else None: line for line in count.lines.all()}

    bad = client.post(reverse("web:stock-count-counted", args=[count.pk]), {
        f"line_{lines['A-01'].pk}": "-1", f"line_{lines[None].pk}": "2"})
    assert bad.status_code == 200
    assert f"line_{lines['A-01'].pk}" in bad.context["form"].errors
    assert not count.lines.filter(counted_quantity__isnull=False).exists()

    client.post(reverse("web:stock-count-counted", args=[count.pk]), {
        f"line_{lines['A-01'].pk}": "11", f"line_{lines[None].pk}": "2"})
    client.post(reverse("web:stock-count-action", args=[count.pk, "complete"]))
    posted = client.post(reverse("web:stock-count-action", args=[count.pk, "post"]), follow=True)
    count.refresh_from_db()
    assert count.status == "posted"
    assert posted.context["actions"] == []
    assert StockMove.objects.get(kind="count").quantity == -1

    again = client.post(reverse("web:stock-count-action", args=[count.pk, "post"]), follow=True)
    assert any(m.level_tag == "error" for m in again.context["messages"])
    assert client.post(reverse("web:stock-count-action", args=[count.pk, "explode"])).status_code == 404
    listing = client.get(reverse("web:stock-counts"), {"status": "posted"})
    assert [c.number for c in listing.context["page"].object_list] == [count.number]


def test_a_count_of_a_category_without_stock_is_refused(admin_client, stock, admin_user):
    from caixiao.catalog import services as catalog_services

    empty = catalog_services.create_category(data={"code": "EMPTY", "name": "空"}, actor=admin_user)
    response = admin_client.post(reverse("web:stock-count-create"), {
        "warehouse": stock["warehouse"].pk, "category": empty.pk})
    assert response.status_code == 200 and response.context["form"].non_field_errors()
    assert not StockCount.objects.exists()


# Reports ----------------------------------------------------------------------------------------------
def test_stock_value_report(login, make_user, stock):
    response = login(make_user("finance")).get(reverse("web:stock-value"))
    assert response.status_code == 200
    assert response.context["report"].total == Decimal("190.00")
    assert '<td class="num" id="stock-value-total">190.00</td>' in response.content.decode()


def test_stock_check_shows_all_clear_or_the_drifts(login, make_user, stock):
    client = login(make_user("warehouse_clerk"))
    assert 'id="stock-check-ok"' in client.get(reverse("web:stock-check")).content.decode()
    StockBalance.objects.update(rejected=Decimal("2"))
    response = client.get(reverse("web:stock-check"))
    [row] = response.context["drifts"]
    assert (row["drift"].check, row["product"].code, row["warehouse"].code) == ("balance", "P001", "WH1")
    assert 'id="stock-check-ok"' not in response.content.decode()
    assert StockBalance.objects.get().rejected == 2  # reported, not repaired


# Permissions ------------------------------------------------------------------------------------------
PAGES: dict[str, tuple[str, list[int]]] = {
    "levels": ("web:stock-levels", []), "moves": ("web:stock-moves", []), "adjust": ("web:stock-adjust", []),
    "transfer": ("web:stock-transfer", []), "counts": ("web:stock-counts", []),
    "count-create": ("web:stock-count-create", []), "value": ("web:stock-value", []),
    "check": ("web:stock-check", []),
}


@pytest.mark.parametrize(("role", "allowed"), [
    ("sales_rep", {"levels", "moves"}),
    ("buyer", {"levels", "moves"}),
    ("finance", {"levels", "moves", "value"}),
    ("warehouse_clerk", {"levels", "moves", "adjust", "transfer", "counts", "count-create", "check"}),
    ("supplier", set()),
])
def test_pages_and_menu_by_role(login, make_user, stock, role, allowed):
    client = login(make_user(role))
    for name, (url_name, args) in PAGES.items():
        status = client.get(reverse(url_name, args=args)).status_code
        assert status == (200 if name in allowed else 403), (role, name, status)
    menu = {item["url"] for section in client.get(reverse("web:workbench")).context["nav_menu"]
            for item in section["items"]}
    for name, (url_name, args) in PAGES.items():
        if name != "count-create":
            assert (reverse(url_name, args=args) in menu) == (name in allowed), (role, name)


def test_a_sales_rep_cannot_post_an_adjustment(login, make_user, stock):
    client = login(make_user("sales_rep"))
    before = ledger()
    response = client.post(reverse("web:stock-adjust"), {
        "product": stock["product"].pk, "warehouse": stock["warehouse"].pk, "state": "on_hand", "quantity": "5",
        "reason": "x"})
    assert response.status_code == 403
    count = inventory_services.create_stock_count(warehouse_id=stock["warehouse"].pk, actor=None)
    assert client.post(reverse("web:stock-count-action", args=[count.pk, "cancel"])).status_code == 403
    assert ledger() == before


def test_anonymous_visitors_go_to_the_login_page(client, db):
    response = client.get(reverse("web:stock-levels"))
    assert response.status_code == 302 and response.url.startswith(reverse("web:login"))


def test_bin_choices_follow_the_warehouse(login, make_user, stock, admin_user):
    other = inventory_services.create_warehouse(data={"code": "WH2", "name": "北京仓"}, actor=admin_user)
    Location.objects.create(warehouse=other, code="Z-01")
    client = login(make_user("warehouse_clerk"))
    options = client.get(reverse("web:stock-bins"), {"from_warehouse": stock["warehouse"].pk, "empty": "1"})
    html = options.content.decode()
    assert "WH1/A-01" in html and "Z-01" not in html and 'value=""' in html
    assert "<option" not in client.get(reverse("web:stock-bins"), {"warehouse": "", "empty": ""}).content.decode()
    form = client.get(reverse("web:stock-adjust"), {"warehouse": other.pk}).context["form"]
    assert [str(b) for b in form.fields["location"].queryset] == ["WH2/Z-01"]
    assert form.fields["warehouse"].widget.attrs["hx-target"] == "#id_location"
