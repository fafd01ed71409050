"""A sales order over the customer's credit limit goes through a two-step approval in a real browser
(Debian chromium through Playwright; issue 5 item 5, S2): the sales rep confirms it and it waits for
approval with nothing reserved; the sales manager finds it on the workbench's to-do list, opens the
task and approves with a comment; the finance director approves it from "My approvals" in one click
(htmx); the order is confirmed with its stock reserved, and its approval panel shows both decisions."""

import os
from decimal import Decimal

import pytest

from caixiao.catalog.tests.factories import ProductFactory, UnitFactory
from caixiao.inventory import services as inventory_services
from caixiao.inventory.models import StockBalance
from caixiao.inventory.tests.factories import LocationFactory, WarehouseFactory
from caixiao.partners.tests.factories import CustomerFactory
from caixiao.sales.models import SalesOrder
from tests.browser import test_product_journey as journey
from tests.browser.test_product_journey import CHROMIUM, log_in

allow_orm_next_to_playwright = journey.allow_orm_next_to_playwright
browser = journey.browser
page = journey.page

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not os.path.exists(CHROMIUM), reason=f"Debian chromium is not installed at {CHROMIUM}"),
]


@pytest.fixture
def shop(transactional_db, make_user):
    """A rep whose customer 恒通 has a ¥1,000 credit limit, the sales manager and the finance director,
    and 100 of 扳手 in bin A-01."""
    rep = make_user("sales_rep", username="rep_li")
    make_user("sales_manager", username="mgr_wang")
    make_user("finance_director", username="cfo_qian")
    warehouse = WarehouseFactory(code="SH", name="上海仓")
    bin_a = LocationFactory(warehouse=warehouse, code="A-01")
    product = ProductFactory(code="WR-001", name="扳手", base_unit=UnitFactory(code="PCS", name="个", decimals=0),
                             sale_price=Decimal("50"))
    inventory_services.receive_stock(requests=[inventory_services.ReceiveRequest(
        product_id=product.pk, warehouse_id=warehouse.pk, quantity=Decimal("100"), unit_cost=Decimal("30"),
        location_id=bin_a.pk)], actor=None)
    customer = CustomerFactory(code="C-HT", name="恒通", account_manager=rep, credit_limit=Decimal("1000"))
    return {"warehouse": warehouse, "product": product, "customer": customer}


def test_order_over_the_credit_limit_is_approved_in_two_steps(page, live_server, shop):
    # The sales rep enters an order of 30 × ¥50 (+13%) = ¥1,695 for a customer with a ¥1,000 limit.
    log_in(page, "rep_li")
    page.goto("/sales/orders/new/")
    page.select_option("#id_customer", label="C-HT 恒通")
    page.select_option("#id_warehouse", label="SH 上海仓")
    page.select_option("#id_lines-0-product", label="WR-001 扳手")
    page.fill("#id_lines-0-quantity", "30")
    page.wait_for_selector("#lines-0-atp .atp-ok")
    page.click("#order-form button[type=submit]")
    page.wait_for_url("**/sales/orders/*/")
    order = SalesOrder.objects.get()
    assert page.locator("#credit-exposure .badge").count() == 1  # over the credit limit

    with page.expect_navigation():
        page.click("#order-actions button[value=confirm]")
    assert page.locator("#order-status .status-pending_approval").count() == 1
    assert page.locator("#approval-panel[data-status=pending]").count() == 1
    assert "mgr_wang" in page.locator("#approval-panel .pending-approvers").first.inner_text()
    assert StockBalance.objects.get().allocated == 0

    # The sales manager finds it on the workbench's to-do list, opens the task and approves with a comment.
    page.context.clear_cookies()
    log_in(page, "mgr_wang")
    todo = page.locator("#todo-list .todo[data-kind=approve]").filter(has_text=order.number)
    todo.wait_for()
    assert "恒通" in todo.inner_text()
    with page.expect_navigation():
        todo.locator("a").first.click()
    assert order.number in page.locator("h1").inner_text()
    assert page.locator(".approval-step[data-state=current]").first.get_attribute("data-position") == "1"
    page.fill("#id_comment", "老客户，回款及时")
    with page.expect_navigation():
        page.click("#approve")
    assert page.locator("#task-status .status-approved").count() == 1
    assert "老客户，回款及时" in page.locator("#decision-history").inner_text()
    order.refresh_from_db()
    assert order.status == "pending_approval"

    # The finance director approves from "My approvals" in one click: the row is swapped in place.
    page.context.clear_cookies()
    log_in(page, "cfo_qian")
    page.goto("/approvals/")
    row = page.locator("#approval-tasks .approval-task").filter(has_text=order.number)
    row.locator("input[name=comment]").fill("同意")
    row.locator("button[data-decision=approve]").click()
    page.locator("#approval-tasks .approval-task[data-status=approved]").filter(has_text=order.number).wait_for()

    # The order is confirmed with its stock reserved; the panel shows both decisions.
    order.refresh_from_db()
    assert order.status == "confirmed" and order.confirmed_at is not None
    assert StockBalance.objects.get().allocated == 30
    page.context.clear_cookies()
    log_in(page, "rep_li")
    page.goto(f"/sales/orders/{order.pk}/")
    assert page.locator("#order-status .status-confirmed").count() == 1
    assert page.locator("#order-lines td[data-quantity=reserved]").inner_text() == "30"
    panel = page.locator("#approval-panel[data-status=approved]").inner_text()
    assert "老客户，回款及时" in panel and "同意" in panel
