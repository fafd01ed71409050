"""Order to shipment in a real browser (Debian chromium through Playwright, issue 3 item 7): a sales
rep enters an order and sees the live availability of its line, confirms it; a warehouse clerk scans
the order on the to-do page, raises its delivery notice, picks, packs, checks and ships it; the order
shows shipped and the stock level page the reduced on-hand stock. And a stock adjustment by a clerk."""

import os
from decimal import Decimal

import pytest

from caixiao.catalog.tests.factories import ProductFactory, UnitFactory
from caixiao.inventory import services as inventory_services
from caixiao.inventory.models import StockBalance
from caixiao.inventory.tests.factories import LocationFactory, WarehouseFactory
from caixiao.partners.tests.factories import CustomerFactory
from caixiao.sales.models import DeliveryNotice, SalesOrder
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
def shop(transactional_db, make_user):
    """A rep with a customer, a clerk, and 10 of 龙井 in bin A-01 of the Shanghai warehouse."""
    rep = make_user("sales_rep", username="rep_li")
    clerk = make_user("warehouse_clerk", username="clerk_wang")
    warehouse = WarehouseFactory(code="SH", name="上海仓")
    bin_a = LocationFactory(warehouse=warehouse, code="A-01")
    product = ProductFactory(code="TEA-001", name="龙井", base_unit=UnitFactory(code="PCS", name="个", decimals=0),
                             sale_price=Decimal("15"))
    inventory_services.receive_stock(requests=[inventory_services.ReceiveRequest(
        product_id=product.pk, warehouse_id=warehouse.pk, quantity=Decimal("10"), unit_cost=Decimal("9.5"),
        location_id=bin_a.pk)], actor=clerk)
    customer = CustomerFactory(code="C-HZ", name="杭州茶庄", account_manager=rep)
    return {"warehouse": warehouse, "bin": bin_a, "product": product, "customer": customer}


def availability(page, row: int) -> dict[str, str]:
    cell = page.locator(f"#lines-{row}-atp .atp")
    return {name: cell.get_attribute(f"data-{name}") for name in ("available", "reservable", "shortage")}


def test_order_to_ship(page, live_server, shop):
    # The sales rep enters the order and watches the availability of the line change as they type.
    log_in(page, "rep_li")
    page.goto("/sales/orders/new/")
    page.select_option("#id_customer", label="C-HZ 杭州茶庄")
    page.select_option("#id_warehouse", label="SH 上海仓")
    page.select_option("#id_lines-0-product", label="TEA-001 龙井")
    page.fill("#id_lines-0-quantity", "12")
    page.wait_for_selector("#lines-0-atp .atp-short")
    assert availability(page, 0) == {"available": "10", "reservable": "10", "shortage": "2"}
    page.fill("#id_lines-0-quantity", "4")
    page.wait_for_selector("#lines-0-atp .atp-ok")
    assert availability(page, 0) == {"available": "10", "reservable": "4", "shortage": "0"}
    page.click("#order-form button[type=submit]")
    page.wait_for_url("**/sales/orders/*/")
    order = SalesOrder.objects.get()
    assert page.locator("#order-status .status-draft").count() == 1

    with page.expect_navigation():
        page.click("#order-actions button[value=confirm]")
    assert page.locator("#order-status .status-confirmed").count() == 1
    assert page.locator("#order-lines td[data-quantity=reserved]").inner_text() == "4"
    assert page.locator("#shortage").count() == 0

    # The warehouse clerk scans the order number on the to-do page and raises its delivery notice.
    page.context.clear_cookies()
    log_in(page, "clerk_wang")
    page.goto("/warehouse/")
    page.fill("#scan", order.number)
    with page.expect_navigation():
        page.press("#scan", "Enter")
    assert page.url.endswith(f"/sales/orders/{order.pk}/")
    page.click("#create-notice")
    page.wait_for_url("**/warehouse/notices/*/")
    notice = DeliveryNotice.objects.get()

    page.goto("/warehouse/")
    page.click(f"#delivery-notices a:text('{notice.number}')")
    page.wait_for_url(f"**/warehouse/notices/{notice.pk}/")
    with page.expect_navigation():
        page.click("#step-start_picking")
    assert "A-01" in page.locator("#pick-list .picks").inner_text()
    page.fill("#id_packages", "1")
    with page.expect_navigation():
        page.click("#step-pack")
    page.fill(".check-cell input", "4")
    with page.expect_navigation():
        page.click("#step-check")
    page.fill("#id_carrier", "顺丰速运")
    with page.expect_navigation():
        page.click("#step-ship")
    notice.refresh_from_db()
    assert page.locator("#outbound-number").inner_text() == notice.outbound_number != ""

    # The order shows shipped; the stock level page shows what is left on hand.
    page.goto(f"/sales/orders/{order.pk}/")
    assert page.locator("#order-status .status-shipped").count() == 1
    assert page.locator("#order-lines td[data-quantity=shipped]").inner_text() == "4"
    page.goto("/stock/levels/?q=TEA-001")
    row = page.locator("#stock-levels tbody tr").first
    assert row.locator("td[data-quantity=on_hand]").inner_text() == "6"
    assert row.locator("td[data-quantity=allocated]").inner_text() == "0"
    assert StockBalance.objects.get().on_hand == 6


def test_clerk_adjusts_stock(page, live_server, shop):
    log_in(page, "clerk_wang")
    page.goto(f"/stock/adjustments/new/?product={shop['product'].pk}")
    with page.expect_response("**/stock/bins/**"):  # the bin choices follow the warehouse
        page.select_option("#id_warehouse", label="SH 上海仓")
    page.select_option("#id_location", label="SH/A-01")
    page.fill("#id_quantity", "-11")
    page.fill("#id_reason", "破损")
    with page.expect_navigation():
        page.click("form.stock-form button[type=submit]")
    assert page.locator(".alert-danger").count() == 1  # more than the bin holds: nothing posted
    assert StockBalance.objects.get().on_hand == 10

    page.fill("#id_quantity", "-2")
    with page.expect_navigation():
        page.click("form.stock-form button[type=submit]")
    assert page.url.endswith(f"/stock/levels/{shop['product'].pk}/")
    assert page.locator("#product-levels td[data-quantity=on_hand]").inner_text() == "8"
    assert "破损" in page.locator("#stock-moves").inner_text()
