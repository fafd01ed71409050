"""A buyer's first steps in a real browser (Debian chromium through Playwright): log in, create a
product through the form, find it in the product list and on its detail page, switch the language."""

import os
from decimal import Decimal

import pytest
from django.db import connections

from caixiao.catalog.models import Category, Product, Unit

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not os.path.exists(CHROMIUM), reason=f"Debian chromium is not installed at {CHROMIUM}"),
]


@pytest.fixture(autouse=True)
def allow_orm_next_to_playwright(monkeypatch):
    """Playwright's sync API runs an event loop in the test thread, so Django would refuse this module's
    ORM calls (plain synchronous test setup). Allowed only while these tests run: a variable left in
    ``os.environ`` would leak into later tests (``check --deploy`` rejects it)."""
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@pytest.fixture
def browser():
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser, live_server):
    context = browser.new_context(base_url=live_server.url, locale="zh-CN", viewport={"width": 1400, "height": 900})
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()
    # Playwright's sync API keeps an event loop running in this thread, and Django keeps connections
    # per async context while a loop runs: the test's ORM calls opened a connection of their own, which
    # closing here (still inside the loop) ends. Left open, it kept PostgreSQL from dropping the test
    # database at the end of the run.
    connections.close_all()


@pytest.fixture
def purchasing_manager(transactional_db, make_user):
    tea = Category.objects.create(code="TEA", name="茶叶")
    pcs = Unit.objects.create(code="PCS", name="个")
    Product.objects.create(code="TEA-000", name="安吉白茶", category=tea, base_unit=pcs)
    return make_user("purchasing_manager", username="buyer_li")


def log_in(page, username, password="pw"):
    page.goto("/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.click("button[type=submit]")
    page.wait_for_url("**/")


def test_buyer_creates_a_product_and_finds_it(page, live_server, purchasing_manager):
    log_in(page, "buyer_li")
    css = page.evaluate("getComputedStyle(document.querySelector('.navbar')).display")
    assert css == "flex", "Bootstrap's stylesheet did not load"

    page.goto("/products/new/")
    page.fill("#id_code", "tea-001")
    page.fill("#id_name", "西湖龙井")
    page.select_option("#id_category", label="TEA 茶叶")
    page.select_option("#id_base_unit", label="PCS 个")
    page.fill("#id_purchase_price", "128.50")
    page.fill("#id_sale_price", "199")
    page.click("form.resource-form button[type=submit]")
    page.wait_for_url("**/products/*/")

    product = Product.objects.get(code="TEA-001")
    assert product.sale_price == Decimal("199")
    assert page.locator("h1").inner_text().strip() == "TEA-001 西湖龙井"
    assert "128.50" in page.locator("main").inner_text()
    assert "buyer_li" in page.locator("#history").inner_text()

    page.goto("/products/")
    page.fill("input[name=q]", "龙井")
    page.wait_for_function("document.querySelectorAll('#resource-results tbody tr').length === 1")
    assert "q=" in page.url  # the search is in the address, so it survives a reload
    row = page.locator("#resource-results tbody tr").first
    assert "TEA-001" in row.inner_text()
    row.locator("a").first.click()
    page.wait_for_url(f"**/products/{product.pk}/")


def test_language_switch_to_english_and_back(page, live_server, purchasing_manager):
    log_in(page, "buyer_li")
    assert page.get_attribute("html", "lang") == "zh-hans"
    with page.expect_navigation():
        page.select_option("#language-form select", "en")
    assert page.get_attribute("html", "lang") == "en"
    assert page.locator("#language-form select").input_value() == "en"
    with page.expect_navigation():
        page.select_option("#language-form select", "zh-hans")
    assert page.get_attribute("html", "lang") == "zh-hans"
