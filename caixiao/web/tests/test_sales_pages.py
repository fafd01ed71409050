"""Sales and warehouse pages (O1–O5): order entry with live availability, form errors that re-render
and change nothing, the order page and its transitions with the shortage shown, delivery notices step
by step, the warehouse to-do and its scan box; permissions by role, scoping, query ceilings."""

from decimal import Decimal

import pytest
from django.urls import reverse

from caixiao.inventory.models import Location, StockBalance
from caixiao.partners.tests.factories import CustomerFactory
from caixiao.sales import services as sales_services
from caixiao.sales.models import DeliveryNotice, PurchaseDemand, SalesOrder
from caixiao.sales.tests.factories import make_order, receive
from caixiao.sales.tests.helpers import snapshot


@pytest.fixture
def rep(make_user):
    return make_user("sales_rep")


@pytest.fixture
def clerk(make_user):
    return make_user("warehouse_clerk")


@pytest.fixture
def shop(world, rep, admin_user):
    """A rep's customer, and P001 with 10 in bin A-01 of WH1."""
    customer = CustomerFactory(code="C100", name="杭州商店", account_manager=rep)
    bin_a = Location.objects.create(warehouse=world["warehouse"], code="A-01")
    receive(world["product"], world["warehouse"], 10, location=bin_a, actor=admin_user)
    return {**world, "customer": customer, "bin_a": bin_a}


def order_post(shop, *lines, **header):
    """What the order form posts: header fields and a formset of ``(product, quantity)`` lines."""
    data = {"customer": shop["customer"].pk, "warehouse": shop["warehouse"].pk, "requested_on": "",
            "customer_reference": "", "notes": "", "lines-TOTAL_FORMS": str(len(lines)),
            "lines-INITIAL_FORMS": "0", "lines-MIN_NUM_FORMS": "0", "lines-MAX_NUM_FORMS": "1000"}
    for i, (product, quantity) in enumerate(lines):
        data.update({f"lines-{i}-product": product.pk, f"lines-{i}-quantity": quantity,
                     f"lines-{i}-unit_price": "", f"lines-{i}-discount_percent": ""})
    data.update(header)
    return data


# Order entry ------------------------------------------------------------------------------------------
def test_a_rep_enters_an_order(login, rep, shop):
    client = login(rep)
    assert client.get(reverse("web:sales-order-create")).status_code == 200
    response = client.post(reverse("web:sales-order-create"), order_post(shop, (shop["product"], "4")))
    order = SalesOrder.objects.get()
    assert response.url == reverse("web:sales-order", args=[order.pk])
    [line] = order.lines.all()
    assert (line.quantity, line.unit_price, order.customer, order.owner) == (4, Decimal("19.9"), shop["customer"], rep)


@pytest.mark.parametrize(("quantity", "field"), [("0", "quantity"), ("1.5", "quantity"), ("x", "quantity")])
def test_bad_lines_rerender_on_their_row_and_change_nothing(login, rep, shop, quantity, field):
    client = login(rep)
    before = snapshot()
    response = client.post(reverse("web:sales-order-create"), order_post(
        shop, (shop["product"], "2"), (shop["product"], quantity)))
    assert response.status_code == 200
    lines = response.context["form"].lines.forms
    assert not lines[0].errors and field in lines[1].errors
    assert 'class="invalid-feedback"' in response.content.decode()
    assert snapshot() == before


def test_a_rep_cannot_order_for_another_reps_customer(login, rep, make_user, shop):
    other = CustomerFactory(account_manager=make_user("sales_rep"))
    response = login(rep).post(reverse("web:sales-order-create"), order_post(
        shop, (shop["product"], "1"), customer=other.pk))
    assert "customer" in response.context["form"].errors
    assert not SalesOrder.objects.exists()


def test_live_availability_per_line(login, rep, shop, admin_user, django_assert_max_num_queries):
    from caixiao.catalog import services as catalog_services

    never_stocked = catalog_services.create_product(data={
        "code": "P002", "name": "红茶", "category_id": shop["category"].pk, "base_unit_id": shop["pcs"].pk},
        actor=admin_user)
    client = login(rep)
    data = order_post(shop, (shop["product"], "4"), (shop["product"], "9"), (never_stocked, "1"))
    data["lines-3-product"], data["lines-3-quantity"], data["lines-TOTAL_FORMS"] = "", "", "4"
    with django_assert_max_num_queries(9):
        response = client.post(reverse("web:sales-order-availability"), data, HTTP_HX_REQUEST="true")
    cells = {cell["index"]: cell["atp"] for cell in response.context["cells"]}
    assert (cells[0].available, cells[0].reservable, cells[0].shortage) == (10, 4, 0)
    assert (cells[1].reservable, cells[1].shortage) == (6, 3)  # lines of one product share the stock
    assert (cells[2].available, cells[2].shortage) == (0, 1)
    assert cells[3] is None
    html = response.content.decode()
    assert 'id="lines-1-atp" hx-swap-oob="innerHTML"' in html and 'data-shortage="3"' in html


def test_live_availability_needs_a_warehouse_and_the_right(login, rep, make_user, shop):
    data = order_post(shop, (shop["product"], "4"), warehouse="")
    response = login(rep).post(reverse("web:sales-order-availability"), data)
    assert [cell["atp"] for cell in response.context["cells"]] == [None]
    assert login(make_user("buyer")).post(reverse("web:sales-order-availability"), data).status_code == 403


def test_a_draft_is_edited_and_a_confirmed_order_is_not(login, rep, shop):
    client = login(rep)
    order = make_order(customer=shop["customer"], warehouse=shop["warehouse"], items=[(shop["product"], 2)],
                       actor=rep)
    line = order.lines.get()
    data = order_post(shop, (shop["product"], "5"))
    data.update({"lines-INITIAL_FORMS": "1", "lines-0-id": line.pk})
    response = client.post(reverse("web:sales-order-edit", args=[order.pk]), data)
    assert response.status_code == 302
    line.refresh_from_db()
    assert line.quantity == 5
    sales_services.confirm_order(order_id=order.pk, actor=rep)
    response = client.get(reverse("web:sales-order-edit", args=[order.pk]), follow=True)
    assert response.redirect_chain[-1][0] == reverse("web:sales-order", args=[order.pk])


# The order page ---------------------------------------------------------------------------------------
def test_confirming_reserves_and_says_what_is_short(login, rep, shop):
    client = login(rep)
    order = make_order(customer=shop["customer"], warehouse=shop["warehouse"], items=[(shop["product"], 12)],
                       actor=rep)
    page = client.get(reverse("web:sales-order", args=[order.pk]))
    assert [a["name"] for a in page.context["actions"]] == ["confirm", "cancel"]
    response = client.post(reverse("web:sales-order-action", args=[order.pk, "confirm"]), follow=True)
    [message] = response.context["messages"]
    assert message.level_tag == "warning" and "P001" in str(message)
    [status] = response.context["lines"]
    assert (status.reserved, status.backordered) == (10, 2)
    assert 'id="shortage"' in response.content.decode()
    assert PurchaseDemand.objects.get().quantity == 2


def test_a_blocked_order_stays_a_draft_with_its_shortage(login, rep, shop):
    client = login(rep)
    order = make_order(customer=shop["customer"], warehouse=shop["warehouse"], items=[(shop["product"], 12)],
                       actor=rep, policy="block")
    response = client.post(reverse("web:sales-order-action", args=[order.pk, "confirm"]), follow=True)
    assert [m.level_tag for m in response.context["messages"]] == ["error"]
    order.refresh_from_db()
    assert order.status == "draft"
    assert StockBalance.objects.get().allocated == 0
    assert list(response.context["demands"]) == [PurchaseDemand.objects.get()]


def test_cancel_with_a_reason_and_illegal_actions(login, rep, shop):
    client = login(rep)
    order = make_order(customer=shop["customer"], warehouse=shop["warehouse"], items=[(shop["product"], 3)],
                       actor=rep, confirm=True)
    response = client.post(reverse("web:sales-order-action", args=[order.pk, "close"]), follow=True)
    assert [m.level_tag for m in response.context["messages"]] == ["error"]  # not shipped yet
    client.post(reverse("web:sales-order-action", args=[order.pk, "cancel"]), {"reason": "客户取消"})
    order.refresh_from_db()
    assert (order.status, order.cancel_reason) == ("cancelled", "客户取消")
    assert StockBalance.objects.get().allocated == 0
    assert client.post(reverse("web:sales-order-action", args=[order.pk, "ship"])).status_code == 404
    assert client.get(reverse("web:sales-order-action", args=[order.pk, "cancel"])).status_code == 405


def test_reps_see_only_their_customers_orders(login, rep, make_user, shop, django_assert_max_num_queries):
    other_rep = make_user("sales_rep")
    theirs = make_order(customer=CustomerFactory(account_manager=other_rep), warehouse=shop["warehouse"],
                        items=[(shop["product"], 1)], actor=other_rep)
    for _ in range(3):
        make_order(customer=shop["customer"], warehouse=shop["warehouse"], items=[(shop["product"], 1)], actor=rep)
    client = login(rep)
    client.get(reverse("web:sales-orders"))
    with django_assert_max_num_queries(10):
        response = client.get(reverse("web:sales-orders"))
    assert response.context["page"].paginator.count == 3
    assert client.get(reverse("web:sales-order", args=[theirs.pk])).status_code == 404
    assert client.post(reverse("web:sales-order-action", args=[theirs.pk, "confirm"])).status_code == 404
    assert client.get(reverse("web:sales-orders"), {"status": "confirmed"}).context["page"].paginator.count == 0
    assert client.get(reverse("web:sales-orders"), {"customer": shop["customer"].pk}).context[
        "page"].paginator.count == 3


def test_order_page_query_ceiling(login, rep, shop, django_assert_max_num_queries):
    order = make_order(customer=shop["customer"], warehouse=shop["warehouse"],
                       items=[(shop["product"], 1)] * 5, actor=rep, confirm=True)
    client = login(rep)
    client.get(reverse("web:sales-order", args=[order.pk]))
    with django_assert_max_num_queries(17):
        assert client.get(reverse("web:sales-order", args=[order.pk])).status_code == 200


def test_finance_may_look_but_not_act(login, make_user, rep, shop):
    order = make_order(customer=shop["customer"], warehouse=shop["warehouse"], items=[(shop["product"], 1)],
                       actor=rep)
    client = login(make_user("finance"))
    page = client.get(reverse("web:sales-order", args=[order.pk]))
    assert page.status_code == 200 and page.context["actions"] == [] and page.context["edit_url"] == ""
    before = snapshot()
    assert client.post(reverse("web:sales-order-action", args=[order.pk, "confirm"])).status_code == 403
    assert client.get(reverse("web:sales-order-create")).status_code == 403
    assert client.get(reverse("web:warehouse-todo")).status_code == 200
    assert client.post(reverse("web:sales-order-notice", args=[order.pk])).status_code == 403
    assert snapshot() == before


# Delivery notices -------------------------------------------------------------------------------------
@pytest.fixture
def confirmed(shop, rep):
    return make_order(customer=shop["customer"], warehouse=shop["warehouse"], items=[(shop["product"], 4)],
                      actor=rep, confirm=True)


def test_the_warehouse_ships_a_notice_step_by_step(login, clerk, rep, shop, confirmed):
    assert login(rep).post(reverse("web:sales-order-notice", args=[confirmed.pk])).status_code == 403
    client = login(clerk)
    response = client.post(reverse("web:sales-order-notice", args=[confirmed.pk]))
    notice = DeliveryNotice.objects.get()
    assert response.url == reverse("web:delivery-notice", args=[notice.pk])

    def step(name, data=None):
        return client.post(reverse("web:delivery-notice-step", args=[notice.pk, name]), data or {})

    assert client.get(response.url).context["next_step"] == "start_picking"
    step("start_picking")
    page = client.get(response.url)
    assert [(p.location.code, p.quantity) for row in page.context["lines"] for p in row["line"].picks.all()] == [
        ("A-01", 4)]

    before = snapshot()
    bad = step("pack", {"packages": "0"})
    assert bad.status_code == 200 and "packages" in bad.context["forms"]["pack"].errors
    assert snapshot() == before
    step("pack", {"packages": "2"})

    line = notice.lines.get()
    mismatch = step("check", {f"line_{line.pk}": "3"})
    assert mismatch.context["forms"]["check"].errors[f"line_{line.pk}"]
    notice.refresh_from_db()
    assert notice.status == "packed"
    step("check", {f"line_{line.pk}": "4"})

    shipped = client.post(reverse("web:delivery-notice-step", args=[notice.pk, "ship"]), {"carrier": "顺丰"},
                          follow=True)
    notice.refresh_from_db()
    assert notice.status == "shipped" and notice.outbound_number
    assert f'id="outbound-number">{notice.outbound_number}<' in shipped.content.decode()
    assert shipped.context["next_step"] is None
    confirmed.refresh_from_db()
    assert confirmed.status == "shipped"
    assert StockBalance.objects.get().on_hand == 6
    order_page = client.get(reverse("web:sales-order", args=[confirmed.pk]))
    assert [m.quantity for m in order_page.context["moves"]] == [-4]  # the shipment in the stock history
    again = step("ship")
    assert again.status_code == 302  # an illegal step is a message on the page, nothing changes


def test_a_second_start_is_refused_with_a_message(login, clerk, confirmed):
    client = login(clerk)
    notice = sales_services.create_delivery_notice(order_id=confirmed.pk, actor=clerk)
    sales_services.start_picking(notice_id=notice.pk, actor=clerk)
    response = client.post(reverse("web:delivery-notice-step", args=[notice.pk, "start_picking"]), follow=True)
    assert [m.level_tag for m in response.context["messages"]] == ["error"]
    assert client.post(reverse("web:delivery-notice-step", args=[notice.pk, "fly"])).status_code == 404


def test_warehouse_todo_and_scan_box(login, clerk, confirmed, shop, django_assert_max_num_queries):
    client = login(clerk)
    notice = sales_services.create_delivery_notice(order_id=confirmed.pk, actor=clerk)
    url = reverse("web:warehouse-todo")
    client.get(url)
    with django_assert_max_num_queries(9):
        response = client.get(url)
    assert [n.number for n in response.context["page"].object_list] == [notice.number]
    assert client.get(url, {"code": notice.number.lower()}).url == reverse("web:delivery-notice", args=[notice.pk])
    assert client.get(url, {"code": confirmed.number}).url == reverse("web:sales-order", args=[confirmed.pk])
    by_product = client.get(url, {"code": shop["product"].code})
    assert by_product.context["product"] == shop["product"]
    assert [n.number for n in by_product.context["page"].object_list] == [notice.number]
    nothing = client.get(url, {"code": "NO-SUCH-THING"})
    assert [m.level_tag for m in nothing.context["messages"]] == ["warning"]
    assert client.get(url, {"status": "shipped"}).context["page"].paginator.count == 0


def test_reps_do_not_see_other_reps_notices(login, make_user, clerk, confirmed):
    notice = sales_services.create_delivery_notice(order_id=confirmed.pk, actor=clerk)
    other = login(make_user("sales_rep"))
    assert other.get(reverse("web:delivery-notice", args=[notice.pk])).status_code == 404
    assert other.get(reverse("web:warehouse-todo")).context["page"].paginator.count == 0


def test_menus_by_role(login, rep, clerk):
    def urls(user):
        menu = login(user).get(reverse("web:workbench")).context["nav_menu"]
        return {item["url"] for section in menu for item in section["items"]}

    assert reverse("web:sales-orders") in urls(rep)
    assert reverse("web:warehouse-todo") in urls(rep)  # reps follow their orders' notices
    assert {reverse("web:sales-orders"), reverse("web:warehouse-todo")} <= urls(clerk)
