"""Confirming a sales order and raising its delivery notice puts the notice on the warehouse clerk's
to-do list and rings the bell, seen in a real browser (Debian chromium through Playwright). The
outbox dispatches right after commit in the test settings, as a worker would a moment later."""

import os
from decimal import Decimal

import pytest

from caixiao.catalog.tests.factories import ProductFactory, UnitFactory
from caixiao.inventory.tests.factories import LocationFactory, WarehouseFactory
from caixiao.partners.tests.factories import CustomerFactory
from caixiao.sales import services as sales_services
from caixiao.sales.tests.factories import make_order, receive
from tests.browser import test_product_journey as journey
from tests.browser.test_product_journey import CHROMIUM, log_in

# The same browser, page and ORM fixtures as the product journey.
allow_orm_next_to_playwright = journey.allow_orm_next_to_playwright
browser = journey.browser
page = journey.page

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not os.path.exists(CHROMIUM), reason=f"Debian chromium is not installed at {CHROMIUM}"),
]


@pytest.fixture
def notice(transactional_db, make_user):
    make_user("warehouse_clerk", username="clerk_wang", display_name="王库管")
    rep = make_user("sales_rep", username="rep_zhao")
    warehouse = WarehouseFactory()
    product = ProductFactory(base_unit=UnitFactory(code="PCS", name="个", decimals=0), sale_price=Decimal("15"))
    receive(product, warehouse, 10, location=LocationFactory(warehouse=warehouse, code="A-01"))
    order = make_order(customer=CustomerFactory(account_manager=rep), warehouse=warehouse, items=[(product, 4)],
                       actor=rep, confirm=True)
    return sales_services.create_delivery_notice(order_id=order.pk, actor=rep)


def test_confirmed_order_lands_on_the_clerks_todo_list_and_rings_the_bell(page, live_server, notice):
    log_in(page, "clerk_wang")
    todo = page.locator("#todo-list .todo").filter(has_text=notice.number)
    todo.wait_for()
    assert notice.order.number in todo.inner_text()

    count = page.locator("#bell-count")
    count.wait_for()
    assert int(count.inner_text()) > 0

    page.click("#bell")
    page.wait_for_url("**/notifications/")
    assert notice.number in page.locator("#notification-list").inner_text()
    page.click("#read-all")
    page.wait_for_url("**/notifications/")
    page.locator("#bell").wait_for()
    assert page.locator("#bell-count").count() == 0

    page.goto("/todos/")
    page.locator("#todo-list .todo").filter(has_text=notice.number).get_by_role("button").click()
    page.wait_for_url("**/todos/")
    assert notice.number not in page.locator("#todo-list").inner_text()
